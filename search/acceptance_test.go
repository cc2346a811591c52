package search_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/search"
)

// The acceptance tests run queries through the whole engine with the real query reader at the
// fixed clock of NLS.md §5 and check two things for each:
//   - the reading: the match kind, services or category and every constraint, exactly (a field
//     the expectation leaves empty must be empty);
//   - the results: the exact set of instructors and of services, against an oracle that
//     computes them from the fixture definitions (fixtures in engine_test.go) alone: hard filters
//     on the offers as written, and for a window a small independent model of bookable time
//     (slots minus bookings widened by the buffer, blackouts, the past and the notice). So
//     precision (nothing outside the service or the constraints) and recall (every fixture
//     instructor that qualifies) are both asserted.

// want is the expected reading of a query.
type want struct {
	kind     string   // service, category, all, open, none
	services []string // catalog slugs (service kind)
	category string   // category slug (category kind)
	min, max int      // cents, 0: none
	cheap    bool     // max is the lower third of the matched services' prices (computed by the oracle)
	dur      int
	loc      string // online | in_person
	area     string
	from, to string // dates; to defaults to from
	after    string // times of day
	before   string
	exact    bool
	level    string
	typo     bool
}

func d(s string) instainstru.Date {
	v, err := instainstru.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func mins(s string) int {
	m, err := instainstru.ParseMinute(s, true)
	if err != nil {
		panic(err)
	}
	return int(m)
}

// acceptance is the table: NLS.md §5 first, then the phrase families and odd inputs.
var acceptance = []struct {
	q string
	w want
}{
	// NLS.md §5, every example.
	{"piano under $80", want{kind: "service", services: []string{"piano"}, max: 8000}},
	{"music lessons", want{kind: "category", category: "music"}},
	{"spanish tomorrow", want{kind: "service", services: []string{"spanish"}, from: "2026-11-19"}},
	{"keyboard lessons for kids", want{kind: "service", services: []string{"piano"}, level: "kids"}},
	{"guitar or ukulele", want{kind: "service", services: []string{"guitar", "ukulele"}}},
	{"math tutor this weekend", want{kind: "service", services: []string{"math"}, from: "2026-11-21", to: "2026-11-22"}},
	{"lessons under $50", want{kind: "all", max: 5000}},
	{"pianno", want{kind: "service", services: []string{"piano"}, typo: true}},
	{"yoga in the evening", want{kind: "service", services: []string{"yoga"}, after: "17:00", before: "22:00"}},
	{"online french between $40 and $60", want{kind: "service", services: []string{"french"}, loc: "online", min: 4000, max: 6000}},
	{"30 minute violin lesson under $40", want{kind: "service", services: []string{"violin"}, dur: 30, max: 4000}},
	{"sat prep in brooklyn", want{kind: "service", services: []string{"sat-prep"}, area: "brooklyn"}},
	{"xqzv", want{kind: "none"}},

	// Max price, every phrase.
	{"guitar under $80", want{kind: "service", services: []string{"guitar"}, max: 8000}},
	{"guitar below 80", want{kind: "service", services: []string{"guitar"}, max: 8000}},
	{"guitar less than 80 dollars", want{kind: "service", services: []string{"guitar"}, max: 8000}},
	{"guitar max $80", want{kind: "service", services: []string{"guitar"}, max: 8000}},
	{"guitar up to $80", want{kind: "service", services: []string{"guitar"}, max: 8000}},
	{"guitar $80 or less", want{kind: "service", services: []string{"guitar"}, max: 8000}},
	{"guitar no more than $80", want{kind: "service", services: []string{"guitar"}, max: 8000}},
	{"guitar <$80", want{kind: "service", services: []string{"guitar"}, max: 8000}},
	{"guitar 80 bucks or less", want{kind: "service", services: []string{"guitar"}, max: 8000}},
	{"spanish under $45", want{kind: "service", services: []string{"spanish"}, max: 4500}},
	// Min price.
	{"piano over $50", want{kind: "service", services: []string{"piano"}, min: 5000}},
	{"piano above $100", want{kind: "service", services: []string{"piano"}, min: 10000}},
	{"french at least $60", want{kind: "service", services: []string{"french"}, min: 6000}},
	{"violin more than 80", want{kind: "service", services: []string{"violin"}, min: 8000}},
	// Ranges.
	{"yoga $65-$70", want{kind: "service", services: []string{"yoga"}, min: 6500, max: 7000}},
	{"spanish $45 to $60", want{kind: "service", services: []string{"spanish"}, min: 4500, max: 6000}},
	{"french between 40 and 60 dollars", want{kind: "service", services: []string{"french"}, min: 4000, max: 6000}},
	// Cheap.
	{"cheap piano", want{kind: "service", services: []string{"piano"}, cheap: true}},
	{"affordable spanish", want{kind: "service", services: []string{"spanish"}, cheap: true}},
	{"budget yoga", want{kind: "service", services: []string{"yoga"}, cheap: true}},
	{"inexpensive french", want{kind: "service", services: []string{"french"}, cheap: true}},
	{"cheap lessons", want{kind: "all", cheap: true}},
	// Dates.
	{"piano today", want{kind: "service", services: []string{"piano"}, from: "2026-11-18"}},
	{"python tonight", want{kind: "service", services: []string{"python"}, from: "2026-11-18", after: "17:00"}},
	{"guitar tonight", want{kind: "service", services: []string{"guitar"}, from: "2026-11-18", after: "17:00"}},
	{"yoga tomorrow", want{kind: "service", services: []string{"yoga"}, from: "2026-11-19"}},
	{"cello day after tomorrow", want{kind: "service", services: []string{"cello"}, from: "2026-11-20"}},
	{"math monday", want{kind: "service", services: []string{"math"}, from: "2026-11-23"}},
	{"chess on tue", want{kind: "service", services: []string{"chess"}, from: "2026-11-24"}},
	{"piano on wednesday", want{kind: "service", services: []string{"piano"}, from: "2026-11-18"}},
	{"drums this weekend", want{kind: "service", services: []string{"drums"}, from: "2026-11-21", to: "2026-11-22"}},
	{"chemistry next weekend", want{kind: "service", services: []string{"chemistry"}, from: "2026-11-28", to: "2026-11-29"}},
	{"lessons this week", want{kind: "all", from: "2026-11-18", to: "2026-11-22"}},
	{"lessons next week", want{kind: "all", from: "2026-11-23", to: "2026-11-29"}},
	{"german dec 5", want{kind: "service", services: []string{"german"}, from: "2026-12-05"}},
	{"german december 5th", want{kind: "service", services: []string{"german"}, from: "2026-12-05"}},
	{"german 12/5", want{kind: "service", services: []string{"german"}, from: "2026-12-05"}},
	{"german 2026-12-05", want{kind: "service", services: []string{"german"}, from: "2026-12-05"}},
	{"lessons under $50 tomorrow", want{kind: "all", max: 5000, from: "2026-11-19"}},
	{"math yesterday or today", want{kind: "service", services: []string{"math"}, from: "2026-11-18"}},
	// Times of day.
	{"tennis in the morning", want{kind: "service", services: []string{"tennis"}, after: "06:00", before: "12:00"}},
	{"spanish in the afternoon", want{kind: "service", services: []string{"spanish"}, after: "12:00", before: "17:00"}},
	{"yoga after 5pm", want{kind: "service", services: []string{"yoga"}, after: "17:00"}},
	{"yoga after 17:00", want{kind: "service", services: []string{"yoga"}, after: "17:00"}},
	{"tennis before noon", want{kind: "service", services: []string{"tennis"}, before: "12:00"}},
	{"yoga before 10am", want{kind: "service", services: []string{"yoga"}, before: "10:00"}},
	{"spanish between 3 and 5pm", want{kind: "service", services: []string{"spanish"}, after: "15:00", before: "17:00"}},
	{"piano at 4pm today", want{kind: "service", services: []string{"piano"}, from: "2026-11-18", after: "16:00", exact: true}},
	{"piano at 4:30pm today", want{kind: "service", services: []string{"piano"}, from: "2026-11-18", after: "16:30", exact: true}},
	{"bjj tomorrow evening", want{kind: "service", services: []string{"brazilian-jiu-jitsu"}, from: "2026-11-19", after: "17:00", before: "22:00"}},
	{"tennis tomorrow morning", want{kind: "service", services: []string{"tennis"}, from: "2026-11-19", after: "06:00", before: "12:00"}},
	// Durations.
	{"30 minute violin", want{kind: "service", services: []string{"violin"}, dur: 30}},
	{"30-min drums", want{kind: "service", services: []string{"drums"}, dur: 30}},
	{"45 mins cello", want{kind: "service", services: []string{"cello"}, dur: 45}},
	{"1 hour violin", want{kind: "service", services: []string{"violin"}, dur: 60}},
	{"an hour of drums", want{kind: "service", services: []string{"drums"}, dur: 60}},
	{"90 minutes german", want{kind: "service", services: []string{"german"}, dur: 90}},
	{"hour-long chemistry", want{kind: "service", services: []string{"chemistry"}, dur: 60}},
	{"90 minute chemistry", want{kind: "service", services: []string{"chemistry"}, dur: 90}},
	{"45 minute drums under $30", want{kind: "service", services: []string{"drums"}, dur: 45, max: 3000}},
	// Where.
	{"online french", want{kind: "service", services: []string{"french"}, loc: "online"}},
	{"virtual french", want{kind: "service", services: []string{"french"}, loc: "online"}},
	{"remote drums", want{kind: "service", services: []string{"drums"}, loc: "online"}},
	{"french over zoom", want{kind: "service", services: []string{"french"}, loc: "online"}},
	{"in person french", want{kind: "service", services: []string{"french"}, loc: "in_person"}},
	{"in-person drums", want{kind: "service", services: []string{"drums"}, loc: "in_person"}},
	{"drums at my home", want{kind: "service", services: []string{"drums"}, loc: "in_person"}},
	{"tennis coach who can come to me", want{kind: "service", services: []string{"tennis"}, loc: "in_person"}},
	{"boxing in brooklyn", want{kind: "service", services: []string{"boxing"}, area: "brooklyn"}},
	{"tennis near manhattan", want{kind: "service", services: []string{"tennis"}, area: "manhattan"}},
	{"tennis on the upper west side", want{kind: "service", services: []string{"tennis"}}},
	{"tennis in upper west side", want{kind: "service", services: []string{"tennis"}, area: "upper west side"}},
	{"piano in brooklyn", want{kind: "service", services: []string{"piano"}, area: "brooklyn"}},
	{"lessons in queens", want{kind: "all", area: "queens"}},
	// Levels (a ranking boost, never a filter).
	{"chess for beginners", want{kind: "service", services: []string{"chess"}, level: "beginner"}},
	{"beginner chess", want{kind: "service", services: []string{"chess"}, level: "beginner"}},
	{"intermediate cello", want{kind: "service", services: []string{"cello"}, level: "intermediate"}},
	{"advanced drums", want{kind: "service", services: []string{"drums"}, level: "advanced"}},
	{"piano for children", want{kind: "service", services: []string{"piano"}, level: "kids"}},
	{"german for teens", want{kind: "service", services: []string{"german"}, level: "teen"}},
	{"german for adults", want{kind: "service", services: []string{"german"}, level: "adult"}},
	// Reading the service: names, slugs, aliases, categories, typos, several, none, semantic.
	{"piano", want{kind: "service", services: []string{"piano"}}},
	{"sat-prep", want{kind: "service", services: []string{"sat-prep"}}},
	{"castellano", want{kind: "service", services: []string{"spanish"}}},
	{"bjj", want{kind: "service", services: []string{"brazilian-jiu-jitsu"}}},
	{"fiddle", want{kind: "service", services: []string{"violin"}}},
	{"languages", want{kind: "category", category: "languages"}},
	{"tutoring", want{kind: "category", category: "tutoring-test-prep"}},
	{"fitness", want{kind: "category", category: "sports-fitness"}},
	{"coding classes", want{kind: "category", category: "technology-coding"}},
	{"spansh", want{kind: "service", services: []string{"spanish"}, typo: true}},
	{"gutiar", want{kind: "service", services: []string{"guitar"}, typo: true}},
	{"violinn lessons", want{kind: "service", services: []string{"violin"}, typo: true}},
	{"piano, guitar and violin", want{kind: "service", services: []string{"piano", "guitar", "violin"}}},
	{"find me a tutor", want{kind: "category", category: "tutoring-test-prep"}},
	{"lessons", want{kind: "all"}},
	{"i need lessons online under $60", want{kind: "all", loc: "online", max: 6000}},
	{"pianos", want{kind: "service", services: []string{"piano"}}},
	// Case, spaces, emoji, punctuation, SQL-looking text.
	{"PIANO Under $80", want{kind: "service", services: []string{"piano"}, max: 8000}},
	{"  piano    under   $80  ", want{kind: "service", services: []string{"piano"}, max: 8000}},
	{"Spanish TOMORROW", want{kind: "service", services: []string{"spanish"}, from: "2026-11-19"}},
	{"🎹 piano lessons 🎶", want{kind: "service", services: []string{"piano"}}},
	{"yoga 🧘 tomorrow ✨", want{kind: "service", services: []string{"yoga"}, from: "2026-11-19"}},
	{"Español", want{kind: "service", services: []string{"spanish"}}},
	{"piano!!! under $80???", want{kind: "service", services: []string{"piano"}, max: 8000}},
	{"piano'; DROP TABLE users; --", want{kind: "service", services: []string{"piano"}}},
	{"' OR 1=1 --", want{kind: "all"}}, // no service words: everything, as "lessons"
	{"%' UNION SELECT * FROM users --", want{kind: "none"}},
	{"guitar\\x00 or ukulele", want{kind: "service", services: []string{"guitar", "ukulele"}}},
	{"zzzz qqqq", want{kind: "none"}},
	{"!!!", want{kind: "all"}},
}

// oracle computes the expected instructors (by name) and services of a reading, from the fixture
// definitions alone.
func (w *world) oracle(t *testing.T, e want) (names, services []string, maxPrice int) {
	t.Helper()
	if e.kind == "none" {
		return nil, nil, 0
	}
	inSet := map[string]bool{}
	switch e.kind {
	case "service":
		for _, s := range e.services {
			inSet[s] = true
		}
	case "category":
		for _, s := range w.cat.Services {
			if s.Category.Slug == e.category {
				inSet[s.Slug] = true
			}
		}
	case "all":
		for _, s := range w.cat.Services {
			inSet[s.Slug] = true
		}
	}
	active := func(fx fxInstructor) bool { return fx.spec.Status == "" || fx.spec.Status == "active" }
	maxPrice = e.max
	if e.cheap {
		// The lower third (percentile_disc 1/3) of the matched services' current rates.
		var rates []int
		for _, fx := range fixtures {
			for _, o := range fx.offers {
				if active(fx) && !o.Inactive && inSet[o.ServiceSlug] {
					rates = append(rates, o.Rate)
				}
			}
		}
		sort.Ints(rates)
		maxPrice = rates[(len(rates)+2)/3-1]
	}
	svcSet := map[string]bool{}
	for _, fx := range fixtures {
		if !active(fx) {
			continue
		}
		if e.area != "" && !slices.ContainsFunc(fx.spec.Areas, func(a string) bool { return strings.EqualFold(a, e.area) }) {
			continue
		}
		best, need := -1, 1<<30
		for i, o := range fx.offers {
			durs := o.Durations
			if durs == nil {
				durs = []int{60}
			}
			locs := o.Locations
			if locs == nil {
				locs = []string{"in_person", "online"}
			}
			price := o.Rate
			if e.dur > 0 {
				if !slices.Contains(durs, e.dur) {
					continue
				}
				price = (o.Rate*e.dur + 30) / 60
			}
			if o.Inactive || !inSet[o.ServiceSlug] || (e.loc != "" && !slices.Contains(locs, e.loc)) ||
				(e.min > 0 && price < e.min) || (maxPrice > 0 && price > maxPrice) {
				continue
			}
			need = min(need, slices.Min(durs))
			if best < 0 || o.Rate < fx.offers[best].Rate {
				best = i
			}
		}
		if best < 0 {
			continue
		}
		if e.dur > 0 {
			need = e.dur
		}
		if (e.from != "" || e.after != "" || e.before != "") && !freeIn(fx, e, need) {
			continue
		}
		names = append(names, fx.name)
		svcSet[fx.offers[best].ServiceSlug] = true
	}
	for s := range svcSet {
		services = append(services, s)
	}
	sort.Strings(names)
	sort.Strings(services)
	return names, services, maxPrice
}

// freeIn is the oracle's model of bookable time: a lesson of need minutes fits in the window on
// some date: inside a slot, clear of every booking widened by the buffer, not on a blackout date,
// starting at or after now plus the notice (on the 15-minute grid), inside the time of day.
func freeIn(fx fxInstructor, e want, need int) bool {
	from, to := wed, wed.AddDays(13)
	if e.from != "" {
		from, to = d(e.from), d(e.from)
	}
	if e.to != "" {
		to = d(e.to)
	}
	after, before := 0, 24*60
	if e.after != "" {
		after = mins(e.after)
	}
	if e.before != "" {
		before = mins(e.before)
	}
	for day := from; !day.After(to); day = day.AddDays(1) {
		if day.Before(wed) || slices.Contains(fx.blackouts, day) {
			continue
		}
		earliest := 0
		if day == wed {
			earliest = (10*60 + fx.spec.MinAdvance*60 + 14) / 15 * 15
		}
		for _, s := range fx.slots {
			if s.d != day {
				continue
			}
			// Free minutes of the slot, minute by minute (the fixture is small).
			free := make([]bool, 24*60+1)
			for m := mins(s.start); m < mins(s.end); m++ {
				free[m] = m >= earliest
			}
			for _, b := range fx.bookings {
				if b.d != day {
					continue
				}
				for m := mins(b.start) - fx.spec.Buffer; m < mins(b.start)+b.minutes+fx.spec.Buffer; m++ {
					if m >= 0 && m < len(free) {
						free[m] = false
					}
				}
			}
			fits := func(start int) bool {
				if start%15 != 0 || start+need > before || start < after {
					return false
				}
				for m := start; m < start+need; m++ {
					if !free[m] {
						return false
					}
				}
				return true
			}
			if e.exact {
				if fits(after) {
					return true
				}
				continue
			}
			for start := after; start+need <= before; start++ {
				if fits(start) {
					return true
				}
			}
		}
	}
	return false
}

func TestAcceptance(t *testing.T) {
	w := setup(t)
	require.GreaterOrEqual(t, len(acceptance), 13+80)
	for _, c := range acceptance {
		t.Run(c.q, func(t *testing.T) {
			w.checkQuery(t, c.q, c.w)
		})
	}
}

// checkQuery runs q through the engine (real reader) and checks the reading and the results.
func (w *world) checkQuery(t *testing.T, q string, e want) {
	t.Helper()
	r, err := w.engine.Search(context.Background(), search.SearchRequest{Query: q, Now: now, Loc: ny, Limit: 50})
	require.NoError(t, err)
	p := r.Parsed
	require.NotNil(t, r.Hits, "results is [] not null")

	// The reading.
	require.Equal(t, e.kind, r.Kind, "match kind of %q (parsed %+v)", q, p)
	var gotSvcs []string
	for _, s := range r.Services {
		gotSvcs = append(gotSvcs, s.Slug)
	}
	if e.kind == "service" {
		require.ElementsMatch(t, e.services, gotSvcs, "services")
	}
	var gotCats []string
	for _, c := range r.Categories {
		gotCats = append(gotCats, c.Slug)
	}
	if e.kind == "category" {
		require.Equal(t, []string{e.category}, gotCats, "category")
	} else {
		require.Empty(t, gotCats)
	}
	require.Equal(t, e.typo, p.Typo, "typo")
	opt := func(v int) *int {
		if v == 0 {
			return nil
		}
		return &v
	}
	require.Equal(t, opt(e.min), p.MinPriceCents, "min price")
	require.Equal(t, e.cheap, p.Cheap, "cheap")
	if !e.cheap {
		require.Equal(t, opt(e.max), p.MaxPriceCents, "max price")
	}
	require.Equal(t, opt(e.dur), p.DurationMinutes, "duration")
	require.Equal(t, e.loc, p.LocationType, "location type")
	require.Equal(t, e.area, p.Location, "area")
	date := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	str := func(v fmt.Stringer) *string {
		if v == nil {
			return nil
		}
		s := v.String()
		return &s
	}
	to := e.to
	if to == "" {
		to = e.from
	}
	var gotFrom, gotTo, gotAfter, gotBefore *string
	if p.DateFrom != nil {
		gotFrom = str(p.DateFrom)
	}
	if p.DateTo != nil {
		gotTo = str(p.DateTo)
	}
	if p.TimeAfter != nil {
		gotAfter = str(p.TimeAfter)
	}
	if p.TimeBefore != nil {
		gotBefore = str(p.TimeBefore)
	}
	require.Equal(t, date(e.from), gotFrom, "date from")
	require.Equal(t, date(to), gotTo, "date to")
	require.Equal(t, date(e.after), gotAfter, "time after")
	require.Equal(t, date(e.before), gotBefore, "time before")
	require.Equal(t, e.exact, p.ExactStart, "exact start")
	require.Equal(t, e.level, p.Level, "level")

	// The results.
	wantNames, wantSvcs, maxPrice := w.oracle(t, e)
	if e.cheap {
		require.NotNil(t, r.MaxPriceCents)
		require.Equal(t, maxPrice, *r.MaxPriceCents, "cheap threshold")
	}
	var names, svcs []string
	seen := map[string]bool{}
	for _, h := range r.Hits {
		names = append(names, w.names[h.Candidate.InstructorID])
		slug := w.slugs[h.Candidate.Offer.CatalogServiceID]
		if !seen[slug] {
			seen[slug] = true
			svcs = append(svcs, slug)
		}
		if e.kind == "service" {
			require.Contains(t, e.services, slug, "precision: %s is outside the asked services", slug)
		}
		if e.from != "" || e.after != "" || e.before != "" {
			require.NotNil(t, h.Next, "a result of a window query has its lesson in the window")
		}
	}
	sort.Strings(names)
	sort.Strings(svcs)
	require.Equal(t, wantNames, names, "instructors (recall and precision)")
	require.Equal(t, wantSvcs, svcs, "services in the results")
	require.Equal(t, len(r.Hits), r.TotalFound, "every match fits in one page here")
	require.True(t, r.TotalExact)
}

// TestLongAndOddInputs: inputs over 500 characters (the HTTP layer refuses them; the engine
// still reads them without error), control characters and invalid UTF-8 never fail.
func TestLongAndOddInputs(t *testing.T) {
	w := setup(t)
	long := "piano under $80 " + strings.Repeat("please ", 100)
	require.Greater(t, len(long), 500)
	w.checkQuery(t, long, want{kind: "service", services: []string{"piano"}, max: 8000})
	for _, q := range []string{strings.Repeat("x", 5000), strings.Repeat("🎹", 2000), "\xff\xfe piano", "piano\x00\x01\x02",
		strings.Repeat("under $", 400), strings.Repeat("between 3 and ", 300)} {
		r, err := w.engine.Search(context.Background(), search.SearchRequest{Query: q, Now: now, Loc: ny})
		require.NoError(t, err)
		require.NotNil(t, r.Hits)
	}
}
