package search

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/search/embed"
	"github.com/instainstru/instainstru/search/query"
)

// Limits of a search request.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	// MaxQueryLen is the longest query accepted (characters); the HTTP layer refuses longer ones.
	MaxQueryLen = 500
	// DefaultZone is the caller's zone when neither the request nor the user names one.
	DefaultZone = "America/New_York"
)

// SearchRequest is one search. Now and Loc default to the current time and America/New_York.
type SearchRequest struct {
	Query  string
	Limit  int
	Now    time.Time
	Loc    *time.Location
	UserID string
}

// Match kinds of a Result, as the API shows them.
const (
	KindService  = "service"  // one or more named catalog services (exact, alias, typo or a confident embedding)
	KindCategory = "category" // every service of one or more categories
	KindOpen     = "open"     // the nearest few services by embedding similarity
	KindAll      = "all"      // no service words: every service
	KindNone     = "none"     // words that named nothing: no results
)

// Result is a search's answer.
type Result struct {
	Query  string
	Parsed query.Parsed
	// Kind is the match kind after the semantic step (Parsed.MatchKind is the reader's).
	Kind string
	// Services are the matched catalog services (service and open kinds), best first.
	Services []instainstru.CatalogService
	// Categories are the matched categories (category kind).
	Categories []instainstru.Category
	// MaxPriceCents is the effective maximum price (Parsed's, or the "cheap" threshold).
	MaxPriceCents *int
	Hits          []Hit
	// TotalFound is how many instructors match (see examine for exactly what it counts);
	// TotalExact is false when, with a date or time window, part of it is an estimate.
	TotalFound   int
	TotalExact   bool
	SearchTimeMS float64
}

// Hit is one instructor in the results with their best matching offer.
type Hit struct {
	Candidate instainstru.SearchCandidate
	Score     float64
	// Next is the earliest bookable lesson (shortest or asked duration) inside the asked window,
	// or the next AvailabilityDays days when none was asked; nil when there is none.
	Next *NextAvailable
}

// NextAvailable is a lesson's date and wall-clock times in the instructor's zone.
type NextAvailable struct {
	Date  instainstru.Date
	Start instainstru.Minute
	End   instainstru.Minute
}

// window is the date and time-of-day constraint of a search, with the lesson length to fit.
type window struct {
	asked      bool
	from, to   instainstru.Date
	after      instainstru.Minute
	before     instainstru.Minute
	exactStart bool
}

// Search answers one request. Bad input never errors (the HTTP layer bounds its length); errors
// are the database's.
func (e *Engine) Search(ctx context.Context, req SearchRequest) (*Result, error) {
	start := time.Now()
	if req.Now.IsZero() {
		req.Now = start
	}
	if req.Loc == nil {
		req.Loc, _ = instainstru.LoadZone(DefaultZone)
	}
	switch {
	case req.Limit <= 0:
		req.Limit = DefaultLimit
	case req.Limit > MaxLimit:
		req.Limit = MaxLimit
	}
	// The change feed first: a cached answer is only reused while nothing changed anywhere.
	if err := e.syncIndex(ctx, start); err != nil {
		return nil, err
	}
	key := cacheKey(req)
	if r, ok := e.cache.get(key); ok {
		out := *r
		out.SearchTimeMS = msSince(start)
		e.record(req, &out)
		return &out, nil
	}
	gen := e.cache.generation()
	st := e.state.Load()
	p := st.parser.Parse(req.Query, req.Now, req.Loc)
	r, err := e.searchParsed(ctx, st, req, p)
	if err != nil {
		return nil, err
	}
	r.SearchTimeMS = msSince(start)
	e.cache.put(key, gen, r)
	e.record(req, r)
	return r, nil
}

// SearchParsed runs a search for an already parsed query (the reader is skipped; the result
// cache is not used). Tests use it to exercise the engine with Parsed values they built.
func (e *Engine) SearchParsed(ctx context.Context, req SearchRequest, p query.Parsed) (*Result, error) {
	start := time.Now()
	if req.Now.IsZero() {
		req.Now = start
	}
	if req.Loc == nil {
		req.Loc, _ = instainstru.LoadZone(DefaultZone)
	}
	if req.Limit <= 0 {
		req.Limit = DefaultLimit
	}
	if err := e.syncIndex(ctx, start); err != nil {
		return nil, err
	}
	r, err := e.searchParsed(ctx, e.state.Load(), req, p)
	if err != nil {
		return nil, err
	}
	r.SearchTimeMS = msSince(start)
	return r, nil
}

