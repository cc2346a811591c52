package search_test

import (
	"context"
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

func ptr[T any](v T) *T { return &v }

func minute(s string) *instainstru.Minute {
	m, err := instainstru.ParseMinute(s, true)
	if err != nil {
		panic(err)
	}
	return &m
}

// world is the seeded catalog plus a small, hand-made set of instructors whose every relevant
// property (service, rate, durations, locations, areas, availability, bookings, status) is chosen
// so each NLS example has exactly one right answer.
type world struct {
	engine *search.Engine
	ids    map[string]string // catalog slug → id
	names  map[string]string // instructor id → name
}

var shared *world

func setup(t *testing.T) *world {
	t.Helper()
	if shared != nil {
		return shared
	}
	ctx := context.Background()
	_, _, err := db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	f := testenv.NewSearchFixture(t, db.Pool)
	w := &world{ids: map[string]string{}, names: map[string]string{}}
	ins := func(name string, spec testenv.InstructorSpec) string {
		spec.Name = name
		id := f.Instructor(spec)
		w.names[id] = name
		return id
	}
	all := func(id string, d instainstru.Date) { f.Slot(id, d, "09:00", "21:00") }

	p1 := ins("P1", testenv.InstructorSpec{Bio: "Patient teacher, I love working with kids.", Areas: []string{"Brooklyn"}})
	f.Offer(p1, testenv.OfferSpec{ServiceSlug: "piano", Rate: 6000})
	f.Slot(p1, thu, "09:00", "12:00")
	p2 := ins("P2", testenv.InstructorSpec{Bio: "Conservatory trained."})
	f.Offer(p2, testenv.OfferSpec{ServiceSlug: "piano", Rate: 12000})
	f.Slot(p2, wed, "15:00", "17:00")
	p3 := ins("P3", testenv.InstructorSpec{Status: "suspended"})
	f.Offer(p3, testenv.OfferSpec{ServiceSlug: "piano", Rate: 7500})
	all(p3, thu)
	// Free today only inside the two-hour minimum notice: not bookable today.
	p4 := ins("P4", testenv.InstructorSpec{MinAdvance: 2})
	f.Offer(p4, testenv.OfferSpec{ServiceSlug: "piano", Rate: 9000})
	f.Slot(p4, wed, "10:00", "12:00")

	g1 := ins("G1", testenv.InstructorSpec{})
	f.Offer(g1, testenv.OfferSpec{ServiceSlug: "guitar", Rate: 5000})
	f.Slot(g1, wed, "18:00", "20:00")
	u1 := ins("U1", testenv.InstructorSpec{})
	f.Offer(u1, testenv.OfferSpec{ServiceSlug: "ukulele", Rate: 4500})
	v1 := ins("V1", testenv.InstructorSpec{})
	f.Offer(v1, testenv.OfferSpec{ServiceSlug: "violin", Rate: 7000, Durations: []int{30, 60}})
	v2 := ins("V2", testenv.InstructorSpec{})
	f.Offer(v2, testenv.OfferSpec{ServiceSlug: "violin", Rate: 9000, Durations: []int{30}})

	// S1's only window tomorrow is booked; S2's is free but a buffer around a booking eats half.
	s1 := ins("S1", testenv.InstructorSpec{})
	o := f.Offer(s1, testenv.OfferSpec{ServiceSlug: "spanish", Rate: 4000})
	f.Slot(s1, thu, "10:00", "11:00")
	f.Booking(s1, o, thu, "10:00", 60, "America/New_York")
	s2 := ins("S2", testenv.InstructorSpec{Buffer: 30})
	o = f.Offer(s2, testenv.OfferSpec{ServiceSlug: "spanish", Rate: 5500})
	f.Slot(s2, thu, "14:00", "17:00")
	f.Booking(s2, o, thu, "14:00", 60, "America/New_York")
	// S3 is free tomorrow but blacked out.
	s3 := ins("S3", testenv.InstructorSpec{})
	f.Offer(s3, testenv.OfferSpec{ServiceSlug: "spanish", Rate: 5000})
	all(s3, thu)
	f.Blackout(s3, thu)

	m1 := ins("M1", testenv.InstructorSpec{})
	f.Offer(m1, testenv.OfferSpec{ServiceSlug: "math", Rate: 5000})
	f.Slot(m1, sun, "13:00", "14:00")
	m2 := ins("M2", testenv.InstructorSpec{})
	f.Offer(m2, testenv.OfferSpec{ServiceSlug: "math", Rate: 6000})
	f.Slot(m2, mon, "13:00", "14:00")

	y1 := ins("Y1", testenv.InstructorSpec{})
	f.Offer(y1, testenv.OfferSpec{ServiceSlug: "yoga", Rate: 6500})
	f.Slot(y1, thu, "17:00", "18:00")
	y2 := ins("Y2", testenv.InstructorSpec{})
	f.Offer(y2, testenv.OfferSpec{ServiceSlug: "yoga", Rate: 7000})
	f.Slot(y2, thu, "08:00", "10:00")
	// Y3's evening slot is too short for its 60-minute lessons.
	y3 := ins("Y3", testenv.InstructorSpec{})
	f.Offer(y3, testenv.OfferSpec{ServiceSlug: "yoga", Rate: 7000})
	f.Slot(y3, thu, "16:30", "17:30")

	f1 := ins("F1", testenv.InstructorSpec{})
	f.Offer(f1, testenv.OfferSpec{ServiceSlug: "french", Rate: 5000, Locations: []string{"online"}})
	f2 := ins("F2", testenv.InstructorSpec{})
	f.Offer(f2, testenv.OfferSpec{ServiceSlug: "french", Rate: 5000, Locations: []string{"in_person"}})
	f3 := ins("F3", testenv.InstructorSpec{})
	f.Offer(f3, testenv.OfferSpec{ServiceSlug: "french", Rate: 7000, Locations: []string{"online"}})

	sat1 := ins("SAT1", testenv.InstructorSpec{Areas: []string{"Brooklyn", "Park Slope"}})
	f.Offer(sat1, testenv.OfferSpec{ServiceSlug: "sat-prep", Rate: 10000})
	sat2 := ins("SAT2", testenv.InstructorSpec{Areas: []string{"Manhattan"}})
	f.Offer(sat2, testenv.OfferSpec{ServiceSlug: "sat-prep", Rate: 9000})

	e, err := search.New(ctx, search.Config{Store: db.Store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	w.engine = e
	cat, err := db.Store.SearchCatalog(ctx)
	require.NoError(t, err)
	for _, s := range cat.Services {
		w.ids[s.Slug] = s.ID
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

// TestNLSExamples is every example of NLS.md §5, with the Parsed value the reader gives for it,
// asserting the exact set of instructors (recall and precision) and of catalog services.
func TestNLSExamples(t *testing.T) {
	w := setup(t)
	svc := func(slugs ...string) []string {
		var out []string
		for _, s := range slugs {
			out = append(out, w.ids[s])
		}
		return out
	}
	cases := []struct {
		query    string
		parsed   query.Parsed
		want     []string
		services []string
		kind     string
	}{
		{"piano under $80", query.Parsed{MatchKind: query.MatchService, ServiceIDs: svc("piano"), MaxPriceCents: ptr(8000)},
			[]string{"P1"}, []string{"Piano"}, "service"},
		{"music lessons", query.Parsed{MatchKind: query.MatchCategory, CategorySlugs: []string{"music"}},
			[]string{"G1", "P1", "P2", "P4", "U1", "V1", "V2"}, []string{"Guitar", "Piano", "Ukulele", "Violin"}, "category"},
		{"spanish tomorrow", query.Parsed{MatchKind: query.MatchService, ServiceIDs: svc("spanish"), DateFrom: &thu, DateTo: &thu},
			[]string{"S2"}, []string{"Spanish"}, "service"},
		{"keyboard lessons for kids", query.Parsed{MatchKind: query.MatchService, ServiceIDs: svc("piano"), Level: "kids"},
			[]string{"P1", "P2", "P4"}, []string{"Piano"}, "service"},
		{"guitar or ukulele", query.Parsed{MatchKind: query.MatchService, ServiceIDs: svc("guitar", "ukulele")},
			[]string{"G1", "U1"}, []string{"Guitar", "Ukulele"}, "service"},
		{"math tutor this weekend", query.Parsed{MatchKind: query.MatchService, ServiceIDs: svc("math"), DateFrom: &sat, DateTo: &sun},
			[]string{"M1"}, []string{"Math"}, "service"},
		{"lessons under $50", query.Parsed{MatchKind: query.MatchAll, MaxPriceCents: ptr(5000)},
			[]string{"F1", "F2", "G1", "M1", "S1", "S3", "U1"}, []string{"French", "Guitar", "Math", "Spanish", "Ukulele"}, "all"},
		{"pianno", query.Parsed{MatchKind: query.MatchService, ServiceIDs: svc("piano"), Typo: true},
			[]string{"P1", "P2", "P4"}, []string{"Piano"}, "service"},
		{"yoga in the evening", query.Parsed{MatchKind: query.MatchService, ServiceIDs: svc("yoga"), TimeAfter: minute("17:00"), TimeBefore: minute("22:00")},
			[]string{"Y1"}, []string{"Yoga"}, "service"},
		{"online french between $40 and $60", query.Parsed{MatchKind: query.MatchService, ServiceIDs: svc("french"), LocationType: "online",
			MinPriceCents: ptr(4000), MaxPriceCents: ptr(6000)}, []string{"F1"}, []string{"French"}, "service"},
		{"30 minute violin lesson under $40", query.Parsed{MatchKind: query.MatchService, ServiceIDs: svc("violin"), DurationMinutes: ptr(30),
			MaxPriceCents: ptr(4000)}, []string{"V1"}, []string{"Violin"}, "service"},
		{"sat prep in brooklyn", query.Parsed{MatchKind: query.MatchService, ServiceIDs: svc("sat-prep"), Location: "brooklyn"},
			[]string{"SAT1"}, []string{"SAT Prep"}, "service"},
		{"xqzv", query.Parsed{MatchKind: query.MatchPending, ServiceQuery: "xqzv"}, nil, nil, "none"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			c.parsed.Normalized = c.query
			r, names, services := w.run(t, c.parsed)
			require.Equal(t, c.want, names)
			require.Equal(t, c.services, services)
			require.Equal(t, c.kind, r.Kind)
			require.NotNil(t, r.Hits, "results is [] not null")
		})
	}
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
