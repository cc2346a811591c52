package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// catIsolatedEnv is a test server on a database of its own (catalog seeded, nothing else), for
// tests whose expectations depend on every instructor, offer, booking and analytics row in the
// database: rankings and full listings. Other tests of the package share db and leave rows.
func catIsolatedEnv(t *testing.T) (*env, *testenv.DB) {
	t.Helper()
	d, err := testenv.NewDatabase("api_catalog")
	require.NoError(t, err)
	t.Cleanup(d.Close)
	_, _, err = d.Store.SeedCatalog(t.Context())
	require.NoError(t, err)
	e := newEnv(t, func(_ *api.Config, deps *api.Deps) {
		deps.Health, deps.Catalog, deps.Instructors, deps.Offers = d.Store, d.Store, d.Store, d.Store
		deps.Users, deps.Tokens, deps.Accounts = d.Store, d.Store, d.Store
	})
	return e, d
}

// catService reads a catalog service through the API.
func catService(t testing.TB, e *env, slug string) api.CatalogServiceDTO {
	t.Helper()
	r := e.do("GET", "/api/v1/catalog/services/"+slug, nil)
	require.Equal(t, 200, r.Status, "%s: %s", slug, r.Body)
	var s api.CatalogServiceDTO
	r.JSON(t, &s)
	return s
}

// catOfferBody is a valid offer of the catalog service id at rate, for the tests to vary.
func catOfferBody(serviceID string, rate int) map[string]any {
	return map[string]any{"catalog_service_id": serviceID, "hourly_rate_cents": rate,
		"duration_options": []int{60, 30}, "location_types": []string{"online", "in_person"}}
}

// catCreateOffer posts an offer and requires a 201.
func catCreateOffer(t testing.TB, e *env, tok string, body map[string]any) api.InstructorOfferDTO {
	t.Helper()
	r := e.do("POST", "/api/v1/instructors/me/services", body, bearer(tok)...)
	require.Equal(t, 201, r.Status, "create offer: %s", r.Body)
	var o api.InstructorOfferDTO
	r.JSON(t, &o)
	return o
}

var catBookingSeq atomic.Int64

// catInsertBooking writes a one-hour booking row straight into d (the database does not check
// availability), in a slot no other inserted booking uses, and returns its id.
func catInsertBooking(t testing.TB, d *testenv.DB, studentID, instructorID, offerID string, rate int, status string, createdAt time.Time) string {
	t.Helper()
	const q = `
		INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time,
			end_time, timezone, starts_at, ends_at, blocked_until, duration_minutes, service_name, category_name,
			hourly_rate_cents, total_price_cents, status, location_type, cancellation_reason, cancelled_at, created_at)
		VALUES ($1, $2, $3, $4, $5::date, $6::time, $7::time, 'UTC', $8, $9, $9, 60, 'Service', 'Category',
			$10, $10, $11::text, 'online',
			CASE WHEN $11::text = 'cancelled' THEN 'test' END, CASE WHEN $11::text = 'cancelled' THEN now() END, $12)`
	start := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(catBookingSeq.Add(1)) * 2 * time.Hour)
	end := start.Add(time.Hour)
	id := persistence.NewID()
	_, err := d.Pool.Exec(t.Context(), q, id, studentID, instructorID, offerID, start.Format("2006-01-02"),
		start.Format("15:04"), end.Format("15:04"), start, end, rate, status, createdAt)
	require.NoError(t, err)
	return id
}

