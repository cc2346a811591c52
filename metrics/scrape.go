package metrics

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Scrape is a collector that reads a snapshot of T from its source once per scrape and serves it
// as constant metrics. The components it watches already keep their own counters (atomics the
// cache, the actor directory and the pool maintain anyway), so reading them at scrape time costs
// the request path nothing and leaves one source for /metrics and /monitoring/stats alike.
type Scrape[T any] struct {
	src     atomic.Pointer[func() T]
	metrics []scrapeMetric[T]
}

type scrapeMetric[T any] struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(T) float64
}

// Watch sets the source (replacing any earlier one); nil stops serving these metrics.
func (s *Scrape[T]) Watch(src func() T) {
	if src == nil {
		s.src.Store(nil)
		return
	}
	s.src.Store(&src)
}

// Read returns the source's current snapshot, and false when no source is set.
func (s *Scrape[T]) Read() (T, bool) {
	f := s.src.Load()
	if f == nil {
		var zero T
		return zero, false
	}
	return (*f)(), true
}

// Describe sends every metric's description (the registry checks names and uniqueness with them).
func (s *Scrape[T]) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range s.metrics {
		ch <- m.desc
	}
}

// Collect reads the source once and sends every metric.
func (s *Scrape[T]) Collect(ch chan<- prometheus.Metric) {
	v, ok := s.Read()
	if !ok {
		return
	}
	for _, m := range s.metrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.typ, m.value(v))
	}
}

func counter[T any](subsystem, name, help string, f func(T) float64) scrapeMetric[T] {
	return scrapeMetric[T]{desc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, subsystem, name), help, nil, nil),
		typ: prometheus.CounterValue, value: f}
}

func gauge[T any](subsystem, name, help string, f func(T) float64) scrapeMetric[T] {
	return scrapeMetric[T]{desc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, subsystem, name), help, nil, nil),
		typ: prometheus.GaugeValue, value: f}
}

// BreakerState is the circuit breaker's state as instainstru_cache_breaker_state serves it.
type BreakerState int

// Breaker states, ordered by how bad they are (so max() over nodes is the worst one).
const (
	BreakerClosed   BreakerState = 0
	BreakerHalfOpen BreakerState = 1
	BreakerOpen     BreakerState = 2
)

// BreakerStateOf reads the breaker's state name ("closed", "half_open", "open"); anything else
// (a disabled cache) reads as closed: no Redis calls are being refused.
func BreakerStateOf(name string) BreakerState {
	switch name {
	case "open":
		return BreakerOpen
	case "half_open", "half-open":
		return BreakerHalfOpen
	}
	return BreakerClosed
}

// CacheFigures are the Redis cache counters (persistence/cache.Stats) the cache metrics serve.
type CacheFigures struct {
	Hits, Misses int64
	Errors       int64 // Redis calls that failed
	Skipped      int64 // Redis calls not made while the breaker was open
	LoadErrors   int64 // loader (database) calls that failed
	Breaker      BreakerState
	BreakerOpens int64
}

func newCacheScrape() *Scrape[CacheFigures] {
	const sub = "cache"
	return &Scrape[CacheFigures]{metrics: []scrapeMetric[CacheFigures]{
		counter(sub, "hits_total", "Cache reads answered from the cache (Redis or the near cache).", func(f CacheFigures) float64 { return float64(f.Hits) }),
		counter(sub, "misses_total", "Cache reads answered by a load from PostgreSQL.", func(f CacheFigures) float64 { return float64(f.Misses) }),
		counter(sub, "errors_total", "Redis calls that failed (timeout, connection, server error).", func(f CacheFigures) float64 { return float64(f.Errors) }),
		counter(sub, "skipped_total", "Redis calls not made because the circuit breaker was open.", func(f CacheFigures) float64 { return float64(f.Skipped) }),
		counter(sub, "load_errors_total", "Loads from PostgreSQL behind the cache that failed.", func(f CacheFigures) float64 { return float64(f.LoadErrors) }),
		gauge(sub, "breaker_state", "Redis circuit breaker: 0 closed, 1 half-open, 2 open (reads go to PostgreSQL).", func(f CacheFigures) float64 { return float64(f.Breaker) }),
		counter(sub, "breaker_opens_total", "Times the Redis circuit breaker opened.", func(f CacheFigures) float64 { return float64(f.BreakerOpens) }),
	}}
}

