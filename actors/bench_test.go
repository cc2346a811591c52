package actors_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/persistence"
)

// BenchmarkBookingVsInsertCommit measures booking creation through the actors (each booking: the
// BookingContext read, the rule checks, then one pipelined transaction: booking_fence, the
// booking row under its exclusion constraints and foreign keys, its one outbox event) on distinct
// instructors, and, on the same database with the same concurrency, plain single-row INSERT
// commits. The ratio bookings/s ÷ inserts/s is the figure: how close a booking comes to the cost
// of one PostgreSQL commit. scripts/booking-cost.sh sets it next to pgbench replaying the same
// statements.
func BenchmarkBookingVsInsertCommit(b *testing.B) {
	const workers = 16
	ctx := context.Background()
	_, _, err := db.Store.SeedCatalog(ctx)
	require.NoError(b, err)
	dir := actors.NewDirectory(db.Store, actors.Config{Log: quiet})
	defer dir.Shutdown()

	type lane struct {
		offer, student string
		day            instainstru.Date
		next           int // next 15-minute slot of the day
	}
	lanes := make([]*lane, workers)
	first := instainstru.DateOf(time.Now().UTC()).AddDays(2)
	for i := range lanes {
		ins, offer, stu := persistence.NewID(), persistence.NewID(), persistence.NewID()
		mustExecB(b, `INSERT INTO users (id, email, password_hash, full_name, role) VALUES ($1::uuid, $1::text || '@example.com', 'x', 'Bench I', 'instructor'), ($2::uuid, $2::text || '@example.com', 'x', 'Bench S', 'student')`, ins, stu)
		mustExecB(b, `UPDATE users SET timezone='UTC' WHERE id=$1`, ins)
		mustExecB(b, `INSERT INTO instructor_profiles (user_id, min_advance_booking_hours) VALUES ($1, 0)`, ins)
		mustExecB(b, `INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
			SELECT $1, $2, id, 6000, '{15}', '{online}' FROM service_catalog WHERE slug='piano'`, offer, ins)
		days := map[instainstru.Date][]instainstru.TimeRange{}
		for d := 0; d < 400; d++ {
			days[first.AddDays(d)] = []instainstru.TimeRange{{Start: 0, End: instainstru.EndOfDay}}
		}
		require.NoError(b, errOnly(db.Store.ReplaceAvailability(ctx, ins, days, instainstru.AnyVersion)))
		lanes[i] = &lane{offer: offer, student: stu, day: first}
	}
	mustExecB(b, `CREATE TABLE IF NOT EXISTS bench_commits (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text NOT NULL, at timestamptz NOT NULL DEFAULT now())`)

	run := func(n int, op func(w int) error) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for next.Add(1) <= int64(n) {
					if err := op(w); err != nil {
						b.Error(err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		return time.Since(start)
	}

	b.ResetTimer()
	bookDur := run(b.N, func(w int) error {
		l := lanes[w]
		if l.next == 96 {
			l.next, l.day = 0, l.day.AddDays(1)
		}
		start := instainstru.Minute(15 * l.next)
		l.next++
		_, _, err := dir.Book(ctx, &instainstru.BookLessonRequest{StudentID: l.student, InstructorServiceID: l.offer,
			Date: l.day, StartTime: start, DurationMinutes: 15, LocationType: instainstru.OnlineLocation}, nil)
		return err
	})
	insertDur := run(b.N, func(int) error {
		_, err := db.Pool.Exec(ctx, `INSERT INTO bench_commits (note) VALUES ($1)`, "x")
		return err
	})
	b.StopTimer()
	bookings := float64(b.N) / bookDur.Seconds()
	inserts := float64(b.N) / insertDur.Seconds()
	b.ReportMetric(bookings, "bookings/s")
	b.ReportMetric(inserts, "inserts/s")
	b.ReportMetric(bookings/inserts, "ratio")
}

func mustExecB(b *testing.B, q string, args ...any) {
	b.Helper()
	_, err := db.Pool.Exec(context.Background(), q, args...)
	require.NoError(b, err)
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// benchInstructors inserts n instructors (UTC, no minimum notice), each with one 60-minute online
// offer, availability on `days` dates from tomorrow with `ranges` ranges a day, and `bookings`
// confirmed future lessons (one each day at 00:00, 00:15, ... while the days last), in a few set
// statements. It returns the instructor and offer ids.
func benchInstructors(b *testing.B, n, days, ranges, bookings int) (ins, offers []string) {
	b.Helper()
	ctx := context.Background()
	_, _, err := db.Store.SeedCatalog(ctx)
	require.NoError(b, err)
	rows, err := db.Pool.Query(ctx, `
		WITH u AS (
			INSERT INTO users (id, email, password_hash, full_name, role, timezone)
			SELECT gen_random_uuid(), 'bench-' || gen_random_uuid() || '@example.com', 'x', 'Bench Instructor', 'instructor', 'UTC'
			FROM generate_series(1, $1) RETURNING id),
		p AS (INSERT INTO instructor_profiles (user_id, min_advance_booking_hours) SELECT id, 0 FROM u RETURNING user_id),
		o AS (INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
			SELECT gen_random_uuid(), user_id, (SELECT id FROM service_catalog WHERE slug = 'piano'), 6000, '{15,60}', '{online}' FROM p
			RETURNING id, instructor_id)
		SELECT instructor_id::text, id::text FROM o`, n)
	require.NoError(b, err)
	for rows.Next() {
		var i, o string
		require.NoError(b, rows.Scan(&i, &o))
		ins, offers = append(ins, i), append(offers, o)
	}
	require.NoError(b, rows.Err())
	// Ranges of 90 minutes every 3 hours: `ranges` a day.
	mustExecB(b, `INSERT INTO availability_slots (instructor_id, slot_date, start_time, end_time)
		SELECT i::uuid, current_date + d, make_time(r * 3, 0, 0), make_time(r * 3 + 1, 30, 0)
		FROM unnest($1::text[]) i, generate_series(1, $2) d, generate_series(0, $3 - 1) r`, ins, days, ranges)
	if bookings > 0 {
		// One student per instructor, so the lessons never overlap a student's other lessons.
		var students []string
		rows, err := db.Pool.Query(ctx, `INSERT INTO users (id, email, password_hash, full_name, role)
			SELECT gen_random_uuid(), 'bench-s-' || gen_random_uuid() || '@example.com', 'x', 'Bench S', 'student'
			FROM generate_series(1, $1) RETURNING id::text`, n)
		require.NoError(b, err)
		students, err = pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(b, err)
		// Each lesson is the first 15 minutes of a range: one per range, across the days.
		mustExecB(b, `INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time,
				timezone, starts_at, ends_at, blocked_until, duration_minutes, service_name, category_name, hourly_rate_cents,
				total_price_cents, location_type)
			SELECT gen_random_uuid(), i.student::uuid, i.ins::uuid, i.offer::uuid, current_date + 1 + k / $3, make_time((k % $3) * 3, 0, 0),
				make_time((k % $3) * 3, 15, 0), 'UTC',
				(current_date + 1 + k / $3)::timestamp AT TIME ZONE 'UTC' + make_interval(hours => (k % $3) * 3),
				(current_date + 1 + k / $3)::timestamp AT TIME ZONE 'UTC' + make_interval(hours => (k % $3) * 3, mins => 15),
				(current_date + 1 + k / $3)::timestamp AT TIME ZONE 'UTC' + make_interval(hours => (k % $3) * 3, mins => 15),
				15, 'Piano', 'Music', 6000, 1500, 'online'
			FROM unnest($1::text[], $2::text[], $4::text[]) AS i(ins, offer, student), generate_series(0, $5 - 1) k`, ins, offers, ranges, students, bookings)
	}
	mustExecB(b, `ANALYZE`)
	return ins, offers
}

// touch makes the actor of offer's instructor load its calendar: student asks for a booking the
// actor refuses once loaded (45 minutes is not one of the offer's durations). Any other answer is
// an error.
func touch(dir *actors.Directory, student, offer string) error {
	_, _, err := dir.Book(context.Background(), &instainstru.BookLessonRequest{StudentID: student, InstructorServiceID: offer,
		Date: instainstru.DateOf(time.Now().UTC()).AddDays(2), StartTime: 0, DurationMinutes: 45, LocationType: instainstru.OnlineLocation}, nil)
	if !instainstru.IsCode(err, instainstru.CodeInvalid) {
		return fmt.Errorf("touch: %v", err)
	}
	return nil
}

// benchStudent inserts a student account and returns its id.
func benchStudent(b *testing.B) string {
	id := persistence.NewID()
	mustExecB(b, `INSERT INTO users (id, email, password_hash, full_name, role) VALUES ($1::uuid, $1::text || '@example.com', 'x', 'Bench S', 'student')`, id)
	return id
}

// BenchmarkActorAtHorizon: one instructor with a full calendar at the horizon (365 days of 8
// ranges, 2,000 confirmed future lessons): how long a fresh actor takes to load it, and the
// memory it holds once loaded.
func BenchmarkActorAtHorizon(b *testing.B) {
	_, offers := benchInstructors(b, 1, 365, 8, 2000)
	student := benchStudent(b)
	var held uint64
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		dir := actors.NewDirectory(db.Store, actors.Config{Log: quiet, AskTimeout: 30 * time.Second})
		before := heapInUse()
		b.StartTimer()
		err := touch(dir, student, offers[0])
		b.StopTimer()
		require.NoError(b, err)
		held = heapInUse() - before
		dir.Shutdown()
		b.StartTimer()
	}
	b.ReportMetric(float64(held), "B/actor")
}

// BenchmarkTenThousandLiveActors: 10,000 instructors with a typical calendar (four weeks of two
// ranges a day, a lesson on each of the first 20 ranges), all actors live at once: the time to
// activate them all (16 at a time) and the memory each holds.
func BenchmarkTenThousandLiveActors(b *testing.B) {
	const n = 10_000
	_, offers := benchInstructors(b, n, 28, 2, 20)
	student := benchStudent(b)
	var perActor float64
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		dir := actors.NewDirectory(db.Store, actors.Config{Log: quiet, AskTimeout: 30 * time.Second})
		before := heapInUse()
		b.StartTimer()
		var wg sync.WaitGroup
		var failed atomic.Value
		work := make(chan string)
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for o := range work {
					if err := touch(dir, student, o); err != nil {
						failed.Store(err)
					}
				}
			}()
		}
		for _, o := range offers {
			work <- o
		}
		close(work)
		wg.Wait()
		b.StopTimer()
		if err, _ := failed.Load().(error); err != nil {
			b.Fatal(err)
		}
		require.Equal(b, n, dir.Stats().Live)
		perActor = float64(heapInUse()-before) / n
		dir.Shutdown()
		b.StartTimer()
	}
	b.ReportMetric(perActor, "B/actor")
}
