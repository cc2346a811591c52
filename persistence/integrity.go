package persistence

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// The audits below are what the load harness and the fault suite ask of the database after a
// run: the guarantees a client was promised, checked on the rows themselves rather than on what
// the application says about them.

// Overlaps counts pairs of confirmed bookings that overlap in time: of one instructor, and of one
// student. Both must be zero whatever happened (the exclusion constraints guarantee it; the audit
// shows it).
func (s *Store) Overlaps(ctx context.Context) (instructor, student int, err error) {
	const q = `SELECT
		(SELECT count(*) FROM bookings a JOIN bookings b ON a.instructor_id = b.instructor_id AND a.id < b.id
			AND a.status = 'confirmed' AND b.status = 'confirmed'
			AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)')),
		(SELECT count(*) FROM bookings a JOIN bookings b ON a.student_id = b.student_id AND a.id < b.id
			AND a.status = 'confirmed' AND b.status = 'confirmed'
			AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)'))`
	err = s.pool.QueryRow(ctx, q).Scan(&instructor, &student)
	return instructor, student, err
}

// MissingBookings returns the ids among ids that have no booking row (an acknowledged booking
// that was lost).
func (s *Store) MissingBookings(ctx context.Context, ids []string) ([]string, error) {
	const q = `SELECT x FROM unnest($1::uuid[]) AS x WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = x)`
	rows, err := s.pool.Query(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// NotCancelled returns the ids among ids whose booking is not cancelled (an acknowledged
// cancellation that was lost).
func (s *Store) NotCancelled(ctx context.Context, ids []string) ([]string, error) {
	const q = `SELECT x::text FROM unnest($1::uuid[]) AS x
		WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = x AND b.status = 'cancelled')`
	rows, err := s.pool.Query(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// BookingsWithoutEvent returns bookings created at or after since that have no outbox event (a
// half-written booking: its emails and reminders would never be sent). Events are purged a week
// after relay, so since must be recent.
func (s *Store) BookingsWithoutEvent(ctx context.Context, since time.Time) ([]string, error) {
	const q = `SELECT b.id::text FROM bookings b WHERE b.created_at >= $1
		AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.aggregate_id = b.id)`
	rows, err := s.pool.Query(ctx, q, since)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// BookingsWithoutKey returns bookings created at or after since by the given students that no
// idempotency record answers with (each of those students sent a key with every booking, so a
// booking without its record is half-written: a retry with the key would book again or fail).
func (s *Store) BookingsWithoutKey(ctx context.Context, since time.Time, students []string) ([]string, error) {
	const q = `SELECT b.id::text FROM bookings b WHERE b.created_at >= $1 AND b.student_id = ANY($2::uuid[])
		AND NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.user_id = b.student_id
			AND position(convert_to(b.id::text, 'UTF8') IN k.response) > 0)`
	rows, err := s.pool.Query(ctx, q, since, students)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
