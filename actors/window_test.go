package actors_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/persistence"
)

// The actor hands the rulebook only the bookings near the lesson's date. A lesson at the very
// start of a local day in the zones furthest from UTC must still see the buffer of a lesson at the
// end of the day before, and the other way round, both while the actor is warm (spans added in
// memory) and after a reload; bookings days away must not matter. The refusal must be the
// rulebook's (its buffer message), not the database's exclusion constraint.
func TestRulesSeeBookingsAcrossTheDayBoundary(t *testing.T) {
	ctx := context.Background()
	_, _, err := db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	for _, zone := range []string{"Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"} {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			require.NoError(t, err)
			ins, offer := persistence.NewID(), persistence.NewID()
			exec(t, `INSERT INTO users (id, email, password_hash, full_name, role, timezone) VALUES ($1::uuid, $1::text || '@example.com', 'x', 'Zoned Teacher', 'instructor', $2)`, ins, zone)
			exec(t, `INSERT INTO instructor_profiles (user_id, min_advance_booking_hours, buffer_minutes) VALUES ($1, 0, 60)`, ins)
			exec(t, `INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
				SELECT $1, $2, id, 6000, '{60}', '{online}' FROM service_catalog WHERE slug='guitar'`, offer, ins)
			day := instainstru.DateOf(time.Now().In(loc)).AddDays(3)
			days := map[instainstru.Date][]instainstru.TimeRange{}
			for d := -2; d <= 8; d++ {
				days[day.AddDays(d)] = []instainstru.TimeRange{{Start: 0, End: instainstru.EndOfDay}}
			}
			require.NoError(t, errOnly(db.Store.ReplaceAvailability(ctx, ins, days, instainstru.AnyVersion)))
			book := func(dir *actors.Directory, d instainstru.Date, start instainstru.Minute) error {
				_, _, err := dir.Book(ctx, &instainstru.BookLessonRequest{StudentID: student(t), InstructorServiceID: offer,
					Date: d, StartTime: start, DurationMinutes: 60, LocationType: instainstru.OnlineLocation}, nil)
				return err
			}
			refusedByRules := func(err error) {
				t.Helper()
				require.Equal(t, instainstru.CodeBookingConflict, instainstru.ErrorCode(err), "%v", err)
				require.Contains(t, err.Error(), "buffer", "the rulebook refused it, not the database")
			}

			dir := actors.NewDirectory(db.Store, actors.Config{Log: quiet})
			// Lessons days away on both sides, so the window has bookings outside it.
			require.NoError(t, book(dir, day.AddDays(-2), 12*60))
			require.NoError(t, book(dir, day.AddDays(8), 12*60))
			require.NoError(t, book(dir, day, 23*60))        // day 23:00–24:00, blocks until 01:00
			require.NoError(t, book(dir, day.AddDays(2), 0)) // day+2 00:00–01:00
			refusedByRules(book(dir, day.AddDays(1), 0))     // inside the buffer of the day's last lesson
			refusedByRules(book(dir, day.AddDays(1), 23*60)) // its own buffer reaches the next lesson
			dir.Shutdown()

			// A fresh actor loads the same bookings from the database and decides the same way.
			dir = actors.NewDirectory(db.Store, actors.Config{Log: quiet})
			defer dir.Shutdown()
			refusedByRules(book(dir, day.AddDays(1), 0))
			refusedByRules(book(dir, day.AddDays(1), 23*60))
			require.NoError(t, book(dir, day.AddDays(1), 12*60))
		})
	}
}
