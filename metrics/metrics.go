// Package metrics is the one place where InstaInstru's Prometheus metrics are declared, named and
// registered. Every process builds one Set (New) and hands its parts to the code that feeds them:
// the HTTP edge (api) records requests and problems, the search handler records search latency,
// the jobs code (tasks) sets the outbox and queue gauges and counts task outcomes, and cmd points
// the scrape-time collectors at the cache, the actor directory, the database pool and the search
// event recorder. GET /metrics serves Set.Registry; GET /api/v1/monitoring/stats reads the same
// collectors, so the two never disagree.
//
// The package imports nothing of the project's: anything may feed it, and it never pulls a
// dependency inward. Names are final (dashboards and alert rules in deploy/ depend on them); the
// table in README.md lists them all.
//
// Labels are bounded by construction: route is a route pattern registered in code (never a raw
// path), status_class is 1xx..5xx, code is a problem code of the API, queue/state/type/outcome are
// names the jobs code defines. Nothing a client sends becomes a label value.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric of the application (Go runtime and process metrics keep their
// standard go_ and process_ names).
const Namespace = "instainstru"

// LatencyBuckets are the bucket bounds (seconds) of the HTTP and search latency histograms: fine
// below a millisecond, where cached reads live, up to the 10 s request deadline.
var LatencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Set is one process's metrics: the registry /metrics serves and every collector in it.
type Set struct {
	// Registry holds every collector below plus the Go runtime and process collectors.
	Registry *prometheus.Registry
	HTTP     *HTTP
	Search   *Search
	Jobs     *Jobs
	// Scrape-time collectors: each reads its source once per scrape (see Watch) and serves
	// nothing until a source is set, so a process without a cache or actors simply omits them.
	Cache        *Scrape[CacheFigures]
	Actors       *Scrape[ActorFigures]
	Pool         *Scrape[PoolFigures]
	SearchEvents *Scrape[SearchEventFigures]
}

// New builds a Set with every metric registered in a fresh registry (not the global default one,
// so tests can run several servers in one process without sharing counts).
func New() *Set {
	s := &Set{
		Registry:     prometheus.NewRegistry(),
		HTTP:         newHTTP(),
		Search:       newSearch(),
		Jobs:         newJobs(),
		Cache:        newCacheScrape(),
		Actors:       newActorScrape(),
		Pool:         newPoolScrape(),
		SearchEvents: newSearchEventScrape(),
	}
	s.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		s.HTTP.Requests, s.HTTP.Duration, s.HTTP.InFlight, s.HTTP.Problems,
		s.Search.Duration,
		s.Jobs.OutboxBacklog, s.Jobs.RelayLag, s.Jobs.QueueTasks, s.Jobs.TaskOutcomes,
		s.Cache, s.Actors, s.Pool, s.SearchEvents,
	)
	return s
}

// Handler serves the registry in the Prometheus text format (or OpenMetrics when the scraper
// asks for it). Scrapes are cheap but not free: at most two run at once, a third waits.
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 2,
		EnableOpenMetrics:   true,
	})
}

// HTTP are the request metrics the API's middleware and error funnel record.
type HTTP struct {
	// Requests counts finished requests: instainstru_http_requests_total{method,route,status_class}.
	Requests *prometheus.CounterVec
	// Duration is their latency: instainstru_http_request_duration_seconds{method,route,status_class}.
	Duration *prometheus.HistogramVec
	// InFlight is the number of requests being served: instainstru_http_requests_in_flight.
	InFlight prometheus.Gauge
	// Problems counts problem+json answers by their stable code: instainstru_http_problems_total{code}.
	Problems *prometheus.CounterVec
}

func newHTTP() *HTTP {
	labels := []string{"method", "route", "status_class"}
	return &HTTP{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests finished, by method, route pattern and status class (2xx...)."}, labels),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help: "HTTP request latency from the first middleware to the response, by method, route pattern and status class.", Buckets: LatencyBuckets}, labels),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served."}),
		Problems: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "http", Name: "problems_total",
			Help: "problem+json answers, by stable problem code (validation_failed, booking_conflict, internal...)."}, []string{"code"}),
	}
}

