package search

import (
	"context"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/instainstru/instainstru"
)

// index is the engine's in-memory copy of every searchable instructor: name, bio, areas and
// active offers, with what the hard filters test precomputed (interned service and area numbers,
// duration and location bit sets, which level words the texts contain), and per catalog service
// a posting list of its offers in instructor order. A search walks the posting lists of the
// services it matched (a few microseconds per thousand offers, no allocation per offer) instead
// of asking the database to join, dedupe and count every matching offer.
//
// It is never stale by more than the search that reads it: before each search the engine asks
// the database's change feed (Store.SearchIndex, migration 00007) for what changed since the
// last read, one indexed round trip that usually returns nothing. Concurrent searches share one
// read (sync). Readers use an immutable snapshot; a change builds the next one, copying only the
// instructor table and the posting lists it touches.
type index struct {
	snap atomic.Pointer[snapshot]

	// Writer state, under syncMu.
	syncMu   sync.Mutex
	cursor   string
	syncedAt time.Time        // start of the last completed read
	pos      map[string]int32 // instructor id → position (positions follow id order)
	svc      map[string]int32 // catalog service id → number
	areas    map[string]int32 // lower-cased, trimmed area → number
	areaCnt  []int            // searchable instructors serving each area number
}

// snapshot is one immutable state of the index.
type snapshot struct {
	ins   []*idxInstructor // by position, in instructor id order; nil: not searchable
	ids   []string         // by position
	bySvc [][]posting      // by service number, sorted by position (one active offer per instructor and service)
	// blocks hold every posting again in position order, blockSize instructors per block (a
	// change copies one block): broad queries (many services) read them sequentially.
	blocks [][]svcPosting
	total  int      // postings
	svcIDs []string // service number → catalog service id
	areas  map[string]int32
	areaOK []bool // area number → served by someone
}

// idxInstructor is one searchable instructor; never modified after it is built.
type idxInstructor struct {
	id       string
	src      *instainstru.SearchIndexEntry
	areaKeys []int32
}

// posting is one active offer in its service's list: everything the filters test, inline.
type posting struct {
	pos     int32
	rate    int32
	durMask uint32 // bit d/15 for each duration option d (15..240)
	minDur  int16
	off     int16 // index into the instructor's offers
	locMask uint8 // locInPerson | locOnline
	level   uint8 // bit per level (levelOrder) whose words the description or the bio contain
}

// blockSize is how many instructor positions one block of postings covers.
const blockSize = 1024

const (
	locInPerson uint8 = 1
	locOnline   uint8 = 2
)

// levelOrder numbers the levels for posting.level.
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
	x := &index{pos: map[string]int32{}, svc: map[string]int32{}, areas: map[string]int32{}}
	x.snap.Store(&snapshot{areas: map[string]int32{}})
	return x
}

// sync brings the index up to date with the database. A read that started after the caller's
// search began answers for it too, so a burst of searches costs one round trip.
//
// changed reports whether the database reported any change (even one the index ignores, such
// as a booking, which bumps the instructor's calendar version): cached answers are then stale.
func (x *index) sync(ctx context.Context, store instainstru.SearchStore, since time.Time) (newAreas, changed bool, err error) {
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	if x.syncedAt.After(since) {
		return false, false, nil
	}
	start := time.Now()
	d, err := store.SearchIndex(ctx, x.cursor)
	if err != nil {
		return false, false, err
	}
	changed = len(d.Entries) > 0 || len(d.Gone) > 0
	if x.cursor == "" {
		newAreas = x.rebuild(d.Entries)
	} else {
		newAreas = x.apply(d)
	}
	x.cursor, x.syncedAt = d.Cursor, start
	return newAreas, changed, nil
}

