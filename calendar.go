package instainstru

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The booking rulebook. Every rule that decides whether a time can be booked lives here, once:
// the instructor's actor decides writes with it, public availability and search list bookable
// time with it (BookableRanges, which the property tests hold to CheckLesson), and the demo data
// and background jobs obey it. Nothing here touches a database: the callers hand it the
// calendar they loaded.

// InstructorClock is what scheduling needs to know about an instructor before any write: the
// zone their wall clock is read in, their status and their booking settings.
type InstructorClock struct {
	InstructorID           string
	FullName               string
	Timezone               string
	AccountStatus          AccountStatus
	MinAdvanceBookingHours int
	BufferMinutes          int
	// Version is the calendar version these settings were read at (see Calendar.Version).
	Version int64
}

// AnyVersion as a write's expected calendar version writes whatever the version is (and still
// bumps it): seeding and tests, never the actor.
const AnyVersion int64 = -1

// Rules are the time rules of this instructor at instant now, with the platform's horizon in days.
func (c *InstructorClock) Rules(now time.Time, horizonDays int) BookingRules {
	return BookingRules{
		Now:        now,
		MinAdvance: time.Duration(c.MinAdvanceBookingHours) * time.Hour,
		Buffer:     time.Duration(c.BufferMinutes) * time.Minute,
		Horizon:    horizonDays,
	}
}

// BookingContext is everything a booking rule needs besides the instructor's calendar: the offer
// as it is now, the instructor's settings and status, and the student.
type BookingContext struct {
	Offer         InstructorService
	OfferActive   bool
	Instructor    InstructorClock
	StudentName   string
	StudentRole   Role
	StudentStatus AccountStatus
}

// BookingSpan is a confirmed booking as the instructor's calendar keeps it: when it takes place,
// until when it blocks the instructor (its end plus the buffer in force when it was booked), and
// whose it is.
type BookingSpan struct {
	ID           string
	StudentID    string
	StartsAt     time.Time
	EndsAt       time.Time
	BlockedUntil time.Time
}

// Booked is the span as the rules read it, without who booked it.
func (s BookingSpan) Booked() BookedSpan {
	return BookedSpan{StartsAt: s.StartsAt, EndsAt: s.EndsAt, BlockedUntil: s.BlockedUntil}
}

// SpanOf is the calendar entry of a confirmed booking.
func SpanOf(b *Booking) BookingSpan {
	return BookingSpan{ID: b.ID, StudentID: b.Student.ID, StartsAt: b.StartsAt, EndsAt: b.EndsAt, BlockedUntil: b.BlockedUntil}
}

// Lesson is a proposed lesson resolved against the instructor's clock: its wall-clock date and
// range and the instants they mean.
type Lesson struct {
	Date     Date
	Start    Minute
	End      Minute
	StartsAt time.Time
	EndsAt   time.Time
	Duration int
}

// ResolveLesson turns a wall-clock date, start and duration in loc into a lesson. A lesson that
// ends after 24:00 is invalid; a start that does not exist (spring-forward gap) or a lesson that
// crosses a clock change (so its wall-clock end would not be start plus duration) is
// invalid_local_time: wall clock and elapsed time must agree.
func ResolveLesson(d Date, start Minute, duration int, loc *time.Location) (Lesson, error) {
	end := start + Minute(duration)
	if end > EndOfDay {
		return Lesson{}, Invalid(FieldError{Field: "start_time", Message: "the lesson must end by 24:00 on its date"})
	}
	startsAt, err := ResolveLocal(d, start, loc)
	if err != nil {
		return Lesson{}, err
	}
	endsAt := startsAt.Add(time.Duration(duration) * time.Minute)
	if !wallEndAgrees(d, end, endsAt, loc) {
		return Lesson{}, &Error{Code: CodeInvalidLocalTime,
			Message: fmt.Sprintf("a lesson from %s to %s on %s crosses a daylight-saving clock change in %s", start, end, d, loc)}
	}
	return Lesson{Date: d, Start: start, End: end, StartsAt: startsAt.UTC(), EndsAt: endsAt.UTC(), Duration: duration}, nil
}

