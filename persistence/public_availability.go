package persistence

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/instainstru/instainstru"
)

// PublicCalendar loads what the public availability of an instructor needs for the dates
// [from, to]: the instructor's name, zone, status and booking settings, the shortest duration of
// their active offers, the availability ranges and blackout dates of the window, and the
// confirmed bookings that can touch it. The four queries travel in one batch (one round trip).
//
// Bookings are selected by instants with a day of margin on each side, which covers every zone
// offset (UTC-12 to UTC+14) plus the largest buffer (120 minutes) without knowing the zone first;
// the pure computation then ignores the ones that touch no date of the window.
//
// A malformed id, an unknown user and a user who is not an instructor are not_found. Suspended
// and deactivated instructors are returned with their status: the caller hides them.
func (s *Store) PublicCalendar(ctx context.Context, instructorID string, from, to instainstru.Date) (*instainstru.PublicCalendar, error) {
	if !ValidID(instructorID) {
		return nil, instainstru.Errorf(instainstru.CodeNotFound, "instructor not found")
	}
	const qInstructor = `
		SELECT u.id, u.full_name, u.timezone, u.account_status, p.min_advance_booking_hours, p.buffer_minutes,
		       COALESCE((SELECT min(d) FROM instructor_services o
		                 JOIN service_catalog sc ON sc.id = o.catalog_service_id
		                 CROSS JOIN LATERAL unnest(o.duration_options) AS d
		                 WHERE o.instructor_id = u.id AND o.is_active AND sc.is_active), 0)
		FROM users u JOIN instructor_profiles p ON p.user_id = u.id
		WHERE u.id = $1 AND u.role = 'instructor'`
	const qAvailability = `
		SELECT slot_date, start_time, end_time FROM availability_slots
		WHERE instructor_id = $1 AND slot_date BETWEEN $2 AND $3
		ORDER BY slot_date, start_time`
	const qBlackouts = `
		SELECT blackout_date FROM blackout_dates
		WHERE instructor_id = $1 AND blackout_date BETWEEN $2 AND $3
		ORDER BY blackout_date`
	const qBookings = `
		SELECT starts_at, ends_at, blocked_until FROM bookings
		WHERE instructor_id = $1 AND status = 'confirmed' AND starts_at < $3 AND blocked_until > $2
		ORDER BY starts_at`

	b := &pgx.Batch{}
	b.Queue(qInstructor, instructorID)
	b.Queue(qAvailability, instructorID, from.Time(), to.Time())
	b.Queue(qBlackouts, instructorID, from.Time(), to.Time())
	b.Queue(qBookings, instructorID, from.AddDays(-1).Time(), to.AddDays(2).Time())
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()

	c := &instainstru.PublicCalendar{From: from, To: to, Availability: []instainstru.DayAvailability{},
		Blackouts: []instainstru.Date{}, Bookings: []instainstru.BookedSpan{}}
	err := br.QueryRow().Scan(&c.InstructorID, &c.FullName, &c.Timezone, &c.AccountStatus,
		&c.MinAdvanceBookingHours, &c.BufferMinutes, &c.ShortestDuration)
	if err != nil {
		return nil, translate(err, "instructor") // no row: not_found
	}

	rows, err := br.Query()
	if err != nil {
		return nil, translate(err, "availability")
	}
	for rows.Next() {
		var d time.Time
		var st, en pgtype.Time
		if err := rows.Scan(&d, &st, &en); err != nil {
			rows.Close()
			return nil, translate(err, "availability")
		}
		day, r := instainstru.DateOf(d), instainstru.TimeRange{Start: minuteOf(st), End: minuteOf(en)}
		if n := len(c.Availability); n > 0 && c.Availability[n-1].Date == day {
			c.Availability[n-1].Ranges = append(c.Availability[n-1].Ranges, r)
		} else {
			c.Availability = append(c.Availability, instainstru.DayAvailability{Date: day, Ranges: []instainstru.TimeRange{r}})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "availability")
	}

	rows, _ = br.Query()
	if c.Blackouts, err = collect(rows, "blackout dates", func(row pgx.CollectableRow) (instainstru.Date, error) {
		var d time.Time
		err := row.Scan(&d)
		return instainstru.DateOf(d), err
	}); err != nil {
		return nil, err
	}
	rows, _ = br.Query()
	if c.Bookings, err = collect(rows, "bookings", func(row pgx.CollectableRow) (instainstru.BookedSpan, error) {
		var sp instainstru.BookedSpan
		err := row.Scan(&sp.StartsAt, &sp.EndsAt, &sp.BlockedUntil)
		sp.StartsAt, sp.EndsAt, sp.BlockedUntil = sp.StartsAt.UTC(), sp.EndsAt.UTC(), sp.BlockedUntil.UTC()
		return sp, err
	}); err != nil {
		return nil, err
	}
	return c, nil
}
