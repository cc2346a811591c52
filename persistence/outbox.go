package persistence

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/instainstru/instainstru"
)

// The outbox holds one row per committed change (instainstru.Event), written in the change's own
// transaction. Columns: task_type is the event type, task_id its deterministic key, aggregate_id
// the booking (or the instructor for availability events), payload the typed eventPayload.

// eventPayload is the stored JSON of an event: a versioned, typed shape (the relay decodes it
// into the same struct), ids and instants only.
type eventPayload struct {
	V                 int       `json:"v"`
	InstructorID      string    `json:"instructor_id"`
	BookingID         string    `json:"booking_id,omitempty"`
	PreviousBookingID string    `json:"previous_booking_id,omitempty"`
	StartsAt          time.Time `json:"starts_at,omitzero"`
	OccurredAt        time.Time `json:"occurred_at,omitzero"`
}

// outboxInsert builds the INSERT of one event.
func outboxInsert(e instainstru.Event) (string, []any, error) {
	p, err := json.Marshal(eventPayload{V: 1, InstructorID: e.InstructorID, BookingID: e.BookingID,
		PreviousBookingID: e.PreviousBookingID, StartsAt: e.StartsAt.UTC(), OccurredAt: e.OccurredAt.UTC()})
	if err != nil {
		return "", nil, fmt.Errorf("outbox payload: %w", err)
	}
	agg := e.BookingID
	if agg == "" {
		agg = e.InstructorID
	}
	// An event without an occurrence time (availability changes) takes the commit's clock.
	const q = `INSERT INTO outbox (task_type, task_id, aggregate_id, payload, process_at)
		VALUES ($1, $2, $3, $4, coalesce($5, now()))`
	var at *time.Time
	if !e.OccurredAt.IsZero() {
		at = &e.OccurredAt
	}
	return q, []any{string(e.Type), e.Key(), agg, p, at}, nil
}

func insertOutbox(ctx context.Context, tx pgx.Tx, e instainstru.Event) error {
	q, args, err := outboxInsert(e)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, q, args...)
	return translate(err, "outbox")
}

// scanEvent reads (id, task_type, process_at, payload) into an event.
func scanEvent(row pgx.CollectableRow) (instainstru.Event, error) {
	var seq int64
	var t instainstru.EventType
	var raw []byte
	var at time.Time
	if err := row.Scan(&seq, &t, &at, &raw); err != nil {
		return instainstru.Event{}, err
	}
	return decodeEvent(seq, t, at, raw)
}

// OutboxPending lists undelivered events, oldest first, optionally of one aggregate (a booking or
// an instructor's availability).
func (s *Store) OutboxPending(ctx context.Context, aggregateID string) ([]instainstru.Event, error) {
	const q = `SELECT id, task_type, process_at, payload FROM outbox
		WHERE dispatched_at IS NULL AND ($1 = '' OR aggregate_id = $1::uuid) ORDER BY id`
	rows, _ := s.pool.Query(ctx, q, aggregateID)
	return collect(rows, "outbox", scanEvent)
}

// RelayOutbox claims up to limit pending events (oldest first, skipping events whose retry time
// has not come) with FOR UPDATE SKIP LOCKED, hands each to deliver, and in the same transaction
// marks the delivered ones relayed (dispatched_at) and records the failures (attempts, last_error,
// retry_at with exponential back-off capped at five minutes). Two relays running at once claim
// disjoint events; an event is marked relayed only after deliver returned nil, so a relay that
// dies mid-batch leaves its events pending (the lock goes with its connection) and the next pass
// delivers them again: deliver must be idempotent (deterministic task ids). A stored payload that
// does not decode counts as a failed delivery of that event only. It returns how many events were
// relayed and how many failed (kept pending).
func (s *Store) RelayOutbox(ctx context.Context, limit int, deliver func(context.Context, instainstru.Event) error) (relayed, failed int, err error) {
	err = s.inTx(ctx, "outbox", func(tx pgx.Tx) error {
		relayed, failed = 0, 0
		const claim = `SELECT id, task_type, process_at, payload FROM outbox
			WHERE dispatched_at IS NULL AND (retry_at IS NULL OR retry_at <= now())
			ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`
		rows, _ := tx.Query(ctx, claim, limit)
		type claimed struct {
			seq int64
			ev  instainstru.Event
			err error
		}
		batch, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (claimed, error) {
			var c claimed
			var raw []byte
			var at time.Time
			if err := row.Scan(&c.seq, &c.ev.Type, &at, &raw); err != nil {
				return c, err
			}
			c.ev, c.err = decodeEvent(c.seq, c.ev.Type, at, raw)
			return c, nil
		})
		if err != nil {
			return err
		}
		var done, bad []int64
		var reasons []string
		for _, c := range batch {
			if c.err == nil {
				c.err = deliver(ctx, c.ev)
			}
			if c.err != nil {
				bad, reasons = append(bad, c.seq), append(reasons, c.err.Error())
				continue
			}
			done = append(done, c.seq)
		}
		if len(done) > 0 {
			const mark = `UPDATE outbox SET dispatched_at = now(), attempts = attempts + 1, last_error = NULL, retry_at = NULL
				WHERE id = ANY($1)`
			if _, err := tx.Exec(ctx, mark, done); err != nil {
				return err
			}
		}
		if len(bad) > 0 {
			const fail = `UPDATE outbox o SET attempts = o.attempts + 1, last_error = f.reason,
				retry_at = clock_timestamp() + least(interval '5 minutes', interval '1 second' * power(2, least(o.attempts, 12)))
				FROM unnest($1::bigint[], $2::text[]) AS f(id, reason) WHERE o.id = f.id`
			if _, err := tx.Exec(ctx, fail, bad, reasons); err != nil {
				return err
			}
		}
		relayed, failed = len(done), len(bad)
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return relayed, failed, nil
}

// decodeEvent turns a stored row into an event.
func decodeEvent(seq int64, t instainstru.EventType, at time.Time, raw []byte) (instainstru.Event, error) {
	e := instainstru.Event{Seq: seq, Type: t}
	var p eventPayload
	if err := json.Unmarshal(raw, &p); err != nil {
		return e, fmt.Errorf("outbox event %d: %w", seq, err)
	}
	e.InstructorID, e.BookingID, e.PreviousBookingID = p.InstructorID, p.BookingID, p.PreviousBookingID
	e.StartsAt, e.OccurredAt = p.StartsAt, cmp.Or(p.OccurredAt, at)
	return e, nil
}

// PurgeRelayedOutbox deletes events relayed at or before before (a periodic job calls it with
// now minus the retention, e.g. seven days), in chunks, and returns how many went. Pending events
// are never deleted, however old.
func (s *Store) PurgeRelayedOutbox(ctx context.Context, before time.Time) (int64, error) {
	const q = `DELETE FROM outbox WHERE id IN (
		SELECT id FROM outbox WHERE dispatched_at IS NOT NULL AND dispatched_at <= $1 ORDER BY dispatched_at LIMIT $2)`
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, q, before, purgeChunk)
		if err != nil {
			return total, translate(err, "outbox")
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < purgeChunk {
			return total, nil
		}
	}
}

// OutboxBacklog counts the events not yet relayed and returns when the oldest was recorded
// (zero when there is none): the relay's backlog and lag, for metrics.
func (s *Store) OutboxBacklog(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM outbox WHERE dispatched_at IS NULL`).Scan(&n, &oldest)
	if err != nil || oldest == nil {
		return n, time.Time{}, translate(err, "outbox")
	}
	return n, *oldest, nil
}
