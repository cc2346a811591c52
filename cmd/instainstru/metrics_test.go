package main

// The deploy check: every metric the ready-made alert rules (deploy/prometheus/alerts.yml) and
// the Grafana dashboard (deploy/grafana/instainstru.json) use must be served by GET /metrics of a
// server wired like `instainstru serve` (real PostgreSQL, Redis DB 14, actors, cache, search).

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/metrics"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/persistence/testenv"
	"github.com/instainstru/instainstru/tasks"
)

// redisDB is this package's Redis DB number (testenv shifts it by TEST_REDIS_DB_OFFSET).
const redisDB = 14

// promQLNames extracts the metric names a PromQL expression reads. PromQL has no reserved
// characters inside strings or label matchers that could hide a name from this reading: strings,
// {…} matchers, [range] selectors and by/without/on/ignoring/group_* label lists are dropped
// first, then every identifier not followed by "(" (a function or aggregation) and not a keyword
// is a metric name.
func promQLNames(expr string) []string {
	s := regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`+"`[^`]*`").ReplaceAllString(expr, `""`)
	s = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(s, " ")
	s = regexp.MustCompile(`\[[^\]]*\]`).ReplaceAllString(s, " ")
	s = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`).ReplaceAllString(s, " ")
	s = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?`).ReplaceAllString(s, " ") // Grafana variables
	keywords := map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
		"group_right": true, "bool": true, "and": true, "or": true, "unless": true, "offset": true, "inf": true, "nan": true}
	var out []string
	for _, m := range regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`).FindAllStringIndex(s, -1) {
		tok := s[m[0]:m[1]]
		if strings.HasSuffix(tok, "(") {
			continue
		}
		if m[0] > 0 && (s[m[0]-1] >= '0' && s[m[0]-1] <= '9' || s[m[0]-1] == '.') {
			continue // the unit of a duration or the exponent of a number (5m, 1e3)
		}
		if keywords[strings.ToLower(tok)] {
			continue
		}
		out = append(out, tok)
	}
	return out
}

func TestPromQLNames(t *testing.T) {
	got := promQLNames(`histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{route!~"x|y", s="5xx"}[5m]))) > 0.5
		and on (instance) b_total offset 1h / ignoring(code) c{q="d"} > 1e3 unless up == bool 0 and $__all_x{i=~"$instance"}`)
	sort.Strings(got)
	require.Equal(t, []string{"a_bucket", "b_total", "c", "up"}, got)
}

// ruleMetricNames reads every alert and recording rule expression of a rule file.
func ruleMetricNames(t *testing.T, path string) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert, Record, Expr string
			}
		}
	}
	require.NoError(t, yaml.Unmarshal(raw, &f))
	names := map[string][]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Expr, "rule %s%s has no expr", r.Alert, r.Record)
			for _, n := range promQLNames(r.Expr) {
				names[n] = append(names[n], "alert "+r.Alert+r.Record)
			}
		}
	}
	return names
}

// dashboardMetricNames reads every query of a Grafana dashboard (panel targets, rows' panels,
// template variables).
func dashboardMetricNames(t *testing.T, path string) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc any
	require.NoError(t, json.Unmarshal(raw, &doc), "the dashboard is not valid JSON")
	names := map[string][]string{}
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if title, ok := x["title"].(string); ok {
				where = title
			}
			for k, val := range x {
				if s, ok := val.(string); ok && (k == "expr" || k == "definition") {
					// Grafana's label_values(metric, label): only the first argument is a series.
					s = labelValues.ReplaceAllString(s, "($1)")
					for _, n := range promQLNames(s) {
						names[n] = append(names[n], "panel "+where)
					}
					continue
				}
				walk(where, val)
			}
		case []any:
			for _, e := range x {
				walk(where, e)
			}
		}
	}
	walk("", doc)
	return names
}

var labelValues = regexp.MustCompile(`label_values\(([^,)]*)(?:,[^)]*)?\)`)

// prometheusOwn are series Prometheus itself adds to every scrape; nothing serves them.
var prometheusOwn = map[string]bool{"up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true}

func TestDeployRulesUseServedMetrics(t *testing.T) {
	rules := ruleMetricNames(t, "../../deploy/prometheus/alerts.yml")
	dash := dashboardMetricNames(t, "../../deploy/grafana/instainstru.json")
	require.Greater(t, len(rules), 10, "the rule file reads fewer metrics than it does today: is it parsed?")
	require.Greater(t, len(dash), 25, "the dashboard reads fewer metrics than it does today: is it parsed?")

	served := scrapeServedNames(t)
	for _, src := range []map[string][]string{rules, dash} {
		for name, where := range src {
			if prometheusOwn[name] {
				continue
			}
			require.Truef(t, served[name], "%s (used by %s) is not served by GET /metrics", name, where[0])
		}
	}
	// The check can fail: a misspelt name is not served.
	require.False(t, served["instainstru_http_request_total"])
}

// scrapeServedNames starts a server wired like cmd's serve (stores, Redis cache, actors, search,
// the metrics Set watching them), sends a few requests so the labelled series exist, and returns
// the sample names of its GET /metrics.
func scrapeServedNames(t *testing.T) map[string]bool {
	t.Helper()
	ctx := context.Background()
	db, err := testenv.NewDatabase("cmd_metrics")
	require.NoError(t, err)
	t.Cleanup(db.Close)
	_, _, err = db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	_, redisURL := testenv.Redis(t, redisDB)
	rdb, err := cache.Dial(redisURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rdb.Close() })

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rc := cache.New(rdb, cache.DefaultConfig())
	t.Cleanup(func() { _ = rc.Close() })
	cached := cache.NewStores(rc, db.Store)
	engine, rec, err := newSearch(ctx, &Config{EmbeddingsProvider: "builtin", AvailabilityHorizonDays: 365}, log, db.Store)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rec.Close(context.Background()) })
	dir := actors.NewDirectory(db.Store, actors.Config{Log: log})
	t.Cleanup(dir.Shutdown)
	latest, err := persistence.LatestMigration()
	require.NoError(t, err)

	set := metrics.New()
	watchComponents(set, rc, dir, db.Store, rec)
	srv := api.New(api.DefaultConfig(), api.Deps{Log: log, Health: db.Store, LatestMigration: latest,
		Catalog: cached.Catalog, Instructors: cached.Instructors, Public: cached.Public, Search: engine, Metrics: set})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	base := "http://" + ln.Addr().String()
	get := func(path string) (int, string) {
		res, err := http.Get(base + path)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}
	for _, p := range []string{"/healthz", "/readyz", "/api/v1/catalog/categories", "/api/v1/catalog/categories",
		"/api/v1/search/instructors?q=piano+lessons", "/api/v1/catalog/services/no-such-service"} {
		get(p)
	}
	// The job metrics, fed by the jobs code as serve and the worker feed them: a task enqueued and
	// run through the worker's outcome middleware, then one sample of the outbox and the queues.
	ropt, err := asynq.ParseRedisURI(redisURL)
	require.NoError(t, err)
	qc := asynq.NewClient(ropt)
	t.Cleanup(func() { _ = qc.Close() })
	_, err = qc.Enqueue(asynq.NewTask(tasks.TypeReminderSweep, nil), asynq.Queue(tasks.QueueDefault))
	require.NoError(t, err)
	counted := tasks.CountOutcomes(set.Jobs)(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil }))
	require.NoError(t, counted.ProcessTask(ctx, asynq.NewTask(tasks.TypeReminderSweep, nil)))
	insp := asynq.NewInspector(ropt)
	t.Cleanup(func() { _ = insp.Close() })
	tasks.SampleJobs(ctx, db.Store, insp, set.Jobs, log)

	status, body := get("/metrics")
	require.Equal(t, 200, status)
	served := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name := line
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name = line[:i]
		}
		served[name] = true
	}
	// The server really was wired: request, cache, actor, pool and search series are there.
	for _, n := range []string{"instainstru_http_requests_total", "instainstru_cache_hits_total", "instainstru_actors_live",
		"instainstru_db_pool_max_conns", "instainstru_search_duration_seconds_bucket", "instainstru_search_events_dropped_total"} {
		require.True(t, served[n], n)
	}
	return served
}