// Range is the lesson's wall-clock range on its date.
func (l Lesson) Range() TimeRange { return TimeRange{Start: l.Start, End: l.End} }

// earliestStart is the earliest instant a lesson may start under r: strictly after now, and not
// before now plus the minimum advance.
func (r BookingRules) earliestStart() time.Time {
	if r.MinAdvance > 0 {
		return r.Now.Add(r.MinAdvance)
	}
	return r.Now.Add(time.Nanosecond)
}

// blocks is the interval a booking keeps a new lesson out of. A lesson [a, b) conflicts with it
// when a < hi and b > lo. Before the booking, the new lesson's own buffer (the instructor's buffer
// now) must fit: lo is the start minus the current buffer. After it, the buffer in force when it
// was booked applies: hi is its BlockedUntil. That is exactly the database's exclusion
// constraint, which compares [starts_at, blocked_until) of both lessons, so a lowered or raised
// buffer never makes the views list a start the database refuses, or hide one it accepts.
func (r BookingRules) blocks(b BookedSpan) (lo, hi time.Time) {
	hi = b.BlockedUntil
	if hi.Before(b.EndsAt) { // a span without its stored block (zero): the lesson itself
		hi = b.EndsAt
	}
	return b.StartsAt.Add(-r.Buffer), hi
}

// Calendar is an instructor's calendar as the rules read it: availability ("the rug"), blackout
// dates, and the confirmed bookings that can block time, in the instructor's zone.
//
// Its Version is the instructor's calendar version it was loaded at. The database bumps that
// version with every write that changes anything the rules read (availability, blackouts,
// bookings, the profile's zone, buffer and minimum notice, account status, offers), and a write
// decided on this calendar commits only if the version is still the same (the fence): a copy of
// the calendar is a cache, never an authority the database would not confirm.
type Calendar struct {
	Version      int64
	Loc          *time.Location
	Availability map[Date][]TimeRange // normalized ranges per date
	Blackouts    map[Date]bool
	Bookings     []BookedSpan
}

// Ranges are the availability ranges of date d; a blackout date has none.
func (c *Calendar) Ranges(d Date) []TimeRange {
	if c.Blackouts[d] {
		return nil
	}
	return c.Availability[d]
}

// CheckLesson applies the calendar rules to a resolved lesson at the instant and with the
// settings of r: the advance window (too_soon), availability (outside_availability) and the
// instructor's other bookings widened by the buffer (booking_conflict).
func (c *Calendar) CheckLesson(l Lesson, r BookingRules) error {
	if !l.StartsAt.After(r.Now) {
		return Errorf(CodeTooSoon, "the lesson must start in the future")
	}
	if l.StartsAt.Before(r.earliestStart()) {
		return Errorf(CodeTooSoon, "this instructor takes bookings at least %d hours ahead", int(r.MinAdvance/time.Hour))
	}
	if err := CheckHorizon("date", l.Date, DateOf(r.Now.In(c.Loc)), r.Horizon); err != nil {
		return err
	}
	want := l.Range()
	if c.Blackouts[l.Date] {
		return Errorf(CodeOutsideAvailability, "the instructor is not available on %s (a blackout date)", l.Date)
	}
	if !slices.ContainsFunc(c.Ranges(l.Date), func(a TimeRange) bool { return a.Contains(want) }) {
		return Errorf(CodeOutsideAvailability, "the instructor is not available for the whole lesson on %s %s–%s", l.Date, l.Start, l.End)
	}
	for _, b := range c.Bookings {
		lo, hi := r.blocks(b)
		if l.StartsAt.Before(hi) && lo.Before(l.EndsAt) {
			if !(l.StartsAt.Before(b.EndsAt) && b.StartsAt.Before(l.EndsAt)) {
				return Errorf(CodeBookingConflict, "the instructor keeps a buffer between lessons")
			}
			return Errorf(CodeBookingConflict, "the instructor already has a lesson at that time")
		}
	}
	return nil
}

// Bookable is the bookable wall-clock ranges of date d under r (see BookableRanges).
func (c *Calendar) Bookable(d Date, r BookingRules) []TimeRange {
	return BookableRanges(d, c.Ranges(d), c.Bookings, c.Loc, r)
}

