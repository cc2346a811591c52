package tasks_test

// Tests of the daily jobs against the package's fresh PostgreSQL database (testenv, main_test.go)
// and its Redis DB (the asynq queues of this package).

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence/seed"
	"github.com/instainstru/instainstru/persistence/testenv"
	"github.com/instainstru/instainstru/tasks"
)

// queue returns asynq connection options on this package's Redis DB (flushed) and a client.
func queue(t *testing.T) (asynq.RedisConnOpt, *asynq.Client, *asynq.Inspector) {
	t.Helper()
	_, url := testenv.Redis(t, redisDB)
	opt, err := asynq.ParseRedisURI(url)
	require.NoError(t, err)
	c := asynq.NewClient(opt)
	in := asynq.NewInspector(opt)
	t.Cleanup(func() { _ = c.Close(); _ = in.Close() })
	return opt, c, in
}

// demoOnce seeds the catalog and the demo data once per package run.
var demoSeeded bool

func seedDemo(t *testing.T) {
	t.Helper()
	if demoSeeded {
		return
	}
	ctx := context.Background()
	_, _, err := db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	_, err = seed.Demo(ctx, db.Store, seed.DemoOptions{PasswordHash: "not-a-login", Now: time.Now()})
	require.NoError(t, err)
	demoSeeded = true
}

func deps(c *asynq.Client, now func() time.Time) tasks.DailyDeps {
	return tasks.DailyDeps{Analytics: db.Store, Upkeep: db.Store, Queue: c, Log: quiet, Now: now}
}

func process(t *testing.T, mux *asynq.ServeMux, typ string, payload any) error {
	t.Helper()
	var raw []byte
	if payload != nil {
		var err error
		raw, err = json.Marshal(payload)
		require.NoError(t, err)
	}
	return mux.ProcessTask(context.Background(), asynq.NewTask(typ, raw))
}

func nyDay(t time.Time) instainstru.Date {
	loc, _ := time.LoadLocation(tasks.AnalyticsZone)
	return instainstru.DateOf(t.In(loc))
}

// expected is one service's figures computed by the test, independently of the job's statement.
type expected struct {
	s7, s30, b7, b30, b90, n int
	avg, p25, p50, p75       *int
	activity, activity7      float64
	pressure                 float64
	demand                   float64
	trending                 bool
}

// quartile is the continuous percentile of sorted xs (linear interpolation), rounded.
func quartile(xs []int, p float64) int {
	pos := p * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	v := float64(xs[lo]) + (pos-float64(lo))*float64(xs[hi]-xs[lo])
	return int(math.Round(v))
}

// independentFigures counts, service by service with plain aggregates, what the analytics job
// should have written for a run as of asOf.
func independentFigures(t *testing.T, asOf time.Time) map[string]*expected {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `SELECT id FROM service_catalog`)
	require.NoError(t, err)
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	day := 24 * time.Hour
	out := map[string]*expected{}
	for _, id := range ids {
		e := &expected{}
		count := func(q string, from time.Time) int {
			var n int
			require.NoError(t, db.Pool.QueryRow(ctx, q, id, from, asOf).Scan(&n))
			return n
		}
		const searches = `SELECT count(*) FROM search_events WHERE $1 = ANY (matched_service_ids) AND created_at >= $2 AND created_at < $3`
		const booked = `SELECT count(*) FROM bookings WHERE instructor_service_id IN
			(SELECT id FROM instructor_services WHERE catalog_service_id = $1)
			AND status IN ('confirmed', 'completed', 'no_show') AND created_at >= $2 AND created_at < $3`
		e.s7, e.s30 = count(searches, asOf.Add(-7*day)), count(searches, asOf.Add(-30*day))
		e.b7, e.b30, e.b90 = count(booked, asOf.Add(-7*day)), count(booked, asOf.Add(-30*day)), count(booked, asOf.Add(-90*day))
		var rates []int
		rr, err := db.Pool.Query(ctx, `SELECT o.hourly_rate_cents FROM instructor_services o, users u
			WHERE u.id = o.instructor_id AND o.catalog_service_id = $1 AND o.is_active AND u.account_status = 'active'`, id)
		require.NoError(t, err)
		defer rr.Close()
		for rr.Next() {
			var r int
			require.NoError(t, rr.Scan(&r))
			rates = append(rates, r)
		}
		require.NoError(t, rr.Err())
		sort.Ints(rates)
		e.n = len(rates)
		if e.n > 0 {
			sum := 0
			for _, r := range rates {
				sum += r
			}
			avg := int(math.Round(float64(sum) / float64(e.n)))
			p25, p50, p75 := quartile(rates, 0.25), quartile(rates, 0.5), quartile(rates, 0.75)
			e.avg, e.p25, e.p50, e.p75 = &avg, &p25, &p50, &p75
		}
		e.activity = float64(e.b30) + float64(e.s30)/10
		e.activity7 = float64(e.b7) + float64(e.s7)/10
		e.pressure = e.activity / float64(max(e.n, 1))
		e.trending = e.b7+e.s7 >= 5 && e.activity7/7 >= 1.5*e.activity/30
		out[id] = e
	}
	var maxA, maxP float64
	for _, e := range out {
		maxA, maxP = max(maxA, e.activity), max(maxP, e.pressure)
	}
	for _, e := range out {
		if maxA > 0 {
			e.demand += 0.7 * e.activity / maxA
		}
		if maxP > 0 {
			e.demand += 0.3 * e.pressure / maxP
		}
	}
	return out
}

