package seed_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/seed"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// Every demo test seeds a fresh database of its own (through persistence, the real store), so
// no two seeds' rows meet in a count, an invariant or a digest.
func demoDatabase(t *testing.T, label string) *testenv.DB {
	t.Helper()
	d, err := testenv.NewDatabase(label)
	require.NoError(t, err)
	t.Cleanup(d.Close)
	return d
}

// A syntactically real argon2id PHC string; the seed stores it as given.
const demoTestHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

func demoNewYork(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	return loc
}

// demoNow is a Friday afternoon two weeks before the spring-forward night (2026-03-08), so the
// four-week window crosses a DST change and the eight past weeks reach into January.
func demoNow(t *testing.T) time.Time { return time.Date(2026, 2, 27, 15, 4, 5, 0, demoNewYork(t)) }

func demoSeed(t *testing.T, store *persistence.Store, now time.Time) seed.DemoSummary {
	t.Helper()
	ctx := context.Background()
	_, _, err := seed.Catalog(ctx, store)
	require.NoError(t, err)
	start := time.Now()
	sum, err := seed.Demo(ctx, store, seed.DemoOptions{PasswordHash: demoTestHash, Now: now})
	require.NoError(t, err)
	t.Logf("seed.Demo took %s: %+v", time.Since(start).Round(time.Millisecond), sum)
	return sum
}

// demoSnapshot renders every demo-relevant row as text, without ids that differ per database
// (catalog ids, identity columns), so two seeds can be compared row by row.
func demoSnapshot(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	queries := map[string]string{
		"users": `SELECT concat_ws('|', id, email, full_name, role, timezone, account_status, password_hash, created_at)
			FROM users ORDER BY 1`,
		"profiles": `SELECT concat_ws('|', user_id, bio, years_experience, areas_of_service::text,
			min_advance_booking_hours, buffer_minutes, created_at) FROM instructor_profiles ORDER BY 1`,
		"offers": `SELECT concat_ws('|', s.id, s.instructor_id, c.slug, s.hourly_rate_cents, s.duration_options::text,
			s.description, s.location_types::text, s.is_active, s.created_at)
			FROM instructor_services s JOIN service_catalog c ON c.id = s.catalog_service_id ORDER BY 1`,
		"availability": `SELECT concat_ws('|', instructor_id, slot_date, start_time, end_time)
			FROM availability_slots ORDER BY 1`,
		"bookings": `SELECT concat_ws('|', id, student_id, instructor_id, instructor_service_id, booking_date,
			start_time, end_time, timezone, starts_at, ends_at, blocked_until, duration_minutes, buffer_minutes,
			service_name, category_name, hourly_rate_cents, total_price_cents, status, location_type,
			meeting_location, student_note, late_cancellation, cancellation_reason, cancelled_by, cancelled_at,
			completed_at, created_at, updated_at) FROM bookings ORDER BY 1`,
		"outbox": `SELECT id::text FROM outbox ORDER BY 1`,
	}
	out := map[string][]string{}
	for name, q := range queries {
		rows, err := pool.Query(context.Background(), q)
		require.NoError(t, err, name)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err, name)
		out[name] = lines
	}
	return out
}

func demoQueryInt(t *testing.T, pool *pgxpool.Pool, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), q, args...).Scan(&n), q)
	return n
}

func demoQueryStrings(t *testing.T, pool *pgxpool.Pool, q string, args ...any) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), q, args...)
	require.NoError(t, err, q)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err, q)
	return out
}

func TestSeedDemoRejectsIncompleteOptions(t *testing.T) {
	fresh := demoDatabase(t, "seed_demo_opts")
	_, _, err := seed.Catalog(context.Background(), fresh.Store)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		opt  seed.DemoOptions
	}{
		{"no password hash", seed.DemoOptions{Now: demoNow(t)}},
		{"no clock", seed.DemoOptions{PasswordHash: demoTestHash}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := seed.Demo(context.Background(), fresh.Store, tc.opt)
			var de *instainstru.Error
			require.True(t, errors.As(err, &de), "got %v", err)
			assert.Equal(t, instainstru.CodeInvalid, de.Code)
			assert.Zero(t, demoQueryInt(t, fresh.Pool, `SELECT count(*) FROM users`))
		})
	}
}

