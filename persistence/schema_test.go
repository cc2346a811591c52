package persistence_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/testenv"
)

func TestMigrationsUpDownUp(t *testing.T) {
	fresh, err := testenv.NewDatabase("migrations")
	require.NoError(t, err)
	defer fresh.Close()
	ctx := context.Background()
	latest, err := persistence.LatestMigration()
	require.NoError(t, err)

	v, err := persistence.MigrateDown(ctx, fresh.URL, true)
	require.NoError(t, err)
	require.EqualValues(t, 0, v)
	var tables int
	require.NoError(t, fresh.Pool.QueryRow(ctx,
		`SELECT count(*) FROM information_schema.tables WHERE table_schema='public' AND table_name <> 'goose_db_version'`).Scan(&tables))
	require.Zero(t, tables, "down to zero leaves no tables")

	v, err = persistence.Migrate(ctx, fresh.URL)
	require.NoError(t, err)
	require.Equal(t, latest, v)
	// One step down and up again also works.
	v, err = persistence.MigrateDown(ctx, fresh.URL, false)
	require.NoError(t, err)
	require.Equal(t, latest-1, v)
	v, err = persistence.Migrate(ctx, fresh.URL)
	require.NoError(t, err)
	require.Equal(t, latest, v)
}

func TestSchemaHasNoEnumTypes(t *testing.T) {
	var n int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_type WHERE typtype = 'e'`).Scan(&n))
	require.Zero(t, n)
}

// fixture inserts the minimum rows a booking needs: two students, an instructor with an offer.
type fixture struct {
	student, student2, instructor, instructor2, offer, offer2, catalog string
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	ctx := context.Background()
	_, _, err := db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	f := fixture{student: persistence.NewID(), student2: persistence.NewID(), instructor: persistence.NewID(),
		instructor2: persistence.NewID(), offer: persistence.NewID(), offer2: persistence.NewID()}
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT id FROM service_catalog WHERE slug='piano'`).Scan(&f.catalog))
	mustExec(t, `INSERT INTO users (id, email, password_hash, full_name, role) VALUES
		($1::uuid, $1::text || '@example.com', 'x', 'Stu Dent', 'student'),
		($2::uuid, $2::text || '@example.com', 'x', 'Stu Two', 'student'),
		($3::uuid, $3::text || '@example.com', 'x', 'In Structor', 'instructor'),
		($4::uuid, $4::text || '@example.com', 'x', 'In Two', 'instructor')`, f.student, f.student2, f.instructor, f.instructor2)
	mustExec(t, `INSERT INTO instructor_profiles (user_id, buffer_minutes) VALUES ($1, 15), ($2, 0)`, f.instructor, f.instructor2)
	mustExec(t, `INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
		VALUES ($1, $2, $4, 6000, '{30,60}', '{in_person}'), ($3, $5, $4, 6000, '{60}', '{online}')`,
		f.offer, f.instructor, f.offer2, f.catalog, f.instructor2)
	return f
}

func mustExec(t testing.TB, q string, args ...any) {
	t.Helper()
	_, err := db.Pool.Exec(context.Background(), q, args...)
	require.NoError(t, err)
}

func sqlstate(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}

// insertBooking writes a confirmed booking [start, start+dur) with the given buffer.
func insertBooking(student, instructor, offer string, start time.Time, dur, buffer int) error {
	end := start.Add(time.Duration(dur) * time.Minute)
	local := start.In(time.UTC)
	_, err := db.Pool.Exec(context.Background(), `
		INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time,
			timezone, starts_at, ends_at, blocked_until, duration_minutes, buffer_minutes, service_name, category_name,
			hourly_rate_cents, total_price_cents, location_type)
		VALUES ($1, $2, $3, $4, $5::date, $6::time, $7::time, 'UTC', $8, $9, $10, $11, $12, 'Piano', 'Music', 6000, 6000, 'online')`,
		persistence.NewID(), student, instructor, offer, local.Format("2006-01-02"), local.Format("15:04"),
		end.In(time.UTC).Format("15:04"), start, end, end.Add(time.Duration(buffer)*time.Minute), dur, buffer)
	return err
}

