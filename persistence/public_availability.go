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
// confirmed bookings that can touch it (PublicCalendars for one instructor).
//
// A malformed id, an unknown user and a user who is not an instructor are not_found. Suspended
// and deactivated instructors are returned with their status: the caller hides them.
func (s *Store) PublicCalendar(ctx context.Context, instructorID string, from, to instainstru.Date) (*instainstru.PublicCalendar, error) {
	cals, err := s.PublicCalendars(ctx, []string{instructorID}, from, to)
	if err != nil {
		return nil, err
	}
	c := cals[instructorID]
	if c == nil {
		return nil, instainstru.Errorf(instainstru.CodeNotFound, "instructor not found")
	}
	return c, nil
}

// PublicCalendars loads the public calendars of many instructors for the dates [from, to] in one
// round trip: four reads (instructors, availability, blackouts, bookings), each for every id at
// once. Bookings are selected by instants with a day of margin on each side, which covers every
// zone offset (UTC-12 to UTC+14) plus the largest buffer (120 minutes) without knowing the zone
// first; the pure computation then ignores the ones that touch no date of the window. Unknown ids and
// non-instructors are simply absent from the map; suspended and deactivated instructors are
// present with their status (the caller hides them).
func (s *Store) PublicCalendars(ctx context.Context, instructorIDs []string, from, to instainstru.Date) (map[string]*instainstru.PublicCalendar, error) {
	const qInstructors = `
		SELECT u.id, u.full_name, u.timezone, u.account_status, p.min_advance_booking_hours, p.buffer_minutes,
		       COALESCE((SELECT min(d) FROM instructor_services o
		                 JOIN service_catalog sc ON sc.id = o.catalog_service_id
		                 CROSS JOIN LATERAL unnest(o.duration_options) AS d
		                 WHERE o.instructor_id = u.id AND o.is_active AND sc.is_active), 0)
		FROM users u JOIN instructor_profiles p ON p.user_id = u.id
		WHERE u.id = ANY($1::uuid[]) AND u.role = 'instructor'`
	const qAvailability = `
		SELECT instructor_id, slot_date, start_time, end_time FROM availability_slots
		WHERE instructor_id = ANY($1::uuid[]) AND slot_date BETWEEN $2 AND $3
		ORDER BY instructor_id, slot_date, start_time`
	const qBlackouts = `
		SELECT instructor_id, blackout_date FROM blackout_dates
		WHERE instructor_id = ANY($1::uuid[]) AND blackout_date BETWEEN $2 AND $3
		ORDER BY instructor_id, blackout_date`
	const qBookings = `
		SELECT instructor_id, starts_at, ends_at, blocked_until FROM bookings
		WHERE instructor_id = ANY($1::uuid[]) AND status = 'confirmed' AND starts_at < $3 AND blocked_until > $2
		ORDER BY instructor_id, starts_at`
	out := make(map[string]*instainstru.PublicCalendar, len(instructorIDs))
	ids := make([]string, 0, len(instructorIDs))
	for _, id := range instructorIDs {
		if ValidID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	b := &pgx.Batch{}
	b.Queue(qInstructors, ids)
	b.Queue(qAvailability, ids, from.Time(), to.Time())
	b.Queue(qBlackouts, ids, from.Time(), to.Time())
	// A day of margin each side covers every zone offset plus the largest buffer (see PublicCalendar).
	b.Queue(qBookings, ids, from.AddDays(-1).Time(), to.AddDays(2).Time())
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()

	rows, err := br.Query()
	if err != nil {
		return nil, translate(err, "instructors")
	}
	for rows.Next() {
		c := &instainstru.PublicCalendar{From: from, To: to, Availability: []instainstru.DayAvailability{},
			Blackouts: []instainstru.Date{}, Bookings: []instainstru.BookedSpan{}}
		if err := rows.Scan(&c.InstructorID, &c.FullName, &c.Timezone, &c.AccountStatus,
			&c.MinAdvanceBookingHours, &c.BufferMinutes, &c.ShortestDuration); err != nil {
			rows.Close()
			return nil, translate(err, "instructors")
		}
		out[c.InstructorID] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "instructors")
	}

	rows, err = br.Query()
	if err != nil {
		return nil, translate(err, "availability")
	}
	for rows.Next() {
		var id string
		var d time.Time
		var st, en pgtype.Time
		if err := rows.Scan(&id, &d, &st, &en); err != nil {
			rows.Close()
			return nil, translate(err, "availability")
		}
		c := out[id]
		if c == nil {
			continue
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

	rows, err = br.Query()
	if err != nil {
		return nil, translate(err, "blackout dates")
	}
	for rows.Next() {
		var id string
		var d time.Time
		if err := rows.Scan(&id, &d); err != nil {
			rows.Close()
			return nil, translate(err, "blackout dates")
		}
		if c := out[id]; c != nil {
			c.Blackouts = append(c.Blackouts, instainstru.DateOf(d))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "blackout dates")
	}

	rows, err = br.Query()
	if err != nil {
		return nil, translate(err, "bookings")
	}
	for rows.Next() {
		var id string
		var sp instainstru.BookedSpan
		if err := rows.Scan(&id, &sp.StartsAt, &sp.EndsAt, &sp.BlockedUntil); err != nil {
			rows.Close()
			return nil, translate(err, "bookings")
		}
		if c := out[id]; c != nil {
			sp.StartsAt, sp.EndsAt, sp.BlockedUntil = sp.StartsAt.UTC(), sp.EndsAt.UTC(), sp.BlockedUntil.UTC()
			c.Bookings = append(c.Bookings, sp)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "bookings")
	}
	return out, nil
}