// rebuild replaces everything with entries (a full read, or a change that does not fit the
// position order).
func (x *index) rebuild(entries []instainstru.SearchIndexEntry) bool {
	sorted := make([]*instainstru.SearchIndexEntry, 0, len(entries))
	for i := range entries {
		sorted = append(sorted, &entries[i])
	}
	slices.SortFunc(sorted, func(a, b *instainstru.SearchIndexEntry) int { return strings.Compare(a.InstructorID, b.InstructorID) })
	x.pos = make(map[string]int32, len(sorted))
	x.areaCnt = make([]int, len(x.areaCnt))
	s := &snapshot{ins: make([]*idxInstructor, len(sorted)), ids: make([]string, len(sorted))}
	for i, e := range sorted {
		x.pos[e.InstructorID] = int32(i)
		s.ids[i] = e.InstructorID
		if e.Searchable {
			s.ins[i] = x.build(e)
		}
	}
	for p, in := range s.ins {
		if in != nil {
			for _, pg := range x.postings(in, int32(p)) {
				for int(pg.svc) >= len(s.bySvc) {
					s.bySvc = append(s.bySvc, nil)
				}
				s.bySvc[pg.svc] = append(s.bySvc[pg.svc], pg.posting)
				b := p / blockSize
				for b >= len(s.blocks) {
					s.blocks = append(s.blocks, nil)
				}
				s.blocks[b] = append(s.blocks[b], pg)
				s.total++
			}
		}
	}
	x.finish(s)
	return true
}

// apply installs a delta: changed instructors are rebuilt, their postings replaced. An
// instructor whose searchable facts did not change (a booking bumped the calendar) costs nothing.
func (x *index) apply(d *instainstru.SearchIndexDelta) bool {
	old := x.snap.Load()
	var changed []*instainstru.SearchIndexEntry
	for _, id := range d.Gone {
		if p, ok := x.pos[id]; ok && old.ins[p] != nil {
			changed = append(changed, &instainstru.SearchIndexEntry{InstructorID: id})
		}
	}
	appendOnly := true
	last := ""
	if n := len(old.ids); n > 0 {
		last = old.ids[n-1]
	}
	for i := range d.Entries {
		e := &d.Entries[i]
		p, known := x.pos[e.InstructorID]
		if known && old.ins[p] != nil && e.Searchable && sameEntry(old.ins[p].src, e) {
			continue
		}
		if known && old.ins[p] == nil && !e.Searchable {
			continue
		}
		if !known {
			if e.InstructorID < last {
				appendOnly = false
			}
			last = max(last, e.InstructorID)
		}
		changed = append(changed, e)
	}
	if len(changed) == 0 {
		return false
	}
	if !appendOnly {
		// A new id sorts before known ones: positions must move. Rare (ids are time-ordered).
		all := make([]instainstru.SearchIndexEntry, 0, len(old.ins)+len(changed))
		byID := map[string]*instainstru.SearchIndexEntry{}
		for _, e := range changed {
			byID[e.InstructorID] = e
		}
		for p, id := range old.ids {
			if e, ok := byID[id]; ok {
				all = append(all, *e)
				delete(byID, id)
			} else if in := old.ins[p]; in != nil {
				all = append(all, *in.src)
			}
		}
		for _, e := range byID {
			all = append(all, *e)
		}
		return x.rebuild(all)
	}
	s := &snapshot{ins: slices.Clone(old.ins), ids: old.ids, bySvc: slices.Clone(old.bySvc),
		blocks: slices.Clone(old.blocks), total: old.total}
	dirty := map[int]bool{} // blocks to rebuild
	newArea := false
	touched := map[int32][]svcPosting{} // service → postings to insert
	gone := map[int32]map[int32]bool{}  // service → positions to drop
	// One state per instructor (the last read wins), in id order so new positions follow ids.
	slices.SortStableFunc(changed, func(a, b *instainstru.SearchIndexEntry) int { return strings.Compare(a.InstructorID, b.InstructorID) })
	for i := len(changed) - 2; i >= 0; i-- {
		if changed[i].InstructorID == changed[i+1].InstructorID {
			changed = slices.Delete(changed, i, i+1)
		}
	}
	for _, e := range changed {
		p, known := x.pos[e.InstructorID]
		dirty[int(p)/blockSize] = true
		if !known {
			p = int32(len(s.ids))
			dirty[int(p)/blockSize] = true
			x.pos[e.InstructorID] = p
			s.ids = append(s.ids, e.InstructorID) // old.ids is never appended to in place: its cap is its len or it is not shared
			s.ins = append(s.ins, nil)
		}
		if in := s.ins[p]; in != nil {
			for _, k := range in.areaKeys {
				x.areaCnt[k]--
			}
			for _, o := range in.src.Offers {
				n := x.svc[o.CatalogServiceID]
				if gone[n] == nil {
					gone[n] = map[int32]bool{}
				}
				gone[n][p] = true
			}
			s.ins[p] = nil
		}
		if !e.Searchable {
			continue
		}
		in := x.build(e)
		for _, k := range in.areaKeys {
			if x.areaCnt[k] == 1 {
				newArea = true
			}
		}
		s.ins[p] = in
		for _, pg := range x.postings(in, p) {
			touched[pg.svc] = append(touched[pg.svc], pg)
		}
	}
	for len(s.bySvc) < len(x.svc) {
		s.bySvc = append(s.bySvc, nil)
	}
	for n := range s.bySvc {
		add, drop := touched[int32(n)], gone[int32(n)]
		if len(add) == 0 && len(drop) == 0 {
			continue
		}
		list := make([]posting, 0, len(s.bySvc[n])+len(add))
		for _, pg := range s.bySvc[n] {
			if !drop[pg.pos] {
				list = append(list, pg)
			}
		}
		for _, pg := range add {
			list = append(list, pg.posting)
		}
		slices.SortFunc(list, func(a, b posting) int { return int(a.pos - b.pos) })
		s.bySvc[n] = list
	}
	for b := range dirty {
		for b >= len(s.blocks) {
			s.blocks = append(s.blocks, nil)
		}
		s.total -= len(s.blocks[b])
		var blk []svcPosting
		for p := b * blockSize; p < min((b+1)*blockSize, len(s.ins)); p++ {
			if in := s.ins[p]; in != nil {
				blk = append(blk, x.postings(in, int32(p))...)
			}
		}
		s.blocks[b] = blk
		s.total += len(blk)
	}
	s.ids = slices.Clip(s.ids)
	x.finish(s)
	return newArea
}

