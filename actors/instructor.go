package actors

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/instainstru/instainstru"
)

// patternMaxDays bounds apply-pattern (API.md: at most 366 days).
const patternMaxDays = 366

// lastDate is the latest date a calendar can hold.
var lastDate = instainstru.Date{Year: 9999, Month: 12, Day: 31}

// InstructorActor owns one instructor's calendar: it is the only writer of that instructor's
// availability and bookings, keeps the instructor's future availability and confirmed bookings in
// memory (loaded from PostgreSQL on its first message, reloaded after a restart), and checks every
// booking rule against that state before one transaction commits the change.
//
// The state is a cache of the database at calendar version `version`, never an authority: every
// write is fenced at that version in its own transaction (see instainstru.Calendar), so a write
// decided on a stale copy (another node wrote, a profile edit bypassed the actor, a suspension
// raced the booking) is refused by the database; the actor then reloads and decides again, once.
// After an outcome it cannot know (a timeout, a lost reply after the commit) it reloads before
// its next message and has the instructor's cache entries invalidated.
type InstructorActor struct {
	id      string
	dir     *Directory
	loaded  bool
	version int64
	loc     *time.Location
	tz      string
	avail   map[instainstru.Date][]instainstru.TimeRange
	black   map[instainstru.Date]bool
	spans   []instainstru.BookingSpan // confirmed bookings still blocking time, by starts_at
	booked  []instainstru.BookedSpan  // spans[i].Booked() for every i: what the rulebook reads
}

func newInstructorActor(id string, d *Directory) *InstructorActor {
	return &InstructorActor{id: id, dir: d}
}

// Receive handles one message at a time; that is the serialization the whole design relies on.
func (a *InstructorActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Stopped:
		a.dir.forget(a.id, ctx.Self())
		return
	case *actor.Started, *actor.Restarting, *actor.Stopping:
		return
	case deadlined:
		a.handle(ctx, msg)
	}
}

// handle answers a request. A panic while handling it is answered with a definite internal error
// (the caller never waits for its timeout) and then re-raised, so the supervisor restarts the
// actor and the state reloads from the database.
func (a *InstructorActor) handle(actx actor.Context, msg deadlined) {
	defer func() {
		if r := recover(); r != nil {
			// Counted here rather than in a supervisor: a cluster grain is restarted by the
			// library's own supervision, a local actor by the Directory's.
			a.dir.restarted.Add(1)
			a.loaded = false
			actx.Respond(errorReply(msg, instainstru.Internal(fmt.Errorf("instructor actor panic: %v", r))))
			panic(r)
		}
	}()
	if time.Now().After(msg.when()) {
		// The caller has given up: do nothing rather than commit something nobody will hear of.
		actx.Respond(errorReply(msg, &instainstru.Error{Code: instainstru.CodeUnavailable, Message: "request expired in queue", RetryAfter: time.Second}))
		return
	}
	ctx, cancel := context.WithDeadline(context.Background(), msg.when())
	defer cancel()
	var reply any
	changed := false
	for attempt := 0; ; attempt++ {
		if err := a.load(ctx); err != nil {
			reply = errorReply(msg, err)
			break
		}
		reply, changed = a.decide(ctx, msg)
		err := replyError(reply)
		if instainstru.IsCode(err, instainstru.CodeCalendarChanged) {
			// The database refused a write decided on a stale calendar: reload and decide again.
			a.loaded = false
			if attempt == 0 {
				continue
			}
			reply = errorReply(msg, &instainstru.Error{Code: instainstru.CodeUnavailable,
				Message: "the instructor's calendar is changing; retry", RetryAfter: time.Second, Cause: err})
		} else if !definite(err) {
			// The write may have committed without our hearing of it: trust nothing in memory,
			// and drop what caches hold of this instructor.
			a.loaded, changed = false, true
		}
		break
	}
	if changed && a.dir.cfg.OnChange != nil {
		// A fresh deadline: the request's may be spent exactly when invalidating matters most.
		ictx, icancel := context.WithTimeout(context.Background(), time.Second)
		a.dir.cfg.OnChange(ictx, a.id)
		icancel()
	}
	actx.Respond(reply)
}

// definite reports whether err leaves no doubt about the outcome: success, or a refusal before or
// by the database (nothing committed). Timeouts, lost connections and internal errors are not.
func definite(err error) bool {
	switch instainstru.ErrorCode(err) {
	case instainstru.CodeUnavailable, instainstru.CodeInternal, instainstru.CodeCalendarChanged:
		return false
	}
	return true
}

