// Package search is InstaInstru's natural-language instructor search: it reads a query (package
// search/query), resolves the service it names (exactly, by category, or by embedding
// similarity, package search/embed), runs the hard filters on an in-memory index of every
// searchable instructor (index.go, kept current by the database's change feed before every
// search), keeps only instructors who can really be booked in the asked window (the root
// package's bookable-time rules, on calendars loaded for the examined candidates only), ranks,
// and records the search for analytics off the request path. See NLS.md for the behaviour and
// README.md (Search) for total_found and the figures.
package search

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/search/embed"
	"github.com/instainstru/instainstru/search/query"
)

// Parser reads a query; *query.Reader is the production one. Tests may give the engine a parser
// that returns Parsed values they built, so the engine is tested apart from the reader.
type Parser interface {
	Parse(q string, now time.Time, loc *time.Location) query.Parsed
}

// Semantic thresholds for queries the reader could not match (MatchPending), tuned for the
// built-in embedder against the catalog's service vectors (see serviceVector):
//   - at or above HighThreshold the nearest service counts as the service ("pianos" → Piano,
//     "watercolour" → Watercolor: spelling variants score about 0.6–0.9);
//   - between LowThreshold and HighThreshold the top OpenTopK services are an "open" match,
//     ranked by similarity (a word that shares a stem with a few services);
//   - below LowThreshold nothing matches: unrelated strings score under about 0.2 ("xqzv").
//
// A real semantic provider scores differently; Config overrides both.
const (
	DefaultHighThreshold = 0.55
	DefaultLowThreshold  = 0.30
	OpenTopK             = 3
)

// Ranking weights (NLS.md §4): relevance = match strength, the level boost, popularity from the
// latest analytics run (normalized to the most popular service) and how soon the instructor is
// free. The level boost outweighs popularity and soonness together, so "for kids" puts
// kids-friendly instructors first among equally matching ones.
const (
	weightMatch = 0.5
	weightLevel = 0.3
	weightPop   = 0.1
	weightSoon  = 0.1
)

// Match strengths by how the service was read.
const (
	strengthService  = 1.0
	strengthTypo     = 0.9
	strengthCategory = 0.8
	strengthAll      = 0.5
)

// Config wires an Engine.
type Config struct {
	Store instainstru.SearchStore
	// Embedder embeds queries and catalog services (default: the built-in one). cmd wraps the HTTP
	// provider in embed.Fallback and embed.Cache.
	Embedder embed.Embedder
	// NewParser builds the reader for a vocabulary (default query.NewReader).
	NewParser func(query.Vocabulary) Parser
	Log       *slog.Logger
	// ResultTTL is how long an answer is reused (default 15 s, see resultCache).
	ResultTTL time.Duration
	// ResultCacheSize bounds the cached answers (default 2048).
	ResultCacheSize int
	// HighThreshold and LowThreshold override the semantic thresholds (0: the defaults).
	HighThreshold, LowThreshold float64
	// Recorder receives every search (nil: searches are not recorded).
	Recorder *Recorder
	// AvailabilityDays is the horizon of next_available when no window is asked (default 14).
	AvailabilityDays int
	// HorizonDays is AVAILABILITY_HORIZON_DAYS: no bookable time further ahead (0: none).
	HorizonDays int
}

// Engine answers searches. It is safe for concurrent use.
type Engine struct {
	cfg   Config
	log   *slog.Logger
	state atomic.Pointer[catalogState]
	cache *resultCache
	idx   *index

	reloadMu sync.Mutex // one catalog state is built at a time

	priceMu sync.Mutex
	prices  map[string]priceEntry // cheap thresholds per service set
}

type priceEntry struct {
	cents int
	snap  *snapshot // the index state it was computed on
}

// catalogState is everything Reload loads; searches read one snapshot of it.
type catalogState struct {
	parser     Parser
	services   map[string]instainstru.CatalogService
	categories map[string]instainstru.Category // by slug
	byCategory map[string][]string             // category slug → service ids
	all        []string
	popularity map[string]float64 // normalized 0..1
	// builtinVecs are the catalog's vectors in the built-in space, for queries the Fallback
	// answered while the configured embedder is another one (nil when it is the built-in one).
	builtinVecs map[string][]float32
	loadedAt    time.Time
	// vocab is what the parser was built from (its areas are refreshed from the index).
	vocab query.Vocabulary
}