func msSince(t time.Time) float64 {
	return math.Round(float64(time.Since(t).Microseconds())/10) / 100
}

func (e *Engine) searchParsed(ctx context.Context, st *catalogState, req SearchRequest, p query.Parsed) (*Result, error) {
	r := &Result{Query: req.Query, Parsed: p, Hits: []Hit{}, MaxPriceCents: p.MaxPriceCents, TotalExact: true}
	scores, err := e.resolve(ctx, st, p, r)
	if err != nil {
		return nil, err
	}
	if len(scores) == 0 {
		return r, nil
	}
	// "cheap": the lower third of current prices of the matched services (all when nothing named).
	if p.Cheap && p.MaxPriceCents == nil {
		ids := make([]string, 0, len(scores))
		if r.Kind != KindAll {
			for id := range scores {
				ids = append(ids, id)
			}
		}
		if cents := e.cheapThreshold(st, ids); cents > 0 {
			r.MaxPriceCents = &cents
		}
	}

	today := instainstru.DateOf(req.Now.In(req.Loc))
	w := askedWindow(p, today, e.cfg.AvailabilityDays)
	if w.to.Before(today) || w.after >= w.before {
		return r, nil // a window wholly in the past, or an empty time of day: nothing can be booked
	}
	if w.from.Before(today) {
		w.from = today
	}

	f := filter{scores: map[string]float64{}, minPrice: p.MinPriceCents, maxPrice: r.MaxPriceCents,
		duration: p.DurationMinutes, locType: p.LocationType, area: areaKey(p.Location)}
	for id, strength := range scores {
		f.scores[id] = weightMatch*strength + weightPop*st.popularity[id]
	}
	if _, ok := levelPatterns[p.Level]; ok {
		f.level, f.levelBoost = p.Level, weightLevel
	}
	// A prefix of the ranking order is enough for nearly every search: the examined pages.
	cands := e.idx.scan(f, 4*max(3*req.Limit, 60))
	defer func() { cands.release() }()
	if err := e.examine(ctx, st, req, w, f, &cands, r); err != nil {
		return nil, err
	}
	sortHits(r.Hits)
	if len(r.Hits) > req.Limit {
		r.Hits = r.Hits[:req.Limit]
	}
	return r, nil
}

