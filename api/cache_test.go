package api_test

// The Redis cache in front of the public reads, end to end: freshness after writes, Redis outages,
// request coalescing and warming, over real HTTP against real PostgreSQL and Redis.

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// sharedTestCache is a cache on the shared Redis (the package's DB 1) under its own prefix. The
// per-call timeout is generous: other packages' tests load the machine, and a Redis call that
// timed out would only make a read skip the cache, which the tests below count.
func sharedTestCache(t testing.TB) (*cache.Cache, *cache.Stores) {
	t.Helper()
	rdb, _ := testenv.Redis(t, 1)
	// NearTTL as in cmd: the near cache and the render memo are part of what these tests prove.
	c := cache.New(rdb, cache.Config{Prefix: "apicache:" + persistence.NewID() + ":",
		CallTimeout: 2 * time.Second, NearTTL: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c, cache.NewStores(c, db.Store)
}

// rawGet is a GET usable from any goroutine (the client's helpers fail the test, which only the
// test's own goroutine may do).
func rawGet(e *env, path string) (int, []byte, error) {
	res, err := e.http.Get(e.base + path)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, body, err
}

// freeAt reports whether the lesson [start, start+minutes) lies inside one listed range of date d.
func freeAt(t testing.TB, a pubAvailability, d instainstru.Date, start string, minutes int) bool {
	t.Helper()
	raw, ok := a.AvailabilityByDate[d.String()]
	require.True(t, ok, "date %s is in the window", d)
	s := hm(start)
	for _, r := range slotsOf(t, raw) {
		from, to, _ := strings.Cut(r, "-")
		if hm(from) <= s && s+instainstru.Minute(minutes) <= hm(to) {
			return true
		}
	}
	return false
}

// After POST /bookings answers 201, the very next public availability read no longer shows the
// booked time, 100 times over, while other readers hammer the same cached availability.
func TestCacheFreshAfterBooking(t *testing.T) {
	ch, cs := sharedTestCache(t)
	e := newEnv(t, withCache(t, cs))
	days := []instainstru.Date{dayAhead(2), dayAhead(3), dayAhead(4), dayAhead(5)}
	avail := map[instainstru.Date][]instainstru.TimeRange{}
	type slot struct {
		day   instainstru.Date
		start string
	}
	var slots []slot
	for _, d := range days {
		avail[d] = spans("09:00", "24:00")
		for m := 9 * 60; m < 24*60; m += 30 {
			slots = append(slots, slot{d, fmt.Sprintf("%02d:%02d", m/60, m%60)})
		}
	}
	rand.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })
	slots = slots[:100]
	tc := newTeacher(t, e, 6000, 0, 0, avail)
	s := fastUser(t, "student")
	path := pubPath(tc.ID, "start_date="+days[0].String(), "end_date="+days[len(days)-1].String())

	// Readers hammering the same instructor's availability (the same cache entry, another window
	// and next-available) for the whole loop: none of them may ever see an error.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, failures atomic.Int64
	var firstFailure atomic.Value
	for i, p := range []string{path, path, path, pubPath(tc.ID),
		"/api/v1/public/instructors/" + tc.ID + "/next-available?duration_minutes=30"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				status, body, err := rawGet(e, p)
				reads.Add(1)
				if err != nil || status != 200 {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("reader %d: %d %v %s", i, status, err, body))
				}
			}
		}()
	}

	hits := ch.Stats().Hits
	for i, sl := range slots {
		_, before := getAvailability(t, e, path)
		require.True(t, freeAt(t, before, sl.day, sl.start, 30), "iteration %d: %s %s is free before booking", i, sl.day, sl.start)
		r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, sl.day, sl.start, 30), bearer(s.Token)...)
		require.Equal(t, 201, r.Status, "iteration %d: %s", i, r.Body)
		_, after := getAvailability(t, e, path)
		require.False(t, freeAt(t, after, sl.day, sl.start, 30), "iteration %d: %s %s still shown after its booking", i, sl.day, sl.start)
	}
	close(stop)
	wg.Wait()
	require.Zero(t, failures.Load(), "%v", firstFailure.Load())
	require.Greater(t, reads.Load(), int64(100), "the readers ran during the loop")
	require.Greater(t, ch.Stats().Hits, hits, "reads were served from the cache")
	require.Zero(t, overlaps(t))
}