func TestInstructorOwnProfileAndPublicView(t *testing.T) {
	e := newEnv(t)
	tok, id := e.register(t, "instructor")

	r := e.do("GET", "/api/v1/instructors/me", nil, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	me := r.Map(t)
	require.Equal(t, id, me["id"])
	require.Equal(t, "active", me["account_status"])
	require.EqualValues(t, 2, me["min_advance_booking_hours"], "default advance")
	require.EqualValues(t, 0, me["buffer_minutes"])
	require.Equal(t, "", me["bio"])
	require.Equal(t, []any{}, me["services"])
	require.Equal(t, []any{}, me["areas_of_service"])
	require.Contains(t, me["email"], "@example.com")

	r = e.do("PUT", "/api/v1/instructors/me", map[string]any{
		"bio": "  Concert pianist, patient teacher.  ", "years_experience": 12,
		"areas_of_service":          []string{" Brooklyn ", "Manhattan", "brooklyn", "Queens"},
		"min_advance_booking_hours": 24, "buffer_minutes": 15,
	}, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	me = r.Map(t)
	require.Equal(t, "Concert pianist, patient teacher.", me["bio"], "trimmed")
	require.EqualValues(t, 12, me["years_experience"])
	require.Equal(t, []any{"Brooklyn", "Manhattan", "Queens"}, me["areas_of_service"], "trimmed, deduplicated case-insensitively")
	require.EqualValues(t, 24, me["min_advance_booking_hours"])
	require.EqualValues(t, 15, me["buffer_minutes"])

	// The stored row is what the answer says.
	var bio string
	var buffer, advance int
	require.NoError(t, db.Pool.QueryRow(t.Context(),
		`SELECT bio, buffer_minutes, min_advance_booking_hours FROM instructor_profiles WHERE user_id = $1`, id).
		Scan(&bio, &buffer, &advance))
	require.Equal(t, "Concert pianist, patient teacher.", bio)
	require.Equal(t, []int{15, 24}, []int{buffer, advance})

	// PUT replaces the whole profile: fields left out return to their defaults.
	r = e.do("PUT", "/api/v1/instructors/me", map[string]any{"bio": "Short bio"}, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	me = r.Map(t)
	require.EqualValues(t, 2, me["min_advance_booking_hours"])
	require.EqualValues(t, 0, me["buffer_minutes"])
	require.EqualValues(t, 0, me["years_experience"])
	require.Equal(t, []any{}, me["areas_of_service"])

	// Public view: an instructor without an active offer is still visible by id, and shows
	// neither email nor settings.
	piano := catService(t, e, "piano")
	catCreateOffer(t, e, tok, catOfferBody(piano.ID, 6000))
	r = e.do("GET", "/api/v1/instructors/"+id, nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	pub := r.Map(t)
	require.ElementsMatch(t, []string{"id", "full_name", "bio", "years_experience", "areas_of_service", "timezone", "services"}, keys(pub))
	require.NotContains(t, string(r.Body), "@example.com")
	require.Equal(t, "Short bio", pub["bio"])
	require.Equal(t, "America/New_York", pub["timezone"])
	svcs := pub["services"].([]any)
	require.Len(t, svcs, 1)
	svc := svcs[0].(map[string]any)
	require.ElementsMatch(t, []string{"id", "catalog_service_id", "name", "category", "hourly_rate_cents",
		"duration_options", "description", "location_types", "is_active"}, keys(svc))
	require.Equal(t, "Piano", svc["name"])
	require.Equal(t, map[string]any{"id": piano.Category.ID, "slug": "music", "name": "Music"}, svc["category"])
	require.Equal(t, []any{30.0, 60.0}, svc["duration_options"], "durations sorted")
	require.Equal(t, []any{"in_person", "online"}, svc["location_types"], "canonical order")
}

func TestInstructorPublicProfileHidesWhatIsNotPublic(t *testing.T) {
	e := newEnv(t)
	_, studentID := e.register(t, "student")
	_, suspendedID := e.register(t, "instructor")
	_, deactivatedID := e.register(t, "instructor")
	_, activeID := e.register(t, "instructor")
	_, err := db.Pool.Exec(t.Context(), `UPDATE users SET account_status = 'suspended' WHERE id = $1`, suspendedID)
	require.NoError(t, err)
	_, err = db.Pool.Exec(t.Context(), `UPDATE users SET account_status = 'deactivated' WHERE id = $1`, deactivatedID)
	require.NoError(t, err)

	require.Equal(t, 200, e.do("GET", "/api/v1/instructors/"+activeID, nil).Status)
	for name, path := range map[string]string{
		"unknown id":    "/api/v1/instructors/" + persistence.NewID(),
		"malformed id":  "/api/v1/instructors/not-a-uuid",
		"almost a uuid": "/api/v1/instructors/" + activeID[:35] + "z",
		"student":       "/api/v1/instructors/" + studentID,
		"suspended":     "/api/v1/instructors/" + suspendedID,
		"deactivated":   "/api/v1/instructors/" + deactivatedID,
	} {
		t.Run(name, func(t *testing.T) {
			requireProblem(t, e.do("GET", path, nil), 404, "not_found")
		})
	}
}

func TestInstructorRoutesNeedAnInstructor(t *testing.T) {
	e := newEnv(t)
	studentTok, _ := e.register(t, "student")
	instTok, _ := e.register(t, "instructor")
	offer := catCreateOffer(t, e, instTok, catOfferBody(catService(t, e, "guitar").ID, 5000))
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/instructors/me"},
		{"PUT", "/api/v1/instructors/me"},
		{"POST", "/api/v1/instructors/me/services"},
		{"PATCH", "/api/v1/instructors/me/services/" + offer.ID},
		{"DELETE", "/api/v1/instructors/me/services/" + offer.ID},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			var body any
			if rt.method != "GET" && rt.method != "DELETE" {
				body = map[string]any{"hourly_rate_cents": 1}
			}
			requireProblem(t, e.do(rt.method, rt.path, body), 401, "unauthorized")
			requireProblem(t, e.do(rt.method, rt.path, body, "Authorization", "Bearer not.a.token"), 401, "invalid_token")
			requireProblem(t, e.do(rt.method, rt.path, body, bearer(studentTok)...), 403, "forbidden")
		})
	}
	// Nothing the refused requests carried was applied.
	r := e.do("GET", "/api/v1/instructors/me", nil, bearer(instTok)...)
	var me api.InstructorOwnProfileDTO
	r.JSON(t, &me)
	require.Len(t, me.Services, 1)
	require.Equal(t, 5000, me.Services[0].HourlyRateCents)
	require.True(t, me.Services[0].IsActive)
}

func TestOfferCreatePatchDelete(t *testing.T) {
	e := newEnv(t)
	tok, instID := e.register(t, "instructor")
	_, studentID := e.register(t, "student")
	violin := catService(t, e, "violin")

	o := catCreateOffer(t, e, tok, map[string]any{"catalog_service_id": violin.ID, "hourly_rate_cents": 7000,
		"duration_options": []int{90, 45}, "description": "  Suzuki method  ", "location_types": []string{"in_person"}})
	require.Equal(t, violin.ID, o.CatalogServiceID)
	require.Equal(t, "Violin", o.Name)
	require.Equal(t, api.CatalogCategoryRef{ID: violin.Category.ID, Slug: "music", Name: "Music"}, o.Category)
	require.Equal(t, 7000, o.HourlyRateCents)
	require.Equal(t, []int{45, 90}, o.DurationOptions)
	require.Equal(t, "Suzuki method", o.Description)
	require.Equal(t, []string{"in_person"}, o.LocationTypes)
	require.True(t, o.IsActive)
	require.Equal(t, 1, catService(t, e, "violin").ActiveInstructors-violin.ActiveInstructors, "counted as an active instructor")

	// A second active offer of the same catalog service is refused.
	r := e.do("POST", "/api/v1/instructors/me/services", catOfferBody(violin.ID, 9000), bearer(tok)...)
	requireProblem(t, r, 409, "service_already_offered")

	// PATCH changes only what it names; a booking made before keeps its snapshot price.
	bookingID := catInsertBooking(t, db, studentID, instID, o.ID, 7000, "confirmed", time.Now())
	r = e.do("PATCH", "/api/v1/instructors/me/services/"+o.ID, map[string]any{
		"hourly_rate_cents": 8500, "duration_options": []int{60}, "location_types": []string{"online", "in_person"}},
		bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var patched api.InstructorOfferDTO
	r.JSON(t, &patched)
	require.Equal(t, 8500, patched.HourlyRateCents)
	require.Equal(t, []int{60}, patched.DurationOptions)
	require.Equal(t, []string{"in_person", "online"}, patched.LocationTypes)
	require.Equal(t, "Suzuki method", patched.Description, "untouched")
	var rate, total int
	require.NoError(t, db.Pool.QueryRow(t.Context(),
		`SELECT hourly_rate_cents, total_price_cents FROM bookings WHERE id = $1`, bookingID).Scan(&rate, &total))
	require.Equal(t, []int{7000, 7000}, []int{rate, total}, "the booking keeps its snapshot")

	r = e.do("PATCH", "/api/v1/instructors/me/services/"+o.ID, map[string]any{"description": ""}, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r.JSON(t, &patched)
	require.Equal(t, "", patched.Description)
	require.Equal(t, 8500, patched.HourlyRateCents)

	// Referenced by a booking: soft delete. The offer stays (inactive) in the owner's view,
	// leaves the public one, and a new active offer of the same service can be created.
	r = e.do("DELETE", "/api/v1/instructors/me/services/"+o.ID, nil, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"deleted": "soft"}, r.Map(t))
	var active bool
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT is_active FROM instructor_services WHERE id = $1`, o.ID).Scan(&active))
	require.False(t, active)
	var me api.InstructorOwnProfileDTO
	e.do("GET", "/api/v1/instructors/me", nil, bearer(tok)...).JSON(t, &me)
	require.Len(t, me.Services, 1)
	require.False(t, me.Services[0].IsActive)
	var pub api.InstructorProfileDTO
	e.do("GET", "/api/v1/instructors/"+instID, nil).JSON(t, &pub)
	require.Empty(t, pub.Services)
	require.Equal(t, violin.ActiveInstructors, catService(t, e, "violin").ActiveInstructors)

	// A soft-deleted offer cannot change (409); deleting it again still answers soft.
	r = e.do("PATCH", "/api/v1/instructors/me/services/"+o.ID, map[string]any{"hourly_rate_cents": 5000}, bearer(tok)...)
	requireProblem(t, r, 409, "conflict")
	r = e.do("DELETE", "/api/v1/instructors/me/services/"+o.ID, nil, bearer(tok)...)
	require.Equal(t, map[string]any{"deleted": "soft"}, r.Map(t))

	again := catCreateOffer(t, e, tok, catOfferBody(violin.ID, 6500))
	require.NotEqual(t, o.ID, again.ID)
	e.do("GET", "/api/v1/instructors/me", nil, bearer(tok)...).JSON(t, &me)
	require.Len(t, me.Services, 2)
	require.True(t, me.Services[0].IsActive, "active offers first")
	require.Equal(t, again.ID, me.Services[0].ID)

	// Not referenced: hard delete, the row is gone and the id is 404 afterwards.
	r = e.do("DELETE", "/api/v1/instructors/me/services/"+again.ID, nil, bearer(tok)...)
	require.Equal(t, map[string]any{"deleted": "hard"}, r.Map(t))
	var n int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM instructor_services WHERE id = $1`, again.ID).Scan(&n))
	require.Zero(t, n)
	requireProblem(t, e.do("DELETE", "/api/v1/instructors/me/services/"+again.ID, nil, bearer(tok)...), 404, "not_found")
	requireProblem(t, e.do("PATCH", "/api/v1/instructors/me/services/"+again.ID, map[string]any{"description": "x"}, bearer(tok)...), 404, "not_found")
}