// examine decides which candidates (in preliminary-score order) reach the results, and counts
// total_found.
//
// Candidates are examined from the best preliminary score down: at least one page of
// max(3×limit, 60), then more, in growing chunks, until limit of them pass (or none are left).
// Examining a candidate loads its calendar (one batch per page) and computes with the root
// package's rules (PublicCalendar.Bookable, NextSlot) the earliest lesson it can really be
// booked for in the window; soonness, which weighs at most weightSoon, then reorders the
// examined ones. With an asked window, the chunks after the first go through the database's
// prefilter first (an availability row in the window long enough for the lesson), and only
// their survivors' calendars are loaded; a candidate without a bookable lesson in the window is
// dropped.
//
// total_found is every candidate passing the hard filters when no window is asked (exact). With
// a window it is exact when every candidate was examined; otherwise the examined ones that
// passed plus an estimate for the rest from the pass rates seen: prefilter survivors not checked
// exactly at the exact check's rate, candidates not prefiltered at the overall rate. The
// estimate lies between the hits found and the hard-filter count; Result.TotalExact says which.
func (e *Engine) examine(ctx context.Context, st *catalogState, req SearchRequest, w window, f filter, cp *candidates, r *Result) error {
	page := max(3*req.Limit, 60)
	total := cp.total
	r.TotalFound, r.TotalExact = total, true
	decided, passed := 0, 0     // candidates examined exactly or refused by the prefilter; hits among them
	pfChecked, pfPassed := 0, 0 // exact checks of prefilter survivors, and their passes
	pos := 0
	chunk := page
	var pending []int    // candidates (indexes into cands) not yet checked exactly
	prefiltered := false // pending survived the prefilter
	for pos < total && (len(r.Hits) < req.Limit || decided < page) {
		if pos+chunk > len(cp.list) && !cp.complete {
			// Past the prefix the scan kept: the whole order, from the same snapshot.
			cp.release()
			*cp = scanSnapshot(cp.snap, f, 0)
		}
		cs, cands := *cp, cp.list
		lo, hi := pos, min(pos+chunk, len(cands))
		pos = hi
		chunk = min(chunk*2, 4096)
		// The first page goes straight to the exact check (one round trip); later chunks, only
		// needed when the window is rare among the candidates, are prefiltered first.
		prefiltered = w.asked && lo > 0
		if prefiltered {
			needs := make([]instainstru.WindowNeed, 0, hi-lo)
			for i := lo; i < hi; i++ {
				needs = append(needs, instainstru.WindowNeed{InstructorID: cs.id(i), Minutes: int(cands[i].shortest)})
			}
			ok, err := e.cfg.Store.WindowCandidates(ctx, needs, instainstru.CandidateWindow{From: w.from, To: w.to,
				After: w.after, Before: w.before, ExactStart: w.exactStart})
			if err != nil {
				return err
			}
			pending = pending[:0]
			for i := lo; i < hi; i++ {
				if ok[cs.id(i)] {
					pending = append(pending, i)
				} else {
					decided++
				}
			}
		} else {
			pending = pending[:0]
			for i := lo; i < hi; i++ {
				pending = append(pending, i)
			}
		}
		// Exact checks in batches of a page, stopping as soon as enough passed.
		for len(pending) > 0 && (len(r.Hits) < req.Limit || decided < page) {
			batch := pending[:min(page, len(pending))]
			pending = pending[len(batch):]
			hits, err := e.checkAvailability(ctx, st, req, w, cs, batch)
			if err != nil {
				return err
			}
			decided += len(batch)
			passed += len(hits)
			if prefiltered {
				pfChecked += len(batch)
				pfPassed += len(hits)
			}
			r.Hits = append(r.Hits, hits...)
		}
	}
	if !w.asked {
		return nil
	}
	raw, survivors := total-pos, 0 // undecided candidates: never filtered, past the prefilter
	if prefiltered {
		survivors = len(pending)
	} else {
		raw += len(pending)
	}
	if raw == 0 && survivors == 0 {
		r.TotalFound = passed
		return nil
	}
	r.TotalExact = false
	rate := float64(passed) / float64(max(decided, 1))
	est := float64(passed) + float64(raw)*rate
	if pfChecked > 0 {
		est += float64(survivors) * float64(pfPassed) / float64(pfChecked)
	} else {
		est += float64(survivors) * rate
	}
	r.TotalFound = min(max(int(math.Round(est)), passed), passed+raw+survivors)
	return nil
}

// askedWindow reads the date and time constraints; without any, the window is the next days
// horizon (not asked: it only places next_available).
func askedWindow(p query.Parsed, today instainstru.Date, days int) window {
	w := window{from: today, to: today.AddDays(days - 1), after: 0, before: instainstru.EndOfDay}
	if p.DateFrom != nil || p.DateTo != nil || p.TimeAfter != nil || p.TimeBefore != nil {
		w.asked = true
	}
	switch {
	case p.DateFrom != nil && p.DateTo != nil:
		w.from, w.to = *p.DateFrom, *p.DateTo
	case p.DateFrom != nil:
		w.from, w.to = *p.DateFrom, *p.DateFrom
	case p.DateTo != nil:
		w.to = *p.DateTo
	}
	if p.TimeAfter != nil {
		// Lessons start on the 15-minute grid: "after 5:10pm" means from 17:15.
		w.after = instainstru.Minute((int(*p.TimeAfter) + instainstru.DurationGrid - 1) / instainstru.DurationGrid * instainstru.DurationGrid)
		w.exactStart = p.ExactStart
	}
	if p.TimeBefore != nil {
		w.before = *p.TimeBefore
	}
	return w
}

