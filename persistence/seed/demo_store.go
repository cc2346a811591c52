package seed

import (
	"context"
	"time"

	"github.com/instainstru/instainstru"
)

// DemoStore runs the demo seed's single transaction; persistence.(*Store) implements it.
type DemoStore interface {
	// RunDemoTx runs fn in one database transaction: committed when fn returns nil, rolled back
	// otherwise, so a failed seed leaves no row behind.
	RunDemoTx(ctx context.Context, fn func(DemoTx) error) error
}

// DemoTx is what the demo seed reads and writes inside its transaction, in the order Demo calls
// it. Inserts never overwrite: a row whose key exists is left as it is (ON CONFLICT DO NOTHING),
// and each write reports how many rows it added. An empty slice writes nothing.
type DemoTx interface {
	// AdvisoryLock takes the transaction-scoped advisory lock key, waiting while another
	// transaction holds it; it is released when the transaction ends.
	AdvisoryLock(ctx context.Context, key int64) error
	// CatalogServices lists the active catalog services with their categories, in any order.
	CatalogServices(ctx context.Context) ([]CatalogServiceRow, error)
	// InsertUsers adds the users whose id and email are both free.
	InsertUsers(ctx context.Context, users []UserRow) (int, error)
	// UserStatuses returns the account status of each of ids that exists.
	UserStatuses(ctx context.Context, ids []string) (map[string]instainstru.AccountStatus, error)
	// InsertProfiles adds the instructor profiles not present yet.
	InsertProfiles(ctx context.Context, profiles []ProfileRow) (int, error)
	// InsertOffers adds the offers not present yet.
	InsertOffers(ctx context.Context, offers []OfferRow) (int, error)
	// InstructorSettings returns, for each of ids with a profile, its zone, account status and
	// booking settings as stored, in any order.
	InstructorSettings(ctx context.Context, ids []string) ([]SettingsRow, error)
	// ActiveOffers returns those of offerIDs that exist and are active, in any order.
	ActiveOffers(ctx context.Context, offerIDs []string) ([]StoredOfferRow, error)
	// Availability returns the ranges of instructors ids dated in [from, to), ordered by
	// instructor, date and start: the generator draws from them by position.
	Availability(ctx context.Context, ids []string, from, to instainstru.Date) ([]AvailabilityRow, error)
	// Blackouts returns the blackout dates of instructors ids in [from, to), in any order.
	Blackouts(ctx context.Context, ids []string, from, to instainstru.Date) ([]BlackoutRow, error)
	// CopyAvailability bulk-inserts availability ranges (new dates only, so nothing conflicts).
	CopyAvailability(ctx context.Context, rows []AvailabilityRow) (int, error)
	// AnyBooking reports whether a booking with one of ids exists.
	AnyBooking(ctx context.Context, ids []string) (bool, error)
	// BusyBookings returns the bookings not cancelled, blocked until after since, whose
	// instructor is one of instructorIDs or whose student is one of studentIDs, in any order.
	BusyBookings(ctx context.Context, instructorIDs, studentIDs []string, since time.Time) ([]BusyRow, error)
	// CopyBookings bulk-inserts bookings (fresh demo ids, so nothing conflicts).
	CopyBookings(ctx context.Context, rows []BookingRow) (int, error)
	// Counts counts what the demo data holds now.
	Counts(ctx context.Context, q CountsQuery) (Counts, error)
}

// CatalogServiceRow is an active catalog service as stored: its id is the database's own.
type CatalogServiceRow struct {
	ID, Slug, Name             string
	CategorySlug, CategoryName string
	Durations                  []int // typical durations in minutes
	Online                     bool  // online capable
}

// UserRow is a demo account to create; updated_at equals CreatedAt.
type UserRow struct {
	ID, Email, PasswordHash, FullName string
	Role                              instainstru.Role
	Timezone                          string
	CreatedAt                         time.Time
}

// ProfileRow is a demo instructor's profile to create; updated_at equals CreatedAt.
type ProfileRow struct {
	UserID          string
	Bio             string
	YearsExperience int
	Areas           []string // areas_of_service: neighbourhoods then boroughs (empty when online only)
	MinAdvanceHours int
	BufferMinutes   int
	CreatedAt       time.Time
}

// OfferRow is a demo offer to create; updated_at equals CreatedAt.
type OfferRow struct {
	ID, InstructorID, CatalogServiceID string
	HourlyRateCents                    int
	Durations                          []int
	Description                        string
	Locations                          []string // location_types
	CreatedAt                          time.Time
}

// SettingsRow is an instructor's zone, status and booking settings as stored.
type SettingsRow struct {
	InstructorID    string
	Timezone        string
	Status          instainstru.AccountStatus
	BufferMinutes   int
	MinAdvanceHours int
}

// StoredOfferRow is an active offer as stored (the API may have edited it since the first run).
type StoredOfferRow struct {
	ID, CatalogServiceID string
	HourlyRateCents      int
	Durations            []int
	Locations            []string
}

// AvailabilityRow is one published availability range of an instructor on one date.
type AvailabilityRow struct {
	InstructorID string
	Date         instainstru.Date
	Range        instainstru.TimeRange
}

// BlackoutRow is an instructor's blackout date.
type BlackoutRow struct {
	InstructorID string
	Date         instainstru.Date
}

// BusyRow is a lesson that occupies its instructor in [StartsAt, BlockedUntil) and its student
// in [StartsAt, EndsAt).
type BusyRow struct {
	InstructorID, StudentID        string
	StartsAt, EndsAt, BlockedUntil time.Time
}

// BookingRow is a demo booking to create, every column given.
type BookingRow struct {
	ID, StudentID, InstructorID, OfferID string
	Date                                 instainstru.Date
	Start, End                           instainstru.Minute
	Timezone                             string
	StartsAt, EndsAt, BlockedUntil       time.Time
	DurationMinutes, BufferMinutes       int
	ServiceName, CategoryName            string
	HourlyRateCents, TotalPriceCents     int
	Status                               instainstru.BookingStatus
	LocationType                         instainstru.BookingLocation
	MeetingLocation, StudentNote         string
	LateCancellation                     bool
	CancellationReason, CancelledBy      *string
	CancelledAt, CompletedAt             *time.Time
	CreatedAt, UpdatedAt                 time.Time
}

// CountsQuery names the demo rows Counts counts.
type CountsQuery struct {
	UserIDs       []string
	OfferIDs      []string         // counted when active
	InstructorIDs []string         // availability of these instructors...
	From          instainstru.Date // ...dated From or later
	BookingIDs    []string
}

// Counts is what the demo data holds.
type Counts struct {
	Instructors, Students, Admins int // users of UserIDs by role
	Offers                        int
	UpcomingSlots                 int
	Bookings                      int
}