func TestDatabaseRejectsOverlaps(t *testing.T) {
	f := newFixture(t)
	base := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)

	require.NoError(t, insertBooking(f.student, f.instructor, f.offer, base, 60, 15))

	// Another student, overlapping the instructor's lesson: exclusion violation 23P01.
	err := insertBooking(f.student2, f.instructor, f.offer, base.Add(30*time.Minute), 60, 15)
	require.Equal(t, "23P01", sqlstate(err), "instructor overlap: %v", err)

	// Starting inside the first lesson's 15-minute buffer (11:00-11:15) is refused too.
	err = insertBooking(f.student2, f.instructor, f.offer, base.Add(70*time.Minute), 30, 15)
	require.Equal(t, "23P01", sqlstate(err), "inside buffer: %v", err)

	// Right after the buffer is fine.
	require.NoError(t, insertBooking(f.student2, f.instructor, f.offer, base.Add(75*time.Minute), 30, 15))

	// The same student with another instructor at an overlapping time: refused.
	err = insertBooking(f.student, f.instructor2, f.offer2, base.Add(15*time.Minute), 60, 0)
	require.Equal(t, "23P01", sqlstate(err), "student overlap: %v", err)

	// Cancelled bookings do not block.
	mustExec(t, `UPDATE bookings SET status='cancelled', cancelled_at=now(), cancellation_reason='x' WHERE student_id=$1`, f.student)
	require.NoError(t, insertBooking(f.student, f.instructor2, f.offer2, base.Add(15*time.Minute), 60, 0))
}

func TestDatabaseRejectsSecondActiveOffer(t *testing.T) {
	f := newFixture(t)
	_, err := db.Pool.Exec(context.Background(), `INSERT INTO instructor_services (id, instructor_id, catalog_service_id,
		hourly_rate_cents, duration_options, location_types) VALUES ($1, $2, $3, 5000, '{60}', '{online}')`,
		persistence.NewID(), f.instructor, f.catalog)
	require.Equal(t, "23505", sqlstate(err))
	// Once the first is soft-deleted, a new active offer is allowed.
	mustExec(t, `UPDATE instructor_services SET is_active=false WHERE id=$1`, f.offer)
	mustExec(t, `INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options,
		location_types) VALUES ($1, $2, $3, 5000, '{60}', '{online}')`, persistence.NewID(), f.instructor, f.catalog)
}

func TestDatabaseChecks(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name string
		q    string
		args []any
	}{
		{"role outside list", `INSERT INTO users (id, email, password_hash, full_name, role) VALUES ($1::uuid, $1::text || '@x.io', 'x', 'A', 'superuser')`, []any{persistence.NewID()}},
		{"status outside list", `UPDATE users SET account_status='banned' WHERE id=$1`, []any{f.student}},
		{"booking status outside list", `UPDATE bookings SET status='pending' WHERE instructor_id=$1`, []any{f.instructor}},
		{"slot start = end", `INSERT INTO availability_slots (instructor_id, slot_date, start_time, end_time) VALUES ($1, '2030-01-01', '10:00', '10:00')`, []any{f.instructor}},
		{"slot start > end", `INSERT INTO availability_slots (instructor_id, slot_date, start_time, end_time) VALUES ($1, '2030-01-01', '11:00', '10:00')`, []any{f.instructor}},
		{"booking start >= end", `INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time, timezone, starts_at, ends_at, blocked_until, duration_minutes, service_name, category_name, hourly_rate_cents, total_price_cents, location_type)
			VALUES ($1, $2, $3, $4, '2030-01-01', '10:00', '09:00', 'UTC', '2030-01-01 10:00Z', '2030-01-01 09:00Z', '2030-01-01 10:00Z', 60, 'P', 'M', 6000, 6000, 'online')`,
			[]any{persistence.NewID(), f.student, f.instructor, f.offer}},
		{"location type outside list", `UPDATE instructor_services SET location_types='{on_the_moon}' WHERE id=$1`, []any{f.offer}},
		{"rate below minimum", `UPDATE instructor_services SET hourly_rate_cents=999 WHERE id=$1`, []any{f.offer}},
		{"buffer above maximum", `UPDATE instructor_profiles SET buffer_minutes=121 WHERE user_id=$1`, []any{f.instructor}},
		{"upper-case email", `UPDATE users SET email='Loud@Example.com' WHERE id=$1`, []any{f.student}},
	}
	// Make sure the booking-status case has a row to hit.
	require.NoError(t, insertBooking(f.student, f.instructor, f.offer, time.Date(2031, 1, 1, 9, 0, 0, 0, time.UTC), 60, 0))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Pool.Exec(context.Background(), tc.q, tc.args...)
			require.Error(t, err)
			require.Equal(t, "23514", sqlstate(err), "want a CHECK violation, got %v", err)
		})
	}
}