// Redis killed in the middle: every cached read path and POST /bookings keep answering correctly
// from PostgreSQL; once redis-server is back on the same port, the cache serves hits again.
func TestCacheSurvivesRedisOutage(t *testing.T) {
	p := testenv.StartRedis(t)
	ch := cache.New(p.Client(), cache.Config{Prefix: "outage:", CallTimeout: 200 * time.Millisecond, NearTTL: time.Second,
		CoolDown: 300 * time.Millisecond})
	t.Cleanup(func() { _ = ch.Close() })
	cs := cache.NewStores(ch, db.Store)
	e := newEnv(t, withCache(t, cs))
	d := dayAhead(2)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("09:00", "17:00")})
	s := fastUser(t, "student")
	avail := pubPath(tc.ID, "start_date="+d.String(), "end_date="+d.String())
	reads := []string{
		avail,
		"/api/v1/catalog/categories",
		"/api/v1/catalog/services?category=music",
		"/api/v1/catalog/services/piano",
		"/api/v1/catalog/top-per-category",
		"/api/v1/catalog/popular",
		"/api/v1/instructors/" + tc.ID,
		"/api/v1/instructors?service=piano&limit=5",
	}
	// Warm every path and remember its answer.
	want := map[string]string{}
	for _, path := range reads {
		r := e.do("GET", path, nil)
		require.Equal(t, 200, r.Status, "%s: %s", path, r.Body)
		want[path] = string(r.Body)
	}
	// A read may take several entries (a listing reads its index and the profiles): warm means
	// every one of them is a hit and nothing is loaded.
	before := ch.Stats()
	for _, path := range reads {
		r := e.do("GET", path, nil)
		require.Equal(t, 200, r.Status, "%s: %s", path, r.Body)
		require.JSONEq(t, want[path], string(r.Body), path)
	}
	require.GreaterOrEqual(t, ch.Stats().Hits-before.Hits, int64(len(reads)), "warm: every read is a hit")
	require.Equal(t, before.Loads, ch.Stats().Loads, "warm: nothing is loaded")

	p.Kill()
	for round := range 3 { // failing calls, then the breaker open
		for _, path := range reads {
			r := e.do("GET", path, nil)
			require.Equal(t, 200, r.Status, "round %d %s with Redis down: %s", round, path, r.Body)
			require.JSONEq(t, want[path], string(r.Body), "round %d %s", round, path)
		}
	}
	st := ch.Stats()
	require.Positive(t, st.Errors+st.Skipped, "Redis was really unreachable")
	require.Positive(t, st.BreakerOpens)

	// Writes go on, and the next read shows them although the invalidation could not reach Redis.
	_, a := getAvailability(t, e, avail)
	require.True(t, freeAt(t, a, d, "10:00", 60))
	r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, "10:00", 60), bearer(s.Token)...)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	_, a = getAvailability(t, e, avail)
	require.False(t, freeAt(t, a, d, "10:00", 60), "the booking shows with Redis down")
	require.True(t, freeAt(t, a, d, "11:00", 60))
	require.Positive(t, ch.Stats().InvalidationFailures)
	r = e.do("GET", "/api/v1/instructors/"+tc.ID, nil)
	require.Equal(t, 200, r.Status)
	require.JSONEq(t, want["/api/v1/instructors/"+tc.ID], string(r.Body))

	// Back on the same port: after the cool-down the breaker closes, the cache is flushed once and
	// hits resume, with the data still correct.
	p.Start()
	hits := ch.Stats().Hits
	deadline := time.Now().Add(15 * time.Second)
	for ch.Stats().Hits < hits+3 {
		require.True(t, time.Now().Before(deadline), "hits did not resume: %+v", ch.Stats())
		_, a = getAvailability(t, e, avail)
		require.False(t, freeAt(t, a, d, "10:00", 60), "no stale availability after the outage")
		for _, path := range reads[1:] {
			r := e.do("GET", path, nil)
			require.Equal(t, 200, r.Status, "%s", path)
			if path != "/api/v1/catalog/popular" { // the new booking may move the ranking's fallback
				require.JSONEq(t, want[path], string(r.Body), path)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	st = ch.Stats()
	require.Equal(t, "closed", st.BreakerState)
	require.Positive(t, st.Flushes, "the cache was flushed after the outage")
}

// 100 concurrent cold reads of one instructor's public availability: one database load.
func TestCacheColdReadsLoadOnce(t *testing.T) {
	ch, cs := sharedTestCache(t)
	counter := &testenv.CountingCalendar{Next: db.Store, Delay: 50 * time.Millisecond}
	e := newEnv(t, withCache(t, cs), func(_ *api.Config, d *api.Deps) {
		d.Public = cache.NewPublicAvailability(ch, counter)
	})
	d := dayAhead(1)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("09:00", "12:00")})
	path := pubPath(tc.ID)

	type answer struct {
		status int
		body   string
		err    error
	}
	answers := make(chan answer, 100)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, body, err := rawGet(e, path)
			answers <- answer{status, string(body), err}
		}()
	}
	close(start)
	wg.Wait()
	close(answers)
	var first string
	for a := range answers {
		require.NoError(t, a.err)
		require.Equal(t, 200, a.status, a.body)
		if first == "" {
			first = a.body
		}
		require.JSONEq(t, first, a.body, "every reader got the same answer")
	}
	var got pubAvailability
	require.NoError(t, json.Unmarshal([]byte(first), &got))
	require.Equal(t, []string{"09:00-12:00"}, slotsOf(t, got.AvailabilityByDate[d.String()]))
	require.Equal(t, int64(1), counter.Loads(), "one database load for 100 concurrent cold reads")
}

