package instainstru

import (
	"context"
	"time"
)

// SearchCatalog is what natural-language search reads of the catalog to understand queries:
// every active catalog service (with its search terms and description, for embeddings), every
// category with its aliases, and the distinct areas of service of active instructors.
type SearchCatalog struct {
	Services   []CatalogService
	Categories []Category
	Areas      []string
}

// CatalogEmbedding is the stored embedding of one catalog service.
type CatalogEmbedding struct {
	ServiceID string
	Vector    []float32
	// Model is the embedder that produced it (its Name).
	Model string
}

// ServiceSimilarity is a catalog service and its cosine similarity to a query vector.
type ServiceSimilarity struct {
	ServiceID  string
	Similarity float64
}

// CandidateQuery is the hard-filter part of a search, run in SQL. ServiceScores both restricts the
// offers to those catalog services and gives each its base score (match strength and popularity),
// so the database can order instructors by a preliminary score and return only the best few.
type CandidateQuery struct {
	ServiceScores map[string]float64
	// CategorySlugs restricts further to these categories (empty: no restriction).
	CategorySlugs []string
	MinPriceCents *int
	MaxPriceCents *int
	// DurationMinutes, when set, keeps offers with that duration option and compares prices with
	// the price of a lesson of that length (rate * minutes / 60) instead of the hourly rate.
	DurationMinutes *int
	LocationType    string // "online", "in_person" or ""
	Area            string // an areas_of_service entry, compared case-insensitively; "" any
	// LevelPattern is a PostgreSQL regular expression (case-insensitive) matched against the offer's
	// description and the instructor's bio; a match adds LevelBoost to the preliminary score.
	LevelPattern string
	LevelBoost   float64
	// Window, when set, keeps only instructors with an availability row in [From, To] long enough
	// for the lesson inside the time of day: a cheap prefilter; the exact check is the caller's.
	Window *CandidateWindow
	Limit  int
	Offset int
}

// CandidateWindow is the date and time-of-day window of a prefilter.
type CandidateWindow struct {
	From, To Date
	// After and Before bound the time of day (0 and EndOfDay when not asked).
	After, Before Minute
	// ExactStart: the lesson must start at After.
	ExactStart bool
}

// SearchCandidate is one instructor that passed the hard filters, with the best matching offer.
type SearchCandidate struct {
	InstructorID    string
	FullName        string
	Bio             string
	YearsExperience int
	AreasOfService  []string
	Offer           InstructorService
	// Shortest is the lesson length the availability check uses: the asked duration, or the
	// shortest duration option of the instructor's matching offers.
	Shortest int
	// LevelMatch reports whether LevelPattern matched.
	LevelMatch bool
	// Prelim is the preliminary score the database ordered by.
	Prelim float64
}

// CandidatePage is a page of candidates and how many instructors pass the hard filters in all.
type CandidatePage struct {
	Candidates []SearchCandidate
	Total      int
}

// SearchEvent is one recorded search, for the analytics job.
type SearchEvent struct {
	Query             string
	Parsed            []byte // JSON of the parsed form
	MatchedServiceIDs []string
	ResultCount       int
	UserID            string // "" for anonymous searches
	CreatedAt         time.Time
}

// SearchStore is every database access natural-language search makes.
type SearchStore interface {
	SearchCatalog(ctx context.Context) (*SearchCatalog, error)
	CatalogEmbeddings(ctx context.Context) ([]CatalogEmbedding, error)
	SaveCatalogEmbeddings(ctx context.Context, es []CatalogEmbedding) error
	NearestCatalogServices(ctx context.Context, model string, vec []float32, k int) ([]ServiceSimilarity, error)
	SearchCandidates(ctx context.Context, q CandidateQuery) (CandidatePage, error)
	PublicCalendars(ctx context.Context, instructorIDs []string, from, to Date) (map[string]*PublicCalendar, error)
	ServicePopularity(ctx context.Context) (map[string]float64, error)
	PriceQuantile(ctx context.Context, serviceIDs []string, q float64) (int, error)
	InsertSearchEvents(ctx context.Context, evs []SearchEvent) error
}
