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

// SearchIndexEntry is one instructor as search indexes it: what the hard filters, the ranking
// and the result need, read in one snapshot.
type SearchIndexEntry struct {
	InstructorID    string
	FullName        string
	Bio             string
	YearsExperience int
	AreasOfService  []string
	// Searchable: an instructor account that is active (suspended and deactivated ones, and
	// profiles whose user is no longer an instructor, are not searchable).
	Searchable bool
	// Offers are the instructor's active offers (of any catalog service, active or not; the
	// engine keeps those of active services). Name and Category are not filled.
	Offers []InstructorService
}

// SearchIndexDelta is a read of the search index's change feed: the current state of every
// instructor that changed since the cursor it was asked with (all of them for a full read), and
// the cursor to ask with next time. Changes committed after the read are found from that cursor
// on, whatever order transactions commit in.
type SearchIndexDelta struct {
	Entries []SearchIndexEntry
	// Gone are changed ids that have no profile any more.
	Gone   []string
	Cursor string
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
	// LevelMatch reports whether the asked level's words appear in the offer's description or
	// the instructor's bio.
	LevelMatch bool
	// Prelim is the score before soonness: match strength, level boost and popularity.
	Prelim float64
}

// WindowNeed is an instructor and the lesson length that must fit in a search window.
type WindowNeed struct {
	InstructorID string
	Minutes      int
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
	// SearchIndex reads the search index's change feed: everything when cursor is "", else the
	// instructors changed since the read that returned cursor.
	SearchIndex(ctx context.Context, cursor string) (*SearchIndexDelta, error)
	// WindowCandidates keeps the instructors that have an availability row in the window whose
	// overlap with its time of day fits their lesson: a cheap prefilter before the exact check.
	WindowCandidates(ctx context.Context, needs []WindowNeed, w CandidateWindow) (map[string]bool, error)
	PublicCalendars(ctx context.Context, instructorIDs []string, from, to Date) (map[string]*PublicCalendar, error)
	ServicePopularity(ctx context.Context) (map[string]float64, error)
	InsertSearchEvents(ctx context.Context, evs []SearchEvent) error
}
