package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/instainstru/instainstru/persistence"
)

// Fixture is the minimum set of rows a booking needs, inserted by NewFixture: two students and two
// instructors, each instructor with one offer of the seeded piano service (Catalog).
type Fixture struct {
	Student, Student2, Instructor, Instructor2, Offer, Offer2, Catalog string
}

// NewFixture seeds the catalog (idempotent) and inserts a fresh Fixture: Instructor has a 15-minute
// buffer and an in-person offer of 30 or 60 minutes, Instructor2 no buffer and an online 60-minute
// offer, both at 6000 cents an hour.
func (d *DB) NewFixture(t testing.TB) Fixture {
	t.Helper()
	ctx := context.Background()
	_, _, err := d.Store.SeedCatalog(ctx)
	if err != nil {
		t.Fatalf("seed catalog: %v", err)
	}
	f := Fixture{Student: persistence.NewID(), Student2: persistence.NewID(), Instructor: persistence.NewID(),
		Instructor2: persistence.NewID(), Offer: persistence.NewID(), Offer2: persistence.NewID()}
	if err := d.Pool.QueryRow(ctx, `SELECT id FROM service_catalog WHERE slug='piano'`).Scan(&f.Catalog); err != nil {
		t.Fatalf("piano service: %v", err)
	}
	d.MustExec(t, `INSERT INTO users (id, email, password_hash, full_name, role) VALUES
		($1::uuid, $1::text || '@example.com', 'x', 'Stu Dent', 'student'),
		($2::uuid, $2::text || '@example.com', 'x', 'Stu Two', 'student'),
		($3::uuid, $3::text || '@example.com', 'x', 'In Structor', 'instructor'),
		($4::uuid, $4::text || '@example.com', 'x', 'In Two', 'instructor')`, f.Student, f.Student2, f.Instructor, f.Instructor2)
	d.MustExec(t, `INSERT INTO instructor_profiles (user_id, buffer_minutes) VALUES ($1, 15), ($2, 0)`, f.Instructor, f.Instructor2)
	d.MustExec(t, `INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
		VALUES ($1, $2, $4, 6000, '{30,60}', '{in_person}'), ($3, $5, $4, 6000, '{60}', '{online}')`,
		f.Offer, f.Instructor, f.Offer2, f.Catalog, f.Instructor2)
	return f
}

// MustExec runs one statement and fails the test when it errs.
func (d *DB) MustExec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := d.Pool.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("exec %q: %v", q, err)
	}
}

// InsertBooking writes a confirmed booking [start, start+dur) in UTC with the given buffer,
// straight into the table (no rules are checked but the database's own constraints).
func (d *DB) InsertBooking(student, instructor, offer string, start time.Time, dur, buffer int) error {
	end := start.Add(time.Duration(dur) * time.Minute)
	local := start.In(time.UTC)
	_, err := d.Pool.Exec(context.Background(), `
		INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time,
			timezone, starts_at, ends_at, blocked_until, duration_minutes, buffer_minutes, service_name, category_name,
			hourly_rate_cents, total_price_cents, location_type)
		VALUES ($1, $2, $3, $4, $5::date, $6::time, $7::time, 'UTC', $8, $9, $10, $11, $12, 'Piano', 'Music', 6000, 6000, 'online')`,
		persistence.NewID(), student, instructor, offer, local.Format("2006-01-02"), local.Format("15:04"),
		end.In(time.UTC).Format("15:04"), start, end, end.Add(time.Duration(buffer)*time.Minute), dur, buffer)
	return err
}