func TestOfferOfAnotherInstructorIsNotFound(t *testing.T) {
	e := newEnv(t)
	aliceTok, _ := e.register(t, "instructor")
	bobTok, _ := e.register(t, "instructor")
	o := catCreateOffer(t, e, aliceTok, catOfferBody(catService(t, e, "cello").ID, 4200))

	requireProblem(t, e.do("PATCH", "/api/v1/instructors/me/services/"+o.ID,
		map[string]any{"hourly_rate_cents": 99999}, bearer(bobTok)...), 404, "not_found")
	requireProblem(t, e.do("DELETE", "/api/v1/instructors/me/services/"+o.ID, nil, bearer(bobTok)...), 404, "not_found")

	var me api.InstructorOwnProfileDTO
	e.do("GET", "/api/v1/instructors/me", nil, bearer(aliceTok)...).JSON(t, &me)
	require.Len(t, me.Services, 1)
	require.Equal(t, o, me.Services[0], "unchanged")
	// Bob offering the same catalog service is his own business.
	catCreateOffer(t, e, bobTok, catOfferBody(o.CatalogServiceID, 4300))
}

func TestOfferConcurrentCreatesGiveExactlyOne(t *testing.T) {
	e := newEnv(t)
	tok, instID := e.register(t, "instructor")
	body := fmt.Sprintf(`{"catalog_service_id":%q,"hourly_rate_cents":5500,"duration_options":[60],"location_types":["online"]}`,
		catService(t, e, "ukulele").ID)
	const n = 10
	statuses := make([]int, n)
	codes := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, err := http.NewRequest("POST", e.base+"/api/v1/instructors/me/services", strings.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := e.http.Do(req)
			if err != nil {
				return
			}
			defer res.Body.Close()
			statuses[i] = res.StatusCode
			var p struct {
				Code string `json:"code"`
			}
			_ = catDecode(res, &p)
			codes[i] = p.Code
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	for i, s := range statuses {
		switch s {
		case 201:
			created++
		case 409:
			require.Equal(t, "service_already_offered", codes[i])
		default:
			t.Fatalf("request %d answered %d", i, s)
		}
	}
	require.Equal(t, 1, created)
	var rows int
	require.NoError(t, db.Pool.QueryRow(t.Context(),
		`SELECT count(*) FROM instructor_services WHERE instructor_id = $1`, instID).Scan(&rows))
	require.Equal(t, 1, rows)
}

func TestOfferOnlineNeedsAnOnlineCapableService(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.register(t, "instructor")
	boxing := catService(t, e, "boxing")
	require.False(t, boxing.OnlineCapable)

	r := e.do("POST", "/api/v1/instructors/me/services", catOfferBody(boxing.ID, 6000), bearer(tok)...)
	m := requireProblem(t, r, 422, "validation_failed")
	require.Equal(t, []string{"location_types"}, problemFields(t, m))

	body := catOfferBody(boxing.ID, 6000)
	body["location_types"] = []string{"in_person"}
	o := catCreateOffer(t, e, tok, body)
	r = e.do("PATCH", "/api/v1/instructors/me/services/"+o.ID, map[string]any{"location_types": []string{"online"}}, bearer(tok)...)
	requireProblem(t, r, 422, "validation_failed")
	var me api.InstructorOwnProfileDTO
	e.do("GET", "/api/v1/instructors/me", nil, bearer(tok)...).JSON(t, &me)
	require.Equal(t, []string{"in_person"}, me.Services[0].LocationTypes)
}

// TestInstructorListing runs on its own database, so it knows every instructor that exists.
func TestInstructorListing(t *testing.T) {
	e, d := catIsolatedEnv(t)
	piano, guitar, spanish := catService(t, e, "piano"), catService(t, e, "guitar"), catService(t, e, "spanish")

	type inst struct {
		tok, id string
	}
	mk := func(offers ...map[string]any) inst {
		tok, id := e.register(t, "instructor")
		for _, o := range offers {
			catCreateOffer(t, e, tok, o)
		}
		return inst{tok, id}
	}
	a := mk(catOfferBody(piano.ID, 5000), catOfferBody(spanish.ID, 3000))
	b := mk(catOfferBody(piano.ID, 9000))
	c := mk(catOfferBody(guitar.ID, 4000))
	dd := mk(catOfferBody(spanish.ID, 12000))
	suspended := mk(catOfferBody(piano.ID, 5000))
	_, err := d.Pool.Exec(t.Context(), `UPDATE users SET account_status = 'suspended' WHERE id = $1`, suspended.id)
	require.NoError(t, err)
	noOffer := mk()
	deleted := mk(catOfferBody(piano.ID, 5000))
	var me api.InstructorOwnProfileDTO
	e.do("GET", "/api/v1/instructors/me", nil, bearer(deleted.tok)...).JSON(t, &me)
	require.Equal(t, 200, e.do("DELETE", "/api/v1/instructors/me/services/"+me.Services[0].ID, nil, bearer(deleted.tok)...).Status)
	_ = noOffer

	list := func(query string) []string {
		t.Helper()
		r := e.do("GET", "/api/v1/instructors"+query, nil)
		require.Equal(t, 200, r.Status, "%s: %s", query, r.Body)
		var p api.Page[api.InstructorProfileDTO]
		r.JSON(t, &p)
		ids := []string{}
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", sorted(a.id, b.id, c.id, dd.id)},
		{"?service=piano", sorted(a.id, b.id)},
		{"?service=" + piano.ID, sorted(a.id, b.id)},
		{"?service=PIANO", []string{}},
		{"?service=no-such-service", []string{}},
		{"?service=" + persistence.NewID(), []string{}},
		{"?category=music", sorted(a.id, b.id, c.id)},
		{"?category=languages", sorted(a.id, dd.id)},
		{"?category=no-such-category", []string{}},
		{"?max_price_cents=4000", sorted(a.id, c.id)},
		{"?min_price_cents=9000", sorted(b.id, dd.id)},
		{"?min_price_cents=4000&max_price_cents=5000", sorted(a.id, c.id)},
		{"?service=piano&max_price_cents=6000", []string{a.id}},
		{"?category=languages&min_price_cents=3001", []string{dd.id}},
		// Every filter applies to the same offer: a's spanish offer is cheap, its piano offer is
		// music, but no single offer is both.
		{"?category=music&max_price_cents=3000", []string{}},
	} {
		require.Equal(t, tc.want, list(tc.query), "query %q", tc.query)
	}

	// Items are public profiles with all of the instructor's active offers.
	r := e.do("GET", "/api/v1/instructors?service=spanish&max_price_cents=3000", nil)
	var p api.Page[api.InstructorProfileDTO]
	r.JSON(t, &p)
	require.Len(t, p.Items, 1)
	require.Len(t, p.Items[0].Services, 2)
	require.NotContains(t, string(r.Body), "email")
	require.Nil(t, p.NextCursor)

	// Walking pages of one yields each instructor once, in id order.
	var walked []string
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		r := e.do("GET", "/api/v1/instructors?limit=1"+cursor, nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var p api.Page[api.InstructorProfileDTO]
		r.JSON(t, &p)
		for _, it := range p.Items {
			walked = append(walked, it.ID)
		}
		if p.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *p.NextCursor
	}
	require.Equal(t, sorted(a.id, b.id, c.id, dd.id), walked)
}

// catDecode decodes an HTTP response body (for goroutines, which must not call require).
func catDecode(res *http.Response, v any) error {
	return json.NewDecoder(res.Body).Decode(v)
}
