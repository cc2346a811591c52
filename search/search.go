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
	TotalFound    int
	SearchTimeMS  float64
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
	r := &Result{Query: req.Query, Parsed: p, Hits: []Hit{}, MaxPriceCents: p.MaxPriceCents}
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
		cents, err := e.cheapThreshold(ctx, ids)
		if err != nil {
			return nil, err
		}
		if cents > 0 {
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

	cq := instainstru.CandidateQuery{ServiceScores: map[string]float64{}, MinPriceCents: p.MinPriceCents,
		MaxPriceCents: r.MaxPriceCents, DurationMinutes: p.DurationMinutes, LocationType: p.LocationType,
		Area: strings.ToLower(strings.TrimSpace(p.Location))}
	for id, strength := range scores {
		cq.ServiceScores[id] = weightMatch*strength + weightPop*st.popularity[id]
	}
	if pat, ok := levelPatterns[p.Level]; ok {
		cq.LevelPattern, cq.LevelBoost = pat, weightLevel
	}
	if w.asked {
		cq.Window = &instainstru.CandidateWindow{From: w.from, To: w.to, After: w.after, Before: w.before, ExactStart: w.exactStart}
	}
	// Candidates come ordered by the preliminary score; the exact availability check and the
	// soonness term are computed for one page at a time. Soonness weighs at most weightSoon, so
	// a page of at least 3×limit (and 60) leaves little room for a better-ranked instructor
	// outside it; pages continue while the window check leaves too few results.
	page := max(3*req.Limit, 60)
	failed := 0
	for offset := 0; ; offset += page {
		cq.Limit, cq.Offset = page, offset
		cp, err := e.cfg.Store.SearchCandidates(ctx, cq)
		if err != nil {
			return nil, err
		}
		if len(cp.Candidates) == 0 {
			break
		}
		r.TotalFound = cp.Total
		hits, nFailed, err := e.checkAvailability(ctx, req, w, p.DurationMinutes, cp.Candidates)
		if err != nil {
			return nil, err
		}
		failed += nFailed
		r.Hits = append(r.Hits, hits...)
		if len(r.Hits) >= req.Limit || offset+page >= cp.Total {
			break
		}
	}
	// Instructors the exact check refused are not found; those past the examined pages passed
	// the SQL prefilter and are counted (see README: total_found).
	r.TotalFound -= failed
	sortHits(r.Hits)
	if len(r.Hits) > req.Limit {
		r.Hits = r.Hits[:req.Limit]
	}
	return r, nil
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
// booked for inside the window: after the minimum notice, outside bookings and their buffers,
// not in the past. With an asked window, candidates without one are dropped (counted as failed).
func (e *Engine) checkAvailability(ctx context.Context, req SearchRequest, w window, asked *int, cs []instainstru.SearchCandidate) ([]Hit, int, error) {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.InstructorID
	}
	cals, err := e.cfg.Store.PublicCalendars(ctx, ids, w.from, w.to)
	if err != nil {
		return nil, 0, err
	}
	hits := make([]Hit, 0, len(cs))
	failed := 0
	for _, c := range cs {
		need := c.Shortest
		if asked != nil {
			need = *asked
		}
		var next *NextAvailable
		if cal := cals[c.InstructorID]; cal != nil && cal.Visible() {
			days, err := cal.Bookable(req.Now, w.from, w.to, e.cfg.HorizonDays)
			if err != nil {
				e.log.Warn("search: bookable time", "instructor", c.InstructorID, "err", err)
			} else if d, rg, ok := instainstru.NextSlot(clipDays(days, w, need), need); ok {
				next = &NextAvailable{Date: d, Start: rg.Start, End: rg.End}
			}
		}
		if next == nil && w.asked {
			failed++
			continue
		}
		score := c.Prelim
		if next != nil {
			loc, err := instainstru.LoadZone(cals[c.InstructorID].Timezone)
			if err == nil {
				if at, err := instainstru.ResolveLocal(next.Date, next.Start, loc); err == nil {
					hours := math.Max(at.Sub(req.Now).Hours(), 0)
					score += weightSoon / (1 + hours/24)
				}
			}
		}
		hits = append(hits, Hit{Candidate: c, Score: math.Round(score*1e4) / 1e4, Next: next})
	}
	return hits, failed, nil
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

// cheapThreshold is the lower third of current hourly rates of the services (all when empty),
// remembered for five minutes: prices move slowly and the quantile scans every matching offer.
func (e *Engine) cheapThreshold(ctx context.Context, ids []string) (int, error) {
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	key := strings.Join(sorted, ",")
	e.priceMu.Lock()
	pe, ok := e.prices[key]
	e.priceMu.Unlock()
	if ok && time.Since(pe.at) < 5*time.Minute {
		return pe.cents, nil
	}
	cents, err := e.cfg.Store.PriceQuantile(ctx, ids, 1.0/3)
	if err != nil {
		return 0, err
	}
	e.priceMu.Lock()
	if len(e.prices) > 4096 {
		e.prices = map[string]priceEntry{}
	}
	e.prices[key] = priceEntry{cents: cents, at: time.Now()}
	e.priceMu.Unlock()
	return cents, nil
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
