package persistence

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/instainstru/instainstru"
)

// ClaimNotification records n as being sent now ("sending") and reports whether this caller won
// the claim and must send it. It wins when no row has n's dedupe key yet, when the row's last send
// failed, or when the row has been "sending" for longer than lease (the claimer died mid-send).
// Otherwise, the notification was sent, logged, or is being sent by a live claimer: the caller
// sends nothing. The claim is one INSERT ... ON CONFLICT DO UPDATE ... WHERE statement, so two
// workers racing for one key serialize on the unique index and exactly one wins.
func (s *Store) ClaimNotification(ctx context.Context, n *instainstru.Notification, lease time.Duration) (bool, error) {
	const q = `
		INSERT INTO notification_log (dedupe_key, user_id, booking_id, kind, recipient, subject, body, status, claimed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', now())
		ON CONFLICT (dedupe_key) DO UPDATE SET status = 'sending', claimed_at = now(), error = NULL,
			recipient = EXCLUDED.recipient, subject = EXCLUDED.subject, body = EXCLUDED.body,
			attempts = notification_log.attempts + 1
		WHERE notification_log.status = 'failed'
		   OR (notification_log.status = 'sending' AND notification_log.claimed_at < now() - make_interval(secs => $8))
		RETURNING id`
	var id int64
	err := s.pool.QueryRow(ctx, q, n.DedupeKey, nullID(n.UserID), nullID(n.BookingID), n.Kind, n.Recipient,
		truncate(n.Subject, 300), n.Body, lease.Seconds()).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, translate(err, "notification")
	}
	return true, nil
}

// FinishNotification records the outcome of a claimed send: sent, logged or failed (with the
// error text). It only changes a row that is still "sending".
func (s *Store) FinishNotification(ctx context.Context, dedupeKey string, status instainstru.NotificationStatus, errText string) error {
	const q = `UPDATE notification_log SET status = $2::text, error = nullif($3::text, ''),
		sent_at = CASE WHEN $2::text IN ('sent', 'logged') THEN now() END
		WHERE dedupe_key = $1 AND status = 'sending'`
	_, err := s.pool.Exec(ctx, q, dedupeKey, string(status), errText)
	return translate(err, "notification")
}

// Notification reads one notification_log row by its dedupe key.
func (s *Store) Notification(ctx context.Context, dedupeKey string) (*instainstru.Notification, error) {
	const q = `SELECT dedupe_key, coalesce(user_id::text, ''), coalesce(booking_id::text, ''), kind, recipient,
		subject, body, status, claimed_at, attempts FROM notification_log WHERE dedupe_key = $1`
	rows, _ := s.pool.Query(ctx, q, dedupeKey)
	ns, err := collect(rows, "notification", scanNotification)
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, instainstru.Errorf(instainstru.CodeNotFound, "notification not found")
	}
	return &ns[0], nil
}

// StuckNotifications lists up to limit notifications that have been "sending" for longer than
// lease, oldest claim first: their claimer died between the claim and the outcome, and the sweep
// queues their task again.
func (s *Store) StuckNotifications(ctx context.Context, lease time.Duration, limit int) ([]instainstru.Notification, error) {
	const q = `SELECT dedupe_key, coalesce(user_id::text, ''), coalesce(booking_id::text, ''), kind, recipient,
		subject, body, status, claimed_at, attempts FROM notification_log
		WHERE status = 'sending' AND claimed_at < now() - make_interval(secs => $1)
		ORDER BY claimed_at LIMIT $2`
	rows, _ := s.pool.Query(ctx, q, lease.Seconds(), limit)
	return collect(rows, "notifications", scanNotification)
}

func scanNotification(row pgx.CollectableRow) (instainstru.Notification, error) {
	var n instainstru.Notification
	var status string
	err := row.Scan(&n.DedupeKey, &n.UserID, &n.BookingID, &n.Kind, &n.Recipient, &n.Subject, &n.Body, &status,
		&n.ClaimedAt, &n.Attempts)
	n.Status = instainstru.NotificationStatus(status)
	return n, err
}

// UpcomingLessons pages through confirmed bookings starting after from, in (starts_at, id) order
// after the position (afterStart, afterID) (zero values: from the first), at most limit rows.
// The reminder sweep rebuilds every reminder from it.
func (s *Store) UpcomingLessons(ctx context.Context, from time.Time, afterStart time.Time, afterID string, limit int) ([]instainstru.UpcomingLesson, error) {
	if afterStart.Before(from) {
		afterStart, afterID = from, ""
	}
	const q = `SELECT id, starts_at FROM bookings
		WHERE status = 'confirmed' AND starts_at > $1 AND (starts_at, id) > ($2, coalesce(nullif($3, '')::uuid, '00000000-0000-0000-0000-000000000000'))
		ORDER BY starts_at, id LIMIT $4`
	rows, _ := s.pool.Query(ctx, q, from, afterStart, afterID, limit)
	return collect(rows, "bookings", func(row pgx.CollectableRow) (instainstru.UpcomingLesson, error) {
		var l instainstru.UpcomingLesson
		err := row.Scan(&l.BookingID, &l.StartsAt)
		l.StartsAt = l.StartsAt.UTC()
		return l, err
	})
}

// nullID is nil for an empty or malformed id (the column is a nullable uuid).
func nullID(id string) any {
	if !ValidID(id) {
		return nil
	}
	return id
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// ReleaseStaleNotification drops the claim of an email nobody will send any more (its booking
// changed since it was claimed), when that claim is older than lease, i.e. its sender is taken
// for dead. A live claim is left to its sender.
func (s *Store) ReleaseStaleNotification(ctx context.Context, dedupeKey string, lease time.Duration) error {
	const q = `DELETE FROM notification_log WHERE dedupe_key = $1 AND status = 'sending'
		AND claimed_at < now() - make_interval(secs => $2)`
	_, err := s.pool.Exec(ctx, q, dedupeKey, lease.Seconds())
	return translate(err, "notification")
}