func TestSeedDemoWithoutCatalogFails(t *testing.T) {
	fresh := demoDatabase(t, "seed_demo_nocat")
	_, err := seed.Demo(context.Background(), fresh.Store, seed.DemoOptions{PasswordHash: demoTestHash, Now: demoNow(t)})
	require.ErrorContains(t, err, "catalog is empty")
	assert.Zero(t, demoQueryInt(t, fresh.Pool, `SELECT count(*) FROM users`))
}

func TestSeedDemo(t *testing.T) {
	demoDB := demoDatabase(t, "seed_demo")
	pool, now := demoDB.Pool, demoNow(t)
	today := instainstru.DateOf(now)

	first := demoSeed(t, demoDB.Store, now)
	snap := demoSnapshot(t, pool)
	require.NotEmpty(t, snap["bookings"])

	t.Run("second run with the same clock changes nothing", func(t *testing.T) {
		second := demoSeed(t, demoDB.Store, now)
		assert.Zero(t, second.UsersCreated)
		assert.Zero(t, second.OffersCreated)
		assert.Zero(t, second.SlotsCreated)
		assert.Zero(t, second.BookingsCreated)
		assert.True(t, second.BookingsPreserved)
		assert.Equal(t, first.Instructors, second.Instructors)
		assert.Equal(t, first.Bookings, second.Bookings)
		assert.Equal(t, snap, demoSnapshot(t, pool))
	})

	t.Run("summary matches the database", func(t *testing.T) {
		assert.Equal(t, first.Instructors, demoQueryInt(t, pool, `SELECT count(*) FROM users WHERE role = 'instructor'`))
		assert.Equal(t, first.Students, demoQueryInt(t, pool, `SELECT count(*) FROM users WHERE role = 'student'`))
		assert.Equal(t, 1, first.Admins)
		assert.Equal(t, first.Offers, demoQueryInt(t, pool, `SELECT count(*) FROM instructor_services WHERE is_active`))
		assert.Equal(t, first.Bookings, demoQueryInt(t, pool, `SELECT count(*) FROM bookings`))
		assert.Equal(t, first.BookingsCreated, first.Bookings)
		assert.Equal(t, first.SlotsCreated, demoQueryInt(t, pool, `SELECT count(*) FROM availability_slots`))
		assert.Equal(t, first.UsersCreated, first.Instructors+first.Students+first.Admins)
		assert.Empty(t, first.SkippedEmails)
		assert.ElementsMatch(t, []seed.DemoLogin{
			{Email: seed.DemoAdminEmail, Role: instainstru.RoleAdmin},
			{Email: seed.DemoInstructorEmail, Role: instainstru.RoleInstructor},
			{Email: seed.DemoStudentEmail, Role: instainstru.RoleStudent},
		}, first.Logins)
	})

	t.Run("same data in a fresh database", func(t *testing.T) {
		other := demoDatabase(t, "seed_demo_again")
		demoSeed(t, other.Store, now)
		assert.Equal(t, snap, demoSnapshot(t, other.Pool))
	})

	t.Run("counts", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			q        string
			min, max int
			args     []any
		}{
			{"instructors", `SELECT count(*) FROM users WHERE role = 'instructor'`, 195, 210, nil},
			{"students", `SELECT count(*) FROM users WHERE role = 'student'`, 95, 110, nil},
			{"admins", `SELECT count(*) FROM users WHERE role = 'admin' AND email = 'admin@example.com'`, 1, 1, nil},
			{"bookings", `SELECT count(*) FROM bookings`, 200, 600, nil},
			{"future confirmed", `SELECT count(*) FROM bookings WHERE status = 'confirmed'`, 100, 400, nil},
			{"completed", `SELECT count(*) FROM bookings WHERE status = 'completed'`, 50, 400, nil},
			{"cancelled", `SELECT count(*) FROM bookings WHERE status = 'cancelled'`, 10, 200, nil},
			{"late cancellations", `SELECT count(*) FROM bookings WHERE late_cancellation`, 1, 100, nil},
			{"no-shows", `SELECT count(*) FROM bookings WHERE status = 'no_show'`, 5, 100, nil},
			{"distinct full names", `SELECT count(DISTINCT full_name) FROM users`, 250, 400, nil},
			{"every category offered", `SELECT count(DISTINCT c.category_id) - (SELECT count(*) FROM service_categories)
				FROM instructor_services s JOIN service_catalog c ON c.id = s.catalog_service_id`, 0, 0, nil},
			{"brooklyn instructors", `SELECT count(*) FROM instructor_profiles WHERE 'Brooklyn' = ANY(areas_of_service)`, 30, 120, nil},
			{"queens instructors", `SELECT count(*) FROM instructor_profiles WHERE 'Queens' = ANY(areas_of_service)`, 15, 80, nil},
			{"bronx instructors", `SELECT count(*) FROM instructor_profiles WHERE 'Bronx' = ANY(areas_of_service)`, 1, 30, nil},
			{"instructors outside new york", `SELECT count(*) FROM users WHERE role = 'instructor'
				AND timezone IN ('America/Chicago', 'America/Los_Angeles')`, 2, 6, nil},
			{"instructor@ offers", `SELECT count(*) FROM instructor_services s JOIN users u ON u.id = s.instructor_id
				WHERE u.email = 'instructor@example.com' AND s.is_active`, 2, 4, nil},
			{"instructor@ upcoming bookings", `SELECT count(*) FROM bookings b JOIN users u ON u.id = b.instructor_id
				WHERE u.email = 'instructor@example.com' AND b.status = 'confirmed'`, 4, 60, nil},
			{"student@ upcoming bookings", `SELECT count(*) FROM bookings b JOIN users u ON u.id = b.student_id
				WHERE u.email = 'student@example.com' AND b.status = 'confirmed'`, 3, 60, nil},
			{"student@ past bookings", `SELECT count(*) FROM bookings b JOIN users u ON u.id = b.student_id
				WHERE u.email = 'student@example.com' AND b.status <> 'confirmed'`, 5, 60, nil},
			{"users with the given hash", `SELECT count(*) - (SELECT count(*) FROM users) FROM users WHERE password_hash = $1`,
				0, 0, []any{demoTestHash}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				n := demoQueryInt(t, pool, tc.q, tc.args...)
				assert.GreaterOrEqual(t, n, tc.min)
				assert.LessOrEqual(t, n, tc.max)
			})
		}
	})

	t.Run("popular services have several instructors", func(t *testing.T) {
		for _, slug := range []string{"piano", "guitar", "voice", "spanish", "french", "math", "sat-prep", "yoga", "python"} {
			n := demoQueryInt(t, pool, `SELECT count(*) FROM instructor_services s JOIN service_catalog c ON c.id = s.catalog_service_id
				WHERE c.slug = $1 AND s.is_active`, slug)
			assert.GreaterOrEqual(t, n, 5, slug)
		}
	})

	// Each query lists rows that break a rule; none may come back.
	t.Run("invariants", func(t *testing.T) {
		for _, tc := range []struct{ name, q string }{
			{"instructor double-booked, buffers included", `
				SELECT a.id::text FROM bookings a JOIN bookings b ON a.instructor_id = b.instructor_id AND a.id < b.id
				WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
				  AND tstzrange(a.starts_at, a.blocked_until) && tstzrange(b.starts_at, b.blocked_until)`},
			{"student in two lessons at once", `
				SELECT a.id::text FROM bookings a JOIN bookings b ON a.student_id = b.student_id AND a.id < b.id
				WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
				  AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)`},
			{"confirmed booking outside one availability range", `
				SELECT b.id::text FROM bookings b WHERE b.status = 'confirmed' AND NOT EXISTS (
					SELECT 1 FROM availability_slots a WHERE a.instructor_id = b.instructor_id
					  AND a.slot_date = b.booking_date AND a.start_time <= b.start_time AND a.end_time >= b.end_time)`},
			{"future booking not confirmed", `SELECT id::text FROM bookings WHERE ends_at > $1 AND status <> 'confirmed'`},
			{"confirmed booking not in the future", `SELECT id::text FROM bookings WHERE status = 'confirmed' AND starts_at <= $1`},
			{"confirmed booking inside the minimum-advance window", `
				SELECT b.id::text FROM bookings b JOIN instructor_profiles p ON p.user_id = b.instructor_id
				WHERE b.status = 'confirmed' AND b.starts_at < $1::timestamptz + make_interval(hours => p.min_advance_booking_hours)`},
			{"future booking beyond four weeks", `SELECT id::text FROM bookings WHERE starts_at > $1::timestamptz + interval '29 days'`},
			{"past booking older than eight weeks", `SELECT id::text FROM bookings WHERE starts_at < $1::timestamptz - interval '57 days'`},
			{"availability ranges overlap", `
				SELECT a.id::text FROM availability_slots a JOIN availability_slots b
				  ON a.instructor_id = b.instructor_id AND a.slot_date = b.slot_date AND a.id < b.id
				WHERE a.start_time <= b.end_time AND b.start_time <= a.end_time`},
			{"availability off the 15-minute grid", `
				SELECT id::text FROM availability_slots
				WHERE extract(minute FROM start_time)::int % 15 <> 0 OR extract(minute FROM end_time)::int % 15 <> 0`},
			{"availability outside [today, today+28)", `
				SELECT id::text FROM availability_slots WHERE slot_date < $1::date - 1 OR slot_date >= $1::date + 29`},
			{"booking snapshot differs from its offer", `
				SELECT b.id::text FROM bookings b
				JOIN instructor_services s ON s.id = b.instructor_service_id
				JOIN service_catalog c ON c.id = s.catalog_service_id
				JOIN service_categories cat ON cat.id = c.category_id
				JOIN instructor_profiles p ON p.user_id = b.instructor_id
				JOIN users u ON u.id = b.instructor_id
				WHERE s.instructor_id <> b.instructor_id OR b.hourly_rate_cents <> s.hourly_rate_cents
				   OR b.service_name <> c.name OR b.category_name <> cat.name
				   OR NOT (b.duration_minutes = ANY (s.duration_options)) OR b.buffer_minutes <> p.buffer_minutes
				   OR b.blocked_until <> b.ends_at + make_interval(mins => b.buffer_minutes)
				   OR b.timezone <> u.timezone OR b.end_time - b.start_time <> make_interval(mins => b.duration_minutes)
				   OR b.created_at > b.starts_at OR b.updated_at < b.created_at OR b.updated_at > $1`},
			{"location type the offer does not allow", `
				SELECT b.id::text FROM bookings b JOIN instructor_services s ON s.id = b.instructor_service_id
				WHERE (b.location_type = 'online' AND NOT ('online' = ANY (s.location_types)))
				   OR (b.location_type <> 'online' AND NOT ('in_person' = ANY (s.location_types)))
				   OR (b.location_type <> 'online' AND b.meeting_location = '')`},
			{"cancellation fields inconsistent", `
				SELECT id::text FROM bookings
				WHERE (status = 'cancelled' AND (cancelled_by IS NULL OR cancelled_by NOT IN (student_id, instructor_id)
				        OR cancelled_at > $1 OR cancelled_at < created_at OR cancelled_at > starts_at
				        OR late_cancellation <> (starts_at - cancelled_at < interval '24 hours')))
				   OR (status <> 'cancelled' AND (late_cancellation OR cancelled_by IS NOT NULL))`},
			{"completion fields inconsistent", `
				SELECT id::text FROM bookings
				WHERE (status = 'completed' AND (completed_at IS NULL OR completed_at < ends_at OR completed_at > $1))
				   OR (status <> 'completed' AND completed_at IS NOT NULL)`},
			{"offer online although the service is not", `
				SELECT s.id::text FROM instructor_services s JOIN service_catalog c ON c.id = s.catalog_service_id
				WHERE NOT c.online_capable AND 'online' = ANY (s.location_types)`},
			{"offer durations not typical for the service", `
				SELECT s.id::text FROM instructor_services s JOIN service_catalog c ON c.id = s.catalog_service_id
				WHERE NOT (s.duration_options <@ c.typical_durations)`},
			{"rate off the $5 grid or implausible", `
				SELECT id::text FROM instructor_services
				WHERE hourly_rate_cents % 500 <> 0 OR hourly_rate_cents < 4000 OR hourly_rate_cents > 20000`},
			{"instructor without 1 to 4 active offers", `
				SELECT u.id::text FROM users u LEFT JOIN instructor_services s ON s.instructor_id = u.id AND s.is_active
				WHERE u.role = 'instructor' GROUP BY u.id HAVING count(s.id) NOT BETWEEN 1 AND 4`},
			{"instructor without availability in the next four weeks", `
				SELECT u.id::text FROM users u WHERE u.role = 'instructor' AND NOT EXISTS (
					SELECT 1 FROM availability_slots a WHERE a.instructor_id = u.id
					  AND a.slot_date >= $1::date AND a.slot_date < $1::date + 28)`},
			{"new york instructor without a borough or with too many areas", `
				SELECT p.user_id::text FROM instructor_profiles p JOIN users u ON u.id = p.user_id
				WHERE u.timezone = 'America/New_York' AND (cardinality(p.areas_of_service) NOT BETWEEN 2 AND 5
				   OR NOT (p.areas_of_service && ARRAY['Manhattan', 'Brooklyn', 'Queens', 'Bronx', 'Staten Island']))`},
			{"remote instructor teaching in person", `
				SELECT s.id::text FROM instructor_services s JOIN users u ON u.id = s.instructor_id
				WHERE u.timezone <> 'America/New_York' AND s.location_types <> ARRAY['online']`},
			{"bio naming none of the instructor's services", `
				SELECT p.user_id::text FROM instructor_profiles p WHERE NOT EXISTS (
					SELECT 1 FROM instructor_services s JOIN service_catalog c ON c.id = s.catalog_service_id
					WHERE s.instructor_id = p.user_id AND position(c.name IN p.bio) > 0)`},
			{"profile settings outside the documented sets", `
				SELECT user_id::text FROM instructor_profiles
				WHERE years_experience NOT BETWEEN 1 AND 30 OR min_advance_booking_hours NOT IN (1, 2, 4, 12, 24)
				   OR buffer_minutes NOT IN (0, 10, 15, 30) OR length(bio) < 100`},
			{"email outside example.com", `SELECT email FROM users WHERE email NOT LIKE '%@example.com'`},
			{"student or admin outside new york", `SELECT id::text FROM users WHERE role <> 'instructor' AND timezone <> 'America/New_York'`},
			{"outbox rows", `SELECT id::text FROM outbox`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// $1 is Now, or today's New York date where the query reads it as a date.
				var args []any
				switch {
				case strings.Contains(tc.q, "$1::date"):
					args = []any{today.String()}
				case strings.Contains(tc.q, "$1"):
					args = []any{now}
				}
				assert.Empty(t, demoQueryStrings(t, pool, tc.q, args...))
			})
		}
	})

	t.Run("wall clock, instants and prices agree", func(t *testing.T) {
		rows, err := pool.Query(context.Background(), `
			SELECT id::text, booking_date, start_time, end_time, timezone, starts_at, ends_at,
			       duration_minutes, hourly_rate_cents, total_price_cents FROM bookings`)
		require.NoError(t, err)
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id, zone string
			var day, startsAt, endsAt time.Time
			var start, end pgtype.Time
			var dur, rate, total int
			require.NoError(t, rows.Scan(&id, &day, &start, &end, &zone, &startsAt, &endsAt, &dur, &rate, &total))
			loc, err := time.LoadLocation(zone)
			require.NoError(t, err)
			d := instainstru.DateOf(day)
			s := instainstru.Minute(start.Microseconds / 60e6)
			e := instainstru.Minute(end.Microseconds / 60e6)
			wantStart, err := instainstru.ResolveLocal(d, s, loc)
			require.NoError(t, err)
			wantEnd, err := instainstru.ResolveLocal(d, e, loc)
			require.NoError(t, err)
			assert.True(t, wantStart.Equal(startsAt), "%s starts_at %s, want %s", id, startsAt, wantStart)
			assert.True(t, wantEnd.Equal(endsAt), "%s ends_at %s, want %s", id, endsAt, wantEnd)
			assert.Equal(t, instainstru.PriceCents(rate, dur), total, id)
			assert.Zero(t, int(s)%15, id)
			n++
		}
		require.NoError(t, rows.Err())
		assert.GreaterOrEqual(t, n, 200)
	})

	t.Run("a later run tops up new dates only", func(t *testing.T) {
		later := now.Add(3 * 24 * time.Hour)
		before := demoQueryStrings(t, pool, `SELECT concat_ws('|', instructor_id, slot_date, start_time, end_time)
			FROM availability_slots ORDER BY 1`)
		sum := demoSeed(t, demoDB.Store, later)
		assert.Zero(t, sum.UsersCreated)
		assert.Zero(t, sum.BookingsCreated)
		assert.True(t, sum.BookingsPreserved)
		assert.Positive(t, sum.SlotsCreated)
		after := demoQueryStrings(t, pool, `SELECT concat_ws('|', instructor_id, slot_date, start_time, end_time)
			FROM availability_slots WHERE slot_date < $1::date ORDER BY 1`, today.AddDays(28).String())
		assert.Equal(t, before, after, "existing dates must be left as they were")
		assert.Equal(t, len(before)+sum.SlotsCreated, demoQueryInt(t, pool, `SELECT count(*) FROM availability_slots`))
		assert.Zero(t, demoQueryInt(t, pool, `
			SELECT count(*) FROM availability_slots WHERE slot_date < $1::date OR slot_date >= $2::date`,
			today.AddDays(-1).String(), today.AddDays(31).String()))
		// Three new dates: most instructors teach on at least one of them (a weekend-only or
		// three-weekday habit may skip them all).
		assert.Greater(t, demoQueryInt(t, pool, `
			SELECT count(DISTINCT instructor_id) FROM availability_slots
			WHERE slot_date >= $1::date + 28 AND slot_date < $1::date + 31`, today.String()), 120)

		again := demoSeed(t, demoDB.Store, later)
		assert.Zero(t, again.SlotsCreated)
	})
}

