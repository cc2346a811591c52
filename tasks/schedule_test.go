package tasks_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/tasks"
)

func clearRuns(t *testing.T) {
	t.Helper()
	db.MustExec(t, `DELETE FROM service_analytics`)
	db.MustExec(t, `DELETE FROM daily_reports`)
}

// byType counts the tasks of the low queue in state list by type, and returns their IDs.
func byType(t *testing.T, list func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error)) (map[string]int, []string) {
	t.Helper()
	infos, err := list(tasks.QueueLow, asynq.PageSize(1000))
	if errors.Is(err, asynq.ErrQueueNotFound) { // a queue nobody wrote to yet: nothing in it
		return map[string]int{}, nil
	}
	require.NoError(t, err)
	counts := map[string]int{}
	var ids []string
	for _, ti := range infos {
		counts[ti.Type]++
		ids = append(ids, ti.ID)
	}
	sort.Strings(ids)
	return counts, ids
}

func entry(name string) tasks.DailyEntry {
	for _, e := range tasks.DailyEntries(db.Store) {
		if e.Name == name {
			return e
		}
	}
	panic(name)
}

func TestOccurrences(t *testing.T) {
	loc, _ := time.LoadLocation(tasks.AnalyticsZone)
	a := entry("analytics")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	day := func(y int, m time.Month, d int) instainstru.Date { return instainstru.Date{Year: y, Month: m, Day: d} }
	require.Equal(t, day(2026, 12, 2), a.LastOccurrence(at(2026, 12, 2, 2, 0)))
	require.Equal(t, day(2026, 12, 1), a.LastOccurrence(at(2026, 12, 2, 1, 59)))
	require.Equal(t, day(2026, 12, 2), a.NearestOccurrence(at(2026, 12, 2, 1, 59)), "a worker clock a little behind")
	require.Equal(t, day(2026, 12, 2), a.NearestOccurrence(at(2026, 12, 2, 9, 0)))
	require.Equal(t, "analytics:2026-12-02", a.TaskID(day(2026, 12, 2)))
	require.Equal(t, "report:2026-12-01", entry("report").TaskID(day(2026, 12, 2)), "the report covers the day before")
	// Spring forward (2027-03-14): 02:00 does not exist; the occurrence moves to 03:00 EDT.
	require.Equal(t, at(2027, 3, 14, 3, 0), a.At(day(2027, 3, 14)))
	require.Equal(t, day(2027, 3, 14), a.LastOccurrence(at(2027, 3, 14, 3, 5)))
	require.Equal(t, "0 2 * * *", a.Cron())
}

func TestCatchUpEnqueuesOneRunPerMissedOccurrence(t *testing.T) {
	seedDemo(t)
	clearRuns(t)
	_, c, in := queue(t)
	ctx := context.Background()
	now := time.Now()
	entries := tasks.DailyEntries(db.Store)
	occ := entry("analytics").LastOccurrence(now)

	ids, err := tasks.CatchUpDaily(ctx, c, entries, now)
	require.NoError(t, err)
	require.Len(t, ids, len(entries), "nothing ran in the last 24 h: every entry once")
	require.Contains(t, ids, "analytics:"+occ.String())
	counts, _ := byType(t, in.ListPendingTasks)
	require.Equal(t, 1, counts[tasks.TypeAnalyticsDaily])
	require.Equal(t, 1, counts[tasks.TypeDailyReport])

	// Asking again, as a second scheduler or the sweep would: nothing new.
	ids, err = tasks.CatchUpDaily(ctx, c, entries, now)
	require.NoError(t, err)
	require.Empty(t, ids)
	counts, _ = byType(t, in.ListPendingTasks)
	require.Equal(t, 1, counts[tasks.TypeAnalyticsDaily])

	// With Redis emptied but the run's rows present, analytics and report are not repeated.
	_, c, in = queue(t)
	_, err = db.Store.ComputeServiceAnalytics(ctx, occ, now)
	require.NoError(t, err)
	ids, err = tasks.CatchUpDaily(ctx, c, entries, now)
	require.NoError(t, err)
	require.NotContains(t, ids, "analytics:"+occ.String())
	require.Contains(t, ids, "report:"+entry("report").LastOccurrence(now).AddDays(-1).String())
	counts, _ = byType(t, in.ListPendingTasks)
	require.Zero(t, counts[tasks.TypeAnalyticsDaily])
}