// finish fills the snapshot's copies of the interning tables and publishes it.
func (x *index) finish(s *snapshot) {
	s.svcIDs = make([]string, len(x.svc))
	for id, n := range x.svc {
		s.svcIDs[n] = id
	}
	for len(s.bySvc) < len(x.svc) {
		s.bySvc = append(s.bySvc, nil)
	}
	s.areas = make(map[string]int32, len(x.areas))
	s.areaOK = make([]bool, len(x.areaCnt))
	for a, n := range x.areas {
		s.areas[a] = n
		s.areaOK[n] = x.areaCnt[n] > 0
	}
	x.snap.Store(s)
}

// sameEntry reports whether two reads of an instructor hold the same searchable facts.
func sameEntry(a, b *instainstru.SearchIndexEntry) bool {
	if a.FullName != b.FullName || a.Bio != b.Bio || a.YearsExperience != b.YearsExperience ||
		a.Searchable != b.Searchable || !slices.Equal(a.AreasOfService, b.AreasOfService) || len(a.Offers) != len(b.Offers) {
		return false
	}
	for i := range a.Offers {
		x, y := &a.Offers[i], &b.Offers[i]
		if x.ID != y.ID || x.CatalogServiceID != y.CatalogServiceID || x.HourlyRateCents != y.HourlyRateCents ||
			x.Description != y.Description || !slices.Equal(x.DurationOptions, y.DurationOptions) || !slices.Equal(x.LocationTypes, y.LocationTypes) {
			return false
		}
	}
	return true
}

// build turns an entry into its indexed form, counting its areas (interning as needed).
func (x *index) build(e *instainstru.SearchIndexEntry) *idxInstructor {
	in := &idxInstructor{id: e.InstructorID, src: e}
	// Offers in id order: a posting's offer index then orders ties by offer id.
	slices.SortFunc(e.Offers, func(a, b instainstru.InstructorService) int { return strings.Compare(a.ID, b.ID) })
	if e.AreasOfService == nil {
		e.AreasOfService = []string{}
	}
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
		if !slices.Contains(in.areaKeys, n) {
			in.areaKeys = append(in.areaKeys, n)
			x.areaCnt[n]++
		}
	}
	return in
}

type svcPosting struct {
	svc int32
	posting
}

