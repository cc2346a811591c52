package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence/testenv"
	"github.com/instainstru/instainstru/search"
)

var (
	searchOnce sync.Once
	searchEng  *search.Engine
	searchErr  error
)

// searchEngine is one search engine over the package's database, built once (the catalog is
// seeded by newEnv before it is first asked for).
func searchEngine(t testing.TB) *search.Engine {
	t.Helper()
	searchOnce.Do(func() {
		searchEng, searchErr = search.New(context.Background(), search.Config{Store: db.Store,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	})
	require.NoError(t, searchErr)
	return searchEng
}

func TestSearchEndpoint(t *testing.T) {
	e := newEnv(t)
	f := testenv.NewSearchFixture(t, db.Pool)
	ins := f.Instructor(testenv.InstructorSpec{Name: "Search Endpoint Violinist", Areas: []string{"Queens"}})
	f.Offer(ins, testenv.OfferSpec{ServiceSlug: "violin", Rate: 7000, Durations: []int{30, 60}})
	searchEngine(t).Invalidate()

	get := func(q string, headers ...string) *resp {
		return e.do("GET", "/api/v1/search/instructors?q="+url.QueryEscape(q), nil, headers...)
	}
	r := get("violin")
	require.Equal(t, 200, r.Status, string(r.Body))
	var out api.SearchResponseDTO
	r.JSON(t, &out)
	require.Equal(t, "violin", out.Query)
	require.Equal(t, "service", out.Parsed.MatchKind)
	require.Equal(t, "Violin", out.Parsed.CatalogService.Name)
	// Other tests of this package share the database: find ours, and check precision for all.
	var mine *api.SearchResultDTO
	for i, res := range out.Results {
		require.Equal(t, "Violin", res.Service.Name, "a service query returns only that service")
		if res.Instructor.ID == ins {
			mine = &out.Results[i]
		}
	}
	require.NotNil(t, mine, "the fixture violinist is found")
	require.Equal(t, []string{"Queens"}, mine.Instructor.AreasOfService)
	require.Equal(t, 7000, mine.Service.HourlyRateCents)
	require.Nil(t, mine.NextAvailable, "no availability in the next 14 days")
	require.Equal(t, len(out.Results), out.TotalFound)
	require.True(t, out.TotalFoundExact)
	require.GreaterOrEqual(t, out.SearchTimeMS, 0.0)

	// The raw JSON carries the contract's keys, nulls included.
	var raw map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &raw))
	parsed := raw["parsed"].(map[string]any)
	for _, k := range []string{"service_query", "match_kind", "catalog_service", "category", "max_price_cents", "min_price_cents",
		"date_from", "date_to", "time_after", "time_before", "duration_minutes", "location", "location_type", "level"} {
		require.Contains(t, parsed, k)
	}
	require.Nil(t, parsed["category"])

	// Nothing matched: 200 with an empty list.
	r = get("xqzv")
	require.Equal(t, 200, r.Status)
	require.Contains(t, string(r.Body), `"results":[]`)
	require.Contains(t, string(r.Body), `"match_kind":"none"`)

	// Bad input is a 4xx problem, never a 500.
	for _, c := range []struct {
		path   string
		status int
		hdr    []string
	}{
		{"/api/v1/search/instructors", 422, nil},
		{"/api/v1/search/instructors?q=", 422, nil},
		{"/api/v1/search/instructors?q=%20%20", 422, nil},
		{"/api/v1/search/instructors?q=" + strings.Repeat("a", 501), 400, nil},
		{"/api/v1/search/instructors?q=" + strings.Repeat("é", 500), 200, nil},
		{"/api/v1/search/instructors?q=piano%00", 400, nil},
		{"/api/v1/search/instructors?q=piano&limit=abc", 400, nil},
		{"/api/v1/search/instructors?q=piano&limit=0", 400, nil},
		{"/api/v1/search/instructors?q=piano&limit=100000", 200, nil},
		{"/api/v1/search/instructors?q=piano", 400, []string{"X-Timezone", "Mars/Olympus"}},
		{"/api/v1/search/instructors?q=piano", 400, []string{"X-Timezone", "Local"}},
		{"/api/v1/search/instructors?q=piano", 200, []string{"X-Timezone", "Asia/Tokyo"}},
		{"/api/v1/search/instructors?q=piano", 200, []string{"Authorization", "Bearer not-a-token"}},
	} {
		r := e.do("GET", c.path, nil, c.hdr...)
		require.Equal(t, c.status, r.Status, "%s %v: %s", c.path[:min(len(c.path), 60)], c.hdr, r.Body)
		if c.status >= 400 {
			require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
		}
	}
}
