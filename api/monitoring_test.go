package api_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/api"
)

func TestMonitoringStats(t *testing.T) {
	const key = "monitoring-key-for-tests"
	e := newEnv(t, func(_ *api.Config, d *api.Deps) {
		d.MonitoringKey = key
		d.StatsSources = map[string]func() any{"actors": func() any { return e2Stats{Live: 3} }}
	})
	for i := 0; i < 5; i++ {
		require.Equal(t, 200, e.do("GET", "/api/v1/catalog/categories", nil).Status)
	}
	require.Equal(t, 404, e.do("GET", "/api/v1/catalog/services/no-such-service", nil).Status)

	requireProblem(t, e.do("GET", "/api/v1/monitoring/stats", nil), 401, "unauthorized")
	requireProblem(t, e.do("GET", "/api/v1/monitoring/stats", nil, "X-Monitoring-API-Key", "wrong"), 401, "unauthorized")

	r := e.do("GET", "/api/v1/monitoring/stats", nil, "X-Monitoring-API-Key", key)
	require.Equal(t, 200, r.Status, string(r.Body))
	var st api.MonitoringStatsDTO
	r.JSON(t, &st)
	byRoute := map[string]api.RouteStatsDTO{}
	for _, rt := range st.Routes {
		byRoute[rt.Route] = rt
	}
	cats := byRoute["GET /api/v1/catalog/categories"]
	require.EqualValues(t, 5, cats.Count)
	require.EqualValues(t, 5, cats.Status2xx)
	require.Greater(t, cats.P99MS, 0.0)
	require.GreaterOrEqual(t, cats.P99MS, cats.P50MS)
	detail := byRoute["GET /api/v1/catalog/services/:ref"]
	require.EqualValues(t, 1, detail.Status4xx, "counted per route pattern, not per path")
	require.GreaterOrEqual(t, st.Requests, int64(6))
	require.EqualValues(t, 3, st.Sources["actors"].(map[string]any)["live"])
}

// e2Stats stands in for a stats source's value.
type e2Stats struct {
	Live int `json:"live"`
}

func TestMonitoringDisabledWithoutKey(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, 404, e.do("GET", "/api/v1/monitoring/stats", nil, "X-Monitoring-API-Key", "").Status)
}

// TestMetricsEndpoint checks GET /metrics serves the Prometheus text format without credentials,
// labels requests by route pattern (never the raw path) and status class, counts problems by
// code, and that /monitoring/stats reports the very same counts.
func TestMetricsEndpoint(t *testing.T) {
	const key = "monitoring-key-for-tests"
	e := newEnv(t, func(_ *api.Config, d *api.Deps) { d.MonitoringKey = key })
	for i := 0; i < 3; i++ {
		require.Equal(t, 200, e.do("GET", "/api/v1/catalog/categories", nil).Status)
	}
	for _, slug := range []string{"no-such-service-1", "no-such-service-2"} {
		require.Equal(t, 404, e.do("GET", "/api/v1/catalog/services/"+slug, nil).Status)
	}
	require.Equal(t, 404, e.do("GET", "/api/v1/no/such/route/abc123", nil).Status)
	require.Equal(t, 404, e.do("GET", "/nowhere-xyz", nil).Status)

	r := e.do("GET", "/metrics", nil)
	require.Equal(t, 200, r.Status)
	require.Contains(t, r.Header.Get("Content-Type"), "text/plain")
	body := string(r.Body)
	require.Contains(t, body, `instainstru_http_requests_total{method="GET",route="/api/v1/catalog/categories",status_class="2xx"} 3`)
	require.Contains(t, body, `instainstru_http_requests_total{method="GET",route="/api/v1/catalog/services/:ref",status_class="4xx"} 2`)
	require.Contains(t, body, `instainstru_http_request_duration_seconds_count{method="GET",route="/api/v1/catalog/categories",status_class="2xx"} 3`)
	require.Contains(t, body, `instainstru_http_requests_total{method="GET",route="unmatched",status_class="4xx"} 2`)
	require.Contains(t, body, `instainstru_http_problems_total{code="not_found"} 4`)
	for _, raw := range []string{"no-such-service-1", "abc123", "nowhere-xyz"} {
		require.NotContains(t, body, raw, "a raw path leaked into a label")
	}
	require.Contains(t, body, "go_goroutines")

	st := e.do("GET", "/api/v1/monitoring/stats", nil, "X-Monitoring-API-Key", key)
	require.Equal(t, 200, st.Status)
	var stats api.MonitoringStatsDTO
	st.JSON(t, &stats)
	byRoute := map[string]api.RouteStatsDTO{}
	for _, rt := range stats.Routes {
		byRoute[rt.Route] = rt
	}
	require.EqualValues(t, 3, byRoute["GET /api/v1/catalog/categories"].Count)
	require.EqualValues(t, 3, byRoute["GET /api/v1/catalog/categories"].Sample)
	require.EqualValues(t, 2, byRoute["GET /api/v1/catalog/services/:ref"].Status4xx)
	require.EqualValues(t, 2, byRoute["GET unmatched"].Status4xx)
	require.EqualValues(t, 1, byRoute["GET /metrics"].Status2xx, "the scrape itself is a request like any other")
}
