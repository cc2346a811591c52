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

func ptr[T any](v T) *T { return &v }

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

	found := func(q instainstru.CandidateQuery) []string {
		t.Helper()
		q.Limit = 100
		page, err := st.SearchCandidates(ctx, q)
		require.NoError(t, err)
		require.Equal(t, len(page.Candidates), page.Total)
		var out []string
		for _, c := range page.Candidates {
			out = append(out, c.FullName+"/"+c.Offer.Name)
		}
		sort.Strings(out)
		return out
	}
	piano := map[string]float64{ids["piano"]: 1}
	t.Run("candidates", func(t *testing.T) {
		require.Equal(t, []string{"Cheap Piano/Piano", "Dear Piano/Piano"}, found(instainstru.CandidateQuery{ServiceScores: piano}),
			"suspended instructors and inactive offers never match")
		require.Equal(t, []string{"Cheap Piano/Piano"}, found(instainstru.CandidateQuery{ServiceScores: piano, MaxPriceCents: ptr(8000)}))
		require.Equal(t, []string{"Dear Piano/Piano"}, found(instainstru.CandidateQuery{ServiceScores: piano, MinPriceCents: ptr(8000)}))
		// 30-minute price of the 60 $/h offer is 3000; the 120 $/h one has no 30-minute option.
		require.Equal(t, []string{"Cheap Piano/Piano"}, found(instainstru.CandidateQuery{ServiceScores: piano, DurationMinutes: ptr(30), MaxPriceCents: ptr(3000)}))
		require.Empty(t, found(instainstru.CandidateQuery{ServiceScores: piano, DurationMinutes: ptr(30), MaxPriceCents: ptr(2999)}))
		require.Equal(t, []string{"Dear Piano/Piano"}, found(instainstru.CandidateQuery{ServiceScores: piano, LocationType: "in_person"}))
		require.Equal(t, []string{"Cheap Piano/Piano"}, found(instainstru.CandidateQuery{ServiceScores: piano, Area: "brooklyn"}))
		require.Equal(t, []string{"Cheap Piano/Guitar", "Cheap Piano/Piano"}[0:1],
			found(instainstru.CandidateQuery{ServiceScores: map[string]float64{ids["guitar"]: 1}}))
		// One row per instructor: the best scored of the matching offers.
		both := found(instainstru.CandidateQuery{ServiceScores: map[string]float64{ids["guitar"]: 0.9, ids["piano"]: 0.5}})
		require.Equal(t, []string{"Cheap Piano/Guitar", "Dear Piano/Piano"}, both)
		require.Empty(t, found(instainstru.CandidateQuery{ServiceScores: piano, CategorySlugs: []string{"languages"}}))
		// Level boost reorders.
		page, err := st.SearchCandidates(ctx, instainstru.CandidateQuery{ServiceScores: piano, LevelPattern: `\mkids\M`, LevelBoost: 0.3, Limit: 10})
		require.NoError(t, err)
		require.Equal(t, cheap, page.Candidates[0].InstructorID)
		require.True(t, page.Candidates[0].LevelMatch)
		require.False(t, page.Candidates[1].LevelMatch)
		// Paging keeps the total.
		page, err = st.SearchCandidates(ctx, instainstru.CandidateQuery{ServiceScores: piano, Limit: 1, Offset: 1})
		require.NoError(t, err)
		require.Len(t, page.Candidates, 1)
		require.Equal(t, 2, page.Total)
	})

	t.Run("window prefilter", func(t *testing.T) {
		w := func(after, before string, exact bool) *instainstru.CandidateWindow {
			a, _ := instainstru.ParseMinute(after, false)
			b, _ := instainstru.ParseMinute(before, true)
			return &instainstru.CandidateWindow{From: day, To: day, After: a, Before: b, ExactStart: exact}
		}
		require.Equal(t, []string{"Cheap Piano/Piano", "Dear Piano/Piano"}, found(instainstru.CandidateQuery{ServiceScores: piano, Window: w("00:00", "24:00", false)}))
		require.Equal(t, []string{"Dear Piano/Piano"}, found(instainstru.CandidateQuery{ServiceScores: piano, Window: w("17:00", "24:00", false)}))
		require.Empty(t, found(instainstru.CandidateQuery{ServiceScores: piano, Window: w("19:30", "24:00", false)}), "30 minutes left, the lesson is 60")
		require.Equal(t, []string{"Dear Piano/Piano"}, found(instainstru.CandidateQuery{ServiceScores: piano, Window: w("19:00", "24:00", true)}))
		require.Empty(t, found(instainstru.CandidateQuery{ServiceScores: piano, Window: w("19:15", "24:00", true)}))
		next := day.AddDays(1)
		require.Empty(t, found(instainstru.CandidateQuery{ServiceScores: piano, Window: &instainstru.CandidateWindow{From: next, To: next, Before: instainstru.EndOfDay}}))
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

	t.Run("prices, popularity, events", func(t *testing.T) {
		p, err := st.PriceQuantile(ctx, []string{ids["piano"]}, 0.5)
		require.NoError(t, err)
		require.Equal(t, 6000, p, "suspended instructors and inactive offers are not prices")
		p, err = st.PriceQuantile(ctx, nil, 1)
		require.NoError(t, err)
		require.Equal(t, 12000, p)

		_, err = d.Pool.Exec(ctx, `INSERT INTO service_analytics (catalog_service_id, calculated_on, booking_count_30d, demand_score)
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