func replyError(reply any) error {
	switch r := reply.(type) {
	case *bookingResponse:
		return r.err
	case *availabilityResponse:
		return r.err
	}
	return nil
}

// decide runs one request on the loaded calendar; changed reports a committed change of the
// instructor's bookable time.
func (a *InstructorActor) decide(ctx context.Context, msg deadlined) (reply any, changed bool) {
	switch m := msg.(type) {
	case *bookRequest:
		b, replayed, err := a.book(ctx, m)
		reply, changed = &bookingResponse{booking: b, replayed: replayed, err: err}, err == nil && !replayed
	case *cancelRequest:
		b, err := a.cancel(ctx, m)
		reply, changed = &bookingResponse{booking: b, err: err}, err == nil
	case *rescheduleRequest:
		b, err := a.reschedule(ctx, m)
		reply, changed = &bookingResponse{booking: b, err: err}, err == nil
	case *finishRequest:
		b, err := a.finish(ctx, m)
		reply, changed = &bookingResponse{booking: b, err: err}, false
	case *putWeekRequest:
		w, err := a.putWeek(ctx, m.week)
		reply, changed = &availabilityResponse{week: w, err: err}, err == nil
	case *copyWeekRequest:
		w, err := a.copyWeek(ctx, m.from, m.to)
		reply, changed = &availabilityResponse{week: w, err: err}, err == nil
	case *applyPatternRequest:
		n, err := a.applyPattern(ctx, m)
		reply, changed = &availabilityResponse{datesUpdated: n, err: err}, err == nil
	case *blackoutRequest:
		err := a.blackout(ctx, m)
		reply, changed = &availabilityResponse{err: err}, err == nil
	default:
		reply = errorReply(msg, instainstru.Internal(fmt.Errorf("unknown message %T", msg)))
	}
	return reply, changed
}

func errorReply(msg any, err error) any {
	switch msg.(type) {
	case *bookRequest, *cancelRequest, *rescheduleRequest, *finishRequest:
		return &bookingResponse{err: err}
	}
	return &availabilityResponse{err: err}
}

