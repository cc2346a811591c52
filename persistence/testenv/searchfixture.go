package testenv

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
)

// SearchFixture writes instructors, offers, availability and bookings straight into a test database
// with SQL, for tests that need many of them quickly (search). It bypasses the actors on purpose:
// it builds a state, it does not exercise the booking rules.
type SearchFixture struct {
	t    testing.TB
	pool *pgxpool.Pool
	// Student is a student account that bookings are made for.
	Student string
}

// NewSearchFixture creates the fixture's student.
func NewSearchFixture(t testing.TB, pool *pgxpool.Pool) *SearchFixture {
	f := &SearchFixture{t: t, pool: pool}
	f.Student = f.user("student", "Sam Student", "America/New_York", "active")
	return f
}

func (f *SearchFixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.pool.Exec(context.Background(), q, args...); err != nil {
		f.t.Fatalf("fixture: %v\n%s", err, q)
	}
}

func (f *SearchFixture) user(role, name, tz, status string) string {
	id := persistence.NewID()
	f.exec(`INSERT INTO users (id, email, password_hash, full_name, role, account_status, timezone)
		VALUES ($1, $2, 'x', $3, $4, $5, $6)`, id, fmt.Sprintf("%s@fixture.test", id), name, role, status, tz)
	return id
}

// InstructorSpec describes a fixture instructor.
type InstructorSpec struct {
	Name       string
	Timezone   string // default America/New_York
	Status     string // default active
	Bio        string
	Areas      []string
	MinAdvance int // hours
	Buffer     int // minutes
}

// Instructor creates an instructor with a profile and returns the id.
func (f *SearchFixture) Instructor(s InstructorSpec) string {
	f.t.Helper()
	if s.Timezone == "" {
		s.Timezone = "America/New_York"
	}
	if s.Status == "" {
		s.Status = "active"
	}
	if s.Areas == nil {
		s.Areas = []string{}
	}
	id := f.user("instructor", s.Name, s.Timezone, s.Status)
	f.exec(`INSERT INTO instructor_profiles (user_id, bio, years_experience, areas_of_service, min_advance_booking_hours, buffer_minutes)
		VALUES ($1, $2, 5, $3, $4, $5)`, id, s.Bio, s.Areas, s.MinAdvance, s.Buffer)
	return id
}

// OfferSpec describes a fixture offer; ServiceSlug names the catalog service.
type OfferSpec struct {
	ServiceSlug string
	Rate        int   // hourly cents
	Durations   []int // default [60]
	Locations   []string
	Description string
	Inactive    bool
}

// Offer creates an offer and returns its id.
func (f *SearchFixture) Offer(instructor string, s OfferSpec) string {
	f.t.Helper()
	if s.Durations == nil {
		s.Durations = []int{60}
	}
	if s.Locations == nil {
		s.Locations = []string{"in_person", "online"}
	}
	id := persistence.NewID()
	f.exec(`INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options,
			description, location_types, is_active)
		SELECT $1, $2, sc.id, $4, $5, $6, $7, $8 FROM service_catalog sc WHERE sc.slug = $3`,
		id, instructor, s.ServiceSlug, s.Rate, s.Durations, s.Description, s.Locations, !s.Inactive)
	var n int
	_ = f.pool.QueryRow(context.Background(), `SELECT count(*) FROM instructor_services WHERE id = $1`, id).Scan(&n)
	if n != 1 {
		f.t.Fatalf("fixture: no catalog service %q", s.ServiceSlug)
	}
	return id
}

// Slot adds an availability range on date d ("HH:MM" times; "24:00" allowed as end).
func (f *SearchFixture) Slot(instructor string, d instainstru.Date, start, end string) {
	f.t.Helper()
	f.exec(`INSERT INTO availability_slots (instructor_id, slot_date, start_time, end_time) VALUES ($1, $2, $3::time, $4::time)`,
		instructor, d.Time(), start, end)
}

// Blackout adds a blackout date.
func (f *SearchFixture) Blackout(instructor string, d instainstru.Date) {
	f.t.Helper()
	f.exec(`INSERT INTO blackout_dates (instructor_id, blackout_date) VALUES ($1, $2)`, instructor, d.Time())
}

// Booking adds a confirmed booking of offer on date d from start for minutes, in the zone tz, made
// under the instructor's current buffer (stored with it, as a real booking stores it).
func (f *SearchFixture) Booking(instructor, offer string, d instainstru.Date, start string, minutes int, tz string) {
	f.t.Helper()
	m, err := instainstru.ParseMinute(start, false)
	if err != nil {
		f.t.Fatal(err)
	}
	loc, err := instainstru.LoadZone(tz)
	if err != nil {
		f.t.Fatal(err)
	}
	at, err := instainstru.ResolveLocal(d, m, loc)
	if err != nil {
		f.t.Fatal(err)
	}
	end := at.Add(time.Duration(minutes) * time.Minute)
	student := f.user("student", "Booking Student", "America/New_York", "active")
	f.exec(`INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time,
			timezone, starts_at, ends_at, blocked_until, duration_minutes, buffer_minutes, service_name, category_name,
			hourly_rate_cents, total_price_cents, location_type)
		SELECT $1, $2, $3, $4, $5, $6::time, $7::time, $8, $9, $10::timestamptz, $10::timestamptz + make_interval(mins => p.buffer_minutes), $11,
		       p.buffer_minutes, 'x', 'x', 1000, 1000, 'online'
		FROM instructor_profiles p WHERE p.user_id = $3`,
		persistence.NewID(), student, instructor, offer, d.Time(), start, (m + instainstru.Minute(minutes)).String(),
		tz, at, end, minutes)
}
