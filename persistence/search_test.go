package persistence_test

import (
	"context"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// The search SQL gets a database of its own: its fixtures add instructors that other tests of
// this package would otherwise count.
func searchDB(t *testing.T) *testenv.DB {
	t.Helper()
	d, err := testenv.NewDatabase("persistence_search")
	require.NoError(t, err)
	t.Cleanup(d.Close)
	_, _, err = d.Store.SeedCatalog(context.Background())
	require.NoError(t, err)
	return d
}

func TestSearchSQL(t *testing.T) {
	ctx := context.Background()
	d := searchDB(t)
	st := d.Store
	f := testenv.NewSearchFixture(t, d.Pool)
	day := instainstru.Date{Year: 2026, Month: 11, Day: 19}

	cheap := f.Instructor(testenv.InstructorSpec{Name: "Cheap Piano", Areas: []string{"Brooklyn", "Park Slope"}, Bio: "I love teaching kids."})
	cheapPiano := f.Offer(cheap, testenv.OfferSpec{ServiceSlug: "piano", Rate: 6000, Durations: []int{30, 60}, Locations: []string{"online"}})
	f.Offer(cheap, testenv.OfferSpec{ServiceSlug: "guitar", Rate: 9000})
	dear := f.Instructor(testenv.InstructorSpec{Name: "Dear Piano", Areas: []string{"Manhattan"}})
	f.Offer(dear, testenv.OfferSpec{ServiceSlug: "piano", Rate: 12000, Locations: []string{"in_person"}})
	suspended := f.Instructor(testenv.InstructorSpec{Name: "Gone Piano", Status: "suspended"})
	f.Offer(suspended, testenv.OfferSpec{ServiceSlug: "piano", Rate: 5000})
	inactive := f.Instructor(testenv.InstructorSpec{Name: "Inactive Offer"})
	f.Offer(inactive, testenv.OfferSpec{ServiceSlug: "piano", Rate: 5000, Inactive: true})
	f.Slot(cheap, day, "09:00", "10:00")
	f.Slot(dear, day, "18:00", "20:00")
	f.Booking(cheap, cheapPiano, day, "09:00", 30, "America/New_York")

	t.Run("catalog vocabulary", func(t *testing.T) {
		cat, err := st.SearchCatalog(ctx)
		require.NoError(t, err)
		require.Len(t, cat.Services, 282)
		require.Len(t, cat.Categories, 7)
		require.Contains(t, cat.Categories[0].Aliases, "music")
		require.Equal(t, []string{"brooklyn", "manhattan", "park slope"}, cat.Areas, "suspended instructors' areas are not listed")
		var piano instainstru.CatalogService
		for _, s := range cat.Services {
			if s.Slug == "piano" {
				piano = s
			}
		}
		require.Contains(t, piano.SearchTerms, "keyboard")
		require.Equal(t, "music", piano.Category.Slug)
	})

	cat, err := st.SearchCatalog(ctx)
	require.NoError(t, err)
	ids := map[string]string{}
	for _, s := range cat.Services {
		ids[s.Slug] = s.ID
	}

	t.Run("embeddings", func(t *testing.T) {
		vec := func(i int) []float32 {
			v := make([]float32, 384)
			v[i] = 1
			return v
		}
		require.NoError(t, st.SaveCatalogEmbeddings(ctx, []instainstru.CatalogEmbedding{
			{ServiceID: ids["piano"], Vector: vec(0), Model: "m1"}, {ServiceID: ids["guitar"], Vector: vec(1), Model: "m1"},
			{ServiceID: ids["violin"], Vector: vec(0), Model: "other"},
		}))
		es, err := st.CatalogEmbeddings(ctx)
		require.NoError(t, err)
		require.Len(t, es, 3)
		q := vec(0)
		q[1] = 0.5
		near, err := st.NearestCatalogServices(ctx, "m1", q, 5)
		require.NoError(t, err)
		require.Len(t, near, 2)
		require.Equal(t, ids["piano"], near[0].ServiceID)
		require.InDelta(t, 1/1.118034, near[0].Similarity, 1e-4)
		require.Equal(t, ids["guitar"], near[1].ServiceID)
	})

	t.Run("index change feed", func(t *testing.T) {
		all, err := st.SearchIndex(ctx, "")
		require.NoError(t, err)
		require.NotEmpty(t, all.Cursor)
		byName := map[string]instainstru.SearchIndexEntry{}
		for _, e := range all.Entries {
			byName[e.FullName] = e
		}
		require.True(t, byName["Cheap Piano"].Searchable)
		require.Equal(t, []string{"Brooklyn", "Park Slope"}, byName["Cheap Piano"].AreasOfService)
		require.Len(t, byName["Cheap Piano"].Offers, 2)
		require.False(t, byName["Gone Piano"].Searchable, "suspended")
		require.Empty(t, byName["Inactive Offer"].Offers, "inactive offers are not indexed")
		o := byName["Dear Piano"].Offers[0]
		require.Equal(t, ids["piano"], o.CatalogServiceID)
		require.Equal(t, 12000, o.HourlyRateCents)
		require.Equal(t, []instainstru.LocationType{"in_person"}, o.LocationTypes)

		changed := func(cursor string) ([]string, string) {
			t.Helper()
			dl, err := st.SearchIndex(ctx, cursor)
			require.NoError(t, err)
			var names []string
			for _, e := range dl.Entries {
				names = append(names, e.FullName)
			}
			sort.Strings(names)
			return names, dl.Cursor
		}
		names, cur := changed(all.Cursor)
		require.Empty(t, names, "nothing changed")
		// Every kind of change reaches the feed: profile, offer, account status, name.
		_, err = d.Pool.Exec(ctx, `UPDATE instructor_profiles SET bio = 'new' WHERE user_id = $1`, cheap)
		require.NoError(t, err)
		names, cur = changed(cur)
		require.Equal(t, []string{"Cheap Piano"}, names)
		f.Offer(dear, testenv.OfferSpec{ServiceSlug: "violin", Rate: 5000})
		names, cur = changed(cur)
		require.Equal(t, []string{"Dear Piano"}, names)
		_, err = d.Pool.Exec(ctx, `UPDATE users SET account_status = 'active' WHERE id = $1`, suspended)
		require.NoError(t, err)
		_, err = d.Pool.Exec(ctx, `UPDATE users SET full_name = 'Renamed' WHERE id = $1`, inactive)
		require.NoError(t, err)
		names, cur = changed(cur)
		require.Equal(t, []string{"Gone Piano", "Renamed"}, names)
		names, _ = changed(cur)
		require.Empty(t, names)

		// A transaction that commits after a read that could not see it is found by the next read,
		// even though a later transaction committed first.
		tx, err := d.Pool.Begin(ctx)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `UPDATE instructor_profiles SET years_experience = 9 WHERE user_id = $1`, dear)
		require.NoError(t, err)
		_, err = d.Pool.Exec(ctx, `UPDATE instructor_profiles SET years_experience = 7 WHERE user_id = $1`, cheap)
		require.NoError(t, err)
		names, cur = changed(cur)
		require.Equal(t, []string{"Cheap Piano"}, names)
		require.NoError(t, tx.Commit(ctx))
		dl, err := st.SearchIndex(ctx, cur)
		require.NoError(t, err)
		var seen bool
		for _, e := range dl.Entries {
			if e.InstructorID == dear {
				seen = true
				require.Equal(t, 9, e.YearsExperience)
			}
		}
		require.True(t, seen, "the late commit is read")
		_, err = d.Pool.Exec(ctx, `UPDATE users SET account_status = 'suspended' WHERE id = $1`, suspended)
		require.NoError(t, err)
	})

	t.Run("window prefilter", func(t *testing.T) {
		found := func(after, before string, exact bool, d instainstru.Date) []string {
			t.Helper()
			a, _ := instainstru.ParseMinute(after, false)
			b, _ := instainstru.ParseMinute(before, true)
			ok, err := st.WindowCandidates(ctx, []instainstru.WindowNeed{{InstructorID: cheap, Minutes: 60}, {InstructorID: dear, Minutes: 60},
				{InstructorID: "bad"}}, instainstru.CandidateWindow{From: d, To: d, After: a, Before: b, ExactStart: exact})
			require.NoError(t, err)
			var out []string
			for _, id := range []string{cheap, dear} {
				if ok[id] {
					out = append(out, map[string]string{cheap: "cheap", dear: "dear"}[id])
				}
			}
			return out
		}
		require.Equal(t, []string{"cheap", "dear"}, found("00:00", "24:00", false, day))
		require.Equal(t, []string{"dear"}, found("17:00", "24:00", false, day))
		require.Empty(t, found("19:30", "24:00", false, day), "30 minutes left, the lesson is 60")
		require.Equal(t, []string{"dear"}, found("19:00", "24:00", true, day))
		require.Empty(t, found("19:15", "24:00", true, day))
		require.Empty(t, found("00:00", "24:00", false, day.AddDays(1)))
	})

	t.Run("calendars in one batch", func(t *testing.T) {
		cals, err := st.PublicCalendars(ctx, []string{cheap, dear, "not-a-uuid"}, day, day.AddDays(1))
		require.NoError(t, err)
		require.Len(t, cals, 2)
		for _, id := range []string{cheap, dear} {
			one, err := st.PublicCalendar(ctx, id, day, day.AddDays(1))
			require.NoError(t, err)
			require.Equal(t, one, cals[id])
		}
		require.Len(t, cals[cheap].Bookings, 1)
		require.Equal(t, 30, cals[cheap].ShortestDuration)
	})

	t.Run("popularity, events", func(t *testing.T) {
		_, err := d.Pool.Exec(ctx, `INSERT INTO service_analytics (catalog_service_id, calculated_on, booking_count_30d, demand_score)
			VALUES ($1, '2026-11-01', 5, 0), ($1, '2026-11-02', 7, 0), ($2, '2026-11-02', 0, 3.5)`, ids["piano"], ids["guitar"])
		require.NoError(t, err)
		pop, err := st.ServicePopularity(ctx)
		require.NoError(t, err)
		require.Equal(t, map[string]float64{ids["piano"]: 7, ids["guitar"]: 3.5}, pop)

		require.NoError(t, st.InsertSearchEvents(ctx, []instainstru.SearchEvent{
			{Query: "piano", Parsed: []byte(`{"match_kind":"service"}`), MatchedServiceIDs: []string{ids["piano"]}, ResultCount: 2, UserID: f.Student},
			{Query: "xqzv", ResultCount: 0, UserID: "00000000-0000-7000-8000-000000000000"},
		}))
		var n, withUser int
		require.NoError(t, d.Pool.QueryRow(ctx, `SELECT count(*), count(user_id) FROM search_events`).Scan(&n, &withUser))
		require.Equal(t, 2, n)
		require.Equal(t, 1, withUser, "an unknown user is stored as NULL")
	})
}