// New builds an engine and loads the catalog (Reload).
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("search: a store is required")
	}
	if cfg.Embedder == nil {
		cfg.Embedder = embed.NewBuiltin()
	}
	if cfg.NewParser == nil {
		cfg.NewParser = func(v query.Vocabulary) Parser { return query.NewReader(v) }
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.ResultTTL == 0 {
		cfg.ResultTTL = 15 * time.Second
	}
	if cfg.ResultCacheSize <= 0 {
		cfg.ResultCacheSize = 2048
	}
	if cfg.HighThreshold == 0 {
		cfg.HighThreshold = DefaultHighThreshold
	}
	if cfg.LowThreshold == 0 {
		cfg.LowThreshold = DefaultLowThreshold
	}
	if cfg.AvailabilityDays <= 0 {
		cfg.AvailabilityDays = 14
	}
	e := &Engine{cfg: cfg, log: cfg.Log, cache: newResultCache(cfg.ResultCacheSize, cfg.ResultTTL), prices: map[string]priceEntry{},
		idx: newIndex()}
	if _, _, err := e.idx.sync(ctx, cfg.Store, time.Now()); err != nil {
		return nil, err
	}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Reload reads the catalog again (call it when the catalog changes): the vocabulary, the reader,
// popularity, and the catalog embeddings, computing and storing those that are missing or were
// made by another embedder. Searches keep using the previous snapshot until the new one is ready.
func (e *Engine) Reload(ctx context.Context) error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	cat, err := e.cfg.Store.SearchCatalog(ctx)
	if err != nil {
		return err
	}
	st := &catalogState{services: map[string]instainstru.CatalogService{}, categories: map[string]instainstru.Category{},
		byCategory: map[string][]string{}, loadedAt: time.Now()}
	v := query.Vocabulary{Areas: e.idx.areaList()}
	for _, c := range cat.Categories {
		st.categories[c.Slug] = c
		v.Categories = append(v.Categories, query.CategoryTerm{ID: c.ID, Slug: c.Slug, Name: c.Name, Aliases: c.Aliases})
	}
	for _, s := range cat.Services {
		st.services[s.ID] = s
		st.byCategory[s.Category.Slug] = append(st.byCategory[s.Category.Slug], s.ID)
		st.all = append(st.all, s.ID)
		v.Services = append(v.Services, query.ServiceTerm{ID: s.ID, Slug: s.Slug, Name: s.Name,
			CategorySlug: s.Category.Slug, Terms: s.SearchTerms})
	}
	st.parser, st.vocab = e.cfg.NewParser(v), v
	if err := e.indexCatalog(ctx, cat.Services); err != nil {
		return err
	}
	if e.cfg.Embedder.Name() != embed.BuiltinName {
		vecs, err := serviceVectors(ctx, embed.NewBuiltin(), cat.Services)
		if err != nil {
			return err
		}
		st.builtinVecs = map[string][]float32{}
		for i, s := range cat.Services {
			st.builtinVecs[s.ID] = vecs[i]
		}
	}
	pop, err := e.cfg.Store.ServicePopularity(ctx)
	if err != nil {
		return err
	}
	st.popularity = normalizePopularity(pop)
	e.state.Store(st)
	e.cache.invalidate()
	e.priceMu.Lock()
	e.prices = map[string]priceEntry{}
	e.priceMu.Unlock()
	return nil
}

// IndexCatalog computes and stores the embeddings of every catalog service that has none or one
// of another embedder. seed calls it (through Reload or directly) so a fresh catalog is searchable.
func IndexCatalog(ctx context.Context, store instainstru.SearchStore, emb embed.Embedder) (int, error) {
	cat, err := store.SearchCatalog(ctx)
	if err != nil {
		return 0, err
	}
	e := &Engine{cfg: Config{Store: store, Embedder: emb}}
	return e.indexCatalogCount(ctx, cat.Services)
}

func (e *Engine) indexCatalog(ctx context.Context, services []instainstru.CatalogService) error {
	_, err := e.indexCatalogCount(ctx, services)
	return err
}

