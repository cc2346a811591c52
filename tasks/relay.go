package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/instainstru/instainstru"
)

// Relay moves committed events from the outbox (persistence/outbox.go) into asynq tasks. Each
// pass claims a batch of pending events with FOR UPDATE SKIP LOCKED, enqueues every task of each
// event (FanOut) with its deterministic ID, and marks the events relayed in the claim's own
// transaction. So:
//   - two relays at once (two schedulers, a restart overlapping) claim disjoint events;
//   - a relay that dies after enqueueing and before its commit leaves the events pending; the next
//     pass enqueues them again and every task ID conflicts: nothing runs twice;
//   - Redis down: the events stay pending with attempts and last_error, retried with back-off.
type Relay struct {
	deps Deps
	// Batch is how many events one pass claims (100 when zero).
	Batch int
	// Interval is the pause after a pass that found fewer than Batch events (500 ms when zero).
	Interval time.Duration
}

// NewRelay is a relay over deps.Store and deps.Client.
func NewRelay(deps Deps) *Relay { return &Relay{deps: deps} }

func (r *Relay) batch() int {
	if r.Batch > 0 {
		return r.Batch
	}
	return 100
}

// deliver enqueues every task of one event.
func (r *Relay) deliver(ctx context.Context, e instainstru.Event) error {
	jobs, err := FanOut(e, r.deps.now())
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if _, err := Enqueue(ctx, r.deps.Client, j); err != nil {
			return fmt.Errorf("event %s: %w", e.Key(), err)
		}
	}
	return nil
}

// Once runs one pass and reports how many events were relayed and how many failed.
func (r *Relay) Once(ctx context.Context) (relayed, failed int, err error) {
	// The claim holds row locks while it talks to Redis: bound the whole pass.
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return r.deps.Store.RelayOutbox(pctx, r.batch(), r.deliver)
}

// Run relays until ctx ends: a full batch is followed at once by the next pass, otherwise it
// waits Interval. Errors are logged and retried; Run returns nil when ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	interval := r.Interval
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	log := r.deps.log().With("component", "outbox-relay")
	for {
		relayed, failed, err := r.Once(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.WarnContext(ctx, "relay pass failed", "err", err)
		case failed > 0:
			log.WarnContext(ctx, "events could not be relayed; retrying with back-off", "failed", failed, "relayed", relayed)
		case relayed > 0:
			log.DebugContext(ctx, "events relayed", "relayed", relayed)
		}
		if err == nil && relayed+failed >= r.batch() {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}
