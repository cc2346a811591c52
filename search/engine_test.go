package search_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence/testenv"
	"github.com/instainstru/instainstru/search"
	"github.com/instainstru/instainstru/search/embed"
	"github.com/instainstru/instainstru/search/query"
)

var db *testenv.DB

func TestMain(m *testing.M) { testenv.Main(m, "search", &db) }

// The fixed clock of NLS.md §5: Wednesday 2026-11-18 10:00 in America/New_York.
var (
	ny, _ = time.LoadLocation("America/New_York")
	now   = time.Date(2026, 11, 18, 10, 0, 0, 0, ny)
	wed   = instainstru.Date{Year: 2026, Month: 11, Day: 18}
	thu   = wed.AddDays(1)
	sat   = wed.AddDays(3)
	sun   = wed.AddDays(4)
	mon   = wed.AddDays(5)
)

func minute(s string) *instainstru.Minute {
	m, err := instainstru.ParseMinute(s, true)
	if err != nil {
		panic(err)
	}
	return &m
}

// world is the seeded catalog plus a small, hand-made set of instructors (fixtures, below) whose
// every relevant property (service, rate, durations, locations, areas, availability, bookings,
// status) is chosen so each query has exactly one right answer.
type world struct {
	engine *search.Engine
	ids    map[string]string // catalog slug → id
	slugs  map[string]string // catalog id → slug
	names  map[string]string // instructor id → name
	cat    *instainstru.SearchCatalog
}

var shared *world

// fxSlot is an availability range; fxBooking a confirmed booking of the first offer.
type fxSlot struct {
	d          instainstru.Date
	start, end string
}

type fxBooking struct {
	d       instainstru.Date
	start   string
	minutes int
}

// fxInstructor is one fixture instructor, as data: setup writes it, and the acceptance tests'
// oracle reads it to compute the expected results without the engine.
type fxInstructor struct {
	name      string
	spec      testenv.InstructorSpec
	offers    []testenv.OfferSpec
	slots     []fxSlot
	bookings  []fxBooking
	blackouts []instainstru.Date
}

func allDay(d instainstru.Date) []fxSlot { return []fxSlot{{d, "09:00", "21:00"}} }