// A demo email registered by someone before the first seed stays theirs: the demo skips that
// person and everything else seeds normally.
func TestSeedDemoLeavesTakenEmailsAlone(t *testing.T) {
	taken := demoDatabase(t, "seed_demo_taken")
	ctx := context.Background()
	otherID := persistence.NewID()
	_, err := taken.Pool.Exec(ctx, `INSERT INTO users (id, email, password_hash, full_name, role)
		VALUES ($1, $2, 'not-the-demo-hash', 'Someone Else', 'student')`, otherID, seed.DemoStudentEmail)
	require.NoError(t, err)

	sum := demoSeed(t, taken.Store, demoNow(t))
	assert.Equal(t, []string{seed.DemoStudentEmail}, sum.SkippedEmails)
	assert.NotContains(t, sum.Logins, seed.DemoLogin{Email: seed.DemoStudentEmail, Role: instainstru.RoleStudent})
	assert.GreaterOrEqual(t, sum.Bookings, 200)

	var name, hash string
	require.NoError(t, taken.Pool.QueryRow(ctx, `SELECT full_name, password_hash FROM users WHERE id = $1`, otherID).Scan(&name, &hash))
	assert.Equal(t, "Someone Else", name)
	assert.Equal(t, "not-the-demo-hash", hash)
	assert.Zero(t, demoQueryInt(t, taken.Pool, `SELECT count(*) FROM bookings WHERE student_id = $1`, otherID))

	again := demoSeed(t, taken.Store, demoNow(t))
	assert.Zero(t, again.UsersCreated+again.OffersCreated+again.SlotsCreated+again.BookingsCreated)
}