// postings are an instructor's offers as posting list entries.
func (x *index) postings(in *idxInstructor, p int32) []svcPosting {
	bio := levelMask(in.src.Bio)
	out := make([]svcPosting, 0, len(in.src.Offers))
	for i := range in.src.Offers {
		o := &in.src.Offers[i]
		n, ok := x.svc[o.CatalogServiceID]
		if !ok {
			n = int32(len(x.svc))
			x.svc[o.CatalogServiceID] = n
		}
		pg := posting{pos: p, rate: int32(o.HourlyRateCents), minDur: 1 << 14, off: int16(i), level: bio | levelMask(o.Description)}
		for _, d := range o.DurationOptions {
			pg.minDur = min(pg.minDur, int16(d))
			if d > 0 && d%instainstru.DurationGrid == 0 && d/instainstru.DurationGrid < 32 {
				pg.durMask |= 1 << (d / instainstru.DurationGrid)
			}
		}
		for _, l := range o.LocationTypes {
			switch string(l) {
			case "online":
				pg.locMask |= locOnline
			case "in_person":
				pg.locMask |= locInPerson
			}
		}
		out = append(out, svcPosting{svc: n, posting: pg})
	}
	return out
}

// areaList is every area a searchable instructor serves (for the query reader's vocabulary).
func (x *index) areaList() []string {
	s := x.snap.Load()
	out := make([]string, 0, len(s.areas))
	for a, n := range s.areas {
		if s.areaOK[n] {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// rateQuantile is the q-quantile (0..1; percentile_disc: the smallest rate at or above which a
// fraction q of the rates lie at or below) of the hourly rates of the services' offers; 0 when
// there is none.
func (s *snapshot) rateQuantile(serviceIDs []string, q float64) int {
	want := map[string]bool{}
	for _, id := range serviceIDs {
		want[id] = true
	}
	var rates []int32
	for n, id := range s.svcIDs {
		if want[id] {
			for i := range s.bySvc[n] {
				rates = append(rates, s.bySvc[n][i].rate)
			}
		}
	}
	if len(rates) == 0 {
		return 0
	}
	k := max(int(math.Ceil(q*float64(len(rates))))-1, 0)
	return int(selectKth(rates, k))
}

// selectKth is the k-th smallest of xs (0-based), reordering xs: quickselect, linear on average.
func selectKth(xs []int32, k int) int32 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		p := xs[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for xs[i] < p {
				i++
			}
			for xs[j] > p {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

// filter is the hard-filter part of a search, ready for a scan.
type filter struct {
	scores     map[string]float64 // catalog service id → base score (strength and popularity)
	minPrice   *int
	maxPrice   *int
	duration   *int
	locType    string
	area       string
	level      string
	levelBoost float64
}

// cand is one instructor passing the hard filters, with its best offer (pointer-free, so a
// hundred thousand of them cost the garbage collector nothing).
type cand struct {
	prelim   float64
	pos      int32
	rate     int32
	off      int16
	shortest int16
	level    bool
}

// candidates are a scan's result, resolved against the snapshot it was made on: the first
// len(list) instructors in ranking order (all of them when complete) and how many pass in all.
type candidates struct {
	snap     *snapshot
	list     []cand
	total    int
	complete bool
}

func (cs candidates) id(i int) string { return cs.snap.ids[cs.list[i].pos] }

// candidate turns one into the domain form, with the catalog's names.
func (cs candidates) candidate(i int, st *catalogState) instainstru.SearchCandidate {
	c := cs.list[i]
	e := cs.snap.ins[c.pos].src
	o := e.Offers[c.off]
	if s, ok := st.services[o.CatalogServiceID]; ok {
		o.Name, o.Category = s.Name, s.Category
	}
	return instainstru.SearchCandidate{InstructorID: e.InstructorID, FullName: e.FullName, Bio: e.Bio, YearsExperience: e.YearsExperience,
		AreasOfService: e.AreasOfService, Offer: o, Shortest: int(c.shortest), LevelMatch: c.level, Prelim: c.prelim}
}

// candPool recycles candidate lists: a broad query at 100,000 instructors fills megabytes.
var candPool sync.Pool

// candBuf is an empty candidate list with room for n.
func candBuf(n int) []cand {
	if p, ok := candPool.Get().(*[]cand); ok && cap(*p) >= n {
		return (*p)[:0]
	}
	return make([]cand, 0, max(n, 64))
}

// releaseCands gives a list back once nothing refers to it any more.
func releaseCands(l []cand) {
	if cap(l) >= 1024 {
		candPool.Put(&l)
	}
}

// release gives the candidate list back (the search is over: hits hold copies).
func (cs candidates) release() { releaseCands(cs.list) }

// bestPool recycles the per-instructor slots of multi-service scans.
var bestPool sync.Pool

type bestSlot struct {
	gen uint32
	c   cand
}

var scanGen atomic.Uint32

// scan counts the instructors passing f and returns the first keep of them (all when keep <= 0)
// in ranking order: preliminary score (best first), then instructor id. Per instructor the best
// offer is the highest scoring, then the cheapest, then the lowest id; shortest is the shortest
// lesson among its passing offers (or the asked one). Keeping only a prefix spares a broad query
// (a category, "lessons") the writing and ordering of a hundred thousand candidates when one
// page is looked at; the caller scans the same snapshot again, whole, if it needs more.
func (x *index) scan(f filter, keep int) candidates { return scanSnapshot(x.snap.Load(), f, keep) }

// scanSnapshot is scan on a given snapshot.
func scanSnapshot(s *snapshot, f filter, keep int) candidates {
	out := candidates{snap: s, complete: true}
	var svcs []int32
	var score []float64
	for n, id := range s.svcIDs {
		if sc, ok := f.scores[id]; ok && len(s.bySvc[n]) > 0 {
			svcs = append(svcs, int32(n))
			score = append(score, sc)
		}
	}
	if len(svcs) == 0 {
		return out
	}
	area := int32(-1)
	if f.area != "" {
		n, ok := s.areas[f.area]
		if !ok || !s.areaOK[n] {
			return out
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
	dur := int64(0)
	if f.duration != nil {
		dur = int64(*f.duration)
		if dur <= 0 || dur%instainstru.DurationGrid != 0 || dur/instainstru.DurationGrid >= 32 {
			return out
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
	// pass reports whether a posting passes and its score.
	pass := func(pg *posting, base float64) (float64, bool) {
		if (loc != 0 && pg.locMask&loc == 0) || (durBit != 0 && pg.durMask&durBit == 0) {
			return 0, false
		}
		price := int64(pg.rate)
		if dur > 0 {
			// The price of a lesson of that length, rounded to the cent as bookings round it.
			price = (int64(pg.rate)*dur + 30) / 60
		}
		if price < lo || price > hi {
			return 0, false
		}
		if area >= 0 && !slices.Contains(s.ins[pg.pos].areaKeys, area) {
			return 0, false
		}
		if lvl != 0 && pg.level&lvl != 0 {
			base += f.levelBoost
		}
		return base, true
	}
	need := func(pg *posting) int16 {
		if dur > 0 {
			return int16(dur)
		}
		return pg.minDur
	}
	em := newEmitter(keep)
	matched := 0
	for _, sv := range svcs {
		matched += len(s.bySvc[sv])
	}
	if len(svcs) > 1 && matched*4 >= s.total {
		// Broad (a category, everything): one sequential pass over all postings in position
		// order, keeping the best per instructor as it goes.
		byNum := make([]float64, len(s.bySvc))
		for i := range byNum {
			byNum[i] = -1
		}
		for k, sv := range svcs {
			byNum[sv] = score[k]
		}
		var cur cand
		have := false
		for _, blk := range s.blocks {
			for i := range blk {
				sp := &blk[i]
				base := byNum[sp.svc]
				if base < 0 {
					continue
				}
				sc, ok := pass(&sp.posting, base)
				if !ok {
					continue
				}
				c := cand{prelim: sc, pos: sp.pos, rate: sp.rate, off: sp.off, shortest: need(&sp.posting), level: lvl != 0 && sp.level&lvl != 0}
				if !have || cur.pos != c.pos {
					if have {
						em.emit(cur)
					}
					cur, have = c, true
					continue
				}
				short := min(cur.shortest, c.shortest)
				if c.prelim > cur.prelim || (c.prelim == cur.prelim && (c.rate < cur.rate ||
					(c.rate == cur.rate && c.off < cur.off))) {
					cur = c
				}
				cur.shortest = short
			}
		}
		if have {
			em.emit(cur)
		}
	} else if len(svcs) == 1 {
		// One service: its posting list already has one offer per instructor, in order.
		pl := s.bySvc[svcs[0]]
		for i := range pl {
			pg := &pl[i]
			if sc, ok := pass(pg, score[0]); ok {
				em.emit(cand{prelim: sc, pos: pg.pos, rate: pg.rate, off: pg.off, shortest: need(pg), level: lvl != 0 && pg.level&lvl != 0})
			}
		}
	} else {
		var slots []bestSlot
		if p, ok := bestPool.Get().(*[]bestSlot); ok {
			slots = *p
		}
		if cap(slots) < len(s.ins) {
			slots = make([]bestSlot, len(s.ins)+len(s.ins)/8)
		}
		slots = slots[:len(s.ins)]
		gen := scanGen.Add(1)
		if gen == 0 { // wrapped: stale stamps could match
			clear(slots)
			gen = scanGen.Add(1)
		}
		var touched []int32 // positions seen, while few
		few := len(s.ins) / 16
		for k, sv := range svcs {
			pl := s.bySvc[sv]
			for i := range pl {
				pg := &pl[i]
				sc, ok := pass(pg, score[k])
				if !ok {
					continue
				}
				b := &slots[pg.pos]
				c := cand{prelim: sc, pos: pg.pos, rate: pg.rate, off: pg.off, shortest: need(pg), level: lvl != 0 && pg.level&lvl != 0}
				if b.gen != gen {
					b.gen, b.c = gen, c
					if len(touched) <= few { // past few: too many, sweep the slots instead
						touched = append(touched, pg.pos)
					}
					continue
				}
				cur := &b.c
				short := min(cur.shortest, c.shortest)
				if c.prelim > cur.prelim || (c.prelim == cur.prelim && (c.rate < cur.rate ||
					(c.rate == cur.rate && c.off < cur.off))) {
					*cur = c
				}
				cur.shortest = short
			}
		}
		if len(touched) <= few {
			// Few instructors: visit just them, in position order.
			slices.Sort(touched)
			for _, p := range touched {
				em.emit(slots[p].c)
			}
		} else {
			for i := range slots {
				if slots[i].gen == gen {
					em.emit(slots[i].c)
				}
			}
		}
		bestPool.Put(&slots)
	}
	out.list, out.total, out.complete = em.result()
	return out
}

// emitter collects candidates arriving in position (id) order into buckets by score, keeping
// at most keep per bucket (the first ones: the lowest ids), and counts them all. There are few
// distinct scores (a service's base score, plus the level boost); concatenating the buckets from
// the best score down gives the ranking order, and its first keep entries are exact however
// the buckets were cut.
type emitter struct {
	keep    int
	buckets []bucket
	last    int // bucket of the previous candidate (runs of one score are common)
	total   int
}

type bucket struct {
	score float64
	list  []cand
}

func newEmitter(keep int) *emitter { return &emitter{keep: keep} }

func (e *emitter) emit(c cand) {
	e.total++
	b := e.last
	if b >= len(e.buckets) || e.buckets[b].score != c.prelim {
		b = -1
		for i := range e.buckets {
			if e.buckets[i].score == c.prelim {
				b = i
				break
			}
		}
		if b < 0 {
			e.buckets = append(e.buckets, bucket{score: c.prelim})
			b = len(e.buckets) - 1
		}
		e.last = b
	}
	bk := &e.buckets[b]
	if e.keep <= 0 || len(bk.list) < e.keep {
		if bk.list == nil {
			bk.list = candBuf(min(e.keep, 1024))
		}
		bk.list = append(bk.list, c)
	}
}

// result is the first keep candidates in ranking order (all when keep <= 0), the total, and
// whether the list holds every candidate.
func (e *emitter) result() ([]cand, int, bool) {
	slices.SortFunc(e.buckets, func(a, b bucket) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	if len(e.buckets) == 1 {
		b := e.buckets[0]
		return b.list, e.total, len(b.list) == e.total
	}
	n := 0
	for _, b := range e.buckets {
		n += len(b.list)
	}
	if e.keep > 0 {
		n = min(n, e.keep)
	}
	out := candBuf(n)
	for _, b := range e.buckets {
		out = append(out, b.list[:min(len(b.list), n-len(out))]...)
		releaseCands(b.list)
	}
	return out, e.total, len(out) == e.total
}
