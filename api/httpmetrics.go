package api

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/instainstru/instainstru/metrics"
)

// Request metrics: every request is counted once, by the access log middleware, in
// instainstru_http_requests_total and instainstru_http_request_duration_seconds
// (metrics.HTTP), labelled with its method, its ROUTE PATTERN (Fiber's c.Route().Path, never the
// raw path: /api/v1/bookings/:id, so the label set stays as small as the route table) and its
// status class. GET /api/v1/monitoring/stats reads the same counters and histograms back.
//
// The labelled children are looked up once per route and cached here by the route's pointer,
// so the request path pays two atomic adds and no label hashing or string building.

// unmatchedRoute is the route label of requests no endpoint matched (404/405 answered by the
// framework after only middleware ran): their raw paths must never become label values.
const unmatchedRoute = "unmatched"

// routeKey identifies a middleware (Use) route and a method: Fiber keeps one *Route per method
// for endpoints, but a middleware route serves every method.
type routeKey struct {
	route  *fiber.Route
	method string
}

// routeSeries are one route's counters and histograms, one per status class, created on first use.
type routeSeries struct {
	method, route string
	// endpoint is false for middleware-only routes (Use): a request that ended there with 404 or
	// 405 matched nothing and is counted as unmatched.
	endpoint bool
	classes  [6]atomic.Pointer[classSeries] // index status/100; 0 holds anything outside 1xx..5xx
}

type classSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// httpMetrics is the server's view of metrics.HTTP.
type httpMetrics struct {
	app *fiber.App
	m   *metrics.HTTP
	// endpointSeries maps an endpoint's *Route (one per method) to its series. It is copied on
	// write (a new route is seen a few dozen times in a process's life) so the request path reads
	// it with one atomic load and a pointer-keyed map lookup, no lock and no hashing of strings.
	endpointSeries atomic.Pointer[map[*fiber.Route]*routeSeries]
	// useSeries maps routeKey → *routeSeries for middleware routes (requests refused or left
	// unmatched before an endpoint ran: rarer, so a sync.Map will do).
	useSeries sync.Map
	// labels maps "method route" → *routeSeries, so routes that share a label (unmatched
	// requests of every middleware route) share their children.
	mu     sync.Mutex
	labels map[string]*routeSeries
	// endpoints are "METHOD path" of every registered endpoint, built on first use (routes are
	// all registered before the server serves; cmd mounts its extras before Serve).
	endpointsOnce sync.Once
	endpoints     map[string]bool
}

func newHTTPMetrics(app *fiber.App, m *metrics.HTTP) *httpMetrics {
	h := &httpMetrics{app: app, m: m, labels: map[string]*routeSeries{}}
	h.endpointSeries.Store(&map[*fiber.Route]*routeSeries{})
	return h
}

// knownMethods bounds the method label: Fiber refuses other methods before routing, but the
// label must not depend on that.
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true,
	"DELETE": true, "OPTIONS": true, "CONNECT": true, "TRACE": true}

// lookup returns the series of the route c was dispatched to.
func (h *httpMetrics) lookup(c *fiber.Ctx) *routeSeries {
	r := c.Route()
	if rs, ok := (*h.endpointSeries.Load())[r]; ok {
		return rs
	}
	key := routeKey{route: r, method: c.Method()}
	if v, ok := h.useSeries.Load(key); ok {
		return v.(*routeSeries)
	}
	method := key.method
	if !knownMethods[method] {
		method = "OTHER"
	}
	h.endpointsOnce.Do(func() {
		h.endpoints = map[string]bool{}
		for _, r := range h.app.GetRoutes(true) { // true: leave out middleware (Use) routes
			h.endpoints[r.Method+" "+r.Path] = true
		}
	})
	if len(r.Handlers) == 0 {
		// Fiber's fallback route for requests it never routed: a fresh value per call, so it
		// is not cached (that would only grow the map).
		return h.byLabel(method, unmatchedRoute, false)
	}
	if h.endpoints[r.Method+" "+r.Path] && r.Method == key.method {
		rs := h.byLabel(method, r.Path, true)
		h.mu.Lock()
		old := *h.endpointSeries.Load()
		next := make(map[*fiber.Route]*routeSeries, len(old)+1)
		for k, v := range old {
			next[k] = v
		}
		next[r] = rs
		h.endpointSeries.Store(&next)
		h.mu.Unlock()
		return rs
	}
	rs := h.byLabel(method, r.Path, false)
	h.useSeries.Store(key, rs)
	return rs
}

