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
	var e instainstru.Event
	var p eventPayload
	var raw []byte
	var at time.Time
	if err := row.Scan(&e.Seq, &e.Type, &at, &raw); err != nil {
		return e, err
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return e, fmt.Errorf("outbox event %d: %w", e.Seq, err)
	}
	e.InstructorID, e.BookingID, e.PreviousBookingID = p.InstructorID, p.BookingID, p.PreviousBookingID
	e.StartsAt, e.OccurredAt = p.StartsAt, cmp.Or(p.OccurredAt, at)
	return e, nil
}

// OutboxPending lists undelivered events, oldest first, optionally of one aggregate (a booking or
// an instructor's availability).
func (s *Store) OutboxPending(ctx context.Context, aggregateID string) ([]instainstru.Event, error) {
	const q = `SELECT id, task_type, process_at, payload FROM outbox
		WHERE dispatched_at IS NULL AND ($1 = '' OR aggregate_id = $1::uuid) ORDER BY id`
	rows, _ := s.pool.Query(ctx, q, aggregateID)
	return collect(rows, "outbox", scanEvent)
}
