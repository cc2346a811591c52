package tasks

// The daily schedule. Several schedulers may run at once (one per node, or a restart overlapping
// the old process), and asynq's scheduler would then enqueue every tick once per scheduler. So
// nothing here enqueues work under a random ID: the scheduler's cron entries enqueue a tiny tick,
// and the tick handler, the start-up catch-up and the periodic sweep all enqueue an entry's task
// under the TaskID "<entry>:<day>". asynq refuses a second task with an ID that exists, and the
// tasks are retained for dailyRetention after they complete, so the ID keeps blocking through
// the whole day: one run per entry and day, however many schedulers, ticks or sweeps ask.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/instainstru/instainstru"
)

// dailyRetention is how long a completed daily task is kept (and its TaskID blocks a duplicate).
// It must outlast the 24 hours in which a catch-up may still ask for the same occurrence.
const dailyRetention = 48 * time.Hour

// dailyTaskOptions are the options of every task of the daily jobs.
func dailyTaskOptions(id string) []asynq.Option {
	return []asynq.Option{asynq.Queue(QueueLow), asynq.TaskID(id), asynq.Retention(dailyRetention),
		asynq.MaxRetry(5), asynq.Timeout(30 * time.Minute)}
}

// DailyEntry is one daily job of the schedule, at a wall-clock time of AnalyticsZone.
type DailyEntry struct {
	// Name is also the TaskID prefix: "<name>:<day>".
	Name         string
	Hour, Minute int
	TaskType     string
	// PayloadDay, when set, gives the day of the DailyPayload for the run of an occurrence day
	// (and that day names the task); nil: a task without payload, named by the occurrence day.
	PayloadDay func(occurrence instainstru.Date) instainstru.Date
	// Done, when set, reports whether the run of an occurrence day already happened (read from
	// the job's own results), so a catch-up does not repeat it even after Redis lost its tasks;
	// without it the retained TaskID alone prevents a repeat.
	Done func(ctx context.Context, occurrence instainstru.Date) (bool, error)
}

// DailyEntries is the daily schedule (times in America/New_York):
//
//	02:00  analytics            figures of that day (TypeAnalyticsDaily), then cache warming
//	02:30  report               the report of the day before (TypeDailyReport)
//	03:00  auto_complete        confirmed lessons that ended over AUTO_COMPLETE_AFTER ago
//	03:30  purge                idempotency keys, spent refresh tokens, relayed outbox events
//	03:45  trim_search_events   search events past their retention
func DailyEntries(store AnalyticsStore) []DailyEntry {
	same := func(d instainstru.Date) instainstru.Date { return d }
	before := func(d instainstru.Date) instainstru.Date { return d.AddDays(-1) }
	return []DailyEntry{
		{Name: "analytics", Hour: 2, Minute: 0, TaskType: TypeAnalyticsDaily, PayloadDay: same,
			Done: store.AnalyticsDone},
		{Name: "report", Hour: 2, Minute: 30, TaskType: TypeDailyReport, PayloadDay: before,
			Done: func(ctx context.Context, d instainstru.Date) (bool, error) {
				return store.DailyReportDone(ctx, before(d))
			}},
		{Name: "auto_complete", Hour: 3, Minute: 0, TaskType: TypeAutoComplete},
		{Name: "purge", Hour: 3, Minute: 30, TaskType: TypePurge},
		{Name: "trim_search_events", Hour: 3, Minute: 45, TaskType: TypeSearchEventsTrim},
	}
}

// Cron is the entry's cron spec, read in AnalyticsZone.
func (e DailyEntry) Cron() string { return fmt.Sprintf("%d %d * * *", e.Minute, e.Hour) }

// At is the instant of the entry's occurrence on day. On the spring-forward day a time inside
// the skipped hour moves forward by the gap (02:00 becomes 03:00 EDT).
func (e DailyEntry) At(day instainstru.Date) time.Time {
	t := time.Date(day.Year, day.Month, day.Day, e.Hour, e.Minute, 0, 0, dailyZone)
	if t.Hour() != e.Hour || t.Minute() != e.Minute {
		// The wall time falls in a gap, where time.Date may land either side of it; read it with
		// the offset in force before the gap, which puts it after the gap by the gap's length.
		_, before := t.Add(-12 * time.Hour).Zone()
		wall := time.Date(day.Year, day.Month, day.Day, e.Hour, e.Minute, 0, 0, time.UTC)
		t = wall.Add(-time.Duration(before) * time.Second).In(dailyZone)
	}
	return t
}

// LastOccurrence is the day of the latest occurrence at or before now.
func (e DailyEntry) LastOccurrence(now time.Time) instainstru.Date {
	d := zoneDay(now)
	if e.At(d).After(now) {
		d = d.AddDays(-1)
	}
	return d
}

