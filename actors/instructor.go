package actors

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
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
	spans  []persistence.BookingSpan // confirmed bookings still blocking time, by starts_at
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
	loc, err := time.LoadLocation(clock.Timezone)
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

// lesson is a proposed lesson resolved against the instructor's clock.
type lesson struct {
	date      instainstru.Date
	start     instainstru.Minute
	end       instainstru.Minute
	startsAt  time.Time
	endsAt    time.Time
	durationM int
}

// resolveLesson turns wall-clock date, start and duration into instants. A lesson whose start does
// not exist (spring-forward gap) or that crosses a clock change (so its wall-clock end would not
// be start+duration) is invalid_local_time: wall clock and elapsed time must agree.
func (a *InstructorActor) resolveLesson(date instainstru.Date, start instainstru.Minute, duration int) (*lesson, error) {
	end := start + instainstru.Minute(duration)
	if end > instainstru.EndOfDay {
		return nil, instainstru.Invalid(instainstru.FieldError{Field: "start_time", Message: "the lesson must end by 24:00 on its date"})
	}
	startsAt, err := instainstru.ResolveLocal(date, start, a.loc)
	if err != nil {
		return nil, err
	}
	endsAt := startsAt.Add(time.Duration(duration) * time.Minute)
	ed, em := instainstru.LocalMinute(endsAt, a.loc)
	if !(ed == date && em == end) && !(end == instainstru.EndOfDay && ed == date.AddDays(1) && em == 0) {
		return nil, &instainstru.Error{Code: instainstru.CodeInvalidLocalTime,
			Message: fmt.Sprintf("a lesson from %s to %s on %s crosses a daylight-saving clock change in %s", start, end, date, a.tz)}
	}
	return &lesson{date: date, start: start, end: end, startsAt: startsAt.UTC(), endsAt: endsAt.UTC(), durationM: duration}, nil
}

// checkSlot applies the calendar rules: advance window, availability, instructor conflicts.
// exclude is a booking id ignored in conflicts (the one being rescheduled).
func (a *InstructorActor) checkSlot(l *lesson, bc *persistence.BookingContext, exclude string) error {
	now := a.dir.cfg.Now()
	if !l.startsAt.After(now) {
		return instainstru.Errorf(instainstru.CodeTooSoon, "the lesson must start in the future")
	}
	if minAdvance := time.Duration(bc.Instructor.MinAdvanceBookingHours) * time.Hour; l.startsAt.Before(now.Add(minAdvance)) {
		return instainstru.Errorf(instainstru.CodeTooSoon, "this instructor takes bookings at least %d hours ahead", bc.Instructor.MinAdvanceBookingHours)
	}
	inside := false
	want := instainstru.TimeRange{Start: l.start, End: l.end}
	for _, r := range a.avail[l.date] {
		if r.Contains(want) {
			inside = true
			break
		}
	}
	if !inside {
		return instainstru.Errorf(instainstru.CodeOutsideAvailability, "the instructor is not available for the whole lesson on %s %s–%s", l.date, l.start, l.end)
	}
	buffer := time.Duration(bc.Instructor.BufferMinutes) * time.Minute
	for _, s := range a.spans {
		if s.ID == exclude {
			continue
		}
		// Each existing booking widened by the buffer on both sides must not touch the lesson.
		if l.startsAt.Before(s.EndsAt.Add(buffer)) && s.StartsAt.Before(l.endsAt.Add(buffer)) {
			if buffer > 0 && !(l.startsAt.Before(s.EndsAt) && s.StartsAt.Before(l.endsAt)) {
				return instainstru.Errorf(instainstru.CodeBookingConflict, "the instructor keeps %d minutes between lessons", bc.Instructor.BufferMinutes)
			}
			return instainstru.Errorf(instainstru.CodeBookingConflict, "the instructor already has a lesson at that time")
		}
	}
	return nil
}