func (h *httpMetrics) byLabel(method, route string, endpoint bool) *routeSeries {
	h.mu.Lock()
	defer h.mu.Unlock()
	name := method + " " + route
	rs := h.labels[name]
	if rs == nil {
		rs = &routeSeries{method: method, route: route, endpoint: endpoint}
		h.labels[name] = rs
	}
	return rs
}

// class returns the children for a status, creating them on first use.
func (h *httpMetrics) class(rs *routeSeries, status int) *classSeries {
	i := status / 100
	if i < 1 || i > 5 {
		i = 0
	}
	if cs := rs.classes[i].Load(); cs != nil {
		return cs
	}
	cls := metrics.StatusClass(status)
	cs := &classSeries{
		requests: h.m.Requests.WithLabelValues(rs.method, rs.route, cls),
		duration: h.m.Duration.WithLabelValues(rs.method, rs.route, cls),
	}
	// Two first requests may race here: both children are the same vector members, so either wins.
	rs.classes[i].Store(cs)
	return cs
}

// record counts one finished request.
func (h *httpMetrics) record(c *fiber.Ctx, status int, seconds float64) (method, route string) {
	rs := h.lookup(c)
	if !rs.endpoint && (status == fiber.StatusNotFound || status == fiber.StatusMethodNotAllowed) && rs.route != unmatchedRoute {
		rs = h.byLabel(rs.method, unmatchedRoute, false)
	}
	cs := h.class(rs, status)
	cs.requests.Inc()
	cs.duration.Observe(seconds)
	return rs.method, rs.route
}

// routeFigures is one route's counts and latency distribution, read back from the collectors.
type routeFigures struct {
	method, route string
	byClass       [6]uint64
	dist          metrics.Distribution
}

// snapshot reads every route's counters and histograms (the monitoring endpoint's figures).
func (h *httpMetrics) snapshot() []routeFigures {
	h.mu.Lock()
	all := make([]*routeSeries, 0, len(h.labels))
	for _, rs := range h.labels {
		all = append(all, rs)
	}
	h.mu.Unlock()
	out := make([]routeFigures, 0, len(all))
	for _, rs := range all {
		f := routeFigures{method: rs.method, route: rs.route}
		seen := false
		for i := range rs.classes {
			cs := rs.classes[i].Load()
			if cs == nil {
				continue
			}
			seen = true
			f.dist.Add(cs.duration)
			var pb dto.Metric
			if cs.requests.Write(&pb) == nil {
				f.byClass[i] = uint64(pb.GetCounter().GetValue())
			}
		}
		if seen {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].route != out[j].route {
			return out[i].route < out[j].route
		}
		return out[i].method < out[j].method
	})
	return out
}

// metricsRoute serves GET /metrics (Prometheus text format, or OpenMetrics when asked).
//
// It needs no credentials, like /healthz and /readyz: it carries route patterns and counts, no
// personal data, and Prometheus scrapes it without a session. In production it is meant for the
// private network: the reverse proxy or load balancer in front of the API does not forward
// /metrics, and Prometheus scrapes each node's private address (see deploy/prometheus).
func (s *Server) metricsRoute(app *fiber.App) {
	app.Get("/metrics", adaptor.HTTPHandler(s.metrics.Handler()))
}
