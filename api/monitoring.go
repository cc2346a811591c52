package api

import (
	"crypto/subtle"
	"math"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/metrics"
)

// Monitoring: GET /api/v1/monitoring/stats, for operators, behind X-Monitoring-API-Key.
//
// Request figures per route pattern (GET /api/v1/bookings/:id, not per id, so the set stays
// small) are read back from the Prometheus collectors GET /metrics serves (httpmetrics.go): the
// counts by status class from instainstru_http_requests_total, the percentiles from
// instainstru_http_request_duration_seconds, estimated inside its buckets the way PromQL's
// histogram_quantile does (linear interpolation; see metrics.LatencyBuckets for the resolution).
// Both cover every request since the process started. Requests slower than slowThreshold are kept
// in a small ring. Everything is in process memory and starts over with the process.

const (
	slowThreshold   = 500 * time.Millisecond
	slowRingSize    = 50
	monitoringKeyHd = "X-Monitoring-API-Key"
)

// SlowRequest is one request slower than the slow threshold.
type SlowRequest struct {
	At         time.Time `json:"at"`
	Route      string    `json:"route"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	DurationMS float64   `json:"duration_ms"`
	RequestID  string    `json:"request_id"`
}

// requestStats records each request in the HTTP metrics and keeps the slow ones.
type requestStats struct {
	started time.Time
	http    *httpMetrics
	slowMu  sync.Mutex
	slow    []SlowRequest
}

func newRequestStats(h *httpMetrics) *requestStats {
	return &requestStats{started: time.Now(), http: h}
}

// record is called once per request, after the error funnel set the status.
func (rs *requestStats) record(c *fiber.Ctx, status int, d time.Duration) {
	method, route := rs.http.record(c, status, d.Seconds())
	if d >= slowThreshold {
		rs.slowMu.Lock()
		rs.slow = append(rs.slow, SlowRequest{At: time.Now().UTC(), Route: method + " " + route, Path: c.Path(), Status: status,
			DurationMS: ms(d), RequestID: requestID(c)})
		if len(rs.slow) > slowRingSize {
			rs.slow = rs.slow[len(rs.slow)-slowRingSize:]
		}
		rs.slowMu.Unlock()
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// RouteStatsDTO is one route's figures since the process started. The percentiles and max are
// estimates from the latency histogram's buckets (max: the upper bound of the highest non-empty
// bucket); Sample is the number of latencies they summarize.
type RouteStatsDTO struct {
	Route     string  `json:"route"`
	Count     int64   `json:"count"`
	Status2xx int64   `json:"status_2xx"`
	Status3xx int64   `json:"status_3xx"`
	Status4xx int64   `json:"status_4xx"`
	Status5xx int64   `json:"status_5xx"`
	P50MS     float64 `json:"p50_ms"`
	P95MS     float64 `json:"p95_ms"`
	P99MS     float64 `json:"p99_ms"`
	MaxMS     float64 `json:"max_ms"`
	Sample    int     `json:"latency_sample"`
}

// MonitoringStatsDTO is the answer of GET /monitoring/stats. Sources holds what the wiring
// registered (cache counters and hit rate, actor counts); a dependency that does not exist yet
// (the job queue) is simply absent.
type MonitoringStatsDTO struct {
	UptimeSeconds int64           `json:"uptime_seconds"`
	Requests      int64           `json:"requests"`
	Routes        []RouteStatsDTO `json:"routes"`
	SlowRequests  []SlowRequest   `json:"slow_requests"`
	Sources       map[string]any  `json:"sources"`
}

func (rs *requestStats) snapshot() ([]RouteStatsDTO, int64) {
	figs := rs.http.snapshot()
	out := make([]RouteStatsDTO, 0, len(figs))
	var total int64
	for _, f := range figs {
		dto := RouteStatsDTO{Route: f.method + " " + f.route, Status2xx: int64(f.byClass[2]), Status3xx: int64(f.byClass[3]),
			Status4xx: int64(f.byClass[4]), Status5xx: int64(f.byClass[5]), Sample: int(f.dist.Total)}
		for _, n := range f.byClass {
			dto.Count += int64(n)
		}
		if f.dist.Total > 0 {
			dto.P50MS, dto.P95MS, dto.P99MS = secMS(f.dist.Quantile(0.50)), secMS(f.dist.Quantile(0.95)), secMS(f.dist.Quantile(0.99))
			dto.MaxMS = secMS(f.dist.Max())
		}
		total += dto.Count
		out = append(out, dto)
	}
	return out, total
}

// secMS converts seconds to milliseconds, rounded to the microsecond.
func secMS(s float64) float64 { return math.Round(s*1e6) / 1000 }

// monitoringRoutes registers GET /monitoring/stats; without a configured key it does not exist.
func (s *Server) monitoringRoutes(r fiber.Router) {
	key := []byte(s.deps.MonitoringKey)
	r.Get("/monitoring/stats", func(c *fiber.Ctx) error {
		got := []byte(c.Get(monitoringKeyHd))
		if len(got) == 0 || subtle.ConstantTimeCompare(got, key) != 1 {
			return instainstru.Errorf(instainstru.CodeUnauthorized, "send the monitoring key in "+monitoringKeyHd)
		}
		routes, total := s.stats.snapshot()
		s.stats.slowMu.Lock()
		slow := append([]SlowRequest{}, s.stats.slow...)
		s.stats.slowMu.Unlock()
		sources := s.metricSources()
		for name, f := range s.deps.StatsSources {
			sources[name] = f()
		}
		return c.JSON(MonitoringStatsDTO{UptimeSeconds: int64(time.Since(s.stats.started).Seconds()),
			Requests: total, Routes: routes, SlowRequests: slow, Sources: sources})
	})
}

// metricSources are the figures the metrics Set watches besides requests (the database pool, the
// search event recorder, the background jobs), read from the same collectors /metrics serves.
// A source nobody feeds in this process is absent.
func (s *Server) metricSources() map[string]any {
	out := map[string]any{}
	m := s.metrics
	if p, ok := m.Pool.Read(); ok {
		out["database"] = map[string]any{"acquired_conns": p.Acquired, "idle_conns": p.Idle, "total_conns": p.Total,
			"max_conns": p.Max, "acquires": p.Acquires, "acquire_waits": p.EmptyAcquires,
			"canceled_acquires": p.CanceledAcquires, "acquire_ms_total": ms(p.AcquireDuration)}
	}
	if e, ok := m.SearchEvents.Read(); ok {
		out["search_events"] = map[string]any{"written": e.Written, "dropped": e.Dropped}
	}
	if j := jobFigures(m.Jobs); j != nil {
		out["jobs"] = j
	}
	return out
}

// jobFigures reads the job gauges and counters back; nil while the jobs code has fed nothing.
func jobFigures(j *metrics.Jobs) map[string]any {
	queues := map[string]map[string]float64{}
	for _, l := range collectValues(j.QueueTasks) {
		q, st := l.labels["queue"], l.labels["state"]
		if queues[q] == nil {
			queues[q] = map[string]float64{}
		}
		queues[q][st] = l.value
	}
	outcomes := map[string]map[string]float64{}
	for _, l := range collectValues(j.TaskOutcomes) {
		t, o := l.labels["type"], l.labels["outcome"]
		if outcomes[t] == nil {
			outcomes[t] = map[string]float64{}
		}
		outcomes[t][o] = l.value
	}
	backlog, lag := metricValue(j.OutboxBacklog), metricValue(j.RelayLag)
	if len(queues) == 0 && len(outcomes) == 0 && backlog == 0 && lag == 0 {
		return nil
	}
	return map[string]any{"outbox_backlog": backlog, "outbox_relay_lag_seconds": lag, "queues": queues, "task_outcomes": outcomes}
}

type labelledValue struct {
	labels map[string]string
	value  float64
}

// collectValues reads every child of a counter or gauge vector.
func collectValues(c prometheus.Collector) []labelledValue {
	ch := make(chan prometheus.Metric, 16)
	go func() { c.Collect(ch); close(ch) }()
	var out []labelledValue
	for m := range ch {
		var pb dto.Metric
		if m.Write(&pb) != nil {
			continue
		}
		lv := labelledValue{labels: map[string]string{}, value: pb.GetGauge().GetValue() + pb.GetCounter().GetValue()}
		for _, lp := range pb.GetLabel() {
			lv.labels[lp.GetName()] = lp.GetValue()
		}
		out = append(out, lv)
	}
	return out
}

// metricValue reads a single counter or gauge.
func metricValue(m prometheus.Metric) float64 {
	var pb dto.Metric
	if m.Write(&pb) != nil {
		return 0
	}
	return pb.GetGauge().GetValue() + pb.GetCounter().GetValue()
}
