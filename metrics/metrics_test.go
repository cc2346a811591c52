package metrics

import (
	"errors"
	"math"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// declaredCollectors walks a Set's fields (and the fields of the structs they point to) and
// returns every prometheus.Collector found, by field path.
func declaredCollectors(t *testing.T, s *Set) map[string]prometheus.Collector {
	t.Helper()
	collectorType := reflect.TypeOf((*prometheus.Collector)(nil)).Elem()
	out := map[string]prometheus.Collector{}
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			t.Fatalf("%s is nil: New must build every declared metric", path)
		}
		if v.Type().Implements(collectorType) && v.Type() != reflect.TypeOf(s.Registry) {
			out[path] = v.Interface().(prometheus.Collector)
			return
		}
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			walk(path+"."+f.Name, v.Field(i))
		}
	}
	walk("Set", reflect.ValueOf(s))
	return out
}

// TestEveryDeclaredMetricIsRegistered fails when a collector is declared in the Set (a field of
// it or of one of its groups) but New never registered it: such a metric would be fed and never
// served. Registering it again must report it as already registered.
func TestEveryDeclaredMetricIsRegistered(t *testing.T) {
	s := New()
	cs := declaredCollectors(t, s)
	// The groups of the Set as built today: the walk must find at least these, so the test cannot
	// pass by finding nothing.
	for _, want := range []string{"Set.HTTP.Requests", "Set.HTTP.Duration", "Set.HTTP.Problems", "Set.HTTP.InFlight",
		"Set.Search.Duration", "Set.Jobs.OutboxBacklog", "Set.Jobs.RelayLag", "Set.Jobs.QueueTasks", "Set.Jobs.TaskOutcomes",
		"Set.Cache", "Set.Actors", "Set.Pool", "Set.SearchEvents"} {
		require.Contains(t, cs, want)
	}
	for path, c := range cs {
		err := s.Registry.Register(c)
		var are prometheus.AlreadyRegisteredError
		require.Truef(t, errors.As(err, &are), "%s is declared but not registered in New (Register said %v)", path, err)
	}
	// And a collector that was never registered is told apart (the check can fail).
	stray := prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "stray_total", Help: "x"})
	require.NoError(t, s.Registry.Register(stray))
}

// TestServedNames scrapes a Set whose every source is set and checks the names the deploy rules
// rely on are served with their types (the full check against the rule files is in cmd).
func TestServedNames(t *testing.T) {
	s := New()
	s.Cache.Watch(func() CacheFigures { return CacheFigures{Hits: 3, Misses: 1, Breaker: BreakerOpen, BreakerOpens: 2} })
	s.Actors.Watch(func() ActorFigures { return ActorFigures{Live: 2, Activated: 5, AskTimeouts: 1} })
	s.Pool.Watch(func() PoolFigures {
		return PoolFigures{Acquired: 1, Idle: 3, Total: 4, Max: 20, Acquires: 9, AcquireDuration: 1500 * time.Millisecond}
	})
	s.SearchEvents.Watch(func() SearchEventFigures { return SearchEventFigures{Written: 7, Dropped: 1} })
	s.HTTP.Requests.WithLabelValues("GET", "/healthz", "2xx").Inc()
	s.HTTP.Duration.WithLabelValues("GET", "/healthz", "2xx").Observe(0.001)
	s.HTTP.Problems.WithLabelValues("not_found").Inc()
	s.Search.Duration.WithLabelValues("service").Observe(0.004)
	s.Jobs.SetOutbox(12, 3.5)
	s.Jobs.SetQueue("default", map[string]int{"pending": 4})
	s.Jobs.TaskDone("reminder:send", OutcomeSuccess)

	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	body := rec.Body.String()
	for _, line := range []string{
		`instainstru_cache_breaker_state 2`,
		`instainstru_cache_hits_total 3`,
		`instainstru_actors_live 2`,
		`instainstru_actors_ask_timeouts_total 1`,
		`instainstru_db_pool_max_conns 20`,
		`instainstru_db_pool_acquire_seconds_total 1.5`,
		`instainstru_search_events_dropped_total 1`,
		`instainstru_http_requests_total{method="GET",route="/healthz",status_class="2xx"} 1`,
		`instainstru_http_problems_total{code="not_found"} 1`,
		`instainstru_search_duration_seconds_count{match_kind="service"} 1`,
		`instainstru_outbox_backlog 12`,
		`instainstru_outbox_relay_lag_seconds 3.5`,
		`instainstru_asynq_queue_tasks{queue="default",state="pending"} 4`,
		`instainstru_asynq_queue_tasks{queue="default",state="archived"} 0`,
		`instainstru_task_outcomes_total{outcome="success",type="reminder:send"} 1`,
		`# TYPE instainstru_http_request_duration_seconds histogram`,
		`# TYPE instainstru_cache_misses_total counter`,
		`go_goroutines `,
	} {
		require.Contains(t, body, line)
	}
	if runtime.GOOS == "linux" { // the process collector reads /proc
		require.Contains(t, body, "process_cpu_seconds_total")
	}

	// Without sources the scrape-time metrics are absent, not zero.
	bare := httptest.NewRecorder()
	New().Handler().ServeHTTP(bare, httptest.NewRequest("GET", "/metrics", nil))
	require.NotContains(t, bare.Body.String(), "instainstru_cache_hits_total")
	require.Contains(t, bare.Body.String(), "instainstru_outbox_backlog 0")
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{200: "2xx", 204: "2xx", 304: "3xx", 404: "4xx", 503: "5xx", 101: "1xx", 0: "other", 600: "other", 99: "other"} {
		require.Equal(t, want, StatusClass(status), "status %d", status)
	}
}

