package api

import (
	"crypto/subtle"
	"sort"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// Monitoring: GET /api/v1/monitoring/stats, for operators, behind X-Monitoring-API-Key.
//
// Request figures are kept per route pattern (GET /api/v1/bookings/:id, not per id, so the set
// stays small): counts by status class and the latency of the last latencyWindow requests, from
// which percentiles are computed when asked. Requests slower than slowThreshold are kept in a
// small ring. Everything is in process memory and starts over with the process.

const (
	latencyWindow   = 1024
	slowThreshold   = 500 * time.Millisecond
	slowRingSize    = 50
	monitoringKeyHd = "X-Monitoring-API-Key"
)

type routeStats struct {
	mu        sync.Mutex
	count     int64
	byClass   [6]int64 // index status/100
	latencies [latencyWindow]time.Duration
	next      int
	filled    int
}

// SlowRequest is one request slower than the slow threshold.
type SlowRequest struct {
	At         time.Time `json:"at"`
	Route      string    `json:"route"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	DurationMS float64   `json:"duration_ms"`
	RequestID  string    `json:"request_id"`
}

type requestStats struct {
	started time.Time
	mu      sync.RWMutex
	routes  map[string]*routeStats
	slowMu  sync.Mutex
	slow    []SlowRequest
}

func newRequestStats() *requestStats {
	return &requestStats{started: time.Now(), routes: map[string]*routeStats{}}
}

// record is called once per request, after the error funnel set the status.
func (rs *requestStats) record(c *fiber.Ctx, status int, d time.Duration) {
	route := c.Method() + " " + c.Route().Path
	rs.mu.RLock()
	r := rs.routes[route]
	rs.mu.RUnlock()
	if r == nil {
		rs.mu.Lock()
		if r = rs.routes[route]; r == nil {
			r = &routeStats{}
			rs.routes[route] = r
		}
		rs.mu.Unlock()
	}
	r.mu.Lock()
	r.count++
	if cls := status / 100; cls >= 1 && cls <= 5 {
		r.byClass[cls]++
	}
	r.latencies[r.next] = d
	r.next = (r.next + 1) % latencyWindow
	if r.filled < latencyWindow {
		r.filled++
	}
	r.mu.Unlock()
	if d >= slowThreshold {
		rs.slowMu.Lock()
		rs.slow = append(rs.slow, SlowRequest{At: time.Now().UTC(), Route: route, Path: c.Path(), Status: status,
			DurationMS: ms(d), RequestID: requestID(c)})
		if len(rs.slow) > slowRingSize {
			rs.slow = rs.slow[len(rs.slow)-slowRingSize:]
		}
		rs.slowMu.Unlock()
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// RouteStatsDTO is one route's figures.
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
	rs.mu.RLock()
	names := make([]string, 0, len(rs.routes))
	for n := range rs.routes {
		names = append(names, n)
	}
	rs.mu.RUnlock()
	sort.Strings(names)
	out := make([]RouteStatsDTO, 0, len(names))
	var total int64
	for _, n := range names {
		rs.mu.RLock()
		r := rs.routes[n]
		rs.mu.RUnlock()
		r.mu.Lock()
		lat := append([]time.Duration(nil), r.latencies[:r.filled]...)
		dto := RouteStatsDTO{Route: n, Count: r.count, Status2xx: r.byClass[2], Status3xx: r.byClass[3],
			Status4xx: r.byClass[4], Status5xx: r.byClass[5], Sample: r.filled}
		r.mu.Unlock()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		if len(lat) > 0 {
			pct := func(p int) float64 { return ms(lat[(len(lat)-1)*p/100]) }
			dto.P50MS, dto.P95MS, dto.P99MS, dto.MaxMS = pct(50), pct(95), pct(99), ms(lat[len(lat)-1])
		}
		total += dto.Count
		out = append(out, dto)
	}
	return out, total
}

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
		sources := make(map[string]any, len(s.deps.StatsSources))
		for name, f := range s.deps.StatsSources {
			sources[name] = f()
		}
		return c.JSON(MonitoringStatsDTO{UptimeSeconds: int64(time.Since(s.stats.started).Seconds()),
			Requests: total, Routes: routes, SlowRequests: slow, Sources: sources})
	})
}
