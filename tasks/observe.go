package tasks

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/instainstru/instainstru/metrics"
)

// JobMetrics is where the jobs report what they do: the outbox backlog and relay lag, the size of
// each queue, and the outcome of every task run (cmd passes the metrics package's Jobs).
type JobMetrics interface {
	SetOutbox(backlog int, oldestAgeSeconds float64)
	SetQueue(queue string, counts map[string]int)
	TaskDone(taskType, outcome string)
}

// CountOutcomes is asynq middleware counting every task run by type and outcome: success, retry
// (asynq will run it again), failed (last attempt, or the handler refused retries), timeout.
func CountOutcomes(m JobMetrics) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			m.TaskDone(t.Type(), outcomeOf(ctx, err))
			return err
		})
	}
}

func outcomeOf(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return metrics.OutcomeSuccess
	case errors.Is(err, asynq.SkipRetry):
		return metrics.OutcomeFailed
	case errors.Is(err, context.DeadlineExceeded):
		return metrics.OutcomeTimedOut
	}
	retried, ok1 := asynq.GetRetryCount(ctx)
	most, ok2 := asynq.GetMaxRetry(ctx)
	if ok1 && ok2 && retried >= most {
		return metrics.OutcomeFailed
	}
	return metrics.OutcomeRetry
}

// OutboxGauge reads the outbox's pending events: how many, and when the oldest was recorded.
type OutboxGauge interface {
	OutboxBacklog(ctx context.Context) (pending int, oldest time.Time, err error)
}

// WatchJobs samples the outbox and every queue into m now and then every interval until ctx
// ends, so the backlog, the relay lag and the queue sizes can be scraped (and alerted on) from
// any process that serves metrics.
func WatchJobs(ctx context.Context, outbox OutboxGauge, queues *asynq.Inspector, m JobMetrics, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		SampleJobs(ctx, outbox, queues, m, log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SampleJobs records the outbox backlog and lag and every queue's sizes into m once.
func SampleJobs(ctx context.Context, outbox OutboxGauge, queues *asynq.Inspector, m JobMetrics, log *slog.Logger) {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if n, oldest, err := outbox.OutboxBacklog(sctx); err != nil {
		log.Debug("metrics: outbox backlog", "err", err)
	} else {
		lag := 0.0
		if n > 0 {
			lag = max(time.Since(oldest).Seconds(), 0)
		}
		m.SetOutbox(n, lag)
	}
	for q := range Queues {
		info, err := queues.GetQueueInfo(q)
		if err != nil {
			continue // a queue nothing was ever enqueued to does not exist yet
		}
		m.SetQueue(q, map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed})
	}
}