// ActorFigures are the instructor actor directory's figures (actors.Stats).
type ActorFigures struct {
	Live, InFlight int
	Activated      int64 // actors spawned
	Passivated     int64 // actors stopped after being idle
	Restarted      int64 // restarts by the supervisor after a panic
	AskTimeouts    int64 // requests that got no answer within the ask timeout (503)
	Rejected       int64 // requests refused because an instructor had too many in flight (429)
}

func newActorScrape() *Scrape[ActorFigures] {
	const sub = "actors"
	return &Scrape[ActorFigures]{metrics: []scrapeMetric[ActorFigures]{
		gauge(sub, "live", "Instructor actors alive in this process.", func(f ActorFigures) float64 { return float64(f.Live) }),
		gauge(sub, "in_flight", "Requests queued at or being handled by instructor actors.", func(f ActorFigures) float64 { return float64(f.InFlight) }),
		counter(sub, "activated_total", "Instructor actors spawned (first use, or after passivation).", func(f ActorFigures) float64 { return float64(f.Activated) }),
		counter(sub, "passivated_total", "Instructor actors stopped after being idle.", func(f ActorFigures) float64 { return float64(f.Passivated) }),
		counter(sub, "restarted_total", "Instructor actor restarts by the supervisor after a panic.", func(f ActorFigures) float64 { return float64(f.Restarted) }),
		counter(sub, "ask_timeouts_total", "Requests to an instructor actor unanswered within ACTOR_ASK_TIMEOUT (answered 503).", func(f ActorFigures) float64 { return float64(f.AskTimeouts) }),
		counter(sub, "rejected_total", "Requests refused because the instructor had too many in flight (answered 429).", func(f ActorFigures) float64 { return float64(f.Rejected) }),
	}}
}

// PoolFigures are the PostgreSQL connection pool's figures (pgxpool.Stat).
type PoolFigures struct {
	Acquired, Idle, Total, Max int32
	Acquires                   int64         // successful acquires
	EmptyAcquires              int64         // acquires that had to wait for a connection
	CanceledAcquires           int64         // acquires abandoned (context ended) while waiting
	AcquireDuration            time.Duration // total time spent in successful acquires
}

func newPoolScrape() *Scrape[PoolFigures] {
	const sub = "db_pool"
	return &Scrape[PoolFigures]{metrics: []scrapeMetric[PoolFigures]{
		gauge(sub, "acquired_conns", "PostgreSQL connections in use.", func(f PoolFigures) float64 { return float64(f.Acquired) }),
		gauge(sub, "idle_conns", "PostgreSQL connections idle in the pool.", func(f PoolFigures) float64 { return float64(f.Idle) }),
		gauge(sub, "total_conns", "PostgreSQL connections open (acquired, idle and being opened).", func(f PoolFigures) float64 { return float64(f.Total) }),
		gauge(sub, "max_conns", "The pool's size (DATABASE_MAX_CONNS).", func(f PoolFigures) float64 { return float64(f.Max) }),
		counter(sub, "acquires_total", "Connections acquired from the pool.", func(f PoolFigures) float64 { return float64(f.Acquires) }),
		counter(sub, "acquire_waits_total", "Acquires that found no idle connection and had to wait (or open one).", func(f PoolFigures) float64 { return float64(f.EmptyAcquires) }),
		counter(sub, "canceled_acquires_total", "Acquires abandoned because the request's context ended first.", func(f PoolFigures) float64 { return float64(f.CanceledAcquires) }),
		counter(sub, "acquire_seconds_total", "Total time spent acquiring connections.", func(f PoolFigures) float64 { return f.AcquireDuration.Seconds() }),
	}}
}

// SearchEventFigures are the search event recorder's counters.
type SearchEventFigures struct {
	Written, Dropped int64
}

func newSearchEventScrape() *Scrape[SearchEventFigures] {
	const sub = "search_events"
	return &Scrape[SearchEventFigures]{metrics: []scrapeMetric[SearchEventFigures]{
		counter(sub, "written_total", "Search events inserted for analytics.", func(f SearchEventFigures) float64 { return float64(f.Written) }),
		counter(sub, "dropped_total", "Search events dropped because the recorder's buffer was full.", func(f SearchEventFigures) float64 { return float64(f.Dropped) }),
	}}
}
