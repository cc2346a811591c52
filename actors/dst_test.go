package actors_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
)

// TestBookingAcrossClockChanges books through the actor on the 2026 transition days of New York
// and Sydney, with the directory's clock set a few weeks before them.
func TestBookingAcrossClockChanges(t *testing.T) {
	ctx := context.Background()
	_, _, err := db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	cases := []struct {
		zone  string
		now   time.Time
		day   instainstru.Date
		start string
		dur   int
		want  string // starts_at in UTC, or an error code
	}{
		{"America/New_York", time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 3, Day: 8}, "02:30", 30, "invalid_local_time"},
		{"America/New_York", time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 3, Day: 8}, "01:30", 60, "invalid_local_time"}, // would end in the gap
		{"America/New_York", time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 3, Day: 8}, "01:00", 60, "invalid_local_time"}, // its end, 02:00, does not exist
		{"America/New_York", time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 3, Day: 8}, "00:30", 60, "2026-03-08T05:30:00Z"},
		{"America/New_York", time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 3, Day: 8}, "03:00", 60, "2026-03-08T07:00:00Z"},
		{"America/New_York", time.Date(2026, 10, 10, 12, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 11, Day: 1}, "01:00", 30, "2026-11-01T05:00:00Z"},
		{"America/New_York", time.Date(2026, 10, 10, 12, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 11, Day: 1}, "01:30", 60, "invalid_local_time"},   // crosses fall-back
		{"America/New_York", time.Date(2026, 10, 10, 12, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 11, Day: 1}, "09:00", 60, "2026-11-01T14:00:00Z"}, // EST after
		{"Australia/Sydney", time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 10, Day: 4}, "02:15", 30, "invalid_local_time"},
		{"Australia/Sydney", time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 10, Day: 4}, "10:00", 60, "2026-10-03T23:00:00Z"}, // AEDT after
		{"Australia/Sydney", time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 4, Day: 5}, "02:00", 30, "2026-04-04T15:00:00Z"},  // first occurrence
		{"Australia/Sydney", time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), instainstru.Date{Year: 2026, Month: 4, Day: 5}, "02:30", 60, "invalid_local_time"},    // crosses fall-back
	}
	for _, c := range cases {
		t.Run(c.zone+" "+c.day.String()+" "+c.start, func(t *testing.T) {
			ins, offer := persistence.NewID(), persistence.NewID()
			exec(t, `INSERT INTO users (id, email, password_hash, full_name, role, timezone) VALUES ($1::uuid, $1::text || '@example.com', 'x', 'Zed', 'instructor', $2)`, ins, c.zone)
			exec(t, `INSERT INTO instructor_profiles (user_id, min_advance_booking_hours) VALUES ($1, 0)`, ins)
			exec(t, `INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
				SELECT $1, $2, id, 6000, '{30,60}', '{online}' FROM service_catalog WHERE slug='violin'`, offer, ins)
			require.NoError(t, errOnly(db.Store.ReplaceAvailability(ctx, ins, map[instainstru.Date][]instainstru.TimeRange{
				c.day: {{Start: 0, End: instainstru.EndOfDay}}}, instainstru.AnyVersion)))
			now := c.now
			dir := actorsDirectory(func() time.Time { return now })
			defer dir.Shutdown()
			m, err := instainstru.ParseMinute(c.start, false)
			require.NoError(t, err)
			b, _, err := dir.Book(ctx, &instainstru.BookLessonRequest{StudentID: student(t), InstructorServiceID: offer,
				Date: c.day, StartTime: m, DurationMinutes: c.dur, LocationType: instainstru.OnlineLocation}, nil)
			if len(c.want) > 0 && c.want[0] != '2' {
				require.Equal(t, instainstru.Code(c.want), instainstru.ErrorCode(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, b.StartsAt.UTC().Format(time.RFC3339))
			require.Equal(t, c.dur, int(b.EndsAt.Sub(b.StartsAt).Minutes()), "elapsed time equals the duration")
			require.Equal(t, c.zone, b.Timezone)
		})
	}
}

// A booking at the far end of the horizon still sees its availability after the actor reloads
// its calendar, and one day beyond the horizon is refused (beyond_horizon), whatever is stored.
func TestHorizonEdgeSurvivesReload(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ny, err := instainstru.LoadZone("America/New_York")
	require.NoError(t, err)
	today := instainstru.DateOf(time.Now().In(ny))
	edge, beyond := today.AddDays(365), today.AddDays(366)
	require.NoError(t, errOnly(db.Store.ReplaceAvailability(ctx, f.instructor, map[instainstru.Date][]instainstru.TimeRange{
		edge: {{Start: 9 * 60, End: 12 * 60}}, beyond: {{Start: 9 * 60, End: 12 * 60}}}, instainstru.AnyVersion)))
	dir := actorsDirectory(time.Now) // a fresh directory: the actor loads from the database
	defer dir.Shutdown()
	book := func(d instainstru.Date) error {
		_, _, err := dir.Book(ctx, &instainstru.BookLessonRequest{StudentID: student(t), InstructorServiceID: f.offer,
			Date: d, StartTime: 10 * 60, DurationMinutes: 60, LocationType: instainstru.OnlineLocation}, nil)
		return err
	}
	require.NoError(t, book(edge))
	require.True(t, instainstru.IsCode(book(beyond), instainstru.CodeBeyondHorizon))
}