// checkAvailability loads the candidates' calendars in one batch and computes, with the root
// package's rules (PublicCalendar.Bookable, NextSlot), the earliest lesson each can really be
// booked for inside the window: after the minimum notice, outside bookings and their buffers and
// blackout dates, not in the past. Days are computed one at a time up to the first that has a
// lesson. With an asked window, candidates without one are left out.
func (e *Engine) checkAvailability(ctx context.Context, st *catalogState, req SearchRequest, w window, cs candidates, which []int) ([]Hit, error) {
	ids := make([]string, len(which))
	for i, k := range which {
		ids[i] = cs.id(k)
	}
	cals, err := e.cfg.Store.PublicCalendars(ctx, ids, w.from, w.to)
	if err != nil {
		return nil, err
	}
	hits := make([]Hit, 0, len(which))
	for i, k := range which {
		c := cs.list[k]
		cal := cals[ids[i]]
		var next *NextAvailable
		if cal != nil && cal.Visible() {
			next = e.nextLesson(cal, req.Now, w, int(c.shortest))
		}
		if next == nil && w.asked {
			continue
		}
		score := c.prelim
		if next != nil {
			if loc, err := instainstru.LoadZone(cal.Timezone); err == nil {
				if at, err := instainstru.ResolveLocal(next.Date, next.Start, loc); err == nil {
					hours := math.Max(at.Sub(req.Now).Hours(), 0)
					score += weightSoon / (1 + hours/24)
				}
			}
		}
		hits = append(hits, Hit{Candidate: cs.candidate(k, st), Score: math.Round(score*1e4) / 1e4, Next: next})
	}
	return hits, nil
}

// nextLesson is the earliest lesson of need minutes the calendar can be booked for inside the
// window, or nil.
func (e *Engine) nextLesson(cal *instainstru.PublicCalendar, now time.Time, w window, need int) *NextAvailable {
	for d := w.from; !d.After(w.to); d = d.AddDays(1) {
		days, err := cal.Bookable(now, d, d, e.cfg.HorizonDays)
		if err != nil {
			e.log.Warn("search: bookable time", "instructor", cal.InstructorID, "err", err)
			return nil
		}
		if day, rg, ok := instainstru.NextSlot(clipDays(days, w, need), need); ok {
			return &NextAvailable{Date: day, Start: rg.Start, End: rg.End}
		}
	}
	return nil
}

// clipDays keeps the part of each bookable range inside the time of day; with an exact start,
// only a range holding the whole lesson from that start counts, cut to exactly that lesson.
func clipDays(days []instainstru.BookableDay, w window, need int) []instainstru.BookableDay {
	if w.after == 0 && w.before == instainstru.EndOfDay {
		return days
	}
	out := make([]instainstru.BookableDay, 0, len(days))
	for _, d := range days {
		var rs []instainstru.TimeRange
		for _, r := range d.Ranges {
			if w.exactStart {
				lesson := instainstru.TimeRange{Start: w.after, End: w.after + instainstru.Minute(need)}
				if r.Contains(lesson) && lesson.End <= w.before {
					rs = append(rs, lesson)
				}
				continue
			}
			r.Start, r.End = max(r.Start, w.after), min(r.End, w.before)
			if r.Start < r.End {
				rs = append(rs, r)
			}
		}
		out = append(out, instainstru.BookableDay{Date: d.Date, Ranges: rs})
	}
	return out
}

// resolve turns the reading into catalog services with their match strength, filling r's kind,
// services and categories. Empty: nothing matches.
func (e *Engine) resolve(ctx context.Context, st *catalogState, p query.Parsed, r *Result) (map[string]float64, error) {
	scores := map[string]float64{}
	switch p.MatchKind {
	case query.MatchService:
		r.Kind = KindService
		strength := strengthService
		if p.Typo {
			strength = strengthTypo
		}
		for _, id := range p.ServiceIDs {
			if s, ok := st.services[id]; ok {
				scores[id] = strength
				r.Services = append(r.Services, s)
			}
		}
	case query.MatchCategory:
		r.Kind = KindCategory
		for _, slug := range p.CategorySlugs {
			c, ok := st.categories[slug]
			if !ok {
				continue
			}
			r.Categories = append(r.Categories, c)
			for _, id := range st.byCategory[slug] {
				scores[id] = strengthCategory
			}
		}
	case query.MatchAll:
		r.Kind = KindAll
		for _, id := range st.all {
			scores[id] = strengthAll
		}
	default:
		sims, err := e.nearest(ctx, st, p.ServiceQuery)
		if err != nil {
			return nil, err
		}
		r.Kind = KindNone
		switch {
		case len(sims) > 0 && sims[0].Similarity >= e.cfg.HighThreshold:
			r.Kind = KindService
			for _, s := range sims {
				if s.Similarity >= e.cfg.HighThreshold {
					scores[s.ServiceID] = s.Similarity
					r.Services = append(r.Services, st.services[s.ServiceID])
				}
			}
		case len(sims) > 0 && sims[0].Similarity >= e.cfg.LowThreshold:
			r.Kind = KindOpen
			for _, s := range sims[:min(OpenTopK, len(sims))] {
				if s.Similarity >= e.cfg.LowThreshold {
					scores[s.ServiceID] = s.Similarity
					r.Services = append(r.Services, st.services[s.ServiceID])
				}
			}
		}
	}
	if len(scores) == 0 && r.Kind != KindAll {
		r.Kind = KindNone
	}
	return scores, nil
}

