package instainstru

import "time"

// EventType names a committed change recorded in the outbox. Each write records one event in its
// own transaction; the relay fans an event out into its side effects (emails, reminders, cache
// invalidation), so a crash between commit and enqueue loses nothing.
type EventType string

// Outbox event types. Values are stored and never change.
const (
	EventBookingCreated      EventType = "booking.created"
	EventBookingCancelled    EventType = "booking.cancelled"
	EventBookingRescheduled  EventType = "booking.rescheduled" // BookingID is the new booking, PreviousBookingID the old
	EventBookingCompleted    EventType = "booking.completed"
	EventBookingNoShow       EventType = "booking.no_show"
	EventAvailabilityChanged EventType = "availability.changed"
)

// Event is one committed change, as the outbox keeps it: ids and instants only, never personal
// data, so the job queue and its dashboard hold nothing private.
type Event struct {
	Seq               int64  // the outbox row's id (assigned by the store), ordering events
	ID                string // availability events: a fresh id, so every change is its own event
	Type              EventType
	InstructorID      string
	BookingID         string    // booking events
	PreviousBookingID string    // booking.rescheduled
	StartsAt          time.Time // booking events: when the lesson starts (reminders are timed from it)
	OccurredAt        time.Time
}

// Key is a deterministic name of the event, unique per change: relaying it twice is harmless.
func (e Event) Key() string {
	if e.BookingID != "" {
		return string(e.Type) + ":" + e.BookingID
	}
	return string(e.Type) + ":" + e.InstructorID + ":" + e.ID
}

// AvailabilityEvent is the event of a change to an instructor's availability or blackouts.
func AvailabilityEvent(instructorID string) Event {
	return Event{Type: EventAvailabilityChanged, InstructorID: instructorID, ID: NewID()}
}

// BookingEvent is the event of a booking change of type t at now.
func BookingEvent(t EventType, b *Booking, now time.Time) Event {
	e := Event{Type: t, InstructorID: b.Instructor.ID, BookingID: b.ID, StartsAt: b.StartsAt, OccurredAt: now}
	if t == EventBookingRescheduled && b.RescheduledFromID != nil {
		e.PreviousBookingID = *b.RescheduledFromID
	}
	return e
}
