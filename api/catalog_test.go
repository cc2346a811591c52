package api_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// catWalk follows next_cursor from path (which must already carry a query string) and returns
// every item, failing on a repeated id.
func catWalk(t *testing.T, e *env, path string) []api.CatalogServiceDTO {
	t.Helper()
	var all []api.CatalogServiceDTO
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 400, "the walk must end")
		r := e.do("GET", path+cursor, nil)
		require.Equal(t, 200, r.Status, "%s%s: %s", path, cursor, r.Body)
		var p api.Page[api.CatalogServiceDTO]
		r.JSON(t, &p)
		for _, s := range p.Items {
			require.False(t, seen[s.ID], "service %s listed twice", s.Slug)
			seen[s.ID] = true
			all = append(all, s)
		}
		if p.NextCursor == nil {
			return all
		}
		require.NotEmpty(t, p.Items, "a page with a next cursor has items")
		cursor = "&cursor=" + url.QueryEscape(*p.NextCursor)
	}
}

func catSlugs(svcs []api.CatalogServiceDTO) []string {
	out := []string{}
	for _, s := range svcs {
		out = append(out, s.Slug)
	}
	return out
}

func TestCatalogServicesListAndFilters(t *testing.T) {
	e := newEnv(t)
	var cats []api.CategoryDTO
	e.do("GET", "/api/v1/catalog/categories", nil).JSON(t, &cats)
	counts := map[string]int{}
	total := 0
	for _, c := range cats {
		counts[c.Slug] = c.ServiceCount
		total += c.ServiceCount
	}

	// First page: default limit, the exact service shape, catalog display order.
	r := e.do("GET", "/api/v1/catalog/services", nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	raw := r.Map(t)
	items := raw["items"].([]any)
	require.Len(t, items, 20)
	require.NotNil(t, raw["next_cursor"])
	first := items[0].(map[string]any)
	require.ElementsMatch(t, []string{"id", "slug", "name", "category", "description", "search_terms",
		"typical_durations", "online_capable", "active_instructors"}, keys(first))
	require.Equal(t, "piano", first["slug"])
	require.ElementsMatch(t, []string{"id", "slug", "name"}, keys(first["category"].(map[string]any)))
	require.NotContains(t, string(r.Body), "embedding")

	// Walking with a small page size gives the whole catalog once, in the same order as big pages.
	small := catWalk(t, e, "/api/v1/catalog/services?limit=7")
	require.Len(t, small, total)
	big := catWalk(t, e, "/api/v1/catalog/services?limit=100")
	require.Equal(t, catSlugs(big), catSlugs(small))
	clamped := e.do("GET", "/api/v1/catalog/services?limit=100000", nil)
	require.Equal(t, 200, clamped.Status)
	var cp api.Page[api.CatalogServiceDTO]
	clamped.JSON(t, &cp)
	require.Len(t, cp.Items, 100, "limit is clamped to 100")

	// Category filter.
	music := catWalk(t, e, "/api/v1/catalog/services?category=music&limit=9")
	require.Len(t, music, counts["music"])
	for _, s := range music {
		require.Equal(t, "music", s.Category.Slug)
	}
	r = e.do("GET", "/api/v1/catalog/services?category=no-such-category", nil)
	require.Equal(t, 200, r.Status)
	require.JSONEq(t, `{"items": [], "next_cursor": null}`, string(r.Body))

	// Text filter: exact name first, then names containing it; case-insensitive; search terms
	// and typos (trigram) match too.
	guitar := catSlugs(catWalk(t, e, "/api/v1/catalog/services?q=guitar&limit=2"))
	require.Equal(t, "guitar", guitar[0])
	require.Subset(t, guitar, []string{"classical-guitar", "bass-guitar"})
	require.Equal(t, guitar, catSlugs(catWalk(t, e, "/api/v1/catalog/services?q=GuItAr&limit=100")))
	require.Equal(t, "piano", catSlugs(catWalk(t, e, "/api/v1/catalog/services?q=keyboard"))[0], "search term")
	require.Contains(t, catSlugs(catWalk(t, e, "/api/v1/catalog/services?q=pianno")), "piano", "typo")
	require.Equal(t, "guitar", catSlugs(catWalk(t, e, "/api/v1/catalog/services?q=guitar&category=music"))[0])
	require.Empty(t, catWalk(t, e, "/api/v1/catalog/services?q=guitar&category=languages"))
	// LIKE wildcards are literal characters, not patterns.
	require.Empty(t, catWalk(t, e, "/api/v1/catalog/services?q=%25"))
	require.Empty(t, catWalk(t, e, "/api/v1/catalog/services?q=_"))
	// Services containing the text come before those only similar to it.
	for _, q := range []string{"guitar", "violin", "bass"} {
		containing := true
		for _, s := range catWalk(t, e, "/api/v1/catalog/services?q="+q) {
			text := strings.ToLower(s.Name + " " + s.Slug + " " + strings.Join(s.SearchTerms, " "))
			has := strings.Contains(text, q)
			require.False(t, has && !containing, "q=%s: %s contains the text but follows a similar-only match", q, s.Slug)
			containing = has
		}
	}
}

func TestCatalogServiceDetail(t *testing.T) {
	e, d := catIsolatedEnv(t)
	bySlug := e.do("GET", "/api/v1/catalog/services/piano", nil)
	require.Equal(t, 200, bySlug.Status, "%s", bySlug.Body)
	m := bySlug.Map(t)
	require.Nil(t, m["analytics"], "no analytics yet")
	require.Contains(t, m, "analytics")
	byID := e.do("GET", "/api/v1/catalog/services/"+m["id"].(string), nil)
	require.JSONEq(t, string(bySlug.Body), string(byID.Body))

	// The latest analytics row of the service is the summary.
	for _, row := range []struct {
		day    string
		demand float64
		s7     int
	}{{"2026-01-01", 90, 1}, {"2026-01-03", 12.5, 33}, {"2026-01-02", 70, 2}} {
		_, err := d.Pool.Exec(t.Context(), `
			INSERT INTO service_analytics (catalog_service_id, calculated_on, search_count_7d, demand_score,
				avg_price_cents, is_trending, calculated_at)
			VALUES ($1, $2::date, $3, $4, 6000, true, ($2::date + time '03:00') AT TIME ZONE 'UTC')`, m["id"], row.day, row.s7, row.demand)
		require.NoError(t, err)
	}
	r := e.do("GET", "/api/v1/catalog/services/piano", nil)
	require.Equal(t, 200, r.Status)
	var got api.CatalogServiceDetailDTO
	r.JSON(t, &got)
	require.NotNil(t, got.Analytics)
	require.Equal(t, 12.5, got.Analytics.DemandScore)
	require.Equal(t, 33, got.Analytics.SearchCount7d)
	require.Equal(t, 6000, *got.Analytics.AvgPriceCents)
	require.Nil(t, got.Analytics.PriceP50Cents)
	require.True(t, got.Analytics.IsTrending)
	require.Equal(t, time.Date(2026, 1, 3, 3, 0, 0, 0, time.UTC), got.Analytics.CalculatedAt.UTC())
	require.Equal(t, "piano", got.Slug)

	for _, p := range []string{"no-such-service", persistence.NewID(), "PIANO", "piano%20", "%00"} {
		requireProblem(t, e.do("GET", "/api/v1/catalog/services/"+p, nil), 404, "not_found")
	}
	// An inactive catalog service is not public.
	_, err := d.Pool.Exec(t.Context(), `UPDATE service_catalog SET is_active = false WHERE slug = 'guitar'`)
	require.NoError(t, err)
	requireProblem(t, e.do("GET", "/api/v1/catalog/services/guitar", nil), 404, "not_found")
}

// catTop reads the homepage rows as category slug → service slugs, keeping the row order.
func catTop(t *testing.T, e *env, query string) ([]string, map[string][]api.CatalogServiceDTO) {
	t.Helper()
	r := e.do("GET", "/api/v1/catalog/top-per-category"+query, nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var rows []api.CatalogTopRowDTO
	r.JSON(t, &rows)
	order := []string{}
	by := map[string][]api.CatalogServiceDTO{}
	for _, row := range rows {
		order = append(order, row.Category.Slug)
		require.NotEmpty(t, row.Category.Name)
		by[row.Category.Slug] = row.Services
	}
	return order, by
}

func catAnalytics(t *testing.T, d *testenv.DB, slug, day string, demand float64) {
	t.Helper()
	_, err := d.Pool.Exec(t.Context(), `
		INSERT INTO service_analytics (catalog_service_id, calculated_on, demand_score)
		SELECT id, $2::date, $3 FROM service_catalog WHERE slug = $1`, slug, day, demand)
	require.NoError(t, err)
}

func TestCatalogTopPerCategory(t *testing.T) {
	e, d := catIsolatedEnv(t)
	order, _ := catTop(t, e, "")
	require.Empty(t, order, "no bookable instructor anywhere yet")

	svc := map[string]string{}
	for _, s := range []string{"piano", "guitar", "violin", "cello", "drums", "spanish"} {
		svc[s] = catService(t, e, s).ID
	}
	tok1, _ := e.register(t, "instructor")
	tok2, inst2 := e.register(t, "instructor")
	tok3, inst3 := e.register(t, "instructor")
	_, student := e.register(t, "student")
	for _, s := range []string{"piano", "guitar", "spanish"} {
		catCreateOffer(t, e, tok1, catOfferBody(svc[s], 5000))
	}
	catCreateOffer(t, e, tok2, catOfferBody(svc["piano"], 5000))
	catCreateOffer(t, e, tok2, catOfferBody(svc["violin"], 5000))
	cello := catCreateOffer(t, e, tok2, catOfferBody(svc["cello"], 5000))
	catInsertBooking(t, d, student, inst2, cello.ID, 5000, "completed", time.Now())
	require.Equal(t, 200, e.do("DELETE", "/api/v1/instructors/me/services/"+cello.ID, nil, bearer(tok2)...).Status)
	catCreateOffer(t, e, tok3, catOfferBody(svc["drums"], 5000))
	_, err := d.Pool.Exec(t.Context(), `UPDATE users SET account_status = 'suspended' WHERE id = $1`, inst3)
	require.NoError(t, err)

	// Without analytics: most active instructors first, then catalog order. Cello (soft-deleted
	// offer) and drums (suspended instructor) have no bookable instructor.
	order, by := catTop(t, e, "")
	require.Equal(t, []string{"music", "languages"}, order)
	require.Equal(t, []string{"piano", "guitar", "violin"}, catSlugs(by["music"]))
	require.Equal(t, 2, by["music"][0].ActiveInstructors)
	require.Equal(t, []string{"spanish"}, catSlugs(by["languages"]))

	order, by = catTop(t, e, "?limit=1")
	require.Equal(t, []string{"music", "languages"}, order)
	require.Equal(t, []string{"piano"}, catSlugs(by["music"]))

	// The latest analytics row of each service decides: piano's old high score no longer counts.
	catAnalytics(t, d, "piano", "2026-01-01", 100)
	catAnalytics(t, d, "piano", "2026-01-05", 5)
	catAnalytics(t, d, "guitar", "2026-01-05", 10)
	catAnalytics(t, d, "violin", "2026-01-04", 50)
	catAnalytics(t, d, "drums", "2026-01-05", 1000)
	_, by = catTop(t, e, "?limit=100000")
	require.Equal(t, []string{"violin", "guitar", "piano"}, catSlugs(by["music"]))
	_, by = catTop(t, e, "?limit=2")
	require.Equal(t, []string{"violin", "guitar"}, catSlugs(by["music"]))
}

func TestCatalogPopular(t *testing.T) {
	e, d := catIsolatedEnv(t)
	popular := func(query string) []string {
		t.Helper()
		r := e.do("GET", "/api/v1/catalog/popular"+query, nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var svcs []api.CatalogServiceDTO
		r.JSON(t, &svcs)
		return catSlugs(svcs)
	}
	// Nothing at all: catalog order, ten by default.
	got := popular("")
	require.Len(t, got, 10)
	require.Equal(t, []string{"piano", "guitar", "classical-guitar"}, got[:3])

	svc := map[string]string{}
	for _, s := range []string{"guitar", "spanish", "drums"} {
		svc[s] = catService(t, e, s).ID
	}
	tok1, inst1 := e.register(t, "instructor")
	tok2, inst2 := e.register(t, "instructor")
	_, student := e.register(t, "student")
	guitar := catCreateOffer(t, e, tok1, catOfferBody(svc["guitar"], 5000))
	spanish1 := catCreateOffer(t, e, tok1, catOfferBody(svc["spanish"], 5000))
	catCreateOffer(t, e, tok2, catOfferBody(svc["spanish"], 5000))
	drums := catCreateOffer(t, e, tok2, catOfferBody(svc["drums"], 5000))

	// No bookings yet: active instructors, then catalog order.
	require.Equal(t, []string{"spanish", "guitar", "drums", "piano"}, popular("?limit=4"))

	now := time.Now()
	for range 3 {
		catInsertBooking(t, d, student, inst1, guitar.ID, 5000, "confirmed", now.Add(-time.Hour))
	}
	catInsertBooking(t, d, student, inst1, guitar.ID, 5000, "cancelled", now.Add(-time.Hour))
	catInsertBooking(t, d, student, inst1, spanish1.ID, 5000, "completed", now.Add(-48*time.Hour))
	for range 5 {
		catInsertBooking(t, d, student, inst2, drums.ID, 5000, "confirmed", now.Add(-60*24*time.Hour))
	}
	// Bookings over the window decide (cancelled ones do not count); days widens the window.
	require.Equal(t, []string{"guitar", "spanish", "drums", "piano"}, popular("?limit=4"))
	require.Equal(t, []string{"guitar", "spanish", "drums", "piano"}, popular("?limit=4&days=30"))
	require.Equal(t, []string{"drums", "guitar", "spanish", "piano"}, popular("?limit=4&days=90"))
	require.Equal(t, []string{"guitar"}, popular("?limit=1&days=1"))

	// Once analytics exist, the latest run ranks: piano's score from an older run is ignored and
	// services missing from the latest run follow the ones in it.
	catAnalytics(t, d, "piano", "2026-02-01", 99)
	catAnalytics(t, d, "cello", "2026-02-02", 10)
	catAnalytics(t, d, "violin", "2026-02-02", 20)
	require.Equal(t, []string{"violin", "cello", "guitar", "spanish", "drums"}, popular("?limit=5"))
	require.Len(t, popular("?limit=100000"), 100)
}

// TestCatalogAndInstructorBadInput throws malformed and hostile requests at every endpoint of
// the catalog and instructor areas: each is a 4xx problem+json with its code, never a 5xx, and
// none of the writes leaves a trace.
func TestCatalogAndInstructorBadInput(t *testing.T) {
	e := newEnv(t)
	tok, instID := e.register(t, "instructor")
	piano := catService(t, e, "piano")
	boxing := catService(t, e, "boxing")
	offer := catCreateOffer(t, e, tok, catOfferBody(piano.ID, 5000))
	b64 := base64.RawURLEncoding.EncodeToString
	offerWith := func(k string, v any) map[string]any {
		b := catOfferBody(catService(t, e, "guitar").ID, 5000)
		b[k] = v
		return b
	}
	longArea := strings.Repeat("x", 101)
	areas := make([]string, 21)
	for i := range areas {
		areas[i] = "Area " + string(rune('A'+i))
	}

	cases := []struct {
		name, method, path string
		body               any
		auth               bool
		status             int
		code               string
		field              string
	}{
		{"cursor not base64", "GET", "/api/v1/catalog/services?cursor=%21%21%21", nil, false, 400, "malformed_request", "cursor"},
		{"cursor of garbage", "GET", "/api/v1/catalog/services?cursor=" + b64([]byte(`{"r":0,"o":1,"i":"x"}`)), nil, false, 400, "malformed_request", "cursor"},
		{"cursor not json", "GET", "/api/v1/catalog/services?cursor=" + b64([]byte("hello")), nil, false, 400, "malformed_request", "cursor"},
		{"cursor with a bad rank", "GET", "/api/v1/catalog/services?cursor=" + b64([]byte(`{"r":-1,"o":1,"i":"`+piano.ID+`"}`)), nil, false, 400, "malformed_request", "cursor"},
		{"limit not a number", "GET", "/api/v1/catalog/services?limit=abc", nil, false, 400, "malformed_request", "limit"},
		{"limit zero", "GET", "/api/v1/catalog/services?limit=0", nil, false, 400, "malformed_request", "limit"},
		{"limit negative", "GET", "/api/v1/catalog/services?limit=-5", nil, false, 400, "malformed_request", "limit"},
		{"limit overflow", "GET", "/api/v1/catalog/services?limit=99999999999999999999", nil, false, 400, "malformed_request", "limit"},
		{"q with NUL", "GET", "/api/v1/catalog/services?q=pi%00ano", nil, false, 400, "malformed_request", "q"},
		{"q invalid UTF-8", "GET", "/api/v1/catalog/services?q=%ff%fe", nil, false, 400, "malformed_request", "q"},
		{"category with NUL", "GET", "/api/v1/catalog/services?category=%00", nil, false, 400, "malformed_request", "category"},
		{"q too long", "GET", "/api/v1/catalog/services?q=" + strings.Repeat("a", 201), nil, false, 422, "validation_failed", "q"},
		{"unknown service slug", "GET", "/api/v1/catalog/services/not-a-service", nil, false, 404, "not_found", ""},
		{"service path traversal", "GET", "/api/v1/catalog/services/..%2f..%2fetc", nil, false, 404, "not_found", ""},
		{"top limit not a number", "GET", "/api/v1/catalog/top-per-category?limit=seven", nil, false, 400, "malformed_request", "limit"},
		{"popular days not a number", "GET", "/api/v1/catalog/popular?days=abc", nil, false, 400, "malformed_request", "days"},
		{"popular days zero", "GET", "/api/v1/catalog/popular?days=0", nil, false, 422, "validation_failed", "days"},
		{"popular days huge", "GET", "/api/v1/catalog/popular?days=100000", nil, false, 422, "validation_failed", "days"},
		{"instructors negative price", "GET", "/api/v1/instructors?min_price_cents=-1", nil, false, 422, "validation_failed", "min_price_cents"},
		{"instructors price not a number", "GET", "/api/v1/instructors?max_price_cents=12.5", nil, false, 400, "malformed_request", "max_price_cents"},
		{"instructors min above max", "GET", "/api/v1/instructors?min_price_cents=9000&max_price_cents=1000", nil, false, 422, "validation_failed", "min_price_cents"},
		{"instructors cursor not an id", "GET", "/api/v1/instructors?cursor=" + b64([]byte("' OR 1=1 --")), nil, false, 400, "malformed_request", "cursor"},
		{"instructors service with NUL", "GET", "/api/v1/instructors?service=%00", nil, false, 400, "malformed_request", "service"},
		{"instructor malformed id", "GET", "/api/v1/instructors/12345", nil, false, 404, "not_found", ""},
		{"instructor sql in id", "GET", "/api/v1/instructors/1%27%20OR%20%271%27=%271", nil, false, 404, "not_found", ""},
		{"offer rate too low", "POST", "/api/v1/instructors/me/services", offerWith("hourly_rate_cents", 999), true, 422, "validation_failed", "hourly_rate_cents"},
		{"offer rate too high", "POST", "/api/v1/instructors/me/services", offerWith("hourly_rate_cents", 100001), true, 422, "validation_failed", "hourly_rate_cents"},
		{"offer rate negative", "POST", "/api/v1/instructors/me/services", offerWith("hourly_rate_cents", -5000), true, 422, "validation_failed", "hourly_rate_cents"},
		{"offer rate a string", "POST", "/api/v1/instructors/me/services", offerWith("hourly_rate_cents", "5000"), true, 422, "validation_failed", "hourly_rate_cents"},
		{"offer rate a fraction", "POST", "/api/v1/instructors/me/services", offerWith("hourly_rate_cents", 5000.5), true, 422, "validation_failed", "hourly_rate_cents"},
		{"offer rate huge", "POST", "/api/v1/instructors/me/services", offerWith("hourly_rate_cents", 1e40), true, 422, "validation_failed", "hourly_rate_cents"},
		{"offer duration off grid", "POST", "/api/v1/instructors/me/services", offerWith("duration_options", []int{50}), true, 422, "validation_failed", "duration_options[0]"},
		{"offer duration too long", "POST", "/api/v1/instructors/me/services", offerWith("duration_options", []int{60, 255}), true, 422, "validation_failed", "duration_options[1]"},
		{"offer duration zero", "POST", "/api/v1/instructors/me/services", offerWith("duration_options", []int{0}), true, 422, "validation_failed", "duration_options[0]"},
		{"offer durations empty", "POST", "/api/v1/instructors/me/services", offerWith("duration_options", []int{}), true, 422, "validation_failed", "duration_options"},
		{"offer durations repeated", "POST", "/api/v1/instructors/me/services", offerWith("duration_options", []int{60, 60}), true, 422, "validation_failed", "duration_options[1]"},
		{"offer nine durations", "POST", "/api/v1/instructors/me/services", offerWith("duration_options", []int{15, 30, 45, 60, 75, 90, 105, 120, 135}), true, 422, "validation_failed", "duration_options"},
		{"offer durations a string", "POST", "/api/v1/instructors/me/services", offerWith("duration_options", "60"), true, 422, "validation_failed", "duration_options"},
		{"offer unknown location", "POST", "/api/v1/instructors/me/services", offerWith("location_types", []string{"teleport"}), true, 422, "validation_failed", "location_types[0]"},
		{"offer no location", "POST", "/api/v1/instructors/me/services", offerWith("location_types", []string{}), true, 422, "validation_failed", "location_types"},
		{"offer location repeated", "POST", "/api/v1/instructors/me/services", offerWith("location_types", []string{"online", "online"}), true, 422, "validation_failed", "location_types[1]"},
		{"offer online not capable", "POST", "/api/v1/instructors/me/services", map[string]any{"catalog_service_id": boxing.ID, "hourly_rate_cents": 5000, "duration_options": []int{60}, "location_types": []string{"in_person", "online"}}, true, 422, "validation_failed", "location_types"},
		{"offer unknown field", "POST", "/api/v1/instructors/me/services", offerWith("is_active", false), true, 422, "validation_failed", "is_active"},
		{"offer instructor_id smuggled", "POST", "/api/v1/instructors/me/services", offerWith("instructor_id", persistence.NewID()), true, 422, "validation_failed", "instructor_id"},
		{"offer malformed catalog id", "POST", "/api/v1/instructors/me/services", offerWith("catalog_service_id", "piano"), true, 422, "validation_failed", "catalog_service_id"},
		{"offer unknown catalog id", "POST", "/api/v1/instructors/me/services", offerWith("catalog_service_id", persistence.NewID()), true, 422, "validation_failed", "catalog_service_id"},
		{"offer description too long", "POST", "/api/v1/instructors/me/services", offerWith("description", strings.Repeat("é", 2001)), true, 422, "validation_failed", "description"},
		{"offer description with NUL", "POST", "/api/v1/instructors/me/services", offerWith("description", "a\u0000b"), true, 422, "validation_failed", "description"},
		{"offer bad JSON", "POST", "/api/v1/instructors/me/services", `{"catalog_service_id":`, true, 400, "malformed_request", ""},
		{"offer body an array", "POST", "/api/v1/instructors/me/services", `[1,2]`, true, 400, "malformed_request", ""},
		{"offer two bodies", "POST", "/api/v1/instructors/me/services", `{} {}`, true, 400, "malformed_request", ""},
		{"offer empty body", "POST", "/api/v1/instructors/me/services", ``, true, 400, "malformed_request", ""},
		{"patch malformed id", "PATCH", "/api/v1/instructors/me/services/not-a-uuid", map[string]any{"hourly_rate_cents": 5000}, true, 404, "not_found", ""},
		{"patch unknown id", "PATCH", "/api/v1/instructors/me/services/" + persistence.NewID(), map[string]any{"hourly_rate_cents": 5000}, true, 404, "not_found", ""},
		{"patch rate out of range", "PATCH", "/api/v1/instructors/me/services/" + offer.ID, map[string]any{"hourly_rate_cents": 10}, true, 422, "validation_failed", "hourly_rate_cents"},
		{"patch durations empty", "PATCH", "/api/v1/instructors/me/services/" + offer.ID, map[string]any{"duration_options": []int{}}, true, 422, "validation_failed", "duration_options"},
		{"patch catalog service", "PATCH", "/api/v1/instructors/me/services/" + offer.ID, map[string]any{"catalog_service_id": boxing.ID}, true, 422, "validation_failed", "catalog_service_id"},
		{"patch is_active", "PATCH", "/api/v1/instructors/me/services/" + offer.ID, map[string]any{"is_active": false}, true, 422, "validation_failed", "is_active"},
		{"delete malformed id", "DELETE", "/api/v1/instructors/me/services/123", nil, true, 404, "not_found", ""},
		{"profile bio too long", "PUT", "/api/v1/instructors/me", map[string]any{"bio": strings.Repeat("b", 5001)}, true, 422, "validation_failed", "bio"},
		{"profile years too many", "PUT", "/api/v1/instructors/me", map[string]any{"years_experience": 81}, true, 422, "validation_failed", "years_experience"},
		{"profile years negative", "PUT", "/api/v1/instructors/me", map[string]any{"years_experience": -1}, true, 422, "validation_failed", "years_experience"},
		{"profile advance too long", "PUT", "/api/v1/instructors/me", map[string]any{"min_advance_booking_hours": 169}, true, 422, "validation_failed", "min_advance_booking_hours"},
		{"profile buffer too long", "PUT", "/api/v1/instructors/me", map[string]any{"buffer_minutes": 121}, true, 422, "validation_failed", "buffer_minutes"},
		{"profile buffer negative", "PUT", "/api/v1/instructors/me", map[string]any{"buffer_minutes": -15}, true, 422, "validation_failed", "buffer_minutes"},
		{"profile too many areas", "PUT", "/api/v1/instructors/me", map[string]any{"areas_of_service": areas}, true, 422, "validation_failed", "areas_of_service"},
		{"profile area too long", "PUT", "/api/v1/instructors/me", map[string]any{"areas_of_service": []string{longArea}}, true, 422, "validation_failed", "areas_of_service[0]"},
		{"profile blank area", "PUT", "/api/v1/instructors/me", map[string]any{"areas_of_service": []string{"ok", "  "}}, true, 422, "validation_failed", "areas_of_service[1]"},
		{"profile area with NUL", "PUT", "/api/v1/instructors/me", map[string]any{"areas_of_service": []string{"a\u0000"}}, true, 422, "validation_failed", "areas_of_service[0]"},
		{"profile areas not a list", "PUT", "/api/v1/instructors/me", map[string]any{"areas_of_service": "Brooklyn"}, true, 422, "validation_failed", "areas_of_service"},
		{"profile email smuggled", "PUT", "/api/v1/instructors/me", map[string]any{"bio": "x", "email": "x@example.com"}, true, 422, "validation_failed", "email"},
		{"profile account_status smuggled", "PUT", "/api/v1/instructors/me", map[string]any{"account_status": "active"}, true, 422, "validation_failed", "account_status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.auth {
				headers = bearer(tok)
			}
			r := e.do(tc.method, tc.path, tc.body, headers...)
			require.Less(t, r.Status, 500)
			m := requireProblem(t, r, tc.status, tc.code)
			if tc.field != "" {
				require.Contains(t, problemFields(t, m), tc.field, "body: %s", r.Body)
			}
		})
	}
	t.Run("text body", func(t *testing.T) {
		r := e.do("POST", "/api/v1/instructors/me/services", "hello", append(bearer(tok), "Content-Type", "text/plain")...)
		requireProblem(t, r, 415, "unsupported_media_type")
	})

	// None of the refused writes changed anything.
	var me api.InstructorOwnProfileDTO
	e.do("GET", "/api/v1/instructors/me", nil, bearer(tok)...).JSON(t, &me)
	require.Equal(t, []api.InstructorOfferDTO{offer}, me.Services)
	require.Equal(t, "", me.Bio)
	require.Equal(t, 2, me.MinAdvanceBookingHours)
	require.Equal(t, "active", me.AccountStatus)
	var n int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM instructor_services WHERE instructor_id = $1`, instID).Scan(&n))
	require.Equal(t, 1, n)
}
