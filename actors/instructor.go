package actors

import (
	"context"
	"fmt"
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
type InstructorActor struct {
	id     string
	dir    *Directory
	loaded bool
	loc    *time.Location
	tz     string
	avail  map[instainstru.Date][]instainstru.TimeRange
	spans  []instainstru.BookingSpan // confirmed bookings still blocking time, by starts_at
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
	if err := a.load(ctx); err != nil {
		actx.Respond(errorReply(msg, err))
		return
	}
	var reply any
	changed := false
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
	if changed && a.dir.cfg.OnChange != nil {
		a.dir.cfg.OnChange(ctx, a.id)
	}
	actx.Respond(reply)
}

func errorReply(msg any, err error) any {
	switch msg.(type) {
	case *bookRequest, *cancelRequest, *rescheduleRequest, *finishRequest:
		return &bookingResponse{err: err}
	}
	return &availabilityResponse{err: err}
}

// load reads the instructor's zone, future availability and blocking bookings once.
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
	// Everything from yesterday on: writes may reach any future date, and after a reload the
	// calendar must still know them (an instructor's future is a few thousand rows at most).
	avail, err := a.dir.store.AvailabilityBetween(ctx, a.id, today.AddDays(-1), lastDate)
	if err != nil {
		return err
	}
	spans, err := a.dir.store.ConfirmedBookingsFrom(ctx, a.id, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	a.loc, a.tz, a.avail, a.spans, a.loaded = loc, clock.Timezone, avail, spans, true
	return nil
}

func (a *InstructorActor) today() instainstru.Date {
	return instainstru.DateOf(a.dir.cfg.Now().In(a.loc))
}

// calendar is the actor's calendar as the rulebook reads it, without the booking exclude (the
// one being rescheduled).
func (a *InstructorActor) calendar(exclude string) *instainstru.Calendar {
	booked := make([]instainstru.BookedSpan, 0, len(a.spans))
	for _, s := range a.spans {
		if s.ID != exclude {
			booked = append(booked, s.Booked())
		}
	}
	return &instainstru.Calendar{Loc: a.loc, Availability: a.avail, Bookings: booked}
}

func (a *InstructorActor) book(ctx context.Context, m *bookRequest) (*instainstru.Booking, bool, error) {
	r, bc := m.req, m.bc
	if m.idem != nil {
		if b, err := a.dir.store.IdempotentReplay(ctx, m.idem); err != nil || b != nil {
			return b, b != nil, err
		}
	}
	now := a.dir.cfg.Now().UTC()
	l, err := instainstru.CheckBooking(bc, r, a.calendar(""), now)
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
	if err := a.dir.store.InsertBooking(ctx, b, m.idem); err != nil {
		if instainstru.IsCode(err, instainstru.CodeIdempotencyKeyReused) && m.idem != nil {
			// Another instructor's actor stored this key first (same key, different body).
			if prev, rerr := a.dir.store.IdempotentReplay(ctx, m.idem); rerr != nil || prev != nil {
				return prev, prev != nil, rerr
			}
		}
		return nil, false, err
	}
	a.addSpan(b)
	return b, false, nil
}

func (a *InstructorActor) addSpan(b *instainstru.Booking) {
	a.spans = append(a.spans, instainstru.SpanOf(b))
	sort.Slice(a.spans, func(i, j int) bool { return a.spans[i].StartsAt.Before(a.spans[j].StartsAt) })
	// Drop spans that can no longer block anything, so the slice stays small.
	cut := a.dir.cfg.Now().Add(-24 * time.Hour)
	kept := a.spans[:0]
	for _, s := range a.spans {
		if s.BlockedUntil.After(cut) {
			kept = append(kept, s)
		}
	}
	a.spans = kept
}

func (a *InstructorActor) removeSpan(id string) {
	for i, s := range a.spans {
		if s.ID == id {
			a.spans = append(a.spans[:i], a.spans[i+1:]...)
			return
		}
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
	if err := a.dir.store.CancelBooking(ctx, b); err != nil {
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
	now := a.dir.cfg.Now().UTC()
	l, err := instainstru.CheckReschedule(old, bc, a.calendar(old.ID), m.date, m.start, m.duration, now)
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
	if err := a.dir.store.RescheduleBooking(ctx, old, nb); err != nil {
		return nil, err
	}
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
	if err := a.dir.store.FinishBooking(ctx, b.ID, m.status, now); err != nil {
		return nil, err
	}
	a.removeSpan(b.ID)
	b.Status, b.UpdatedAt = m.status, now
	return b, nil
}