// fixtures: the instructors of NLS.md §5 (P*, G1, U1, V*, S*, M*, Y*, F*, SAT*) and more for
// every phrase family. Names are unique; Wednesday 2026-11-18 10:00 is "now".
var fixtures = []fxInstructor{
	{name: "P1", spec: testenv.InstructorSpec{Bio: "Patient teacher, I love working with kids.", Areas: []string{"Brooklyn"}},
		offers: []testenv.OfferSpec{{ServiceSlug: "piano", Rate: 6000}}, slots: []fxSlot{{thu, "09:00", "12:00"}}},
	{name: "P2", spec: testenv.InstructorSpec{Bio: "Conservatory trained."},
		offers: []testenv.OfferSpec{{ServiceSlug: "piano", Rate: 12000}}, slots: []fxSlot{{wed, "15:00", "17:00"}}},
	{name: "P3", spec: testenv.InstructorSpec{Status: "suspended"},
		offers: []testenv.OfferSpec{{ServiceSlug: "piano", Rate: 7500}}, slots: allDay(thu)},
	// Free today only inside the two-hour minimum notice: not bookable today.
	{name: "P4", spec: testenv.InstructorSpec{MinAdvance: 2},
		offers: []testenv.OfferSpec{{ServiceSlug: "piano", Rate: 9000}}, slots: []fxSlot{{wed, "10:00", "12:00"}}},
	{name: "G1", offers: []testenv.OfferSpec{{ServiceSlug: "guitar", Rate: 5000}}, slots: []fxSlot{{wed, "18:00", "20:00"}}},
	{name: "U1", offers: []testenv.OfferSpec{{ServiceSlug: "ukulele", Rate: 4500}}},
	{name: "V1", offers: []testenv.OfferSpec{{ServiceSlug: "violin", Rate: 7000, Durations: []int{30, 60}}}},
	{name: "V2", offers: []testenv.OfferSpec{{ServiceSlug: "violin", Rate: 9000, Durations: []int{30}}}},
	// S1's only window tomorrow is booked; S2's is free but a buffer around a booking eats half.
	{name: "S1", offers: []testenv.OfferSpec{{ServiceSlug: "spanish", Rate: 4000}}, slots: []fxSlot{{thu, "10:00", "11:00"}},
		bookings: []fxBooking{{thu, "10:00", 60}}},
	{name: "S2", spec: testenv.InstructorSpec{Buffer: 30}, offers: []testenv.OfferSpec{{ServiceSlug: "spanish", Rate: 5500}},
		slots: []fxSlot{{thu, "14:00", "17:00"}}, bookings: []fxBooking{{thu, "14:00", 60}}},
	// S3 is free tomorrow but blacked out.
	{name: "S3", offers: []testenv.OfferSpec{{ServiceSlug: "spanish", Rate: 5000}}, slots: allDay(thu), blackouts: []instainstru.Date{thu}},
	{name: "M1", offers: []testenv.OfferSpec{{ServiceSlug: "math", Rate: 5000}}, slots: []fxSlot{{sun, "13:00", "14:00"}}},
	{name: "M2", offers: []testenv.OfferSpec{{ServiceSlug: "math", Rate: 6000}}, slots: []fxSlot{{mon, "13:00", "14:00"}}},
	{name: "Y1", offers: []testenv.OfferSpec{{ServiceSlug: "yoga", Rate: 6500}}, slots: []fxSlot{{thu, "17:00", "18:00"}}},
	{name: "Y2", offers: []testenv.OfferSpec{{ServiceSlug: "yoga", Rate: 7000}}, slots: []fxSlot{{thu, "08:00", "10:00"}}},
	// Y3's evening slot is too short for its 60-minute lessons.
	{name: "Y3", offers: []testenv.OfferSpec{{ServiceSlug: "yoga", Rate: 7000}}, slots: []fxSlot{{thu, "16:30", "17:30"}}},
	{name: "F1", offers: []testenv.OfferSpec{{ServiceSlug: "french", Rate: 5000, Locations: []string{"online"}}}},
	{name: "F2", offers: []testenv.OfferSpec{{ServiceSlug: "french", Rate: 5000, Locations: []string{"in_person"}}}},
	{name: "F3", offers: []testenv.OfferSpec{{ServiceSlug: "french", Rate: 7000, Locations: []string{"online"}}}},
	{name: "SAT1", spec: testenv.InstructorSpec{Areas: []string{"Brooklyn", "Park Slope"}},
		offers: []testenv.OfferSpec{{ServiceSlug: "sat-prep", Rate: 10000}}},
	{name: "SAT2", spec: testenv.InstructorSpec{Areas: []string{"Manhattan"}}, offers: []testenv.OfferSpec{{ServiceSlug: "sat-prep", Rate: 9000}}},

	// More services, places, durations, levels and dates for the phrase families.
	{name: "D1", offers: []testenv.OfferSpec{{ServiceSlug: "drums", Rate: 3500, Durations: []int{30, 45, 60}, Locations: []string{"online"}}},
		slots: []fxSlot{{wed.AddDays(2), "09:00", "12:00"}}},
	{name: "D2", spec: testenv.InstructorSpec{Areas: []string{"Queens"}},
		offers: []testenv.OfferSpec{{ServiceSlug: "drums", Rate: 8500, Locations: []string{"in_person"}, Description: "For advanced drummers."}},
		slots:  []fxSlot{{sat, "16:00", "18:00"}}},
	{name: "C1", offers: []testenv.OfferSpec{{ServiceSlug: "chess", Rate: 2500, Locations: []string{"online"}, Description: "Beginners welcome."}},
		slots: []fxSlot{{wed.AddDays(6), "18:00", "20:00"}}},
	{name: "GE1", spec: testenv.InstructorSpec{Bio: "I teach teens and adults."},
		offers: []testenv.OfferSpec{{ServiceSlug: "german", Rate: 6000, Durations: []int{30, 60, 90}, Locations: []string{"online"}}},
		slots:  []fxSlot{{instainstru.Date{Year: 2026, Month: 12, Day: 5}, "10:00", "12:00"}}},
	{name: "T1", spec: testenv.InstructorSpec{Areas: []string{"Manhattan", "Upper West Side"}},
		offers: []testenv.OfferSpec{{ServiceSlug: "tennis", Rate: 9000, Locations: []string{"in_person"}}},
		slots:  []fxSlot{{wed, "16:00", "18:00"}, {thu, "07:00", "09:00"}}},
	{name: "CE1", spec: testenv.InstructorSpec{Bio: "Intermediate players welcome."},
		offers: []testenv.OfferSpec{{ServiceSlug: "cello", Rate: 5500, Durations: []int{45, 60}}},
		slots:  []fxSlot{{wed.AddDays(2), "13:00", "15:00"}}},
	{name: "CH1", offers: []testenv.OfferSpec{{ServiceSlug: "chemistry", Rate: 7000, Durations: []int{90}}},
		slots: []fxSlot{{wed.AddDays(10), "10:00", "12:00"}}},
	{name: "B1", offers: []testenv.OfferSpec{{ServiceSlug: "brazilian-jiu-jitsu", Rate: 6000}}, slots: []fxSlot{{thu, "19:00", "21:00"}}},
	{name: "PY1", offers: []testenv.OfferSpec{{ServiceSlug: "python", Rate: 8000, Locations: []string{"online"}}},
		slots: []fxSlot{{wed, "18:00", "22:00"}}},
	// Two offers: one result, with the better (here the cheaper) matching offer.
	{name: "G2", spec: testenv.InstructorSpec{Areas: []string{"Bronx"}},
		offers: []testenv.OfferSpec{{ServiceSlug: "guitar", Rate: 9500}, {ServiceSlug: "ukulele", Rate: 6000}},
		slots:  []fxSlot{{thu, "15:00", "16:00"}}},
	{name: "BX1", spec: testenv.InstructorSpec{Areas: []string{"Brooklyn"}},
		offers: []testenv.OfferSpec{{ServiceSlug: "boxing", Rate: 4000, Locations: []string{"in_person"}}},
		slots:  []fxSlot{{wed.AddDays(10), "09:00", "11:00"}}},
}

