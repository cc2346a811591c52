package persistence

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Outbox task types. The relay turns each row into a job queue task with the row's task id, so
// relaying a row twice enqueues it once.
const (
	TaskReminder               = "booking:reminder"
	TaskBookingConfirmedEmail  = "email:booking_confirmed"
	TaskBookingCancelledEmail  = "email:booking_cancelled"
	TaskInvalidateAvailability = "cache:invalidate_availability"
)

// OutboxRow is one side effect of a committed write.
type OutboxRow struct {
	TaskType    string
	TaskID      string
	AggregateID *string
	Payload     map[string]any
	ProcessAt   time.Time
}

func insertOutbox(ctx context.Context, tx pgx.Tx, rows []OutboxRow) error {
	if len(rows) == 0 {
		return nil
	}
	q, args, err := outboxInsert(rows)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, q, args...)
	return translate(err, "outbox")
}

// outboxInsert builds one INSERT of all (at least one) rows.
func outboxInsert(rows []OutboxRow) (string, []any, error) {
	types := make([]string, len(rows))
	ids := make([]string, len(rows))
	aggs := make([]*string, len(rows))
	payloads := make([]string, len(rows))
	at := make([]time.Time, len(rows))
	for i, r := range rows {
		p, err := json.Marshal(r.Payload)
		if err != nil {
			return "", nil, fmt.Errorf("outbox payload: %w", err)
		}
		types[i], ids[i], aggs[i], payloads[i] = r.TaskType, r.TaskID, r.AggregateID, string(p)
		at[i] = r.ProcessAt
		if at[i].IsZero() {
			at[i] = time.Now()
		}
	}
	const q = `
		INSERT INTO outbox (task_type, task_id, aggregate_id, payload, process_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::jsonb[], $5::timestamptz[])`
	return q, []any{types, ids, aggs, payloads, at}, nil
}

// invalidateAvailability is the outbox row that tells every API node's cache that an
// instructor's bookable time changed (the writing node also invalidates synchronously).
func invalidateAvailability(instructorID string) OutboxRow {
	return OutboxRow{
		TaskType:    TaskInvalidateAvailability,
		TaskID:      fmt.Sprintf("invalidate:%s:%s", instructorID, NewID()),
		AggregateID: &instructorID,
		Payload:     map[string]any{"instructor_id": instructorID},
	}
}

// OutboxPending lists undelivered outbox rows, oldest first (the relay and tests read it).
func (s *Store) OutboxPending(ctx context.Context, aggregateID string) ([]OutboxRow, error) {
	const q = `SELECT task_type, task_id, aggregate_id, payload, process_at FROM outbox
		WHERE dispatched_at IS NULL AND ($1 = '' OR aggregate_id = $1::uuid) ORDER BY id`
	rows, _ := s.pool.Query(ctx, q, aggregateID)
	return collect(rows, "outbox", func(row pgx.CollectableRow) (OutboxRow, error) {
		var r OutboxRow
		err := row.Scan(&r.TaskType, &r.TaskID, &r.AggregateID, &r.Payload, &r.ProcessAt)
		return r, err
	})
}
