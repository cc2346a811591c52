package search

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
)

// TestIndexIncrementalMatchesRebuild: after any sequence of changes applied incrementally (new
// instructors, in and out of id order, offer edits, suspensions, removals), every scan gives
// exactly what a full rebuild from the same data gives, and snapshots taken earlier never change.
func TestIndexIncrementalMatchesRebuild(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	svcs := []string{"s-a", "s-b", "s-c", "s-d", "s-e"}
	areas := []string{"Brooklyn", "Queens", "Manhattan", " bronx "}
	bios := []string{"", "great with kids", "advanced students", "beginners welcome"}
	state := map[string]instainstru.SearchIndexEntry{}
	offerN := 0
	entry := func(id string) instainstru.SearchIndexEntry {
		e := instainstru.SearchIndexEntry{InstructorID: id, FullName: "n" + id, Bio: bios[r.IntN(len(bios))],
			AreasOfService: []string{areas[r.IntN(len(areas))]}, Searchable: r.IntN(6) > 0}
		used := map[string]bool{}
		for k := r.IntN(4); k > 0; k-- {
			s := svcs[r.IntN(len(svcs))]
			if used[s] {
				continue
			}
			used[s] = true
			offerN++
			e.Offers = append(e.Offers, instainstru.InstructorService{ID: fmt.Sprintf("o%05d", offerN), InstructorID: id,
				CatalogServiceID: s, HourlyRateCents: 2000 + 500*r.IntN(10), DurationOptions: [][]int{{30, 60}, {60}, {45, 90}}[r.IntN(3)],
				LocationTypes: [][]instainstru.LocationType{{"online"}, {"in_person"}, {"online", "in_person"}}[r.IntN(3)]})
		}
		return e
	}
	filters := func() []filter {
		var out []filter
		for i := 0; i < 40; i++ {
			f := filter{scores: map[string]float64{}}
			for _, s := range svcs {
				if r.IntN(2) == 0 {
					f.scores[s] = float64(r.IntN(3)) / 4
				}
			}
			if r.IntN(3) == 0 {
				v := 3000 + 500*r.IntN(6)
				f.maxPrice = &v
			}
			if r.IntN(4) == 0 {
				v := []int{30, 45, 60, 90}[r.IntN(4)]
				f.duration = &v
			}
			f.locType = []string{"", "", "online", "in_person"}[r.IntN(4)]
			f.area = []string{"", "", "brooklyn", "bronx"}[r.IntN(4)]
			if r.IntN(3) == 0 {
				f.level, f.levelBoost = []string{"kids", "advanced", "beginner"}[r.IntN(3)], 0.3
			}
			out = append(out, f)
		}
		return out
	}
	type row struct {
		id, offer string
		prelim    float64
		short     int16
		level     bool
	}
	view := func(cs candidates) []row {
		var out []row
		for i, c := range cs.list {
			out = append(out, row{cs.id(i), cs.snap.ins[c.pos].src.Offers[c.off].ID, c.prelim, c.shortest, c.level})
		}
		return out
	}
	inc := newIndex()
	var initial []instainstru.SearchIndexEntry
	for i := 0; i < 300; i++ {
		id := fmt.Sprintf("id%06d", 10*i+5)
		state[id] = entry(id)
		initial = append(initial, state[id])
	}
	inc.rebuild(initial)
	for round := 0; round < 30; round++ {
		before := inc.snap.Load()
		fs := filters()
		var frozen [][]row
		for _, f := range fs {
			frozen = append(frozen, view(candidates{snap: before, list: inc.scan(f, 0).list}))
		}
		d := &instainstru.SearchIndexDelta{}
		// A feed read reports an id either with its state or as gone, once.
		add := func(e instainstru.SearchIndexEntry) {
			d.Gone = slices.DeleteFunc(d.Gone, func(id string) bool { return id == e.InstructorID })
			d.Entries = slices.DeleteFunc(d.Entries, func(o instainstru.SearchIndexEntry) bool { return o.InstructorID == e.InstructorID })
			d.Entries = append(d.Entries, e)
		}
		for k := r.IntN(20); k > 0; k-- {
			switch r.IntN(5) {
			case 0: // a new instructor, usually after every id, sometimes not
				id := fmt.Sprintf("id%06d", 3000+round*100+k)
				if r.IntN(4) == 0 {
					id = fmt.Sprintf("id%06d", 10*r.IntN(300)+1)
				}
				state[id] = entry(id)
				add(state[id])
			case 1: // gone
				keys := slices.Sorted(maps.Keys(state))
				id := keys[r.IntN(len(keys))]
				delete(state, id)
				d.Entries = slices.DeleteFunc(d.Entries, func(o instainstru.SearchIndexEntry) bool { return o.InstructorID == id })
				d.Gone = append(d.Gone, id)
			default: // changed (or unchanged: a calendar bump)
				keys := slices.Sorted(maps.Keys(state))
				id := keys[r.IntN(len(keys))]
				e := state[id]
				if r.IntN(2) == 0 {
					e = entry(id)
					state[id] = e
				}
				add(e)
			}
		}
		inc.apply(d)
		full := newIndex()
		var all []instainstru.SearchIndexEntry
		for _, id := range slices.Sorted(maps.Keys(state)) {
			all = append(all, state[id])
		}
		full.rebuild(all)
		for i, f := range filters() {
			all := inc.scan(f, 0)
			require.Equal(t, view(full.scan(f, 0)), view(all), "round %d filter %d", round, i)
			require.True(t, all.complete)
			require.Equal(t, len(all.list), all.total)
			// A kept prefix is exactly the start of the whole order, with the same total.
			keep := 1 + r.IntN(40)
			pre := inc.scan(f, keep)
			require.Equal(t, all.total, pre.total)
			require.Equal(t, len(pre.list) == all.total, pre.complete)
			require.Equal(t, view(all)[:min(keep, all.total)], view(pre))
		}
		for i := range fs {
			require.Equal(t, frozen[i], view(candidates{snap: before, list: frozenScan(inc, before, fs[i])}), "an old snapshot never changes")
		}
		require.Equal(t, full.areaList(), inc.areaList())
	}
}

