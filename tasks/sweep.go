package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/tasks/mail"
)

// Sweeper rebuilds from the database what the queue should hold, so a wiped or replaced Redis
// loses nothing: every reminder of every confirmed future booking, and the task of every email
// whose sender died mid-send (a claim older than the lease). It enqueues with the same
// deterministic task IDs as the relay, so a reminder already queued (or retained) is left as it
// is: a sweep never makes duplicates, however often it runs.
type Sweeper struct {
	deps Deps
}

// NewSweeper is a sweeper over deps.Store and deps.Client.
func NewSweeper(deps Deps) *Sweeper { return &Sweeper{deps: deps} }

// SweepResult counts what one sweep did.
type SweepResult struct {
	Lessons   int // confirmed future bookings examined
	Restored  int // reminder tasks that were missing and were enqueued
	Present   int // reminder tasks that were already there
	Reclaimed int // stuck emails queued again
}

// sweepPage is how many bookings one query of the sweep reads.
const sweepPage = 500

// Sweep restores missing reminders, then re-queues stuck emails (ReclaimStuck).
func (s *Sweeper) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := s.deps.now()
	// Only lessons that have not started can have a reminder left (ReminderJobs drops the rest).
	var afterStart time.Time
	var afterID string
	for {
		page, err := s.deps.Store.UpcomingLessons(ctx, now, afterStart, afterID, sweepPage)
		if err != nil {
			return res, err
		}
		for _, l := range page {
			res.Lessons++
			for _, j := range ReminderJobs(l.BookingID, l.StartsAt, now) {
				made, err := Enqueue(ctx, s.deps.Client, j)
				if err != nil {
					return res, err
				}
				if made {
					res.Restored++
				} else {
					res.Present++
				}
			}
		}
		if len(page) < sweepPage {
			break
		}
		afterStart, afterID = page[len(page)-1].StartsAt, page[len(page)-1].BookingID
	}
	n, err := s.ReclaimStuck(ctx)
	res.Reclaimed = n
	return res, err
}

// ReclaimStuck queues again the task of every email claimed longer ago than the lease and never
// finished: its worker died between the claim and the outcome (see tasks/email.go). The new task
// has its own ID (…:reclaim:<attempts>), since the dead worker's task may still be retained or
// active in asynq; whichever runs first claims the row again and sends, the other finds it done.
func (s *Sweeper) ReclaimStuck(ctx context.Context) (int, error) {
	stuck, err := s.deps.Store.StuckNotifications(ctx, s.deps.lease(), 200)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, st := range stuck {
		j, ok, err := s.reclaimJob(ctx, st)
		if err != nil {
			return n, err
		}
		if !ok {
			continue
		}
		made, err := Enqueue(ctx, s.deps.Client, j)
		if err != nil {
			return n, err
		}
		if made {
			n++
			s.deps.log().InfoContext(ctx, "email re-queued after its sender died mid-send", "key", st.DedupeKey, "attempts", st.Attempts)
		}
	}
	return n, nil
}

// reclaimJob rebuilds the task that sends notification st (false: nothing to send any more).
func (s *Sweeper) reclaimJob(ctx context.Context, st instainstru.Notification) (Job, bool, error) {
	b, err := s.deps.Store.BookingByID(ctx, st.BookingID)
	if instainstru.IsCode(err, instainstru.CodeNotFound) {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, err
	}
	var to Recipient
	switch st.UserID {
	case b.Student.ID:
		to = ToStudent
	case b.Instructor.ID:
		to = ToInstructor
	default:
		return Job{}, false, nil
	}
	var j Job
	switch mail.Kind(st.Kind) {
	case mail.KindReminder24h, mail.KindReminder1h:
		lead := 24 * time.Hour
		if mail.Kind(st.Kind) == mail.KindReminder1h {
			lead = time.Hour
		}
		j = ReminderJob(ReminderPayload{BookingID: b.ID, To: to, Lead: lead, StartsAt: b.StartsAt})
		j.ProcessAt = time.Time{}
	case mail.KindBookingConfirmed, mail.KindBookingCancelled, mail.KindBookingRescheduled:
		p := BookingEmailPayload{BookingID: b.ID, Kind: EmailKind(st.Kind), To: to}
		if b.RescheduledFromID != nil {
			p.PreviousBookingID = *b.RescheduledFromID
		}
		j = EmailJob(p)
	default:
		return Job{}, false, nil
	}
	j.ID = fmt.Sprintf("%s:reclaim:%d", j.ID, st.Attempts)
	return j, true, nil
}
