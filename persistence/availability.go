package persistence

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/instainstru/instainstru"
)

// InstructorClock reads an instructor's zone, status and booking settings.
func (s *Store) InstructorClock(ctx context.Context, instructorID string) (*instainstru.InstructorClock, error) {
	if !ValidID(instructorID) {
		return nil, instainstru.Errorf(instainstru.CodeNotFound, "instructor not found")
	}
	const q = `
		SELECT u.id, u.full_name, u.timezone, u.account_status, p.min_advance_booking_hours, p.buffer_minutes, p.calendar_version
		FROM users u JOIN instructor_profiles p ON p.user_id = u.id
		WHERE u.id = $1 AND u.role = 'instructor'`
	var c instainstru.InstructorClock
	err := s.pool.QueryRow(ctx, q, instructorID).Scan(&c.InstructorID, &c.FullName, &c.Timezone, &c.AccountStatus,
		&c.MinAdvanceBookingHours, &c.BufferMinutes, &c.Version)
	if err != nil {
		return nil, translate(err, "instructor")
	}
	return &c, nil
}

// AvailabilityBetween returns the normalized ranges of every date in [from, to] that has any,
// keyed by date.
func (s *Store) AvailabilityBetween(ctx context.Context, instructorID string, from, to instainstru.Date) (map[instainstru.Date][]instainstru.TimeRange, error) {
	const q = `
		SELECT slot_date, start_time, end_time FROM availability_slots
		WHERE instructor_id = $1 AND slot_date BETWEEN $2 AND $3
		ORDER BY slot_date, start_time`
	rows, _ := s.pool.Query(ctx, q, instructorID, from.Time(), to.Time())
	days, err := collect(rows, "availability", scanDayRange)
	if err != nil {
		return nil, err
	}
	out := map[instainstru.Date][]instainstru.TimeRange{}
	for _, d := range days {
		out[d.Date] = append(out[d.Date], d.Ranges...)
	}
	return out, nil
}

// scanDayRange reads one (date, start_time, end_time) row as a one-range day.
func scanDayRange(row pgx.CollectableRow) (instainstru.DayAvailability, error) {
	var d time.Time
	var st, en pgtype.Time
	err := row.Scan(&d, &st, &en)
	return instainstru.DayAvailability{Date: instainstru.DateOf(d), Ranges: []instainstru.TimeRange{{Start: minuteOf(st), End: minuteOf(en)}}}, err
}

// ReplaceAvailability replaces the ranges of each given date (an empty slice clears the date) in
// one transaction fenced at calendar version expected, records an availability.changed event for
// the instructor, and returns the new calendar version.
func (s *Store) ReplaceAvailability(ctx context.Context, instructorID string, days map[instainstru.Date][]instainstru.TimeRange, expected int64) (int64, error) {
	var v int64
	err := s.inTx(ctx, "availability", func(tx pgx.Tx) (err error) {
		if v, err = execFence(ctx, tx, instructorID, expected); err != nil {
			return err
		}
		return replaceDays(ctx, tx, instructorID, days)
	})
	return v, err
}

func replaceDays(ctx context.Context, tx pgx.Tx, instructorID string, days map[instainstru.Date][]instainstru.TimeRange) error {
	if len(days) == 0 {
		return nil
	}
	dates := make([]time.Time, 0, len(days))
	var insDates []time.Time
	var insStart, insEnd []string
	for d, rs := range days {
		dates = append(dates, d.Time())
		for _, r := range rs {
			insDates = append(insDates, d.Time())
			insStart = append(insStart, r.Start.String()+":00")
			insEnd = append(insEnd, r.End.String()+":00")
		}
	}
	const del = `DELETE FROM availability_slots WHERE instructor_id = $1 AND slot_date = ANY($2::date[])`
	if _, err := tx.Exec(ctx, del, instructorID, dates); err != nil {
		return translate(err, "availability")
	}
	if len(insDates) > 0 {
		const ins = `
			INSERT INTO availability_slots (instructor_id, slot_date, start_time, end_time)
			SELECT $1, d, s::time, e::time FROM unnest($2::date[], $3::text[], $4::text[]) AS t(d, s, e)`
		if _, err := tx.Exec(ctx, ins, instructorID, insDates, insStart, insEnd); err != nil {
			return translate(err, "availability")
		}
	}
	return insertOutbox(ctx, tx, instainstru.AvailabilityEvent(instructorID))
}

// Blackouts lists an instructor's blackout dates from `from` on.
func (s *Store) Blackouts(ctx context.Context, instructorID string, from instainstru.Date) ([]instainstru.BlackoutDate, error) {
	const q = `SELECT blackout_date, reason FROM blackout_dates WHERE instructor_id = $1 AND blackout_date >= $2 ORDER BY blackout_date`
	rows, _ := s.pool.Query(ctx, q, instructorID, from.Time())
	return collect(rows, "blackout dates", func(row pgx.CollectableRow) (instainstru.BlackoutDate, error) {
		var d time.Time
		var b instainstru.BlackoutDate
		err := row.Scan(&d, &b.Reason)
		b.Date = instainstru.DateOf(d)
		return b, err
	})
}

// AddBlackout records a blackout date and clears that date's availability in one transaction
// fenced at calendar version expected; it returns the new version. Adding an existing date
// updates its reason.
func (s *Store) AddBlackout(ctx context.Context, instructorID string, b instainstru.BlackoutDate, expected int64) (int64, error) {
	var v int64
	err := s.inTx(ctx, "blackout date", func(tx pgx.Tx) (err error) {
		if v, err = execFence(ctx, tx, instructorID, expected); err != nil {
			return err
		}
		const q = `INSERT INTO blackout_dates (instructor_id, blackout_date, reason) VALUES ($1, $2, $3)
			ON CONFLICT (instructor_id, blackout_date) DO UPDATE SET reason = EXCLUDED.reason`
		if _, err := tx.Exec(ctx, q, instructorID, b.Date.Time(), b.Reason); err != nil {
			return translate(err, "blackout date")
		}
		return replaceDays(ctx, tx, instructorID, map[instainstru.Date][]instainstru.TimeRange{b.Date: {}})
	})
	return v, err
}

// RemoveBlackout deletes a blackout date (fenced at expected; it returns the new version);
// not_found when there was none. Availability that the blackout cleared is not restored.
func (s *Store) RemoveBlackout(ctx context.Context, instructorID string, d instainstru.Date, expected int64) (int64, error) {
	var v int64
	err := s.inTx(ctx, "blackout date", func(tx pgx.Tx) (err error) {
		// The fence comes first in every write, so concurrent writers lock in one order.
		if v, err = execFence(ctx, tx, instructorID, expected); err != nil {
			return err
		}
		const q = `DELETE FROM blackout_dates WHERE instructor_id = $1 AND blackout_date = $2`
		tag, err := tx.Exec(ctx, q, instructorID, d.Time())
		if err != nil {
			return translate(err, "blackout date")
		}
		if tag.RowsAffected() == 0 {
			return instainstru.Errorf(instainstru.CodeNotFound, "no blackout on %s", d)
		}
		return insertOutbox(ctx, tx, instainstru.AvailabilityEvent(instructorID))
	})
	return v, err
}

// minuteOf converts a scanned TIME (microseconds since midnight; 24:00 is 86400e6) to a Minute.
func minuteOf(t pgtype.Time) instainstru.Minute {
	return instainstru.Minute(t.Microseconds / int64(time.Minute/time.Microsecond))
}