// frozenScan scans an older snapshot of x.
func frozenScan(x *index, s *snapshot, f filter) []cand {
	cur := x.snap.Load()
	x.snap.Store(s)
	defer x.snap.Store(cur)
	return x.scan(f, 0).list
}

// BenchmarkIndexScan measures the in-memory part of a search (hard filters, best offer per
// instructor, ranking order) at 10,000 and 100,000 instructors with three offers each over 282
// services (popular ones more often, as bench-search loads them).
func BenchmarkIndexScan(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		r := rand.New(rand.NewPCG(42, uint64(n)))
		svcs := make([]string, 282)
		for i := range svcs {
			svcs[i] = fmt.Sprintf("svc-%03d", i)
		}
		entries := make([]instainstru.SearchIndexEntry, n)
		for i := range entries {
			id := fmt.Sprintf("id%08d", i)
			e := instainstru.SearchIndexEntry{InstructorID: id, FullName: id, Searchable: true, AreasOfService: []string{"Brooklyn"}}
			used := map[int]bool{}
			for len(used) < 3 {
				si := int(float64(len(svcs)) * r.Float64() * r.Float64())
				if used[si] {
					continue
				}
				used[si] = true
				e.Offers = append(e.Offers, instainstru.InstructorService{ID: fmt.Sprintf("%s-%d", id, si), CatalogServiceID: svcs[si],
					HourlyRateCents: 2500 + 100*r.IntN(100), DurationOptions: []int{30, 60}, LocationTypes: []instainstru.LocationType{"online"}})
			}
			entries[i] = e
		}
		x := newIndex()
		x.rebuild(entries)
		scores := func(k int) map[string]float64 {
			m := map[string]float64{}
			for _, s := range svcs[:k] {
				m[s] = 0.5
			}
			return m
		}
		maxPrice := 5000
		for _, c := range []struct {
			name string
			f    filter
		}{
			{"one-service", filter{scores: map[string]float64{svcs[0]: 1}}},
			{"two-services", filter{scores: map[string]float64{svcs[3]: 1, svcs[4]: 1}}},
			{"category-50", filter{scores: scores(50)}},
			{"everything-under-50", filter{scores: scores(282), maxPrice: &maxPrice}},
			{"everything", filter{scores: scores(282)}},
		} {
			b.Run(fmt.Sprintf("%d/%s", n, c.name), func(b *testing.B) {
				for b.Loop() {
					x.scan(c.f, 240).release()
				}
			})
		}
	}
}

// TestSelectKth: quickselect agrees with sorting, duplicates and all.
func TestSelectKth(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 300; n += 7 {
		xs := make([]int32, n)
		for i := range xs {
			xs[i] = int32(r.IntN(20) * 500)
		}
		sorted := slices.Clone(xs)
		slices.Sort(sorted)
		for _, k := range []int{0, n / 3, n / 2, n - 1} {
			require.Equal(t, sorted[k], selectKth(slices.Clone(xs), k), "n %d k %d", n, k)
		}
	}
}
