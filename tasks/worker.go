package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hibiken/asynq"
)

// handlers are the booking job handlers of NewMux, sharing Deps.
type handlers struct {
	deps Deps
}

// NewMux registers the booking jobs' handlers: emails, reminders, cache invalidation, the
// reminder sweep and the on-demand outbox relay. The daily jobs register theirs on the same mux
// (RegisterDaily); cmd calls both.
func NewMux(deps Deps) *asynq.ServeMux {
	h := &handlers{deps: deps}
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeBookingEmail, h.handleBookingEmail)
	mux.HandleFunc(TypeReminder, h.handleReminder)
	mux.HandleFunc(TypeInvalidateCache, h.handleInvalidate)
	mux.HandleFunc(TypeReminderSweep, h.handleSweep)
	mux.HandleFunc(TypeRelayOutbox, h.handleRelay)
	return mux
}

// handleInvalidate drops an instructor's cached calendar (TypeInvalidateCache). The actor that
// committed the change already invalidated its own node; this reaches the rest, and covers a
// writer that died before it could.
func (h *handlers) handleInvalidate(ctx context.Context, t *asynq.Task) error {
	var p InvalidatePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.InstructorID == "" {
		return permanent("invalidate payload %q: %v", t.Payload(), err)
	}
	if h.deps.Cache != nil {
		h.deps.Cache.AvailabilityChanged(ctx, p.InstructorID)
	}
	return nil
}

// handleSweep runs the reminder sweep (TypeReminderSweep).
func (h *handlers) handleSweep(ctx context.Context, _ *asynq.Task) error {
	res, err := NewSweeper(h.deps).Sweep(ctx)
	if err != nil {
		return err
	}
	h.deps.log().InfoContext(ctx, "reminder sweep", "lessons", res.Lessons, "restored", res.Restored,
		"present", res.Present, "reclaimed", res.Reclaimed)
	return nil
}

// handleRelay runs relay passes until the outbox is drained (TypeRelayOutbox): a catch-up for
// when no scheduler is running its relay loop.
func (h *handlers) handleRelay(ctx context.Context, _ *asynq.Task) error {
	r := NewRelay(h.deps)
	for {
		relayed, failed, err := r.Once(ctx)
		if err != nil {
			return err
		}
		if relayed+failed < r.batch() {
			return nil
		}
	}
}

// ServerConfig tunes NewServer.
type ServerConfig struct {
	// Concurrency is how many tasks run at once (10 when zero).
	Concurrency int
	// ShutdownTimeout is how long a stopping worker waits for running tasks (30 s when zero);
	// longer than one email send, so a graceful stop never leaves a claim behind.
	ShutdownTimeout time.Duration
	// DelayedTaskCheckInterval is how often scheduled tasks (reminders) are moved to their queue
	// when due (1 s when zero: reminders fire within a second of their time).
	DelayedTaskCheckInterval time.Duration
	Log                      *slog.Logger
}

// NewServer is the asynq server of `instainstru worker`: the weighted Queues, slog logging, a
// graceful shutdown timeout, and an error log of every failed task.
func NewServer(redis asynq.RedisConnOpt, cfg ServerConfig) *asynq.Server {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 10
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.DelayedTaskCheckInterval <= 0 {
		cfg.DelayedTaskCheckInterval = time.Second
	}
	return asynq.NewServer(redis, asynq.Config{
		Concurrency:              cfg.Concurrency,
		Queues:                   Queues,
		ShutdownTimeout:          cfg.ShutdownTimeout,
		DelayedTaskCheckInterval: cfg.DelayedTaskCheckInterval,
		Logger:                   slogAdapter{log.With("component", "asynq")},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			log.WarnContext(ctx, "task failed", "type", t.Type(), "task_id", id, "err", err)
		}),
	})
}

// slogAdapter lets asynq log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)); os.Exit(1) } // asynq's contract