// checkParties applies the rules about who may book whom.
func checkParties(bc *persistence.BookingContext, studentID string) error {
	if bc.Offer.InstructorID == studentID {
		return instainstru.Errorf(instainstru.CodeForbidden, "instructors cannot book their own lessons")
	}
	if bc.StudentRole != instainstru.RoleStudent {
		return instainstru.Errorf(instainstru.CodeForbidden, "only students can book lessons")
	}
	if bc.StudentStatus != instainstru.StatusActive {
		return instainstru.Errorf(instainstru.CodeForbidden, "your account is not active")
	}
	if bc.Instructor.AccountStatus != instainstru.StatusActive || !bc.OfferActive {
		return instainstru.Errorf(instainstru.CodeInstructorUnavailable, "this instructor or service is not taking bookings")
	}
	return nil
}

func checkLocation(bc *persistence.BookingContext, loc instainstru.BookingLocation) error {
	need := instainstru.LocationInPerson
	if loc == instainstru.OnlineLocation {
		need = instainstru.LocationOnline
	}
	for _, l := range bc.Offer.LocationTypes {
		if l == need {
			return nil
		}
	}
	return instainstru.Invalid(instainstru.FieldError{Field: "location_type", Message: fmt.Sprintf("this service is not offered %s", strings.ReplaceAll(string(need), "_", " "))})
}