func TestDistributionQuantile(t *testing.T) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "q", Help: "q", Buckets: []float64{0.001, 0.01, 0.1, 1}})
	var d Distribution
	require.Zero(t, d.Quantile(0.5))
	require.Zero(t, d.Max())
	// 90 observations of 0.5 ms, 10 of 50 ms.
	for i := 0; i < 90; i++ {
		h.Observe(0.0005)
	}
	for i := 0; i < 10; i++ {
		h.Observe(0.05)
	}
	d.Add(h)
	require.EqualValues(t, 100, d.Total)
	// Rank 50 falls in the first bucket (0..1 ms, 90 observations): 50/90 of the way.
	require.InDelta(t, 0.001*50.0/90.0, d.Quantile(0.5), 1e-9)
	// Rank 99 falls in (10 ms, 100 ms], which holds observations 91..100: 9/10 of the way.
	require.InDelta(t, 0.01+0.09*0.9, d.Quantile(0.99), 1e-9)
	require.Equal(t, 0.1, d.Max())
	require.LessOrEqual(t, d.Quantile(0.5), d.Quantile(0.95))

	// Merging a second histogram of the same bounds adds its counts.
	h2 := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "q2", Help: "q", Buckets: []float64{0.001, 0.01, 0.1, 1}})
	h2.Observe(5) // above every bound
	d.Add(h2)
	require.EqualValues(t, 101, d.Total)
	require.Equal(t, 1.0, d.Max(), "beyond the last bound the last finite bound is reported")
	require.Equal(t, 1.0, d.Quantile(1))
	require.False(t, math.IsInf(d.Quantile(1), 0))
}

func TestBreakerStateOf(t *testing.T) {
	require.Equal(t, BreakerOpen, BreakerStateOf("open"))
	require.Equal(t, BreakerHalfOpen, BreakerStateOf("half_open"))
	require.Equal(t, BreakerClosed, BreakerStateOf("closed"))
	require.Equal(t, BreakerClosed, BreakerStateOf("disabled"))
}

func TestHelpTextsAreSet(t *testing.T) {
	// Every metric of the application carries help text (the dashboard shows it) and the namespace.
	s := New()
	s.Cache.Watch(func() CacheFigures { return CacheFigures{} })
	s.Actors.Watch(func() ActorFigures { return ActorFigures{} })
	s.Pool.Watch(func() PoolFigures { return PoolFigures{} })
	s.SearchEvents.Watch(func() SearchEventFigures { return SearchEventFigures{} })
	s.Jobs.SetQueue("low", nil)
	s.Jobs.TaskDone("t", OutcomeRetry)
	s.HTTP.Requests.WithLabelValues("GET", "/x", "2xx").Inc()
	s.HTTP.Duration.WithLabelValues("GET", "/x", "2xx").Observe(1)
	s.HTTP.Problems.WithLabelValues("internal").Inc()
	s.Search.Duration.WithLabelValues("all").Observe(1)
	mfs, err := s.Registry.Gather()
	require.NoError(t, err)
	n := 0
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), Namespace+"_") {
			continue
		}
		n++
		require.NotEmpty(t, mf.GetHelp(), mf.GetName())
	}
	require.GreaterOrEqual(t, n, 30)
}
