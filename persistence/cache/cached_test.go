package cache_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// cachedStores wraps the package store with a fresh cache (own prefix on the shared Redis).
func cachedStores(t *testing.T) (*cache.Stores, *cache.Cache) {
	t.Helper()
	c, _ := sharedCache(t, cache.Config{})
	return cache.NewStores(c, db.Store), c
}

// sameJSON asserts that two values encode identically: cached values are decoded from JSON, so
// times lose their *time.Location and only the encoding is comparable.
func sameJSON(t *testing.T, want, got any, msgAndArgs ...any) {
	t.Helper()
	a, err := json.Marshal(want)
	require.NoError(t, err)
	b, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(a), string(b), msgAndArgs...)
}

// statDelta runs fn and reports how many hits and loads it caused.
func statDelta(c *cache.Cache, fn func()) (hits, loads int64) {
	before := c.Stats()
	fn()
	after := c.Stats()
	return after.Hits - before.Hits, after.Loads - before.Loads
}

// Every catalog read: the first call loads, the second is a hit with the same value as the
// store's; calls differing in any argument are separate entries.
func TestCachedCatalogReads(t *testing.T) {
	ctx := context.Background()
	db.NewFixture(t) // catalog seeded, piano offered
	cs, c := cachedStores(t)
	after := &instainstru.ServiceCursor{Rank: 0, Order: 3, ID: persistence.NewID()}

	tests := []struct {
		name   string
		direct func() (any, error)
		cached func() (any, error)
	}{
		{"categories",
			func() (any, error) { return db.Store.Categories(ctx) },
			func() (any, error) { return cs.Catalog.Categories(ctx) }},
		{"services default",
			func() (any, error) { return db.Store.CatalogServices(ctx, instainstru.ServiceQuery{Limit: 20}) },
			func() (any, error) { return cs.Catalog.CatalogServices(ctx, instainstru.ServiceQuery{Limit: 20}) }},
		{"services other limit",
			func() (any, error) { return db.Store.CatalogServices(ctx, instainstru.ServiceQuery{Limit: 5}) },
			func() (any, error) { return cs.Catalog.CatalogServices(ctx, instainstru.ServiceQuery{Limit: 5}) }},
		{"services filtered",
			func() (any, error) {
				return db.Store.CatalogServices(ctx, instainstru.ServiceQuery{CategorySlug: "music", Text: "pia", Limit: 20})
			},
			func() (any, error) {
				return cs.Catalog.CatalogServices(ctx, instainstru.ServiceQuery{CategorySlug: "music", Text: "pia", Limit: 20})
			}},
		{"services text with separators",
			func() (any, error) {
				return db.Store.CatalogServices(ctx, instainstru.ServiceQuery{Text: `pia"|{`, Limit: 20})
			},
			func() (any, error) {
				return cs.Catalog.CatalogServices(ctx, instainstru.ServiceQuery{Text: `pia"|{`, Limit: 20})
			}},
		{"services after cursor",
			func() (any, error) {
				return db.Store.CatalogServices(ctx, instainstru.ServiceQuery{Limit: 20, After: after})
			},
			func() (any, error) {
				return cs.Catalog.CatalogServices(ctx, instainstru.ServiceQuery{Limit: 20, After: after})
			}},
		{"service by slug",
			func() (any, error) { s, a, err := db.Store.CatalogServiceDetail(ctx, "piano"); return []any{s, a}, err },
			func() (any, error) {
				s, a, err := cs.Catalog.CatalogServiceDetail(ctx, "piano")
				return []any{s, a}, err
			}},
		{"top 7",
			func() (any, error) { return db.Store.TopServicesPerCategory(ctx, 7) },
			func() (any, error) { return cs.Catalog.TopServicesPerCategory(ctx, 7) }},
		{"top 1",
			func() (any, error) { return db.Store.TopServicesPerCategory(ctx, 1) },
			func() (any, error) { return cs.Catalog.TopServicesPerCategory(ctx, 1) }},
		{"popular 10/30",
			func() (any, error) { return db.Store.PopularServices(ctx, 10, 30) },
			func() (any, error) { return cs.Catalog.PopularServices(ctx, 10, 30) }},
		{"popular 10/7",
			func() (any, error) { return db.Store.PopularServices(ctx, 10, 7) },
			func() (any, error) { return cs.Catalog.PopularServices(ctx, 10, 7) }},
		{"popular 3/30",
			func() (any, error) { return db.Store.PopularServices(ctx, 3, 30) },
			func() (any, error) { return cs.Catalog.PopularServices(ctx, 3, 30) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := tt.direct()
			require.NoError(t, err)
			// Entries are shared between argument lists (see keys.go), so the first call may find
			// what an earlier one loaded; the second never loads anything.
			var first, second any
			_, _ = statDelta(c, func() { first, err = tt.cached() })
			require.NoError(t, err)
			sameJSON(t, want, first)
			hits, loads := statDelta(c, func() { second, err = tt.cached() })
			require.NoError(t, err)
			require.Positive(t, hits, "second call is served from the cache")
			require.Equal(t, int64(0), loads)
			sameJSON(t, want, second)
		})
	}

	// An unknown service is not_found, answered from the catalog index without a key or a query.
	for range 2 {
		_, _, err := cs.Catalog.CatalogServiceDetail(ctx, "no-such-service")
		require.True(t, instainstru.IsCode(err, instainstru.CodeNotFound), "%v", err)
	}
}