// Writes through the API invalidate at once: a buffer change (PUT /instructors/me) and a new name
// (PATCH /auth/me) show in the very next public availability read.
func TestCacheInvalidatesOnProfileChange(t *testing.T) {
	ch, cs := sharedTestCache(t)
	e := newEnv(t, withCache(t, cs))
	d := dayAhead(3)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("09:00", "18:00")})
	s := fastUser(t, "student")
	r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, "12:00", 60), bearer(s.Token)...)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	path := pubPath(tc.ID, "start_date="+d.String(), "end_date="+d.String())

	slots := func() []string {
		t.Helper()
		_, a := getAvailability(t, e, path)
		return slotsOf(t, a.AvailabilityByDate[d.String()])
	}
	require.Equal(t, []string{"09:00-12:00", "13:00-18:00"}, slots())
	hits := ch.Stats().Hits
	require.Equal(t, []string{"09:00-12:00", "13:00-18:00"}, slots())
	require.Equal(t, hits+1, ch.Stats().Hits, "the second read is served from the cache")

	r = e.do("PUT", "/api/v1/instructors/me", map[string]any{"buffer_minutes": 30, "min_advance_booking_hours": 0},
		bearer(tc.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	// Before the lesson the new buffer applies; after it, the buffer it was booked with (none).
	require.Equal(t, []string{"09:00-11:30", "13:00-18:00"}, slots(), "the new buffer shows at once")

	r = e.do("PATCH", "/api/v1/auth/me", map[string]any{"full_name": "Zelda Quartz"}, bearer(tc.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	_, a := getAvailability(t, e, path)
	require.NotNil(t, a.InstructorName)
	require.Equal(t, "Zelda Q.", *a.InstructorName)
	var prof map[string]any
	e.do("GET", "/api/v1/instructors/"+tc.ID, nil).JSON(t, &prof)
	require.Equal(t, "Zelda Quartz", prof["full_name"])
}

// catalogPianoInstructors is piano's active_instructors as the (cached) catalog reports it.
func catalogPianoInstructors(t *testing.T, e *env) float64 {
	t.Helper()
	r := e.do("GET", "/api/v1/catalog/services/piano", nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	return r.Map(t)["active_instructors"].(float64)
}

// listedForPiano reports whether GET /instructors?service=piano lists id (on any page).
func listedForPiano(t *testing.T, e *env, id string) bool {
	t.Helper()
	cursor := ""
	for {
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		r := e.do("GET", "/api/v1/instructors?service=piano&limit=100&cursor="+cursor, nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		r.JSON(t, &page)
		for _, it := range page.Items {
			if it.ID == id {
				return true
			}
		}
		if page.NextCursor == nil {
			return false
		}
		cursor = *page.NextCursor
	}
}

// Deleting an offer and suspending the account show at once in every cached view: the profile,
// the listings, the catalog counts, and (suspension) 404 for the profile and availability.
func TestCacheInvalidatesOnOfferDeleteAndSuspension(t *testing.T) {
	_, cs := sharedTestCache(t)
	e := newEnv(t, withCache(t, cs))
	d := dayAhead(2)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("09:00", "12:00")})
	profile := "/api/v1/instructors/" + tc.ID
	avail := pubPath(tc.ID)
	next := "/api/v1/public/instructors/" + tc.ID + "/next-available"
	services := func() int {
		t.Helper()
		var p struct {
			Services []map[string]any `json:"services"`
		}
		r := e.do("GET", profile, nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		r.JSON(t, &p)
		return len(p.Services)
	}

	// Warm: profile, listing, catalog, availability.
	require.Equal(t, 1, services())
	require.True(t, listedForPiano(t, e, tc.ID))
	count := catalogPianoInstructors(t, e)
	getAvailability(t, e, avail)
	require.Equal(t, 1, services())
	require.True(t, listedForPiano(t, e, tc.ID))
	require.Equal(t, count, catalogPianoInstructors(t, e))

	r := e.do("DELETE", "/api/v1/instructors/me/services/"+tc.Offer, nil, bearer(tc.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, 0, services(), "the profile drops the offer at once")
	require.False(t, listedForPiano(t, e, tc.ID), "the listing drops the instructor at once")
	require.Equal(t, count-1, catalogPianoInstructors(t, e), "the catalog count drops at once")
	// With no offer left, next-available falls back to one hour (the default duration).
	var na api.PublicNextAvailableDTO
	e.do("GET", next, nil).JSON(t, &na)
	require.True(t, na.Found)
	require.Equal(t, "09:00", na.StartTime)
	require.Equal(t, "10:00", na.EndTime)

	var piano string
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT id FROM service_catalog WHERE slug='piano'`).Scan(&piano))
	r = e.do("POST", "/api/v1/instructors/me/services", map[string]any{"catalog_service_id": piano,
		"hourly_rate_cents": 5000, "duration_options": []int{45}, "location_types": []string{"online"}}, bearer(tc.Token)...)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	require.Equal(t, 1, services())
	require.True(t, listedForPiano(t, e, tc.ID))
	require.Equal(t, count, catalogPianoInstructors(t, e))
	e.do("GET", next, nil).JSON(t, &na)
	require.Equal(t, "09:45", na.EndTime, "the new offer's 45 minutes are the default duration at once")

	r = e.do("POST", "/api/v1/account/suspend", nil, bearer(tc.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	requireProblem(t, e.do("GET", profile, nil), 404, "not_found")
	requireProblem(t, e.do("GET", avail, nil), 404, "not_found")
	requireProblem(t, e.do("GET", next, nil), 404, "not_found")
	require.False(t, listedForPiano(t, e, tc.ID))
	require.Equal(t, count-1, catalogPianoInstructors(t, e))

	r = e.do("POST", "/api/v1/account/reactivate", nil, bearer(tc.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, 1, services())
	getAvailability(t, e, avail)
	require.True(t, listedForPiano(t, e, tc.ID))
	require.Equal(t, count, catalogPianoInstructors(t, e))
}

// After WarmCache, the API's own default reads of what it warmed are cache hits: the warmed keys
// are exactly the ones the handlers ask for.
func TestCacheWarm(t *testing.T) {
	ch, cs := sharedTestCache(t)
	e := newEnv(t, withCache(t, cs))
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{dayAhead(1): spans("09:00", "12:00")})
	s := fastUser(t, "student")
	r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, dayAhead(1), "09:00", 30), bearer(s.Token)...)
	require.Equal(t, 201, r.Status, "%s", r.Body)

	st, err := cs.WarmCache(t.Context())
	require.NoError(t, err)
	require.Equal(t, 3, st.Catalog)
	require.NotEmpty(t, st.Instructors)
	require.Equal(t, len(st.Instructors), st.Profiles)

	paths := []string{"/api/v1/catalog/categories", "/api/v1/catalog/top-per-category", "/api/v1/catalog/popular"}
	for _, id := range st.Instructors[:min(5, len(st.Instructors))] {
		paths = append(paths, "/api/v1/instructors/"+id, pubPath(id),
			"/api/v1/public/instructors/"+id+"/availability?duration_minutes=30")
	}
	before := ch.Stats()
	for _, p := range paths {
		r := e.do("GET", p, nil)
		require.Less(t, r.Status, 500, "%s: %s", p, r.Body)
	}
	after := ch.Stats()
	require.Equal(t, int64(len(paths)), after.Hits-before.Hits, "every read of a warmed key is a hit")
	require.Zero(t, after.Loads-before.Loads)
}
