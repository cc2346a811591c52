package search

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/instainstru/instainstru"
)

// index is the engine's in-memory copy of every searchable instructor: name, bio, areas and
// active offers, with what the hard filters test precomputed (interned service and area numbers,
// duration and location bit sets, which level words the texts contain). A search scans it in one
// pass (a few microseconds per thousand offers) instead of asking the database to join, dedupe
// and count every matching offer.
//
// It is never stale by more than the search that reads it: before each search the engine asks
// the database's change feed (Store.SearchIndex, migration 00007) for what changed since the
// last read, one indexed round trip that usually returns nothing. Concurrent searches share one
// read (sync).
type index struct {
	mu      sync.RWMutex
	list    []*idxInstructor // sorted by instructor id: scans produce candidates in tie-break order
	byID    map[string]*idxInstructor
	svc     map[string]int32 // catalog service id → number
	svcIDs  []string
	areas   map[string]int32 // lower-cased, trimmed area → number
	areaCnt []int            // searchable instructors serving each area number
	offers  int

	syncMu   sync.Mutex
	cursor   string
	syncedAt time.Time // start of the last completed read
}

// idxInstructor is one searchable instructor; never modified after it is built (a change builds
// a new one), so candidates may keep pointers to it outside the lock.
type idxInstructor struct {
	id       string
	name     string
	bio      string
	years    int
	areas    []string // as written
	areaKeys []int32
	offers   []idxOffer
}

// idxOffer is one active offer.
type idxOffer struct {
	svc     int32
	rate    int32
	minDur  int32
	durMask uint32 // bit d/15 for each duration option d (15..240)
	locMask uint8  // locInPerson | locOnline
	level   uint8  // bit per level (levelBit) whose words the description or the bio contain
	offer   *instainstru.InstructorService
}

const (
	locInPerson uint8 = 1
	locOnline   uint8 = 2
)

// levelOrder numbers the levels for idxOffer.level.
var levelOrder = []string{"beginner", "intermediate", "advanced", "kids", "teen", "adult"}

// levelRegexps are levelPatterns in Go's syntax (the same words; PostgreSQL's \m and \M are word
// boundaries).
var levelRegexps = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(levelOrder))
	for i, l := range levelOrder {
		p := strings.NewReplacer(`\m`, `\b`, `\M`, `\b`).Replace(levelPatterns[l])
		out[i] = regexp.MustCompile(`(?i)` + p)
	}
	return out
}()

func levelBit(level string) uint8 {
	for i, l := range levelOrder {
		if l == level {
			return 1 << i
		}
	}
	return 0
}

func levelMask(texts ...string) uint8 {
	var m uint8
	for i, re := range levelRegexps {
		for _, t := range texts {
			if t != "" && re.MatchString(t) {
				m |= 1 << i
				break
			}
		}
	}
	return m
}