// load reads the instructor's calendar once: the version first, then zone, availability from
// yesterday to the horizon, blackouts and blocking bookings. Reading the version first makes the
// copy at least as new as the version: a change made while loading bumps the version past it,
// and the fence refuses the next write until a reload.
func (a *InstructorActor) load(ctx context.Context) error {
	if a.loaded {
		return nil
	}
	clock, err := a.dir.store.InstructorClock(ctx, a.id)
	if err != nil {
		return err
	}
	loc, err := instainstru.LoadZone(clock.Timezone)
	if err != nil {
		return instainstru.Internal(fmt.Errorf("instructor %s has unknown zone %q", a.id, clock.Timezone))
	}
	now := a.dir.cfg.Now()
	today := instainstru.DateOf(now.In(loc))
	last := lastDate
	if h := a.dir.cfg.HorizonDays; h > 0 {
		last = today.AddDays(h)
	}
	avail, err := a.dir.store.AvailabilityBetween(ctx, a.id, today.AddDays(-1), last)
	if err != nil {
		return err
	}
	blackouts, err := a.dir.store.Blackouts(ctx, a.id, today.AddDays(-1))
	if err != nil {
		return err
	}
	spans, err := a.dir.store.ConfirmedBookingsFrom(ctx, a.id, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	a.black = make(map[instainstru.Date]bool, len(blackouts))
	for _, b := range blackouts {
		a.black[b.Date] = true
	}
	a.booked = make([]instainstru.BookedSpan, len(spans))
	for i, s := range spans {
		a.booked[i] = s.Booked()
	}
	a.version, a.loc, a.tz, a.avail, a.spans, a.loaded = clock.Version, loc, clock.Timezone, avail, spans, true
	return nil
}

// current returns bc if it was read at the actor's calendar version, else bc read again; if the
// calendar moved on meanwhile, calendar_changed (the caller reloads and decides again).
func (a *InstructorActor) current(ctx context.Context, bc *instainstru.BookingContext, studentID string) (*instainstru.BookingContext, error) {
	if bc.Instructor.Version == a.version {
		return bc, nil
	}
	fresh, err := a.dir.store.BookingContext(ctx, bc.Offer.ID, studentID)
	if err != nil {
		return nil, err
	}
	if fresh.Instructor.Version != a.version {
		return nil, &instainstru.Error{Code: instainstru.CodeCalendarChanged, Message: "the instructor's settings changed"}
	}
	return fresh, nil
}

func (a *InstructorActor) today() instainstru.Date {
	return instainstru.DateOf(a.dir.cfg.Now().In(a.loc))
}

// spanReach is how far from a date's UTC midnight a booking can start and still touch a lesson
// on that date: the date's local day lies within 14 h of its UTC day, a lesson lasts at most
// MaxDuration, a booking blocks at most MaxBufferMinutes past its end and a new lesson's buffer
// reaches as far before it. Two days covers all of that with room to spare.
const spanReach = 48 * time.Hour

// calendar is the actor's calendar as the rulebook reads it for a lesson on date d, without the
// booking exclude (the one being rescheduled). Only bookings starting within spanReach of d can
// overlap or buffer such a lesson, so only those are handed over, as a window of a.booked found
// by binary search: no copy (the rulebook only reads it) unless a booking is excluded. Copying
// every future booking made each decision O(n) in time and allocation: an instructor with
// hundreds of lessons ahead paid for all of them on every booking.
func (a *InstructorActor) calendar(d instainstru.Date, exclude string) *instainstru.Calendar {
	from, to := d.Time().Add(-spanReach), d.Time().Add(24*time.Hour+spanReach)
	lo := sort.Search(len(a.spans), func(i int) bool { return !a.spans[i].StartsAt.Before(from) })
	hi := lo + sort.Search(len(a.spans)-lo, func(i int) bool { return !a.spans[lo+i].StartsAt.Before(to) })
	booked := a.booked[lo:hi:hi]
	if exclude != "" {
		if i := slices.IndexFunc(a.spans[lo:hi], func(s instainstru.BookingSpan) bool { return s.ID == exclude }); i >= 0 {
			booked = slices.Delete(slices.Clone(booked), i, i+1)
		}
	}
	return &instainstru.Calendar{Version: a.version, Loc: a.loc, Availability: a.avail, Blackouts: a.black, Bookings: booked}
}

func (a *InstructorActor) book(ctx context.Context, m *bookRequest) (*instainstru.Booking, bool, error) {
	r, bc := m.req, m.bc
	if m.idem != nil {
		if b, err := a.dir.store.IdempotentReplay(ctx, m.idem); err != nil || b != nil {
			return b, b != nil, err
		}
	}
	bc, err := a.current(ctx, bc, r.StudentID)
	if err != nil {
		return nil, false, err
	}
	now := a.dir.cfg.Now().UTC()
	l, err := instainstru.CheckBooking(bc, r, a.calendar(r.Date, ""), now, a.dir.cfg.HorizonDays)
	if err != nil {
		return nil, false, err
	}
	b := &instainstru.Booking{
		ID:                  instainstru.NewID(),
		Student:             instainstru.Party{ID: r.StudentID, FullName: bc.StudentName},
		Instructor:          instainstru.Party{ID: bc.Offer.InstructorID, FullName: bc.Instructor.FullName},
		InstructorServiceID: bc.Offer.ID,
		ServiceName:         bc.Offer.Name,
		CategoryName:        bc.Offer.Category.Name,
		HourlyRateCents:     bc.Offer.HourlyRateCents,
		TotalPriceCents:     instainstru.PriceCents(bc.Offer.HourlyRateCents, r.DurationMinutes),
		Status:              instainstru.BookingConfirmed,
		LocationType:        r.LocationType,
		MeetingLocation:     r.MeetingLocation,
		StudentNote:         r.StudentNote,
		CreatedAt:           now,
		UpdatedAt:           now,
	}
	b.Place(l, a.tz, bc.Instructor.BufferMinutes)
	v, err := a.dir.store.InsertBooking(ctx, b, m.idem, a.version)
	if err != nil {
		if instainstru.IsCode(err, instainstru.CodeIdempotencyKeyReused) && m.idem != nil {
			// Another instructor's actor stored this key first (same key, different body).
			if prev, rerr := a.dir.store.IdempotentReplay(ctx, m.idem); rerr != nil || prev != nil {
				return prev, prev != nil, rerr
			}
		}
		return nil, false, err
	}
	a.version = v
	a.addSpan(b)
	return b, false, nil
}

func (a *InstructorActor) addSpan(b *instainstru.Booking) {
	s := instainstru.SpanOf(b)
	i := sort.Search(len(a.spans), func(i int) bool { return a.spans[i].StartsAt.After(s.StartsAt) })
	a.spans = slices.Insert(a.spans, i, s)
	a.booked = slices.Insert(a.booked, i, s.Booked())
	// Drop the leading spans that can no longer block anything, so the slices stay small. A span
	// blocks at most MaxDuration + MaxBufferMinutes past its start, so the few stale ones this
	// leaves behind a live one are dropped a few hours later; they cannot block a future lesson.
	cut := a.dir.cfg.Now().Add(-24 * time.Hour)
	n := 0
	for n < len(a.spans) && !a.spans[n].BlockedUntil.After(cut) {
		n++
	}
	a.spans, a.booked = slices.Delete(a.spans, 0, n), slices.Delete(a.booked, 0, n)
}

func (a *InstructorActor) removeSpan(id string) {
	if i := slices.IndexFunc(a.spans, func(s instainstru.BookingSpan) bool { return s.ID == id }); i >= 0 {
		a.spans, a.booked = slices.Delete(a.spans, i, i+1), slices.Delete(a.booked, i, i+1)
	}
}

// participantBooking loads a booking of this instructor that userID takes part in; anyone else
// gets not_found, never a hint that it exists.
func (a *InstructorActor) participantBooking(ctx context.Context, id, userID string) (*instainstru.Booking, error) {
	b, err := a.dir.store.BookingByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if b.Instructor.ID != a.id || (b.Student.ID != userID && b.Instructor.ID != userID) {
		return nil, instainstru.Errorf(instainstru.CodeNotFound, "booking not found")
	}
	return b, nil
}

func (a *InstructorActor) cancel(ctx context.Context, m *cancelRequest) (*instainstru.Booking, error) {
	b, err := a.participantBooking(ctx, m.bookingID, m.userID)
	if err != nil {
		return nil, err
	}
	now := a.dir.cfg.Now().UTC()
	if err := b.CheckChange("cancelled", now); err != nil {
		return nil, err
	}
	b.Cancel(m.userID, m.reason, now)
	if a.version, err = a.dir.store.CancelBooking(ctx, b, a.version); err != nil {
		return nil, err
	}
	a.removeSpan(b.ID)
	return b, nil
}

func (a *InstructorActor) reschedule(ctx context.Context, m *rescheduleRequest) (*instainstru.Booking, error) {
	old, err := a.participantBooking(ctx, m.bookingID, m.userID)
	if err != nil {
		return nil, err
	}
	bc, err := a.dir.store.BookingContext(ctx, old.InstructorServiceID, old.Student.ID)
	if err != nil {
		return nil, err
	}
	if bc, err = a.current(ctx, bc, old.Student.ID); err != nil {
		return nil, err
	}
	now := a.dir.cfg.Now().UTC()
	l, err := instainstru.CheckReschedule(old, bc, a.calendar(m.date, old.ID), m.date, m.start, m.duration, now, a.dir.cfg.HorizonDays)
	if err != nil {
		return nil, err
	}
	duration := l.Duration
	// The rescheduled lesson keeps the rate the student agreed to; only its length can change.
	oldID := old.ID
	nb := &instainstru.Booking{
		ID: instainstru.NewID(), Student: old.Student, Instructor: old.Instructor,
		InstructorServiceID: old.InstructorServiceID, ServiceName: old.ServiceName, CategoryName: old.CategoryName,
		HourlyRateCents: old.HourlyRateCents, TotalPriceCents: instainstru.PriceCents(old.HourlyRateCents, duration),
		Status: instainstru.BookingConfirmed, LocationType: old.LocationType, MeetingLocation: old.MeetingLocation,
		StudentNote: old.StudentNote, RescheduledFromID: &oldID, CreatedAt: now, UpdatedAt: now,
	}
	nb.Place(l, a.tz, bc.Instructor.BufferMinutes)
	old.Cancel(m.userID, "rescheduled", now)
	v, err := a.dir.store.RescheduleBooking(ctx, old, nb, a.version)
	if err != nil {
		return nil, err
	}
	a.version = v
	a.removeSpan(old.ID)
	a.addSpan(nb)
	return nb, nil
}

func (a *InstructorActor) finish(ctx context.Context, m *finishRequest) (*instainstru.Booking, error) {
	b, err := a.participantBooking(ctx, m.bookingID, m.userID)
	if err != nil {
		return nil, err
	}
	now := a.dir.cfg.Now().UTC()
	if err := b.CheckFinish(m.status, m.userID, now); err != nil {
		return nil, err
	}
	if a.version, err = a.dir.store.FinishBooking(ctx, a.id, b.ID, m.status, now, a.version); err != nil {
		return nil, err
	}
	a.removeSpan(b.ID)
	b.Status, b.UpdatedAt = m.status, now
	return b, nil
}
