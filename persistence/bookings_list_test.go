package persistence_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// withHistory gives a fresh student and instructor pastN completed lessons, two hours apart and
// ending before now, plus upcoming confirmed lessons (one running now, three ahead), and refreshes
// the planner's statistics.
func withHistory(t testing.TB, pastN int, now time.Time) testenv.Fixture {
	t.Helper()
	f := db.NewFixture(t)
	base := now.Truncate(24 * time.Hour).Add(-14 * time.Hour) // 10:00 UTC two days back at the latest
	db.MustExec(t, `
		INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time,
			timezone, starts_at, ends_at, blocked_until, duration_minutes, buffer_minutes, service_name, category_name,
			hourly_rate_cents, total_price_cents, location_type, status, completed_at)
		SELECT gen_random_uuid(), $1, $2, $3, (ts AT TIME ZONE 'UTC')::date, (ts AT TIME ZONE 'UTC')::time,
			((ts AT TIME ZONE 'UTC') + interval '1 hour')::time, 'UTC', ts, ts + interval '1 hour', ts + interval '1 hour',
			60, 0, 'Piano', 'Music', 6000, 6000, 'online', 'completed', ts + interval '1 hour'
		FROM (SELECT $4::timestamptz - make_interval(hours => 2 * i) AS ts FROM generate_series(0, $5::int - 1) i) s`,
		f.Student, f.Instructor, f.Offer, base, pastN)
	for _, start := range []time.Time{now.Add(-30 * time.Minute), now.Add(48 * time.Hour), now.Add(72 * time.Hour), now.Add(96 * time.Hour)} {
		start = start.Truncate(time.Minute)
		if start.Hour() == 23 { // keep the wall-clock end on the same UTC day
			start = start.Add(-time.Hour)
		}
		require.NoError(t, db.InsertBooking(f.Student, f.Instructor, f.Offer, start, 60, 0))
	}
	db.MustExec(t, `ANALYZE bookings`)
	return f
}

// planNode is the part of EXPLAIN (FORMAT JSON) the index assertion reads.
type planNode struct {
	NodeType  string     `json:"Node Type"`
	Relation  string     `json:"Relation Name"`
	IndexName string     `json:"Index Name"`
	IndexCond string     `json:"Index Cond"`
	Plans     []planNode `json:"Plans"`
}

func (p planNode) walk(visit func(planNode)) {
	visit(p)
	for _, c := range p.Plans {
		c.walk(visit)
	}
}

// TestUpcomingBookingsRangeScanStartsAt: the upcoming list must range-scan the (party,
// starts_at) index from "now minus the longest lesson", not walk the party's whole history
// filtering on ends_at. The plan is that of the exact query ListBookings builds, for a student and
// an instructor with 20,000 past lessons each; the past list is bounded the same way.
func TestUpcomingBookingsRangeScanStartsAt(t *testing.T) {
	now := time.Now().UTC()
	f := withHistory(t, 20000, now)
	yes, no := true, false
	cases := []struct {
		name  string
		f     instainstru.BookingFilter
		index string
	}{
		{"student upcoming", instainstru.BookingFilter{UserID: f.Student, Role: instainstru.RoleStudent, Upcoming: &yes, Now: now, Limit: 20}, "bookings_student_idx"},
		{"instructor upcoming", instainstru.BookingFilter{UserID: f.Instructor, Role: instainstru.RoleInstructor, Upcoming: &yes, Now: now, Limit: 20}, "bookings_instructor_idx"},
		// With few future confirmed lessons in the whole table, the planner may rather range-scan
		// the partial index of confirmed lessons by start: bounded by starts_at all the same.
		{"student upcoming confirmed", instainstru.BookingFilter{UserID: f.Student, Role: instainstru.RoleStudent, Upcoming: &yes, Status: instainstru.BookingConfirmed, Now: now, Limit: 20}, "bookings_student_idx|bookings_confirmed_start_idx"},
		{"student past", instainstru.BookingFilter{UserID: f.Student, Role: instainstru.RoleStudent, Upcoming: &no, Now: now, Limit: 20}, "bookings_student_idx"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, args, _ := persistence.ListBookingsQuery(tc.f)
			var raw []byte
			require.NoError(t, db.Pool.QueryRow(context.Background(), `EXPLAIN (FORMAT JSON) `+q, args...).Scan(&raw))
			var plans []struct{ Plan planNode }
			require.NoError(t, json.Unmarshal(raw, &plans))
			found := false
			plans[0].Plan.walk(func(n planNode) {
				if n.Relation == "bookings" {
					require.NotEqual(t, "Seq Scan", n.NodeType, "bookings scanned whole: %s", raw)
				}
				if n.IndexName != "" && slices.Contains(strings.Split(tc.index, "|"), n.IndexName) && strings.Contains(n.IndexCond, "starts_at") {
					found = true
				}
			})
			require.True(t, found, "no Index Cond on starts_at of %s: %s", tc.index, raw)
		})
	}
	// And the answers are right: the lesson running now and the three ahead, soonest first.
	items, next, err := db.Store.ListBookings(context.Background(), cases[0].f)
	require.NoError(t, err)
	require.Nil(t, next)
	require.Len(t, items, 4)
	require.True(t, items[0].EndsAt.After(now) && items[0].StartsAt.Before(now), "the lesson in progress is upcoming")
	past, _, err := db.Store.ListBookings(context.Background(), cases[3].f)
	require.NoError(t, err)
	require.Len(t, past, 20)
	require.True(t, past[0].EndsAt.Before(now) && past[0].StartsAt.After(past[1].StartsAt), "latest past lesson first")
}

// BenchmarkListUpcomingBookings lists a student's upcoming lessons (GET /bookings?upcoming=true)
// with 20,000 past lessons in their history.
func BenchmarkListUpcomingBookings(b *testing.B) {
	now := time.Now().UTC()
	f := withHistory(b, 20000, now)
	yes := true
	filter := instainstru.BookingFilter{UserID: f.Student, Role: instainstru.RoleStudent, Upcoming: &yes, Now: now, Limit: 20}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		items, _, err := db.Store.ListBookings(ctx, filter)
		if err != nil || len(items) != 4 {
			b.Fatalf("%d items, %v", len(items), err)
		}
	}
}