// CheckStudentFree refuses a lesson that overlaps one of the student's own confirmed lessons
// (with any instructor; no buffer applies to students). The database's per-student exclusion
// constraint enforces the same rule at commit.
func CheckStudentFree(l Lesson, studentLessons []BookedSpan) error {
	for _, b := range studentLessons {
		if l.StartsAt.Before(b.EndsAt) && b.StartsAt.Before(l.EndsAt) {
			return Errorf(CodeStudentConflict, "you already have a lesson at that time")
		}
	}
	return nil
}

// CheckParties applies the rules about who may book whom: a student books, an instructor never
// books themself, and student, instructor and offer are all active.
func CheckParties(bc *BookingContext, studentID string) error {
	if bc.Offer.InstructorID == studentID {
		return Errorf(CodeForbidden, "instructors cannot book their own lessons")
	}
	if bc.StudentRole != RoleStudent {
		return Errorf(CodeForbidden, "only students can book lessons")
	}
	if bc.StudentStatus != StatusActive {
		return Errorf(CodeForbidden, "your account is not active")
	}
	if bc.Instructor.AccountStatus != StatusActive || !bc.OfferActive {
		return Errorf(CodeInstructorUnavailable, "this instructor or service is not taking bookings")
	}
	return nil
}

// CheckLocation refuses a location the offer is not given at: online lessons need an online
// offer, every other location an in-person one.
func CheckLocation(offer *InstructorService, loc BookingLocation) error {
	need := LocationInPerson
	if loc == OnlineLocation {
		need = LocationOnline
	}
	if slices.Contains(offer.LocationTypes, need) {
		return nil
	}
	return Invalid(FieldError{Field: "location_type", Message: fmt.Sprintf("this service is not offered %s", strings.ReplaceAll(string(need), "_", " "))})
}

// CheckDuration refuses a duration that is not one of the offer's options.
func CheckDuration(offer *InstructorService, minutes int) error {
	if offer.HasDuration(minutes) {
		return nil
	}
	return Invalid(FieldError{Field: "duration_minutes", Message: fmt.Sprintf("must be one of this service's durations %v", offer.DurationOptions)})
}

// CheckBooking applies every booking rule that needs no database to a new lesson: duration,
// location, parties, the wall clock, and the calendar. It returns the resolved lesson.
func CheckBooking(bc *BookingContext, req *BookLessonRequest, cal *Calendar, now time.Time, horizonDays int) (Lesson, error) {
	if err := CheckDuration(&bc.Offer, req.DurationMinutes); err != nil {
		return Lesson{}, err
	}
	if err := CheckLocation(&bc.Offer, req.LocationType); err != nil {
		return Lesson{}, err
	}
	if err := CheckParties(bc, req.StudentID); err != nil {
		return Lesson{}, err
	}
	return checkSlot(bc, cal, req.Date, req.StartTime, req.DurationMinutes, bc.Instructor.Rules(now, horizonDays))
}

// CheckReschedule applies the rules to moving old to date at start (duration 0 keeps the old
// duration) by userID: the booking's state, the offer's duration and location, the parties, the
// wall clock and the calendar (which must not hold old itself). The offer is read as it is now:
// its durations and location types may have changed since old was booked. It returns the new
// lesson.
func CheckReschedule(old *Booking, bc *BookingContext, cal *Calendar, date Date, start Minute, duration int, now time.Time, horizonDays int) (Lesson, error) {
	if err := old.CheckChange("rescheduled", now); err != nil {
		return Lesson{}, err
	}
	if duration == 0 {
		duration = old.DurationMinutes
	} else if err := CheckDuration(&bc.Offer, duration); err != nil {
		return Lesson{}, err
	}
	if err := CheckLocation(&bc.Offer, old.LocationType); err != nil {
		return Lesson{}, err
	}
	if err := CheckParties(bc, old.Student.ID); err != nil {
		return Lesson{}, err
	}
	return checkSlot(bc, cal, date, start, duration, bc.Instructor.Rules(now, horizonDays))
}