func (a *InstructorActor) book(ctx context.Context, m *bookRequest) (*instainstru.Booking, bool, error) {
	r, bc := m.req, m.bc
	if m.idem != nil {
		if b, err := a.dir.store.IdempotentReplay(ctx, m.idem); err != nil || b != nil {
			return b, b != nil, err
		}
	}
	if !bc.Offer.HasDuration(r.DurationMinutes) {
		return nil, false, instainstru.Invalid(instainstru.FieldError{Field: "duration_minutes",
			Message: fmt.Sprintf("must be one of this service's durations %v", bc.Offer.DurationOptions)})
	}
	if err := checkLocation(bc, r.LocationType); err != nil {
		return nil, false, err
	}
	if err := checkParties(bc, r.StudentID); err != nil {
		return nil, false, err
	}
	l, err := a.resolveLesson(r.Date, r.StartTime, r.DurationMinutes)
	if err != nil {
		return nil, false, err
	}
	if err := a.checkSlot(l, bc, ""); err != nil {
		return nil, false, err
	}
	now := a.dir.cfg.Now().UTC()
	b := &instainstru.Booking{
		ID:                  persistence.NewID(),
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
	a.place(b, l, bc.Instructor.BufferMinutes)
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

// place fills the wall-clock and instant fields of b from l.
func (a *InstructorActor) place(b *instainstru.Booking, l *lesson, buffer int) {
	b.Date, b.StartTime, b.EndTime, b.Timezone = l.date, l.start, l.end, a.tz
	b.StartsAt, b.EndsAt, b.DurationMinutes = l.startsAt, l.endsAt, l.durationM
	b.BufferMinutes = buffer
	b.BlockedUntil = l.endsAt.Add(time.Duration(buffer) * time.Minute)
}

func (a *InstructorActor) addSpan(b *instainstru.Booking) {
	a.spans = append(a.spans, persistence.BookingSpan{ID: b.ID, StudentID: b.Student.ID, StartsAt: b.StartsAt, EndsAt: b.EndsAt, BlockedUntil: b.BlockedUntil})
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
	if b.Status != instainstru.BookingConfirmed {
		return nil, instainstru.Errorf(instainstru.CodeInvalidTransition, "only a confirmed booking can be cancelled (this one is %s)", b.Status)
	}
	if !b.StartsAt.After(now) {
		return nil, instainstru.Errorf(instainstru.CodeInvalidTransition, "a lesson that has started can no longer be cancelled")
	}
	markCancelled(b, m.userID, m.reason, now)
	if err := a.dir.store.CancelBooking(ctx, b); err != nil {
		return nil, err
	}
	a.removeSpan(b.ID)
	return b, nil
}

func markCancelled(b *instainstru.Booking, by, reason string, now time.Time) {
	b.Status = instainstru.BookingCancelled
	b.CancelledAt, b.CancelledBy, b.CancellationReason = &now, &by, &reason
	b.LateCancellation = b.StartsAt.Sub(now) < instainstru.LateCancellationWindow
	b.UpdatedAt = now
}

func (a *InstructorActor) reschedule(ctx context.Context, m *rescheduleRequest) (*instainstru.Booking, error) {
	old, err := a.participantBooking(ctx, m.bookingID, m.userID)
	if err != nil {
		return nil, err
	}
	now := a.dir.cfg.Now().UTC()
	if old.Status != instainstru.BookingConfirmed {
		return nil, instainstru.Errorf(instainstru.CodeInvalidTransition, "only a confirmed booking can be rescheduled (this one is %s)", old.Status)
	}
	if !old.StartsAt.After(now) {
		return nil, instainstru.Errorf(instainstru.CodeInvalidTransition, "a lesson that has started can no longer be rescheduled")
	}
	bc, err := a.dir.store.BookingContext(ctx, old.InstructorServiceID, old.Student.ID)
	if err != nil {
		return nil, err
	}
	duration := m.duration
	if duration == 0 {
		duration = old.DurationMinutes
	} else if !bc.Offer.HasDuration(duration) {
		return nil, instainstru.Invalid(instainstru.FieldError{Field: "duration_minutes",
			Message: fmt.Sprintf("must be one of this service's durations %v", bc.Offer.DurationOptions)})
	}
	if err := checkParties(bc, old.Student.ID); err != nil {
		return nil, err
	}
	l, err := a.resolveLesson(m.date, m.start, duration)
	if err != nil {
		return nil, err
	}
	if err := a.checkSlot(l, bc, old.ID); err != nil {
		return nil, err
	}
	// The rescheduled lesson keeps the rate the student agreed to; only its length can change.
	oldID := old.ID
	nb := &instainstru.Booking{
		ID: persistence.NewID(), Student: old.Student, Instructor: old.Instructor,
		InstructorServiceID: old.InstructorServiceID, ServiceName: old.ServiceName, CategoryName: old.CategoryName,
		HourlyRateCents: old.HourlyRateCents, TotalPriceCents: instainstru.PriceCents(old.HourlyRateCents, duration),
		Status: instainstru.BookingConfirmed, LocationType: old.LocationType, MeetingLocation: old.MeetingLocation,
		StudentNote: old.StudentNote, RescheduledFromID: &oldID, CreatedAt: now, UpdatedAt: now,
	}
	a.place(nb, l, bc.Instructor.BufferMinutes)
	markCancelled(old, m.userID, "rescheduled", now)
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
	if b.Instructor.ID != m.userID {
		return nil, instainstru.Errorf(instainstru.CodeForbidden, "only the instructor can mark a lesson %s", m.status)
	}
	if b.Status != instainstru.BookingConfirmed {
		return nil, instainstru.Errorf(instainstru.CodeInvalidTransition, "only a confirmed booking can be marked %s (this one is %s)", m.status, b.Status)
	}
	now := a.dir.cfg.Now().UTC()
	if m.status == instainstru.BookingCompleted && now.Before(b.EndsAt) {
		return nil, instainstru.Errorf(instainstru.CodeInvalidTransition, "a lesson can be completed only after it ends")
	}
	if m.status == instainstru.BookingNoShow && now.Before(b.StartsAt) {
		return nil, instainstru.Errorf(instainstru.CodeInvalidTransition, "a no-show can be recorded only after the lesson started")
	}
	if err := a.dir.store.FinishBooking(ctx, b.ID, m.status, now); err != nil {
		return nil, err
	}
	a.removeSpan(b.ID)
	b.Status, b.UpdatedAt = m.status, now
	return b, nil
}