func TestTicksMakeOneTaskPerDay(t *testing.T) {
	_, c, in := queue(t)
	now := time.Now()
	mux := asynq.NewServeMux()
	tasks.RegisterDaily(mux, deps(c, func() time.Time { return now }))
	for range 3 { // three schedulers' ticks
		require.NoError(t, process(t, mux, tasks.TypeDailyTick, tasks.DailyTickPayload{Entry: "purge"}))
	}
	counts, ids := byType(t, in.ListPendingTasks)
	require.Equal(t, 1, counts[tasks.TypePurge])
	require.Equal(t, []string{"purge:" + entry("purge").NearestOccurrence(now).String()}, ids)
	require.ErrorIs(t, process(t, mux, tasks.TypeDailyTick, tasks.DailyTickPayload{Entry: "nope"}), asynq.SkipRetry)
}

// TestTwoSchedulersOneRun starts two schedulers at once with no run in the last 24 hours, then a
// worker: each missed job runs once.
func TestTwoSchedulersOneRun(t *testing.T) {
	seedDemo(t)
	clearRuns(t)
	opt, c, in := queue(t)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := tasks.ScheduleConfig{Redis: opt, Entries: tasks.DailyEntries(db.Store), Log: quiet}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := tasks.RunDailySchedule(ctx, cfg); err != nil {
				t.Errorf("scheduler: %v", err)
			}
		}()
	}
	close(start)
	t.Cleanup(func() { cancel(); wg.Wait() })
	require.Eventually(t, func() bool {
		counts, _ := byType(t, in.ListPendingTasks)
		return counts[tasks.TypeAnalyticsDaily] > 0 && counts[tasks.TypeSearchEventsTrim] > 0
	}, 10*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // both schedulers are past their catch-up
	counts, _ := byType(t, in.ListPendingTasks)
	require.Equal(t, map[string]int{tasks.TypeAnalyticsDaily: 1, tasks.TypeDailyReport: 1, tasks.TypeAutoComplete: 1,
		tasks.TypePurge: 1, tasks.TypeSearchEventsTrim: 1}, counts)

	srv := asynq.NewServer(opt, asynq.Config{Concurrency: 2, Queues: tasks.Queues, TaskCheckInterval: 20 * time.Millisecond,
		LogLevel: asynq.FatalLevel})
	mux := asynq.NewServeMux()
	tasks.RegisterDaily(mux, deps(c, time.Now))
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)
	require.Eventually(t, func() bool {
		done, _ := byType(t, in.ListCompletedTasks)
		return done[tasks.TypeAnalyticsDaily] == 1 && done[tasks.TypeDailyReport] == 1 && done[tasks.TypeWarmCache] == 1 &&
			done[tasks.TypeAutoComplete] == 1 && done[tasks.TypePurge] == 1 && done[tasks.TypeSearchEventsTrim] == 1
	}, 20*time.Second, 50*time.Millisecond)

	day := entry("analytics").LastOccurrence(time.Now())
	var runs, rows, services int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(DISTINCT calculated_at), count(*),
		(SELECT count(*) FROM service_catalog) FROM service_analytics WHERE calculated_on = $1`, day.Time()).Scan(&runs, &rows, &services))
	require.Equal(t, 1, runs, "one analytics run")
	require.Equal(t, services, rows)
	var reports int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM daily_reports`).Scan(&reports))
	require.Equal(t, 1, reports)

	// A third scheduler starting now finds everything done or retained: nothing more.
	ids, err := tasks.CatchUpDaily(context.Background(), c, tasks.DailyEntries(db.Store), time.Now())
	require.NoError(t, err)
	require.Empty(t, ids)
}