// StatusClass is the status_class label of a status code ("2xx"); anything outside 100..599 is "other".
func StatusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return statusClasses[status/100]
}

var statusClasses = [...]string{"", "1xx", "2xx", "3xx", "4xx", "5xx"}

// Search are the search engine's metrics.
type Search struct {
	// Duration is instainstru_search_duration_seconds{match_kind}: the engine's own search_time_ms
	// (answers from its result cache included), by match kind.
	Duration *prometheus.HistogramVec
}

func newSearch() *Search {
	return &Search{Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "search", Name: "duration_seconds",
		Help: "Natural-language search latency inside the engine, by match kind (service, category, open, all, none).", Buckets: LatencyBuckets},
		[]string{"match_kind"})}
}

// Jobs are the background job metrics, fed by the jobs code (tasks): the relay sets the outbox
// gauges after each pass, a queue inspector sets the queue sizes, the worker counts outcomes.
// In a process that runs no jobs code they stay at zero (gauges) or absent (vectors).
type Jobs struct {
	// OutboxBacklog is instainstru_outbox_backlog: outbox events not yet relayed.
	OutboxBacklog prometheus.Gauge
	// RelayLag is instainstru_outbox_relay_lag_seconds: the age of the oldest event not yet
	// relayed (0 when the outbox is drained).
	RelayLag prometheus.Gauge
	// QueueTasks is instainstru_asynq_queue_tasks{queue,state}: tasks per asynq queue and state
	// (pending, active, scheduled, retry, archived, completed). Use SetQueue.
	QueueTasks *prometheus.GaugeVec
	// TaskOutcomes is instainstru_task_outcomes_total{type,outcome}: task runs by task type and
	// outcome (see the Outcome constants). Use TaskDone.
	TaskOutcomes *prometheus.CounterVec
}

// Task outcomes, the values of the outcome label of instainstru_task_outcomes_total.
const (
	OutcomeSuccess  = "success" // the handler returned nil
	OutcomeRetry    = "retry"   // the handler failed and asynq will retry it
	OutcomeFailed   = "failed"  // the handler failed for the last time: the task is archived
	OutcomeSkipped  = "skipped" // nothing to do (already sent, booking cancelled...): asynq.SkipRetry or a no-op
	OutcomeTimedOut = "timeout" // the task's deadline ran out
	OutcomeDropped  = "dropped" // the payload could not be decoded
)

// QueueStates are the asynq task states SetQueue reports (every one is set, zero included, so a
// drained queue reads 0 rather than a stale value).
var QueueStates = []string{"pending", "active", "scheduled", "retry", "archived", "completed"}

func newJobs() *Jobs {
	return &Jobs{
		OutboxBacklog: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "outbox", Name: "backlog",
			Help: "Outbox events not yet relayed to the job queue."}),
		RelayLag: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "outbox", Name: "relay_lag_seconds",
			Help: "Age of the oldest outbox event not yet relayed (0 when the outbox is drained)."}),
		QueueTasks: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "asynq", Name: "queue_tasks",
			Help: "Tasks in each asynq queue, by queue and state (pending, active, scheduled, retry, archived, completed)."}, []string{"queue", "state"}),
		TaskOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "task", Name: "outcomes_total",
			Help: "Background task runs, by task type and outcome (success, retry, failed, skipped, timeout, dropped)."}, []string{"type", "outcome"}),
	}
}

// SetOutbox records the relay's view of the outbox: events waiting and the oldest one's age.
func (j *Jobs) SetOutbox(backlog int, oldestAgeSeconds float64) {
	j.OutboxBacklog.Set(float64(backlog))
	j.RelayLag.Set(oldestAgeSeconds)
}

// SetQueue records one queue's task counts by state; states missing from counts are set to 0.
func (j *Jobs) SetQueue(queue string, counts map[string]int) {
	for _, st := range QueueStates {
		j.QueueTasks.WithLabelValues(queue, st).Set(float64(counts[st]))
	}
}

// TaskDone counts one task run of taskType with outcome (an Outcome constant).
func (j *Jobs) TaskDone(taskType, outcome string) {
	j.TaskOutcomes.WithLabelValues(taskType, outcome).Inc()
}