func TestCatalogSeed(t *testing.T) {
	ctx := context.Background()
	cats, svcs, err := db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	require.Equal(t, 7, cats)
	require.GreaterOrEqual(t, svcs, 250)
	// Idempotent: a second run changes nothing and keeps ids.
	var before string
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT string_agg(id::text || slug, ',' ORDER BY slug) FROM service_catalog`).Scan(&before))
	_, _, err = db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	var after string
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT string_agg(id::text || slug, ',' ORDER BY slug) FROM service_catalog`).Scan(&after))
	require.Equal(t, before, after)

	var nSvc, nCat, nSlugs, thin int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT category_id), count(DISTINCT slug),
		count(*) FILTER (WHERE cardinality(search_terms) < 2) FROM service_catalog`).Scan(&nSvc, &nCat, &nSlugs, &thin))
	require.GreaterOrEqual(t, nSvc, 250)
	require.Equal(t, 7, nCat)
	require.Equal(t, nSvc, nSlugs, "slugs are unique")
	require.Zero(t, thin, "every service has at least 2 search terms")

	// The aliases students type resolve to the right service.
	for alias, slug := range map[string]string{"keyboard": "piano", "castellano": "spanish", "bjj": "brazilian-jiu-jitsu", "calc": "calculus"} {
		var got string
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT slug FROM service_catalog WHERE $1 = ANY(search_terms)`, alias).Scan(&got), alias)
		require.Equal(t, slug, got, alias)
	}
	// Every category has real services.
	cs, err := db.Store.Categories(ctx)
	require.NoError(t, err)
	for _, c := range cs {
		require.GreaterOrEqual(t, c.ServiceCount, 25, c.Name)
		require.False(t, strings.TrimSpace(c.Description) == "", c.Name)
	}
}

// TestInsertBookingIsAtomic: the pipelined booking write commits all or nothing. A second booking
// reusing a stored Idempotency-Key fails on its last statement, and neither its booking row nor
// its outbox rows remain.
func TestInsertBookingIsAtomic(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mk := func(start time.Time) *instainstru.Booking {
		return &instainstru.Booking{ID: persistence.NewID(), Student: instainstru.Party{ID: f.student},
			Instructor: instainstru.Party{ID: f.instructor}, InstructorServiceID: f.offer, ServiceName: "Piano",
			CategoryName: "Music", Date: instainstru.DateOf(start), StartTime: instainstru.Minute(start.Hour() * 60),
			EndTime: instainstru.Minute(start.Hour()*60 + 60), Timezone: "UTC", StartsAt: start, EndsAt: start.Add(time.Hour),
			BlockedUntil: start.Add(time.Hour), DurationMinutes: 60, HourlyRateCents: 6000, TotalPriceCents: 6000,
			Status: instainstru.BookingConfirmed, LocationType: instainstru.OnlineLocation, CreatedAt: time.Now()}
	}
	idem := &instainstru.IdempotencyKey{UserID: f.student, Key: "atomic", RequestHash: []byte("a")}
	require.NoError(t, db.Store.InsertBooking(ctx, mk(time.Date(2032, 5, 3, 9, 0, 0, 0, time.UTC)), idem))
	second := mk(time.Date(2032, 5, 3, 14, 0, 0, 0, time.UTC))
	err := db.Store.InsertBooking(ctx, second, idem)
	require.Equal(t, instainstru.CodeIdempotencyKeyReused, instainstru.ErrorCode(err))
	var n int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM bookings WHERE id=$1) + (SELECT count(*) FROM outbox WHERE aggregate_id=$1)`, second.ID).Scan(&n))
	require.Zero(t, n, "nothing of the failed write remains")
}

// A booking whose offer was hard-deleted after the rules were checked is refused as the offer
// being gone (409 instructor_unavailable), not as malformed input.
func TestInsertBookingForVanishedOffer(t *testing.T) {
	f := newFixture(t)
	start := time.Date(2032, 6, 1, 9, 0, 0, 0, time.UTC)
	b := &instainstru.Booking{ID: persistence.NewID(), Student: instainstru.Party{ID: f.student},
		Instructor: instainstru.Party{ID: f.instructor}, InstructorServiceID: persistence.NewID(), ServiceName: "Piano",
		CategoryName: "Music", Date: instainstru.DateOf(start), StartTime: 9 * 60, EndTime: 10 * 60, Timezone: "UTC",
		StartsAt: start, EndsAt: start.Add(time.Hour), BlockedUntil: start.Add(time.Hour), DurationMinutes: 60,
		HourlyRateCents: 6000, TotalPriceCents: 6000, Status: instainstru.BookingConfirmed,
		LocationType: instainstru.OnlineLocation, CreatedAt: time.Now()}
	err := db.Store.InsertBooking(context.Background(), b, nil)
	require.Equal(t, instainstru.CodeInstructorUnavailable, instainstru.ErrorCode(err), "%v", err)
}
