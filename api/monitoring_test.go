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