// nearest embeds the service words and finds the closest catalog services: in the database for
// the configured embedder's space, or in memory when the Fallback answered in the built-in space.
func (e *Engine) nearest(ctx context.Context, st *catalogState, text string) ([]instainstru.ServiceSimilarity, error) {
	if len(embed.Words(text)) == 0 {
		return nil, nil
	}
	vecs, space, err := embed.EmbedSpace(ctx, e.cfg.Embedder, []string{text})
	if err != nil {
		return nil, err
	}
	if space == e.cfg.Embedder.Name() {
		sims, err := e.cfg.Store.NearestCatalogServices(ctx, space, vecs[0], OpenTopK+2)
		if err != nil {
			return nil, err
		}
		out := sims[:0]
		for _, s := range sims {
			if _, ok := st.services[s.ServiceID]; ok {
				out = append(out, s)
			}
		}
		return out, nil
	}
	if space != embed.BuiltinName || st.builtinVecs == nil {
		return nil, nil
	}
	out := make([]instainstru.ServiceSimilarity, 0, len(st.builtinVecs))
	for id, v := range st.builtinVecs {
		out = append(out, instainstru.ServiceSimilarity{ServiceID: id, Similarity: embed.Cosine(vecs[0], v)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Similarity != out[j].Similarity {
			return out[i].Similarity > out[j].Similarity
		}
		return out[i].ServiceID < out[j].ServiceID
	})
	return out[:min(OpenTopK+2, len(out))], nil
}

// cheapThreshold is the lower third (percentile_disc 1/3: a value of the data) of the current
// hourly rates of the active offers of searchable instructors for the services (every active
// catalog service when ids is empty), read from the index and remembered for as long as the
// index snapshot it was computed on is the current one: exact, and computed once per change.
func (e *Engine) cheapThreshold(st *catalogState, ids []string) int {
	if len(ids) == 0 {
		ids = st.all
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	key := strings.Join(sorted, ",")
	snap := e.idx.snap.Load()
	e.priceMu.Lock()
	pe, ok := e.prices[key]
	e.priceMu.Unlock()
	if ok && pe.snap == snap {
		return pe.cents
	}
	cents := snap.rateQuantile(ids, 1.0/3)
	e.priceMu.Lock()
	if len(e.prices) > 4096 {
		e.prices = map[string]priceEntry{}
	}
	e.prices[key] = priceEntry{cents: cents, snap: snap}
	e.priceMu.Unlock()
	return cents
}

// record hands the search to the recorder (never blocks).
func (e *Engine) record(req SearchRequest, r *Result) {
	if e.cfg.Recorder == nil {
		return
	}
	ids := make([]string, 0, len(r.Services))
	for _, s := range r.Services {
		ids = append(ids, s.ID)
	}
	if r.Kind == KindCategory {
		st := e.state.Load()
		for _, c := range r.Categories {
			ids = append(ids, st.byCategory[c.Slug]...)
		}
	}
	parsed, _ := json.Marshal(map[string]any{"kind": r.Kind, "normalized": r.Parsed.Normalized,
		"service_query": r.Parsed.ServiceQuery, "category_slugs": r.Parsed.CategorySlugs})
	e.cfg.Recorder.Record(instainstru.SearchEvent{Query: req.Query, Parsed: parsed, MatchedServiceIDs: ids,
		ResultCount: len(r.Hits), UserID: req.UserID, CreatedAt: req.Now})
}

// cacheKey is the normalized query, the caller's zone, the caller's current date and minute (so
// relative dates and the past move on when the minute does) and the limit.
func cacheKey(req SearchRequest) string {
	q := strings.Join(strings.Fields(strings.ToLower(req.Query)), " ")
	return q + "\x00" + req.Loc.String() + "\x00" + req.Now.In(req.Loc).Format("2006-01-02T15:04") + "\x00" + strconv.Itoa(req.Limit)
}