func areaKey(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

func newIndex() *index {
	return &index{byID: map[string]*idxInstructor{}, svc: map[string]int32{}, areas: map[string]int32{}}
}

// sync brings the index up to date with the database. A read that started after the caller's
// search began answers for it too, so a burst of searches costs one round trip.
func (x *index) sync(ctx context.Context, store instainstru.SearchStore, since time.Time) (newAreas bool, err error) {
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	if x.syncedAt.After(since) {
		return false, nil
	}
	start := time.Now()
	d, err := store.SearchIndex(ctx, x.cursor)
	if err != nil {
		return false, err
	}
	newAreas = x.apply(d, x.cursor == "")
	x.cursor, x.syncedAt = d.Cursor, start
	return newAreas, nil
}

// apply installs a delta (a full read replaces everything) and reports whether an area no
// searchable instructor served before appeared.
func (x *index) apply(d *instainstru.SearchIndexDelta, full bool) bool {
	built := make([]*idxInstructor, 0, len(d.Entries))
	x.mu.Lock()
	defer x.mu.Unlock()
	if full {
		x.list, x.byID, x.areaCnt, x.offers = nil, map[string]*idxInstructor{}, make([]int, len(x.areaCnt)), 0
	}
	newArea := false
	remove := func(id string) {
		old, ok := x.byID[id]
		if !ok {
			return
		}
		delete(x.byID, id)
		for _, k := range old.areaKeys {
			x.areaCnt[k]--
		}
		x.offers -= len(old.offers)
		if i, ok := slices.BinarySearchFunc(x.list, id, func(a *idxInstructor, id string) int { return strings.Compare(a.id, id) }); ok {
			x.list = slices.Delete(x.list, i, i+1)
		}
	}
	for _, id := range d.Gone {
		remove(id)
	}
	for i := range d.Entries {
		e := &d.Entries[i]
		if !full {
			remove(e.InstructorID)
		}
		if !e.Searchable {
			continue
		}
		in := x.build(e)
		for _, k := range in.areaKeys {
			if x.areaCnt[k] == 0 {
				newArea = true
			}
			x.areaCnt[k]++
		}
		x.byID[in.id] = in
		x.offers += len(in.offers)
		built = append(built, in)
	}
	if full {
		x.list = built // the store returns them in id order
		slices.SortFunc(x.list, func(a, b *idxInstructor) int { return strings.Compare(a.id, b.id) })
		return true
	}
	for _, in := range built {
		i, _ := slices.BinarySearchFunc(x.list, in.id, func(a *idxInstructor, id string) int { return strings.Compare(a.id, id) })
		x.list = slices.Insert(x.list, i, in)
	}
	return newArea
}

// build turns an entry into its indexed form (called with mu held: it interns).
func (x *index) build(e *instainstru.SearchIndexEntry) *idxInstructor {
	in := &idxInstructor{id: e.InstructorID, name: e.FullName, bio: e.Bio, years: e.YearsExperience, areas: e.AreasOfService}
	if in.areas == nil {
		in.areas = []string{}
	}
	seen := map[int32]bool{}
	for _, a := range e.AreasOfService {
		k := areaKey(a)
		if k == "" {
			continue
		}
		n, ok := x.areas[k]
		if !ok {
			n = int32(len(x.areaCnt))
			x.areas[k] = n
			x.areaCnt = append(x.areaCnt, 0)
		}
		if !seen[n] {
			seen[n] = true
			in.areaKeys = append(in.areaKeys, n)
		}
	}
	bioLevel := levelMask(e.Bio)
	for i := range e.Offers {
		o := &e.Offers[i]
		n, ok := x.svc[o.CatalogServiceID]
		if !ok {
			n = int32(len(x.svcIDs))
			x.svc[o.CatalogServiceID] = n
			x.svcIDs = append(x.svcIDs, o.CatalogServiceID)
		}
		io := idxOffer{svc: n, rate: int32(o.HourlyRateCents), minDur: 1 << 30, level: bioLevel | levelMask(o.Description), offer: o}
		for _, d := range o.DurationOptions {
			io.minDur = min(io.minDur, int32(d))
			if d > 0 && d%instainstru.DurationGrid == 0 && d/instainstru.DurationGrid < 32 {
				io.durMask |= 1 << (d / instainstru.DurationGrid)
			}
		}
		for _, l := range o.LocationTypes {
			switch string(l) {
			case "online":
				io.locMask |= locOnline
			case "in_person":
				io.locMask |= locInPerson
			}
		}
		in.offers = append(in.offers, io)
	}
	return in
}

// areaList is every area a searchable instructor serves (for the query reader's vocabulary).
func (x *index) areaList() []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]string, 0, len(x.areas))
	for a, n := range x.areas {
		if x.areaCnt[n] > 0 {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// filter is the hard-filter part of a search, ready for a scan.
type filter struct {
	scores    map[string]float64 // catalog service id → base score (strength and popularity)
	minPrice  *int
	maxPrice  *int
	duration  *int
	locType   string
	area      string
	level     string
	levelBost float64
}

// cand is one instructor passing the hard filters, with its best offer.
type cand struct {
	in         *idxInstructor
	off        *idxOffer
	prelim     float64
	shortest   int
	levelMatch bool
}

// scan returns every instructor passing f, ordered by preliminary score (best first) then
// instructor id. Per instructor the best offer is the highest scoring, then the cheapest, then
// the lowest id; shortest is the shortest lesson among its passing offers (or the asked one).
func (x *index) scan(f filter) []cand {
	x.mu.RLock()
	defer x.mu.RUnlock()
	score := make([]float64, len(x.svcIDs))
	hasAny := false
	for i, id := range x.svcIDs {
		score[i] = -1
		if s, ok := f.scores[id]; ok {
			score[i], hasAny = s, true
		}
	}
	if !hasAny {
		return nil
	}
	area := int32(-1)
	if f.area != "" {
		n, ok := x.areas[f.area]
		if !ok {
			return nil
		}
		area = n
	}
	var loc uint8
	switch f.locType {
	case "online":
		loc = locOnline
	case "in_person":
		loc = locInPerson
	}
	var durBit uint32
	dur := 0
	if f.duration != nil {
		dur = *f.duration
		if dur <= 0 || dur%instainstru.DurationGrid != 0 || dur/instainstru.DurationGrid >= 32 {
			return nil
		}
		durBit = 1 << (dur / instainstru.DurationGrid)
	}
	lvl := levelBit(f.level)
	lo, hi := int64(-1), int64(1)<<62
	if f.minPrice != nil {
		lo = int64(*f.minPrice)
	}
	if f.maxPrice != nil {
		hi = int64(*f.maxPrice)
	}
	out := make([]cand, 0, 256)
	distinct := map[float64]int{}
	for _, in := range x.list {
		if area >= 0 && !slices.Contains(in.areaKeys, area) {
			continue
		}
		best := -1
		var bestScore float64
		shortest := int32(1 << 30)
		for i := range in.offers {
			o := &in.offers[i]
			s := score[o.svc]
			if s < 0 || (loc != 0 && o.locMask&loc == 0) || (durBit != 0 && o.durMask&durBit == 0) {
				continue
			}
			price := int64(o.rate)
			if dur > 0 {
				// The price of a lesson of that length, rounded to the cent as bookings round it.
				price = (int64(o.rate)*int64(dur) + 30) / 60
			}
			if price < lo || price > hi {
				continue
			}
			if lvl != 0 && o.level&lvl != 0 {
				s += f.levelBost
			}
			shortest = min(shortest, o.minDur)
			if best < 0 || s > bestScore || (s == bestScore && (o.rate < in.offers[best].rate ||
				(o.rate == in.offers[best].rate && o.offer.ID < in.offers[best].offer.ID))) {
				best, bestScore = i, s
			}
		}
		if best < 0 {
			continue
		}
		c := cand{in: in, off: &in.offers[best], prelim: bestScore, shortest: int(shortest),
			levelMatch: lvl != 0 && in.offers[best].level&lvl != 0}
		if dur > 0 {
			c.shortest = dur
		}
		distinct[bestScore]++
		out = append(out, c)
	}
	if len(distinct) <= 1 {
		return out
	}
	// Few distinct scores (a service's base score, plus the level boost): a counting sort by
	// score keeps id order inside each score in linear time.
	keys := make([]float64, 0, len(distinct))
	for k := range distinct {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	slices.Reverse(keys)
	at := make(map[float64]int, len(keys))
	n := 0
	for _, k := range keys {
		at[k] = n
		n += distinct[k]
	}
	sorted := make([]cand, len(out))
	for _, c := range out {
		sorted[at[c.prelim]] = c
		at[c.prelim]++
	}
	return sorted
}

// candidate turns a scan result into the domain form, with the catalog's names.
func (c cand) candidate(st *catalogState) instainstru.SearchCandidate {
	o := *c.off.offer
	if s, ok := st.services[o.CatalogServiceID]; ok {
		o.Name, o.Category = s.Name, s.Category
	}
	return instainstru.SearchCandidate{InstructorID: c.in.id, FullName: c.in.name, Bio: c.in.bio, YearsExperience: c.in.years,
		AreasOfService: c.in.areas, Offer: o, Shortest: c.shortest, LevelMatch: c.levelMatch, Prelim: c.prelim}
}