func (e *Engine) indexCatalogCount(ctx context.Context, services []instainstru.CatalogService) (int, error) {
	stored, err := e.cfg.Store.CatalogEmbeddings(ctx)
	if err != nil {
		return 0, err
	}
	name, dims := e.cfg.Embedder.Name(), e.cfg.Embedder.Dimensions()
	ok := map[string]bool{}
	for _, s := range stored {
		if s.Model == name && len(s.Vector) == dims {
			ok[s.ServiceID] = true
		}
	}
	var todo []instainstru.CatalogService
	for _, s := range services {
		if !ok[s.ID] {
			todo = append(todo, s)
		}
	}
	if len(todo) == 0 {
		return 0, nil
	}
	vecs, err := serviceVectors(ctx, e.cfg.Embedder, todo)
	if err != nil {
		return 0, fmt.Errorf("embed the catalog: %w", err)
	}
	out := make([]instainstru.CatalogEmbedding, len(todo))
	for i, s := range todo {
		out[i] = instainstru.CatalogEmbedding{ServiceID: s.ID, Vector: vecs[i], Model: name}
	}
	if err := e.cfg.Store.SaveCatalogEmbeddings(ctx, out); err != nil {
		return 0, err
	}
	return len(out), nil
}

// serviceVectors embeds each service from its name, search terms, category and description and
// blends them (weights 3, 2, 1, 1, then L2-normalized): one long text would let the description's
// many words drown the name, while a short query mostly repeats the name or a term.
func serviceVectors(ctx context.Context, emb embed.Embedder, services []instainstru.CatalogService) ([][]float32, error) {
	const parts = 4
	weights := [parts]float32{3, 2, 1, 1}
	texts := make([]string, 0, len(services)*parts)
	for _, s := range services {
		texts = append(texts, s.Name, strings.Join(s.SearchTerms, ", "), s.Category.Name, s.Description)
	}
	vecs := make([][]float32, 0, len(texts))
	for i := 0; i < len(texts); i += 128 { // providers bound the inputs of one call
		chunk, err := emb.Embed(ctx, texts[i:min(i+128, len(texts))])
		if err != nil {
			return nil, err
		}
		vecs = append(vecs, chunk...)
	}
	out := make([][]float32, len(services))
	for i := range services {
		v := make([]float32, emb.Dimensions())
		for p := 0; p < parts; p++ {
			for j, x := range vecs[i*parts+p] {
				v[j] += weights[p] * x
			}
		}
		out[i] = embed.Normalize(v)
	}
	return out, nil
}

func normalizePopularity(pop map[string]float64) map[string]float64 {
	top := 0.0
	for _, v := range pop {
		top = math.Max(top, v)
	}
	out := make(map[string]float64, len(pop))
	for id, v := range pop {
		if top > 0 && v > 0 {
			out[id] = v / top
		}
	}
	return out
}

// syncIndex brings the in-memory index up to date (one round trip to the change feed, shared by
// searches that start together); drops the cached answers when anything changed (on any node:
// offers, profiles, status, and every calendar write, which bumps the calendar version); and,
// when an instructor brought an area nobody served before, rebuilds the query reader so "in
// <that area>" is understood at once.
func (e *Engine) syncIndex(ctx context.Context, since time.Time) error {
	newAreas, changed, err := e.idx.sync(ctx, e.cfg.Store, since)
	if err != nil {
		return err
	}
	if changed {
		e.cache.invalidate()
	}
	if !newAreas {
		return nil
	}
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	old := e.state.Load()
	st := *old
	st.vocab.Areas = e.idx.areaList()
	st.parser = e.cfg.NewParser(st.vocab)
	e.state.Store(&st)
	return nil
}

// Invalidate drops every cached answer: the app calls it when any instructor's calendar, offers
// or profile change, so this node never serves a result that change made wrong.
func (e *Engine) Invalidate() { e.cache.invalidate() }

// levelPatterns are the words in an offer's description or the instructor's bio that make it a
// match for an asked level (PostgreSQL regular expressions, word-bounded, case-insensitive).
var levelPatterns = map[string]string{
	"beginner":     `\m(beginners?|novices?|first[- ]time|from scratch|all levels)\M`,
	"intermediate": `\m(intermediate|all levels)\M`,
	"advanced":     `\m(advanced|professional|conservatory|competition|competitive)\M`,
	"kids":         `\m(kids?|children|child|young|youth|ages? [0-9]+)\M`,
	"teen":         `\m(teens?|teenagers?|high school|middle school)\M`,
	"adult":        `\m(adults?|grown[- ]ups?)\M`,
}

// sortHits orders by relevance, then instructor id: equal scores always come out the same way.
func sortHits(hs []Hit) {
	sort.SliceStable(hs, func(i, j int) bool {
		if hs[i].Score != hs[j].Score {
			return hs[i].Score > hs[j].Score
		}
		return hs[i].Candidate.InstructorID < hs[j].Candidate.InstructorID
	})
}