// catalogCount reads piano's active_instructors through the cache.
func catalogCount(t *testing.T, cs *cache.Stores) int {
	t.Helper()
	sv, _, err := cs.Catalog.CatalogServiceDetail(context.Background(), "piano")
	require.NoError(t, err)
	return sv.ActiveInstructors
}

// Offer writes through the decorator change the cached catalog counts, the public profile and the
// calendar's shortest duration at once; refused writes bump nothing.
func TestCachedOfferWritesInvalidate(t *testing.T) {
	ctx := context.Background()
	f := db.NewFixture(t)
	cs, c := cachedStores(t)
	from := instainstru.DateOf(time.Now().UTC())
	to := from.AddDays(3)
	shortest := func() int {
		cal, err := cs.Public.PublicCalendar(ctx, f.Instructor2, from, to)
		require.NoError(t, err)
		return cal.ShortestDuration
	}
	services := func() int {
		p, err := cs.Instructors.PublicInstructor(ctx, f.Instructor2)
		require.NoError(t, err)
		return len(p.Services)
	}
	var guitar string
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT id FROM service_catalog WHERE slug='guitar'`).Scan(&guitar))
	guitarCount := func() int {
		sv, _, err := cs.Catalog.CatalogServiceDetail(ctx, "guitar")
		require.NoError(t, err)
		return sv.ActiveInstructors
	}

	// Warm everything and show it is served from the cache: a write behind the decorators' back
	// stays invisible, so the checks below can only pass through invalidation.
	g0, n0, sh0 := guitarCount(), services(), shortest()
	require.Equal(t, 60, sh0)
	db.MustExec(t, `UPDATE instructor_services SET duration_options='{45,60}' WHERE id=$1`, f.Offer2)
	require.Equal(t, 60, shortest(), "cached: a direct write is not seen")
	db.MustExec(t, `UPDATE instructor_services SET duration_options='{60}' WHERE id=$1`, f.Offer2)

	o, err := cs.Offers.CreateOffer(ctx, f.Instructor2, instainstru.OfferInput{CatalogServiceID: guitar,
		HourlyRateCents: 5000, DurationOptions: []int{30, 90}, LocationTypes: []instainstru.LocationType{instainstru.LocationInPerson}})
	require.NoError(t, err)
	require.Equal(t, g0+1, guitarCount(), "catalog count after create")
	require.Equal(t, n0+1, services(), "profile after create")
	require.Equal(t, 30, shortest(), "calendar after create")

	// A refused write (same service again) changes nothing and bumps nothing.
	catV, _ := c.Version(ctx, "catalog")
	profV, _ := c.Version(ctx, "profile:"+f.Instructor2)
	_, err = cs.Offers.CreateOffer(ctx, f.Instructor2, instainstru.OfferInput{CatalogServiceID: guitar,
		HourlyRateCents: 5000, DurationOptions: []int{60}, LocationTypes: []instainstru.LocationType{instainstru.LocationInPerson}})
	require.True(t, instainstru.IsCode(err, instainstru.CodeServiceAlreadyOffer), "%v", err)
	v, _ := c.Version(ctx, "catalog")
	require.Equal(t, catV, v)
	v, _ = c.Version(ctx, "profile:"+f.Instructor2)
	require.Equal(t, profV, v)

	// An update moves the profile and calendar but not the catalog.
	durations := []int{45, 90}
	_, err = cs.Offers.UpdateOffer(ctx, f.Instructor2, o.ID, instainstru.OfferPatch{DurationOptions: &durations})
	require.NoError(t, err)
	require.Equal(t, 45, shortest(), "calendar after update")
	v, _ = c.Version(ctx, "catalog")
	require.Equal(t, catV, v, "an offer update leaves the catalog alone")

	how, err := cs.Offers.DeleteOffer(ctx, f.Instructor2, o.ID)
	require.NoError(t, err)
	require.Equal(t, instainstru.OfferHardDeleted, how)
	require.Equal(t, g0, guitarCount(), "catalog count after delete")
	require.Equal(t, n0, services(), "profile after delete")
	require.Equal(t, 60, shortest(), "calendar after delete")
}

// The public calendar is cached per instructor and window, identical on hit and miss, and
// invalidated by AvailabilityChanged (bookings, availability) and by profile, name and status
// writes through the decorators.
func TestCachedPublicCalendar(t *testing.T) {
	ctx := context.Background()
	f := db.NewFixture(t)
	cs, c := cachedStores(t)
	day := instainstru.DateOf(time.Now().UTC()).AddDays(3)
	from, to := day.AddDays(-1), day.AddDays(1)
	require.NoError(t, errOnly(db.Store.ReplaceAvailability(ctx, f.Instructor2,
		map[instainstru.Date][]instainstru.TimeRange{day: {{Start: 9 * 60, End: 17 * 60}}}, instainstru.AnyVersion)))
	read := func() *instainstru.PublicCalendar {
		t.Helper()
		cal, err := cs.Public.PublicCalendar(ctx, f.Instructor2, from, to)
		require.NoError(t, err)
		return cal
	}

	want, err := db.Store.PublicCalendar(ctx, f.Instructor2, from, to)
	require.NoError(t, err)
	var first, second *instainstru.PublicCalendar
	_, loads := statDelta(c, func() { first = read() })
	require.Equal(t, int64(1), loads)
	hits, loads := statDelta(c, func() { second = read() })
	require.Equal(t, int64(1), hits)
	require.Equal(t, int64(0), loads)
	// The cache stamps the version it read the calendar under; the store knows none.
	require.Zero(t, want.Version)
	require.Positive(t, first.Version)
	require.Equal(t, first.Version, second.Version, "nothing changed: same version")
	unstamped := func(c *instainstru.PublicCalendar) instainstru.PublicCalendar { u := *c; u.Version = 0; return u }
	sameJSON(t, want, unstamped(first))
	sameJSON(t, want, unstamped(second))
	require.Len(t, second.Availability, 1)

	// Another window is another entry.
	_, loads = statDelta(c, func() {
		_, err := cs.Public.PublicCalendar(ctx, f.Instructor2, from, to.AddDays(1))
		require.NoError(t, err)
	})
	require.Equal(t, int64(1), loads)

	// A booking written behind the cache's back is not seen; AvailabilityChanged makes it seen,
	// in every window of the instructor.
	start := time.Date(day.Year, day.Month, day.Day, 15, 0, 0, 0, time.UTC)
	require.NoError(t, db.InsertBooking(f.Student, f.Instructor2, f.Offer2, start, 60, 0))
	stale := read()
	require.Empty(t, stale.Bookings, "cached")
	require.Equal(t, first.Version, stale.Version)
	cs.AvailabilityChanged(ctx, f.Instructor2)
	fresh := read()
	require.Len(t, fresh.Bookings, 1)
	require.Greater(t, fresh.Version, stale.Version, "an invalidation moves the version")
	other, err := cs.Public.PublicCalendar(ctx, f.Instructor2, from, to.AddDays(1))
	require.NoError(t, err)
	require.Len(t, other.Bookings, 1, "the other window was invalidated too")

	// Writes through the decorators show at once.
	_, err = cs.Instructors.UpdateInstructorProfile(ctx, f.Instructor2, instainstru.ProfileUpdate{
		AreasOfService: []string{}, MinAdvanceBookingHours: 5, BufferMinutes: 30})
	require.NoError(t, err)
	cal := read()
	require.Equal(t, 30, cal.BufferMinutes)
	require.Equal(t, 5, cal.MinAdvanceBookingHours)

	name, zone := "Renamed Teacher", "Europe/Paris"
	_, err = cs.Users.UpdateUserProfile(ctx, f.Instructor2, &name, &zone)
	require.NoError(t, err)
	cal = read()
	require.Equal(t, name, cal.FullName)
	require.Equal(t, zone, cal.Timezone)

	db.MustExec(t, `UPDATE bookings SET status='cancelled', cancelled_at=now(), cancellation_reason='x' WHERE instructor_id=$1`, f.Instructor2)
	cs.AvailabilityChanged(ctx, f.Instructor2)
	_, err = cs.Accounts.SuspendAccount(ctx, f.Instructor2)
	require.NoError(t, err)
	require.Equal(t, instainstru.StatusSuspended, read().AccountStatus)
	_, err = cs.Accounts.ReactivateAccount(ctx, f.Instructor2)
	require.NoError(t, err)
	require.Equal(t, instainstru.StatusActive, read().AccountStatus)

	// Malformed and unknown ids are not_found, the malformed ones without touching the cache.
	for _, id := range []string{"not-an-id", "a|b", persistence.NewID()} {
		_, err := cs.Public.PublicCalendar(ctx, id, from, to)
		require.True(t, instainstru.IsCode(err, instainstru.CodeNotFound), "%s: %v", id, err)
	}
}

// 100 concurrent cold reads of one calendar reach the store once.
func TestCachedPublicCalendarLoadsOnce(t *testing.T) {
	ctx := context.Background()
	f := db.NewFixture(t)
	c, _ := sharedCache(t, cache.Config{})
	counter := &testenv.CountingCalendar{Next: db.Store, Delay: 30 * time.Millisecond}
	pub := cache.NewPublicAvailability(c, counter)
	day := instainstru.DateOf(time.Now().UTC())

	var wg sync.WaitGroup
	errs := make(chan error, 100)
	start := make(chan struct{})
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cal, err := pub.PublicCalendar(ctx, f.Instructor, day, day.AddDays(7))
			if err == nil && cal.InstructorID != f.Instructor {
				err = errWrongCalendar
			}
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int64(1), counter.Loads(), "one database load for 100 concurrent cold reads")
	st := c.Stats()
	require.Equal(t, int64(100), st.Hits+st.Misses)
	require.Positive(t, st.CoalescedWaits, "the reads overlapped the load")
}

var errWrongCalendar = &instainstru.Error{Code: instainstru.CodeInternal, Message: "wrong calendar"}

// Public profiles and listings are cached without emails and invalidated by status changes.
func TestCachedInstructorReads(t *testing.T) {
	ctx := context.Background()
	f := db.NewFixture(t)
	cs, c := cachedStores(t)

	direct, err := db.Store.PublicInstructor(ctx, f.Instructor2)
	require.NoError(t, err)
	require.NotEmpty(t, direct.Email, "the store's profile has the email")
	var p *instainstru.InstructorProfile
	_, loads := statDelta(c, func() { p, err = cs.Instructors.PublicInstructor(ctx, f.Instructor2) })
	require.NoError(t, err)
	require.Equal(t, int64(1), loads)
	require.Empty(t, p.Email, "the cache holds no email")
	direct.Email = ""
	sameJSON(t, direct, p)
	hits, _ := statDelta(c, func() { p, err = cs.Instructors.PublicInstructor(ctx, f.Instructor2) })
	require.NoError(t, err)
	require.Equal(t, int64(1), hits)
	sameJSON(t, direct, p)

	q := instainstru.InstructorQuery{Service: "piano", Limit: 100}
	inList := func() bool {
		for {
			page, err := cs.Instructors.PublicInstructors(ctx, q)
			require.NoError(t, err)
			for _, p := range page.Instructors {
				require.Empty(t, p.Email)
				if p.UserID == f.Instructor2 {
					return true
				}
			}
			if page.NextAfterID == "" {
				return false
			}
			q.AfterID = page.NextAfterID
		}
	}
	require.True(t, inList())
	q.AfterID = ""
	hits, loads = statDelta(c, func() { require.True(t, inList()) })
	require.Positive(t, hits)
	require.Zero(t, loads)

	count := catalogCount(t, cs)
	_, err = cs.Accounts.SuspendAccount(ctx, f.Instructor2)
	require.NoError(t, err)
	_, err = cs.Instructors.PublicInstructor(ctx, f.Instructor2)
	require.True(t, instainstru.IsCode(err, instainstru.CodeNotFound), "suspended: %v", err)
	q.AfterID = ""
	require.False(t, inList(), "suspended instructors leave the listing at once")
	require.Equal(t, count-1, catalogCount(t, cs))

	_, err = cs.Accounts.ReactivateAccount(ctx, f.Instructor2)
	require.NoError(t, err)
	_, err = cs.Instructors.PublicInstructor(ctx, f.Instructor2)
	require.NoError(t, err, "the remembered not_found is dropped on reactivation")
	q.AfterID = ""
	require.True(t, inList())
	require.Equal(t, count, catalogCount(t, cs))

	// A refused transition bumps nothing: a student cannot be suspended.
	v, _ := c.Version(ctx, "instructors")
	_, err = cs.Accounts.SuspendAccount(ctx, f.Student)
	require.True(t, instainstru.IsCode(err, instainstru.CodeForbidden), "%v", err)
	after, _ := c.Version(ctx, "instructors")
	require.Equal(t, v, after)
	// The own profile is never cached: it shows the email and every write at once.
	own, err := cs.Instructors.OwnInstructorProfile(ctx, f.Instructor2)
	require.NoError(t, err)
	require.NotEmpty(t, own.Email)
}

// The "most viewed" proxy: most bookings made in the last 30 days, then most active offers;
// hidden instructors are left out.
func TestWarmRanking(t *testing.T) {
	ctx := context.Background()
	a, b, cc := db.NewFixture(t), db.NewFixture(t), db.NewFixture(t)
	base := time.Date(2031, 5, 5, 8, 0, 0, 0, time.UTC)
	for i := range 3 { // a.Instructor: 3 recent bookings
		require.NoError(t, db.InsertBooking(a.Student, a.Instructor, a.Offer, base.Add(time.Duration(i)*2*time.Hour), 60, 0))
	}
	require.NoError(t, db.InsertBooking(b.Student, b.Instructor, b.Offer, base, 60, 0)) // 1 recent
	// cc.Instructor: 5 bookings made long ago
	for i := range 5 {
		require.NoError(t, db.InsertBooking(cc.Student, cc.Instructor, cc.Offer, base.Add(time.Duration(i)*2*time.Hour), 60, 0))
	}
	db.MustExec(t, `UPDATE bookings SET created_at = now() - interval '40 days' WHERE instructor_id=$1`, cc.Instructor)
	// b.Instructor2 gets a second active offer: no bookings, two offers.
	db.MustExec(t, `INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
		SELECT $1, $2, id, 5000, '{60}', '{online}' FROM service_catalog WHERE slug='guitar'`, persistence.NewID(), b.Instructor2)
	db.MustExec(t, `UPDATE users SET account_status='suspended' WHERE id=$1`, a.Instructor2)

	ids, err := db.Store.MostBookedInstructors(ctx, 30, 100000)
	require.NoError(t, err)
	pos := map[string]int{}
	for i, id := range ids {
		pos[id] = i
	}
	order := []string{a.Instructor, b.Instructor, b.Instructor2, cc.Instructor}
	for i, id := range order {
		require.Contains(t, pos, id)
		if i > 0 {
			require.Less(t, pos[order[i-1]], pos[id], "rank %d", i)
		}
	}
	require.NotContains(t, pos, a.Instructor2, "suspended instructors are not warmed")
	for _, s := range []string{a.Student, b.Student} {
		require.NotContains(t, pos, s)
	}
	top, err := db.Store.MostBookedInstructors(ctx, 30, 2)
	require.NoError(t, err)
	require.Len(t, top, 2)
	require.Equal(t, ids[:2], top)
}

// After WarmCache, what it warmed is served from the cache; the catalog starts a new generation.
func TestWarmCache(t *testing.T) {
	ctx := context.Background()
	f := db.NewFixture(t)
	require.NoError(t, db.InsertBooking(f.Student, f.Instructor, f.Offer, time.Date(2031, 6, 2, 9, 0, 0, 0, time.UTC), 60, 0))
	cs, c := cachedStores(t)

	// A catalog entry cached before warming is reloaded after it (analytics changed).
	_, err := cs.Catalog.CatalogServices(ctx, instainstru.ServiceQuery{Limit: 20})
	require.NoError(t, err)

	st, err := cs.WarmCache(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, st.Catalog)
	ranked, err := db.Store.MostBookedInstructors(ctx, 30, 100)
	require.NoError(t, err)
	require.Equal(t, ranked, st.Instructors, "every ranked instructor was warmed, in rank order")
	require.Equal(t, len(ranked), st.Profiles)
	require.LessOrEqual(t, st.Calendars, st.Profiles)
	require.NotEmpty(t, st.Instructors)
	if len(ranked) < 100 { // every public instructor fits: this test's one is among them
		require.Contains(t, st.Instructors, f.Instructor)
	}

	today := instainstru.DateOf(time.Now().UTC())
	from, to := instainstru.CalendarWindow(today.AddDays(-1), today.AddDays(7)) // what the API loads
	calls := 0
	hits, loads := statDelta(c, func() {
		_, err := cs.Catalog.Categories(ctx)
		require.NoError(t, err)
		_, err = cs.Catalog.TopServicesPerCategory(ctx, 7)
		require.NoError(t, err)
		_, err = cs.Catalog.PopularServices(ctx, 10, 30)
		require.NoError(t, err)
		calls += 3
		for _, id := range st.Instructors {
			_, err := cs.Instructors.PublicInstructor(ctx, id)
			require.NoError(t, err)
			// An instructor without a saved profile has no calendar: that not_found is cached too.
			_, err = cs.Public.PublicCalendar(ctx, id, from, to)
			if !instainstru.IsCode(err, instainstru.CodeNotFound) {
				require.NoError(t, err)
			}
			calls += 2
		}
	})
	require.Equal(t, int64(calls), hits, "every warmed key is a hit")
	require.Zero(t, loads)

	_, loads = statDelta(c, func() {
		_, err := cs.Catalog.CatalogServices(ctx, instainstru.ServiceQuery{Limit: 20})
		require.NoError(t, err)
	})
	require.Equal(t, int64(1), loads, "warming started a new catalog generation")

	// Warming twice is harmless and leaves profiles and calendars as they were (hits).
	hits, loads = statDelta(c, func() {
		st2, err := cs.WarmCache(ctx)
		require.NoError(t, err)
		require.Equal(t, st.Instructors, st2.Instructors)
	})
	require.Equal(t, int64(3), loads, "only the catalog entries are loaded again")
	require.Equal(t, int64(2*len(st.Instructors)), hits)
}

// erringOffers answers every offer update with err and writes nothing.
type erringOffers struct {
	instainstru.OfferStore
	err error
}

func (e erringOffers) UpdateOffer(context.Context, string, string, instainstru.OfferPatch) (*instainstru.InstructorService, error) {
	return nil, e.err
}

// A write invalidates when it may have changed data: after success, and after a failure whose
// outcome is unknown (internal, unavailable: the commit may have happened), never after a domain
// refusal; a successful write about a student (in no public view) invalidates nothing.
func TestWriteInvalidatesWhenItMayHaveChanged(t *testing.T) {
	ctx := context.Background()
	f := db.NewFixture(t)
	_, c := cachedStores(t)
	version := func() int64 { v, ok := c.Version(ctx, "profile:"+f.Instructor); require.True(t, ok); return v }
	for _, tc := range []struct {
		err   error
		bumps bool
	}{
		{instainstru.Internal(context.DeadlineExceeded), true},
		{&instainstru.Error{Code: instainstru.CodeUnavailable, Message: "database unavailable"}, true},
		{&instainstru.Error{Code: instainstru.CodeConflict, Message: "refused"}, false},
		{&instainstru.Error{Code: instainstru.CodeNotFound, Message: "no such offer"}, false},
	} {
		offers := cache.NewOffers(c, erringOffers{OfferStore: db.Store, err: tc.err})
		before := version()
		_, err := offers.UpdateOffer(ctx, f.Instructor, f.Offer, instainstru.OfferPatch{})
		require.Equal(t, tc.err, err, "the write's error is passed through")
		require.Equal(t, tc.bumps, version() > before, "%v", tc.err)
	}

	users := cache.NewUsers(c, db.Store)
	before, _ := c.Version(ctx, "instructors")
	name := "Stu Renamed"
	u, err := users.UpdateUserProfile(ctx, f.Student, &name, nil)
	require.NoError(t, err)
	require.Equal(t, name, u.FullName)
	after, _ := c.Version(ctx, "instructors")
	require.Equal(t, before, after, "a student's profile is in no public view")
}

// errOnly drops a fenced write's new calendar version, for fixtures that only care it worked.
func errOnly(_ int64, err error) error { return err }
