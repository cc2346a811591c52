package actors_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/persistence"
)

// BenchmarkBookingVsInsertCommit measures booking creation through the actors (each booking: rule
// checks, one transaction with the booking, five outbox rows and the exclusion constraints) on
// distinct instructors, and, on the same database with the same concurrency, plain single-row
// INSERT commits. The ratio bookings/s ÷ inserts/s is the figure: how close a booking comes to
// the cost of one PostgreSQL commit.
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
