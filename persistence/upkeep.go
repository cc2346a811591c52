package persistence

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/instainstru/instainstru"
)

// autoCompleteChunk is how many instructors one transaction of AutoCompleteBookings handles, so a
// backlog never becomes one long transaction holding many calendars fenced.
const autoCompleteChunk = 100

// AutoCompleteBookings moves every confirmed booking that ended before endedBefore to completed
// (completed_at = now), with one booking.completed outbox event per booking, and bumps the
// calendar version of each instructor touched (calendar_fence(instructor, -1)): the change
// bypasses the instructor's actor, and the fence makes a warm actor reload before its next write
// instead of writing on a calendar that still holds the lesson as confirmed.
//
// It works in transactions of up to autoCompleteChunk instructors. Locks are taken in the order
// the actors take them (the instructor's profile through the fence first, then the bookings), so
// an instructor completing a lesson by hand at the same moment waits instead of deadlocking; a
// booking the instructor finished meanwhile is no longer confirmed and is left alone. Running it
// again finds nothing more to do.
func (s *Store) AutoCompleteBookings(ctx context.Context, endedBefore, now time.Time) (instainstru.AutoCompleted, error) {
	const due = `
		SELECT DISTINCT instructor_id FROM bookings
		WHERE status = 'confirmed' AND ends_at < $1
		ORDER BY instructor_id LIMIT $2`
	const complete = `
		UPDATE bookings SET status = 'completed', completed_at = $3, updated_at = $3
		WHERE status = 'confirmed' AND ends_at < $1 AND instructor_id = ANY($2::uuid[])
		RETURNING id, instructor_id, starts_at`
	var out instainstru.AutoCompleted
	for {
		rows, _ := s.pool.Query(ctx, due, endedBefore, autoCompleteChunk)
		ids, err := collect(rows, "bookings", pgx.RowTo[string])
		if err != nil || len(ids) == 0 {
			return out, err
		}
		var done []instainstru.Booking
		err = s.inTx(ctx, "bookings", func(tx pgx.Tx) error {
			for _, id := range ids {
				if _, err := tx.Exec(ctx, fenceSQL, id, -1); err != nil {
					return err
				}
			}
			rows, _ := tx.Query(ctx, complete, endedBefore, ids, now)
			var err error
			done, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (instainstru.Booking, error) {
				var b instainstru.Booking
				err := row.Scan(&b.ID, &b.Instructor.ID, &b.StartsAt)
				return b, err
			})
			if err != nil {
				return err
			}
			for i := range done {
				if err := insertOutbox(ctx, tx, instainstru.BookingEvent(instainstru.EventBookingCompleted, &done[i], now)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		out.Bookings += len(done)
		out.Instructors += len(ids)
	}
}

// PurgeSpentRefreshTokens deletes refresh tokens that can never matter again, measured against
// now minus ttl (REFRESH_TOKEN_TTL), and returns how many went:
//
//   - a token that is not revoked and expired more than ttl ago (a spent or unused token of a
//     session: kept that long so a late reuse of it is still recognised as theft);
//   - every token of a session that ended more than ttl ago, a session ending when its last
//     token expired or was revoked.
//
// Revoked tokens of a session still alive are kept: the auth middleware reads "any token of the
// session revoked" as the session being over, and a token rotated in while a revocation ran may
// have escaped it, so deleting the revoked ones early could bring a revoked session back. A
// session with no token left reads as over too, so deleting whole sessions is safe.
func (s *Store) PurgeSpentRefreshTokens(ctx context.Context, now time.Time, ttl time.Duration) (int64, error) {
	const q = `
		DELETE FROM refresh_tokens r
		WHERE (r.revoked_at IS NULL AND r.expires_at < $1)
		   OR r.family_id IN (
				SELECT family_id FROM refresh_tokens
				GROUP BY family_id
				HAVING max(least(coalesce(revoked_at, 'infinity'::timestamptz), expires_at)) < $1)`
	tag, err := s.pool.Exec(ctx, q, now.Add(-ttl))
	if err != nil {
		return 0, translate(err, "refresh tokens")
	}
	return tag.RowsAffected(), nil
}

// PurgeSearchEvents deletes search events made before before, in chunks by the creation index,
// and returns how many went. The analytics job reads the last 30 days, so the retention the
// caller chooses only has to be longer than that.
func (s *Store) PurgeSearchEvents(ctx context.Context, before time.Time) (int64, error) {
	const q = `DELETE FROM search_events WHERE id IN (
		SELECT id FROM search_events WHERE created_at < $1 ORDER BY created_at LIMIT $2)`
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, q, before, purgeChunk)
		if err != nil {
			return total, translate(err, "search events")
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < purgeChunk {
			return total, nil
		}
	}
}