// NearestOccurrence is the day of the occurrence nearest to now, before or after.
func (e DailyEntry) NearestOccurrence(now time.Time) instainstru.Date {
	best, bestGap := instainstru.Date{}, time.Duration(1<<62)
	for _, d := range []instainstru.Date{zoneDay(now).AddDays(-1), zoneDay(now), zoneDay(now).AddDays(1)} {
		gap := e.At(d).Sub(now).Abs()
		if gap < bestGap {
			best, bestGap = d, gap
		}
	}
	return best
}

// TaskID is the deterministic ID of the run of an occurrence day.
func (e DailyEntry) TaskID(occurrence instainstru.Date) string {
	if e.PayloadDay != nil {
		return e.Name + ":" + e.PayloadDay(occurrence).String()
	}
	return e.Name + ":" + occurrence.String()
}

// Task is the task of the run of an occurrence day, with its options (TaskID included).
func (e DailyEntry) Task(occurrence instainstru.Date) (*asynq.Task, []asynq.Option) {
	var payload []byte
	if e.PayloadDay != nil {
		payload, _ = json.Marshal(DailyPayload{Day: e.PayloadDay(occurrence).String()})
	}
	return asynq.NewTask(e.TaskType, payload), dailyTaskOptions(e.TaskID(occurrence))
}

// CatchUpDaily enqueues, for every entry whose latest occurrence (necessarily within the last
// 24 hours) has not run, that occurrence's task, and returns the TaskIDs it enqueued. An ID that
// already exists (queued, running, or completed and retained) is not enqueued again, so calling
// it from several schedulers at once, or every few minutes, still makes one run per occurrence.
func CatchUpDaily(ctx context.Context, q TaskEnqueuer, entries []DailyEntry, now time.Time) ([]string, error) {
	var out []string
	var errs []error
	for _, e := range entries {
		occ := e.LastOccurrence(now)
		if e.Done != nil {
			done, err := e.Done(ctx, occ)
			if err != nil {
				errs = append(errs, fmt.Errorf("catch-up %s: %w", e.Name, err))
				continue
			}
			if done {
				continue
			}
		}
		task, opts := e.Task(occ)
		_, err := q.EnqueueContext(ctx, task, opts...)
		switch {
		case err == nil:
			out = append(out, e.TaskID(occ))
		case !errors.Is(err, asynq.ErrTaskIDConflict):
			errs = append(errs, fmt.Errorf("catch-up %s: %w", e.Name, err))
		}
	}
	return out, errors.Join(errs...)
}

// ScheduleConfig configures RunDailySchedule.
type ScheduleConfig struct {
	// Redis is the job queue's Redis.
	Redis asynq.RedisConnOpt
	// Entries are the daily entries (DailyEntries(store)).
	Entries []DailyEntry
	Log     *slog.Logger
	// Now is the catch-up's clock (default time.Now); the cron ticks follow the real clock.
	Now func() time.Time
	// SweepInterval is how often the catch-up runs again after start (default 10 minutes). It
	// covers the ticks cron never fires: on the spring-forward day 02:00 and 02:30 New York time
	// do not exist, and robfig/cron (asynq's) skips such times.
	SweepInterval time.Duration
}

// RunDailySchedule runs the daily schedule until ctx ends: it catches up missed runs first, then
// runs an asynq.Scheduler (Location AnalyticsZone) whose entries enqueue a TypeDailyTick at each
// entry's time, and repeats the catch-up every SweepInterval.
func RunDailySchedule(ctx context.Context, cfg ScheduleConfig) error {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = 10 * time.Minute
	}
	client := asynq.NewClient(cfg.Redis)
	defer client.Close()
	catchUp := func() {
		ids, err := CatchUpDaily(ctx, client, cfg.Entries, cfg.Now())
		if len(ids) > 0 {
			cfg.Log.Info("daily schedule: caught up missed runs", "tasks", ids)
		}
		if err != nil && ctx.Err() == nil {
			cfg.Log.Error("daily schedule: catch-up", "err", err)
		}
	}
	catchUp()

	sched := asynq.NewScheduler(cfg.Redis, &asynq.SchedulerOpts{
		Location: dailyZone,
		LogLevel: asynq.WarnLevel,
		PostEnqueueFunc: func(info *asynq.TaskInfo, err error) {
			if err != nil {
				cfg.Log.Error("daily schedule: tick not enqueued", "err", err)
			}
		},
	})
	for _, e := range cfg.Entries {
		payload, _ := json.Marshal(DailyTickPayload{Entry: e.Name})
		if _, err := sched.Register(e.Cron(), asynq.NewTask(TypeDailyTick, payload), asynq.Queue(QueueDefault),
			asynq.MaxRetry(3)); err != nil {
			return fmt.Errorf("schedule %s: %w", e.Name, err)
		}
	}
	if err := sched.Start(); err != nil {
		return err
	}
	defer sched.Shutdown()
	cfg.Log.Info("daily schedule running", "zone", AnalyticsZone, "entries", len(cfg.Entries))
	t := time.NewTicker(cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			catchUp()
		}
	}
}