func checkSlot(bc *BookingContext, cal *Calendar, d Date, start Minute, duration int, r BookingRules) (Lesson, error) {
	l, err := ResolveLesson(d, start, duration, cal.Loc)
	if err != nil {
		return Lesson{}, err
	}
	if err := cal.CheckLesson(l, r); err != nil {
		return Lesson{}, err
	}
	return l, nil
}

// Place fills b's wall-clock and instant fields from l in zone tz, with the instructor's buffer
// in force now (it blocks the instructor until BlockedUntil).
func (b *Booking) Place(l Lesson, tz string, bufferMinutes int) {
	b.Date, b.StartTime, b.EndTime, b.Timezone = l.Date, l.Start, l.End, tz
	b.StartsAt, b.EndsAt, b.DurationMinutes = l.StartsAt, l.EndsAt, l.Duration
	b.BufferMinutes = bufferMinutes
	b.BlockedUntil = l.EndsAt.Add(time.Duration(bufferMinutes) * time.Minute)
}

// CheckChange is the state rule of cancelling or rescheduling (verb names which): only a
// confirmed lesson that has not started.
func (b *Booking) CheckChange(verb string, now time.Time) error {
	if b.Status != BookingConfirmed {
		return Errorf(CodeInvalidTransition, "only a confirmed booking can be %s (this one is %s)", verb, b.Status)
	}
	if !b.StartsAt.After(now) {
		return Errorf(CodeInvalidTransition, "a lesson that has started can no longer be %s", verb)
	}
	return nil
}

// Cancel marks a confirmed booking cancelled by userID at now; a cancellation within
// LateCancellationWindow of the start is late. Call CheckChange first.
func (b *Booking) Cancel(userID, reason string, now time.Time) {
	b.Status = BookingCancelled
	b.CancelledAt, b.CancelledBy, b.CancellationReason = &now, &userID, &reason
	b.LateCancellation = b.StartsAt.Sub(now) < LateCancellationWindow
	b.UpdatedAt = now
}

// CheckFinish is the state rule of marking a lesson completed (after it ended) or no_show (after
// it started): only its instructor, only from confirmed.
func (b *Booking) CheckFinish(status BookingStatus, userID string, now time.Time) error {
	if b.Instructor.ID != userID {
		return Errorf(CodeForbidden, "only the instructor can mark a lesson %s", status)
	}
	if b.Status != BookingConfirmed {
		return Errorf(CodeInvalidTransition, "only a confirmed booking can be marked %s (this one is %s)", status, b.Status)
	}
	switch status {
	case BookingCompleted:
		if now.Before(b.EndsAt) {
			return Errorf(CodeInvalidTransition, "a lesson can be completed only after it ends")
		}
	case BookingNoShow:
		if now.Before(b.StartsAt) {
			return Errorf(CodeInvalidTransition, "a no-show can be recorded only after the lesson started")
		}
	default:
		return Internal(fmt.Errorf("finish with status %q", status))
	}
	return nil
}

// NewID returns a UUIDv7 string (RFC 9562): 48 bits of Unix milliseconds, then random bits, so
// ids are unpredictable yet sort by creation time, which keeps B-tree inserts local and lets
// cursors order by id.
func NewID() string {
	var u [16]byte
	if _, err := rand.Read(u[6:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // documented never to fail on supported systems
	}
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(time.Now().UnixMilli()))
	copy(u[:6], ms[2:])
	u[6] = u[6]&0x0f | 0x70 // version 7
	u[8] = u[8]&0x3f | 0x80 // variant 10
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// CheckHorizon refuses a date more than horizonDays after today (beyond_horizon). horizonDays <= 0
// means no horizon.
func CheckHorizon(field string, d, today Date, horizonDays int) error {
	if horizonDays > 0 && d.After(today.AddDays(horizonDays)) {
		return &Error{Code: CodeBeyondHorizon, Message: fmt.Sprintf("%s is more than %d days ahead", d, horizonDays),
			Fields: []FieldError{{Field: field, Message: fmt.Sprintf("must be within %d days from today", horizonDays)}}}
	}
	return nil
}
