package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/instainstru/instainstru"
)

// Retention of finished tasks. A task ID blocks a new task with the same ID while the old one is
// queued, scheduled, retried or retained, so keeping finished booking tasks for a while makes a
// relay replay or a sweep of the same occurrence a no-op instead of a second (deduplicated) run.
const (
	bookingTaskRetention    = 48 * time.Hour
	invalidateTaskRetention = time.Hour
	// taskTimeout bounds one handler run; the claim lease must be longer (see DefaultClaimLease).
	taskTimeout = time.Minute
)

// Job is one task to enqueue, with its deterministic ID and options.
type Job struct {
	ID   string
	Task *asynq.Task
	// ProcessAt is when it should run (zero: now).
	ProcessAt time.Time
	Queue     string
	Retention time.Duration
}

// Options are the enqueue options of j.
func (j Job) Options() []asynq.Option {
	opts := []asynq.Option{asynq.TaskID(j.ID), asynq.Queue(j.Queue), asynq.Timeout(taskTimeout)}
	if j.Retention > 0 {
		opts = append(opts, asynq.Retention(j.Retention))
	}
	if !j.ProcessAt.IsZero() {
		opts = append(opts, asynq.ProcessAt(j.ProcessAt))
	}
	return opts
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings and instants always marshal
	}
	return b
}

// EmailJob is the task of one booking email to one participant: email:<kind>:<booking>:<to>.
func EmailJob(p BookingEmailPayload) Job {
	return Job{
		ID:   fmt.Sprintf("email:%s:%s:%s", p.Kind, p.BookingID, p.To),
		Task: asynq.NewTask(TypeBookingEmail, mustJSON(p)), Queue: QueueCritical, Retention: bookingTaskRetention,
	}
}

// leadName is a reminder lead as it appears in task IDs and kinds: "24h", "1h".
func leadName(lead time.Duration) string {
	if lead%time.Hour == 0 {
		return fmt.Sprintf("%dh", int(lead/time.Hour))
	}
	return lead.String()
}

// ReminderJob is the task of one reminder: reminder:<booking>:<to>:<lead>:<unix start>, due at
// start - lead. The start is part of the ID, so a reminder planned for another start never
// blocks this one.
func ReminderJob(p ReminderPayload) Job {
	return Job{
		ID:        fmt.Sprintf("reminder:%s:%s:%s:%d", p.BookingID, p.To, leadName(p.Lead), p.StartsAt.Unix()),
		Task:      asynq.NewTask(TypeReminder, mustJSON(p)),
		ProcessAt: p.StartsAt.Add(-p.Lead), Queue: QueueDefault, Retention: bookingTaskRetention,
	}
}

// InvalidateJob is the cache invalidation caused by one event: invalidate:<event key>.
func InvalidateJob(e instainstru.Event) Job {
	return Job{
		ID:   "invalidate:" + e.Key(),
		Task: asynq.NewTask(TypeInvalidateCache, mustJSON(InvalidatePayload{InstructorID: e.InstructorID})),
		// Invalidation is cheap and time-critical; a replay after the retention is harmless.
		Queue: QueueDefault, Retention: invalidateTaskRetention,
	}
}

// reminderStale reports whether a reminder of lead before start is too late to send at now: the
// lesson has started, or the reminder is more than a quarter of its lead overdue (a "24 hours"
// note six hours late, or a "1 hour" note with 45 minutes to go, would mislead; the next
// reminder covers it).
func reminderStale(start time.Time, lead time.Duration, now time.Time) bool {
	return !now.Before(start) || now.After(start.Add(-lead).Add(lead/4))
}

// ReminderJobs are the reminders of a lesson starting at start, for both participants and every
// lead of ReminderLeads, leaving out those too late at now (reminderStale). One due in the past
// but not stale (a relay or sweep running late) runs at once.
func ReminderJobs(bookingID string, start time.Time, now time.Time) []Job {
	var out []Job
	for _, lead := range ReminderLeads {
		if reminderStale(start, lead, now) {
			continue
		}
		for _, to := range []Recipient{ToStudent, ToInstructor} {
			j := ReminderJob(ReminderPayload{BookingID: bookingID, To: to, Lead: lead, StartsAt: start.UTC()})
			if j.ProcessAt.Before(now) {
				j.ProcessAt = time.Time{}
			}
			out = append(out, j)
		}
	}
	return out
}

// FanOut is the set of tasks one committed event stands for (DESIGN.md, "How a booking flows"):
//
//	booking.created      confirmation emails to both, reminders (24h, 1h) to both, invalidation
//	booking.cancelled    cancellation emails to both, invalidation
//	booking.rescheduled  reschedule emails to both, reminders of the new booking, invalidation
//	booking.completed, booking.no_show, availability.changed   invalidation
//
// The old booking of a reschedule needs no task of its own: its reminders, when they run, find it
// cancelled and send nothing.
func FanOut(e instainstru.Event, now time.Time) ([]Job, error) {
	emails := func(kind EmailKind) []Job {
		var out []Job
		for _, to := range []Recipient{ToStudent, ToInstructor} {
			out = append(out, EmailJob(BookingEmailPayload{BookingID: e.BookingID, Kind: kind, To: to,
				PreviousBookingID: e.PreviousBookingID}))
		}
		return out
	}
	var jobs []Job
	switch e.Type {
	case instainstru.EventBookingCreated:
		jobs = append(emails(EmailConfirmed), ReminderJobs(e.BookingID, e.StartsAt, now)...)
	case instainstru.EventBookingCancelled:
		jobs = emails(EmailCancelled)
	case instainstru.EventBookingRescheduled:
		jobs = append(emails(EmailRescheduled), ReminderJobs(e.BookingID, e.StartsAt, now)...)
	case instainstru.EventBookingCompleted, instainstru.EventBookingNoShow, instainstru.EventAvailabilityChanged:
	default:
		return nil, fmt.Errorf("tasks: unknown event type %q", e.Type)
	}
	if e.BookingID == "" && e.Type != instainstru.EventAvailabilityChanged {
		return nil, fmt.Errorf("tasks: %s event %d has no booking", e.Type, e.Seq)
	}
	if e.InstructorID != "" {
		jobs = append(jobs, InvalidateJob(e))
	}
	return jobs, nil
}

// Enqueue puts j on the queue. A task with the same ID already there (or retained) is success:
// that occurrence is already planned. It reports whether a new task was made.
func Enqueue(ctx context.Context, c *asynq.Client, j Job) (bool, error) {
	_, err := c.EnqueueContext(ctx, j.Task, j.Options()...)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", j.ID, err)
	}
	return true, nil
}
