package instainstru

import (
	"context"
	"time"
)

// BookingStatus is where a booking is in its life: confirmed, then one final state.
type BookingStatus string

// Booking statuses. Nothing leaves completed, cancelled or no_show.
const (
	BookingConfirmed BookingStatus = "confirmed"
	BookingCompleted BookingStatus = "completed"
	BookingCancelled BookingStatus = "cancelled"
	BookingNoShow    BookingStatus = "no_show"
)

// BookingLocation is where a booked lesson takes place.
type BookingLocation string

// Booking location types.
const (
	AtStudentHome        BookingLocation = "student_home"
	AtInstructorLocation BookingLocation = "instructor_location"
	AtNeutralLocation    BookingLocation = "neutral"
	OnlineLocation       BookingLocation = "online"
)

// ValidBookingLocation reports whether l is one of the four location types.
func ValidBookingLocation(l BookingLocation) bool {
	switch l {
	case AtStudentHome, AtInstructorLocation, AtNeutralLocation, OnlineLocation:
		return true
	}
	return false
}

// LateCancellationWindow: cancelling closer than this to the start is a late cancellation.
const LateCancellationWindow = 24 * time.Hour

// Party is a participant of a booking as other participants see them.
type Party struct {
	ID       string
	FullName string
}

// Booking is a lesson: instructor-local wall clock plus absolute instants, and snapshots of the
// offer as it was when booked.
type Booking struct {
	ID                  string
	Student             Party
	Instructor          Party
	InstructorServiceID string
	ServiceName         string
	CategoryName        string
	Date                Date
	StartTime           Minute
	EndTime             Minute
	Timezone            string
	StartsAt            time.Time
	EndsAt              time.Time
	BlockedUntil        time.Time
	DurationMinutes     int
	BufferMinutes       int
	HourlyRateCents     int
	TotalPriceCents     int
	Status              BookingStatus
	LocationType        BookingLocation
	MeetingLocation     string
	StudentNote         string
	LateCancellation    bool
	CancellationReason  *string
	CancelledBy         *string
	CancelledAt         *time.Time
	RescheduledFromID   *string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// BookLessonRequest is everything a student sends to book, plus who they are.
type BookLessonRequest struct {
	StudentID           string
	InstructorServiceID string
	Date                Date
	StartTime           Minute
	DurationMinutes     int
	LocationType        BookingLocation
	MeetingLocation     string
	StudentNote         string
}

// BookingFilter narrows a caller's own booking list.
type BookingFilter struct {
	UserID   string
	Role     Role
	Status   BookingStatus
	Upcoming *bool
	From     *Date
	To       *Date
	Limit    int
	After    *BookingPosition // keyset position: list bookings after this one
	// Now is the instant "upcoming" is measured from (the caller's business clock).
	Now time.Time
}

// BookingPosition is a place in a booking list ordered by (StartsAt, ID).
type BookingPosition struct {
	StartsAt time.Time
	ID       string
}

// IdempotencyKey is a client's Idempotency-Key for a write and the hash of the request it came with.
type IdempotencyKey struct {
	UserID      string
	Key         string
	RequestHash []byte
}

// BookingReader is every booking read; reads never queue behind an instructor's writes.
type BookingReader interface {
	BookingByID(ctx context.Context, id string) (*Booking, error)
	// ListBookings returns a page and, when more follow, the position of its last booking.
	ListBookings(ctx context.Context, f BookingFilter) ([]Booking, *BookingPosition, error)
}

// BookingService is every booking write. Writes for one instructor are serialized by
// that instructor's actor; the database's exclusion constraints are the final guard.
type BookingService interface {
	// Book creates a booking. With idem set, a repeat of the same request replays the first
	// answer (replayed=true) and a different request under the same key is idempotency_key_reused.
	Book(ctx context.Context, req *BookLessonRequest, idem *IdempotencyKey) (b *Booking, replayed bool, err error)
	Cancel(ctx context.Context, bookingID, actorUserID, reason string) (*Booking, error)
	Reschedule(ctx context.Context, bookingID, actorUserID string, date Date, start Minute, duration int) (*Booking, error)
	Complete(ctx context.Context, bookingID, instructorID string) (*Booking, error)
	MarkNoShow(ctx context.Context, bookingID, instructorID string) (*Booking, error)
}