func serviceID(t *testing.T, slug string) string {
	t.Helper()
	var id string
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT id FROM service_catalog WHERE slug = $1`, slug).Scan(&id))
	return id
}

// searchEvent inserts a search event made ago before now, matching ids.
func searchEvent(t *testing.T, now time.Time, ago time.Duration, results int, ids ...string) {
	t.Helper()
	db.MustExec(t, `INSERT INTO search_events (query, matched_service_ids, result_count, created_at) VALUES ('q', $1, $2, $3)`,
		ids, results, now.Add(-ago))
}

func TestAnalyticsEqualIndependentFigures(t *testing.T) {
	seedDemo(t)
	_, c, _ := queue(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	piano, spanish, boxing := serviceID(t, "piano"), serviceID(t, "spanish"), serviceID(t, "boxing")
	// A service nobody offers, searched mostly this week: it must trend.
	var quiet string
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT sc.id FROM service_catalog sc WHERE NOT EXISTS
		(SELECT 1 FROM instructor_services o WHERE o.catalog_service_id = sc.id) ORDER BY sc.slug LIMIT 1`).Scan(&quiet))
	h := time.Hour
	for i := range 8 {
		searchEvent(t, now, time.Duration(i+1)*10*h, 3, quiet)
	}
	searchEvent(t, now, 20*24*h, 3, quiet)
	// Spread over the month, with a duplicated id (counts once) and events outside every window.
	for i := range 30 {
		searchEvent(t, now, time.Duration(i)*24*h+h, 5, piano, spanish, piano)
	}
	searchEvent(t, now, 6*24*h+23*h, 0, boxing)
	searchEvent(t, now, 31*24*h, 0, boxing, piano)
	searchEvent(t, now, -h, 0, boxing) // after asOf: not counted

	// The job, through its handler: today's run counts up to now.
	mux := asynq.NewServeMux()
	tasks.RegisterDaily(mux, deps(c, func() time.Time { return now }))
	day := nyDay(now)
	require.NoError(t, process(t, mux, tasks.TypeAnalyticsDaily, tasks.DailyPayload{Day: day.String()}))

	want := independentFigures(t, now)
	rows, err := db.Pool.Query(ctx, `SELECT catalog_service_id, search_count_7d, search_count_30d, booking_count_7d,
		booking_count_30d, booking_count_90d, active_instructors, avg_price_cents, price_p25_cents, price_p50_cents,
		price_p75_cents, demand_score, is_trending, calculated_at FROM service_analytics WHERE calculated_on = $1`, day.Time())
	require.NoError(t, err)
	defer rows.Close()
	seen, trending, booked, priced := 0, 0, 0, 0
	for rows.Next() {
		var id string
		var g expected
		var calc time.Time
		require.NoError(t, rows.Scan(&id, &g.s7, &g.s30, &g.b7, &g.b30, &g.b90, &g.n, &g.avg, &g.p25, &g.p50, &g.p75,
			&g.demand, &g.trending, &calc))
		w := want[id]
		require.NotNil(t, w, id)
		require.Equal(t, [6]int{w.s7, w.s30, w.b7, w.b30, w.b90, w.n}, [6]int{g.s7, g.s30, g.b7, g.b30, g.b90, g.n}, id)
		require.Equal(t, w.avg, g.avg, id)
		require.Equal(t, []*int{w.p25, w.p50, w.p75}, []*int{g.p25, g.p50, g.p75}, id)
		require.InDelta(t, w.demand, g.demand, 1e-9, id)
		require.Equal(t, w.trending, g.trending, id)
		require.True(t, calc.Equal(now), "calculated_at is the run's instant")
		seen++
		if g.trending {
			trending++
		}
		if g.b90 > 0 {
			booked++
		}
		if g.avg != nil {
			priced++
		}
	}
	require.NoError(t, rows.Err())
	require.Equal(t, len(want), seen, "one row per catalog service")
	// The data exercises every figure.
	require.True(t, want[quiet].trending, "the service searched this week trends")
	require.Positive(t, trending)
	require.Positive(t, booked)
	require.Positive(t, priced)
	require.Equal(t, 30, want[piano].s30)
	require.Equal(t, 1, want[boxing].s7)

	// Recomputing the day replaces its rows: a later run sees a new event.
	searchEvent(t, now, 0, 1, boxing) // created at now: before the next asOf
	later := now.Add(time.Minute)
	mux2 := asynq.NewServeMux()
	tasks.RegisterDaily(mux2, deps(c, func() time.Time { return later }))
	require.NoError(t, process(t, mux2, tasks.TypeAnalyticsRecalc, tasks.DailyPayload{Day: day.String()}))
	var n, s7 int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*), sum(search_count_7d) FILTER (WHERE catalog_service_id = $2)
		FROM service_analytics WHERE calculated_on = $1`, day.Time(), boxing).Scan(&n, &s7))
	require.Equal(t, len(want), n)
	require.Equal(t, 2, s7)

	// The figures are what GET /analytics/services/{id} and the popularity ranking read.
	_, a, err := db.Store.CatalogServiceDetail(ctx, "piano")
	require.NoError(t, err)
	require.NotNil(t, a)
	require.Equal(t, want[piano].s30, a.SearchCount30d)
	require.True(t, a.CalculatedAt.Equal(later))

	// A malformed or future day is refused without retry.
	require.ErrorIs(t, process(t, mux, tasks.TypeAnalyticsDaily, tasks.DailyPayload{Day: "2026-13-01"}), asynq.SkipRetry)
	require.ErrorIs(t, process(t, mux, tasks.TypeAnalyticsDaily, tasks.DailyPayload{Day: day.AddDays(2).String()}), asynq.SkipRetry)
}

func TestDailyReport(t *testing.T) {
	seedDemo(t)
	_, c, _ := queue(t)
	ctx := context.Background()
	now := time.Now()
	day := nyDay(now).AddDays(-1)
	loc, _ := time.LoadLocation(tasks.AnalyticsZone)
	from := time.Date(day.Year, day.Month, day.Day, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 1)
	searchEvent(t, to, 2*time.Hour, 0, serviceID(t, "piano"))
	searchEvent(t, to, 3*time.Hour, 4, serviceID(t, "piano"))
	searchEvent(t, to, -time.Minute, 4, serviceID(t, "piano")) // the next day

	mux := asynq.NewServeMux()
	tasks.RegisterDaily(mux, deps(c, func() time.Time { return now }))
	require.NoError(t, process(t, mux, tasks.TypeDailyReport, tasks.DailyPayload{Day: day.String()}))
	require.NoError(t, process(t, mux, tasks.TypeDailyReport, tasks.DailyPayload{Day: day.String()}))
	var n int
	var raw []byte
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) OVER (), summary FROM daily_reports WHERE day = $1`, day.Time()).Scan(&n, &raw))
	require.Equal(t, 1, n, "a second run replaces the day's report")
	var sum map[string]any
	require.NoError(t, json.Unmarshal(raw, &sum))
	var created, searches int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM bookings WHERE created_at >= $1 AND created_at < $2),
		(SELECT count(*) FROM search_events WHERE created_at >= $1 AND created_at < $2)`, from, to).Scan(&created, &searches))
	require.EqualValues(t, created, sum["bookings_created"])
	require.EqualValues(t, searches, sum["searches"])
	require.GreaterOrEqual(t, searches, 2)
	require.GreaterOrEqual(t, sum["zero_result_searches"], float64(1))
	for _, k := range []string{"bookings_cancelled", "late_cancellations", "lessons_completed", "no_shows", "booked_cents",
		"new_students", "new_instructors", "analytics_day", "top_services", "trending_services"} {
		require.Contains(t, sum, k)
	}
	// Today is not over: its report is refused without retry.
	require.ErrorIs(t, process(t, mux, tasks.TypeDailyReport, tasks.DailyPayload{Day: nyDay(now).String()}), asynq.SkipRetry)
}