func setup(t *testing.T) *world {
	t.Helper()
	if shared != nil {
		return shared
	}
	ctx := context.Background()
	_, _, err := db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	f := testenv.NewSearchFixture(t, db.Pool)
	w := &world{ids: map[string]string{}, slugs: map[string]string{}, names: map[string]string{}}
	for _, fx := range fixtures {
		spec := fx.spec
		spec.Name = fx.name
		id := f.Instructor(spec)
		w.names[id] = fx.name
		var first string
		for _, o := range fx.offers {
			oid := f.Offer(id, o)
			if first == "" {
				first = oid
			}
		}
		for _, s := range fx.slots {
			f.Slot(id, s.d, s.start, s.end)
		}
		for _, b := range fx.bookings {
			f.Booking(id, first, b.d, b.start, b.minutes, "America/New_York")
		}
		for _, d := range fx.blackouts {
			f.Blackout(id, d)
		}
	}
	e, err := search.New(ctx, search.Config{Store: db.Store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	w.engine = e
	cat, err := db.Store.SearchCatalog(ctx)
	require.NoError(t, err)
	w.cat = cat
	for _, s := range cat.Services {
		w.ids[s.Slug] = s.ID
		w.slugs[s.ID] = s.Slug
	}
	shared = w
	return w
}

func (w *world) run(t *testing.T, p query.Parsed) (*search.Result, []string, []string) {
	t.Helper()
	r, err := w.engine.SearchParsed(context.Background(), search.SearchRequest{Query: p.Normalized, Now: now, Loc: ny, Limit: 50}, p)
	require.NoError(t, err)
	var names []string
	svcs := map[string]bool{}
	for _, h := range r.Hits {
		names = append(names, w.names[h.Candidate.InstructorID])
		svcs[h.Candidate.Offer.Name] = true
	}
	var svcList []string
	for s := range svcs {
		svcList = append(svcList, s)
	}
	sort.Strings(names)
	sort.Strings(svcList)
	require.Equal(t, len(r.Hits), r.TotalFound, "every match fits in one page here")
	return r, names, svcList
}

func TestRankingAndNextAvailable(t *testing.T) {
	w := setup(t)
	r, _, _ := w.run(t, query.Parsed{MatchKind: query.MatchService, ServiceIDs: []string{w.ids["piano"]}, Level: "kids"})
	require.Equal(t, "P1", w.names[r.Hits[0].Candidate.InstructorID], "kids-friendly first")
	require.True(t, r.Hits[0].Candidate.LevelMatch)
	// Without a window next_available looks at the next 14 days; P2 is free today 15:00.
	for _, h := range r.Hits {
		switch w.names[h.Candidate.InstructorID] {
		case "P1":
			require.Equal(t, &search.NextAvailable{Date: thu, Start: 9 * 60, End: 10 * 60}, h.Next)
		case "P2":
			require.Equal(t, &search.NextAvailable{Date: wed, Start: 15 * 60, End: 16 * 60}, h.Next)
		case "P4":
			require.Nil(t, h.Next, "its only slot is inside the minimum notice")
		}
	}
	// Scores strictly decrease or tie-break by id: stable.
	for i := 1; i < len(r.Hits); i++ {
		a, b := r.Hits[i-1], r.Hits[i]
		require.True(t, a.Score > b.Score || (a.Score == b.Score && a.Candidate.InstructorID < b.Candidate.InstructorID))
	}
	// Soonest availability ranks among otherwise equal piano teachers: P2 (today) before P4 (none).
	r, _, _ = w.run(t, query.Parsed{MatchKind: query.MatchService, ServiceIDs: []string{w.ids["piano"]}})
	order := []string{}
	for _, h := range r.Hits {
		order = append(order, w.names[h.Candidate.InstructorID])
	}
	require.Equal(t, []string{"P2", "P1", "P4"}, order)

	// A window: next_available lies in it. S2 is free 15:30 tomorrow at the earliest (booking
	// 14:00–15:00 plus the 30-minute buffer).
	r, names, _ := w.run(t, query.Parsed{MatchKind: query.MatchService, ServiceIDs: []string{w.ids["spanish"]}, DateFrom: &thu, DateTo: &thu})
	require.Equal(t, []string{"S2"}, names)
	require.Equal(t, &search.NextAvailable{Date: thu, Start: 15*60 + 30, End: 16*60 + 30}, r.Hits[0].Next)

	// Today: P4's window is inside the notice, P2's is not.
	_, names, _ = w.run(t, query.Parsed{MatchKind: query.MatchService, ServiceIDs: []string{w.ids["piano"]}, DateFrom: &wed, DateTo: &wed})
	require.Equal(t, []string{"P2"}, names)
	// An exact start: at 4pm today P2 can teach, at 4:30pm a 60-minute lesson no longer fits.
	_, names, _ = w.run(t, query.Parsed{MatchKind: query.MatchService, ServiceIDs: []string{w.ids["piano"]}, DateFrom: &wed, DateTo: &wed,
		TimeAfter: minute("16:00"), ExactStart: true})
	require.Equal(t, []string{"P2"}, names)
	_, names, _ = w.run(t, query.Parsed{MatchKind: query.MatchService, ServiceIDs: []string{w.ids["piano"]}, DateFrom: &wed, DateTo: &wed,
		TimeAfter: minute("16:30"), ExactStart: true})
	require.Empty(t, names)
	// A window in the past finds nothing.
	past := wed.AddDays(-1)
	_, names, _ = w.run(t, query.Parsed{MatchKind: query.MatchService, ServiceIDs: []string{w.ids["piano"]}, DateFrom: &past, DateTo: &past})
	require.Empty(t, names)
}

func TestSemanticStep(t *testing.T) {
	w := setup(t)
	for _, q := range []string{"pianos", "piano lesson", "Piano!"} {
		r, names, services := w.run(t, query.Parsed{MatchKind: query.MatchPending, ServiceQuery: q})
		require.Equal(t, "service", r.Kind, q)
		require.Equal(t, []string{"Piano"}, services, q)
		require.Equal(t, []string{"P1", "P2", "P4"}, names, q)
	}
	// Between the thresholds: the nearest few, Piano first.
	r, _, _ := w.run(t, query.Parsed{MatchKind: query.MatchPending, ServiceQuery: "pianist"})
	require.Equal(t, "open", r.Kind)
	require.Equal(t, "Piano", r.Services[0].Name)
	require.LessOrEqual(t, len(r.Services), search.OpenTopK)
	for _, q := range []string{"xqzv", "zzzz qqqq", "!!!"} {
		r, names, _ := w.run(t, query.Parsed{MatchKind: query.MatchPending, ServiceQuery: q})
		require.Equal(t, "none", r.Kind, q)
		require.Empty(t, names, q)
	}
}

func TestCheapUsesLowerThirdOfPrices(t *testing.T) {
	w := setup(t)
	// Active piano rates: 6000, 9000, 12000 (the suspended one is not a price): lower third 6000.
	r, names, _ := w.run(t, query.Parsed{MatchKind: query.MatchService, ServiceIDs: []string{w.ids["piano"]}, Cheap: true})
	require.Equal(t, 6000, *r.MaxPriceCents)
	require.Equal(t, []string{"P1"}, names)
}

func TestSearchThroughReaderCacheAndEvents(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	rec := search.NewRecorder(db.Store, slog.New(slog.NewTextHandler(io.Discard, nil)), 16)
	e, err := search.New(ctx, search.Config{Store: db.Store, Recorder: rec, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Embedder: embed.NewCache(embed.NewBuiltin(), 100)})
	require.NoError(t, err)
	req := search.SearchRequest{Query: "Piano", Now: now, Loc: ny}
	r1, err := e.Search(ctx, req)
	require.NoError(t, err)
	require.Equal(t, "service", r1.Kind)
	require.Len(t, r1.Hits, 3)
	r2, err := e.Search(ctx, search.SearchRequest{Query: "  piano ", Now: now.Add(20 * time.Second), Loc: ny})
	require.NoError(t, err)
	require.Equal(t, &r1.Hits[0], &r2.Hits[0], "same minute, same normalized query: the cached answer")
	e.Invalidate()
	r3, err := e.Search(ctx, req)
	require.NoError(t, err)
	require.NotSame(t, &r1.Hits[0], &r3.Hits[0], "invalidated: computed again")
	require.Equal(t, r1.Hits, r3.Hits)

	require.NoError(t, rec.Close(ctx))
	require.EqualValues(t, 3, rec.Written())
	var n int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM search_events WHERE $1 = ANY(matched_service_ids) AND result_count = 3`,
		w.ids["piano"]).Scan(&n))
	require.Equal(t, 3, n)
	rec.Record(instainstru.SearchEvent{Query: "after close"})
	require.EqualValues(t, 1, rec.Dropped())
}

func TestRecorderDropsWhenFull(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	rec := search.NewRecorder(blockingStore{SearchStore: db.Store, release: release}, slog.New(slog.NewTextHandler(io.Discard, nil)), 2)
	start := time.Now()
	for i := 0; i < 500; i++ {
		rec.Record(instainstru.SearchEvent{Query: "q"})
	}
	require.Less(t, time.Since(start), 100*time.Millisecond, "recording never waits for the database")
	require.Greater(t, rec.Dropped(), int64(400))
	close(release)
	require.NoError(t, rec.Close(ctx))
}

// blockingStore stalls event inserts until release is closed: a database that hangs.
type blockingStore struct {
	instainstru.SearchStore
	release chan struct{}
}

func (b blockingStore) InsertSearchEvents(ctx context.Context, evs []instainstru.SearchEvent) error {
	<-b.release
	return nil
}

// TestIndexFollowsWrites: the in-memory index reads the database's change feed before every
// search, so a write made by anyone (here straight SQL, as another node would) shows in the very
// next search, cached answers included: a new instructor with a new area, a rate change, an
// offer's deletion, a suspension, a name change.
func TestIndexFollowsWrites(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	e, err := search.New(ctx, search.Config{Store: db.Store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	find := func(q string) []string {
		t.Helper()
		r, err := e.Search(ctx, search.SearchRequest{Query: q, Now: now, Loc: ny, Limit: 50})
		require.NoError(t, err)
		var out []string
		for _, h := range r.Hits {
			out = append(out, fmt.Sprintf("%s/%s/%d", h.Candidate.FullName, w.slugs[h.Candidate.Offer.CatalogServiceID], h.Candidate.Offer.HourlyRateCents))
		}
		sort.Strings(out)
		return out
	}
	require.Empty(t, find("harp"))
	f := testenv.NewSearchFixture(t, db.Pool)
	h1 := f.Instructor(testenv.InstructorSpec{Name: "Harp One", Areas: []string{"Red Hook"}})
	harp := f.Offer(h1, testenv.OfferSpec{ServiceSlug: "harp", Rate: 7000})
	require.Equal(t, []string{"Harp One/harp/7000"}, find("harp"))
	r, err := e.Search(ctx, search.SearchRequest{Query: "harp in red hook", Now: now, Loc: ny})
	require.NoError(t, err)
	require.Equal(t, "red hook", r.Parsed.Location, "a new area is understood at once")
	require.Len(t, r.Hits, 1)

	_, err = db.Pool.Exec(ctx, `UPDATE instructor_services SET hourly_rate_cents = 4000 WHERE id = $1`, harp)
	require.NoError(t, err)
	require.Equal(t, []string{"Harp One/harp/4000"}, find("harp"), "the cached answer was dropped")
	require.Equal(t, []string{"Harp One/harp/4000"}, find("harp under $50"))
	banjo := f.Offer(h1, testenv.OfferSpec{ServiceSlug: "banjo", Rate: 3000})
	require.Equal(t, []string{"Harp One/banjo/3000"}, find("harp or banjo"), "one result per instructor: the cheaper offer")
	_, err = db.Pool.Exec(ctx, `UPDATE instructor_services SET is_active = false WHERE id = $1`, banjo)
	require.NoError(t, err)
	require.Equal(t, []string{"Harp One/harp/4000"}, find("harp or banjo"))
	_, err = db.Pool.Exec(ctx, `UPDATE users SET full_name = 'Harp Renamed' WHERE id = $1`, h1)
	require.NoError(t, err)
	require.Equal(t, []string{"Harp Renamed/harp/4000"}, find("harp"))
	_, err = db.Pool.Exec(ctx, `UPDATE users SET account_status = 'suspended' WHERE id = $1`, h1)
	require.NoError(t, err)
	require.Empty(t, find("harp"))
	require.Empty(t, find("harp in red hook"))
}

// TestRareWindowChunksAndEstimate: when the asked window is rare among many candidates, the
// engine goes past the first page (prefiltering later chunks by id) and past the prefix of the
// ranking order the scan kept (scanning again, whole), still returns the right instructors, and
// reports total_found as an estimate within its bounds.
func TestRareWindowChunksAndEstimate(t *testing.T) {
	setup(t)
	ctx := context.Background()
	f := testenv.NewSearchFixture(t, db.Pool)
	var ids, free []string
	for i := 0; i < 400; i++ {
		id := f.Instructor(testenv.InstructorSpec{Name: fmt.Sprintf("Flute %03d", i)})
		f.Offer(id, testenv.OfferSpec{ServiceSlug: "flute", Rate: 5000})
		ids = append(ids, id)
	}
	sort.Strings(ids)
	// The 250 first (in the tie-break order) are busy tomorrow, the 150 others are free.
	for i, id := range ids {
		if i < 250 {
			f.Slot(id, thu.AddDays(1), "09:00", "12:00")
		} else {
			f.Slot(id, thu, "09:00", "12:00")
			free = append(free, id)
		}
	}
	t.Cleanup(func() {
		_, _ = db.Pool.Exec(ctx, `UPDATE users SET account_status = 'suspended' WHERE id = ANY($1::uuid[])`, ids)
	})
	e, err := search.New(ctx, search.Config{Store: db.Store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	r, err := e.Search(ctx, search.SearchRequest{Query: "flute tomorrow", Now: now, Loc: ny, Limit: 5})
	require.NoError(t, err)
	var got []string
	for _, h := range r.Hits {
		got = append(got, h.Candidate.InstructorID)
		require.Equal(t, &search.NextAvailable{Date: thu, Start: 9 * 60, End: 10 * 60}, h.Next)
	}
	require.Equal(t, free[:5], got, "the first free ones in ranking order")
	require.False(t, r.TotalExact)
	require.GreaterOrEqual(t, r.TotalFound, 60, "at least the passes seen")
	require.LessOrEqual(t, r.TotalFound, 150, "at most the passes plus the undecided candidates")

	// Every candidate fits in the examined chunks: exact.
	r, err = e.Search(ctx, search.SearchRequest{Query: "flute tomorrow", Now: now, Loc: ny, Limit: 100})
	require.NoError(t, err)
	require.True(t, r.TotalExact)
	require.Equal(t, 150, r.TotalFound)
	require.Len(t, r.Hits, 100)
	// No window: the hard-filter count, exact.
	r, err = e.Search(ctx, search.SearchRequest{Query: "flute", Now: now, Loc: ny, Limit: 5})
	require.NoError(t, err)
	require.True(t, r.TotalExact)
	require.Equal(t, 400, r.TotalFound)
}

// TestConcurrentSearchesAndWrites: searches running while offers change (race detector on in
// make test) always see a consistent snapshot: one result per instructor, every hit of the asked
// service and price.
func TestConcurrentSearchesAndWrites(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	f := testenv.NewSearchFixture(t, db.Pool)
	var ids, offers []string
	for i := 0; i < 20; i++ {
		id := f.Instructor(testenv.InstructorSpec{Name: fmt.Sprintf("Sax %02d", i)})
		ids = append(ids, id)
		offers = append(offers, f.Offer(id, testenv.OfferSpec{ServiceSlug: "saxophone", Rate: 3000 + 100*i}))
	}
	t.Cleanup(func() {
		_, _ = db.Pool.Exec(ctx, `UPDATE users SET account_status = 'suspended' WHERE id = ANY($1::uuid[])`, ids)
	})
	e, err := search.New(ctx, search.Config{Store: db.Store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), ResultTTL: -1})
	require.NoError(t, err)
	done := make(chan struct{})
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				r, err := e.Search(ctx, search.SearchRequest{Query: "saxophone under $40", Now: now, Loc: ny, Limit: 50})
				if err != nil {
					errs <- err
					return
				}
				seen := map[string]bool{}
				for _, h := range r.Hits {
					if seen[h.Candidate.InstructorID] || w.slugs[h.Candidate.Offer.CatalogServiceID] != "saxophone" || h.Candidate.Offer.HourlyRateCents > 4000 {
						errs <- fmt.Errorf("inconsistent hit %+v", h.Candidate)
						return
					}
					seen[h.Candidate.InstructorID] = true
				}
			}
		}()
	}
	for i := 0; i < 40; i++ {
		_, err := db.Pool.Exec(ctx, `UPDATE instructor_services SET hourly_rate_cents = $2 WHERE id = $1`, offers[i%len(offers)], 2500+100*(i%30))
		require.NoError(t, err)
	}
	close(done)
	for g := 0; g < 4; g++ {
		require.NoError(t, <-errs)
	}
	// After the writes, a search sees them all.
	r, err := e.Search(ctx, search.SearchRequest{Query: "saxophone", Now: now, Loc: ny, Limit: 50})
	require.NoError(t, err)
	rates := map[string]int{}
	for _, h := range r.Hits {
		rates[h.Candidate.Offer.ID] = h.Candidate.Offer.HourlyRateCents
	}
	for i := 20; i < 40; i++ {
		require.Equal(t, 2500+100*(i%30), rates[offers[i%len(offers)]])
	}
}
