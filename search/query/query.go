package query

import (
	"time"

	"github.com/instainstru/instainstru"
)

// Vocabulary is what the reader knows of the catalog; the engine builds it from the database.
type Vocabulary struct {
	Services   []ServiceTerm
	Categories []CategoryTerm
	Areas      []string // distinct areas_of_service of active instructors ("brooklyn", "upper west side")
}

// ServiceTerm is one catalog service as the reader sees it.
type ServiceTerm struct {
	ID, Slug, Name, CategorySlug string
	Terms                        []string // the service's search_terms / aliases ("keyboard" for Piano)
}

// CategoryTerm is one catalog category as the reader sees it.
type CategoryTerm struct {
	ID, Slug, Name string
	Aliases        []string // "music", "languages", "tutoring", "fitness", ...
}

// MatchKind says how the service part of a query was read.
type MatchKind string

// The ways a query can name what it wants.
const (
	MatchService  MatchKind = "service"  // ServiceIDs holds one or more catalog services
	MatchCategory MatchKind = "category" // CategorySlugs holds one or more categories
	MatchAll      MatchKind = "all"      // no service words at all: every service, constraints apply
	MatchPending  MatchKind = ""         // words are left that named nothing known: the engine tries
	// semantic similarity on ServiceQuery, else nothing matches
)

// Parsed is a query read into a service part and constraints. Nil pointers mean "not asked".
type Parsed struct {
	Normalized      string              // normalized query text
	ServiceQuery    string              // the words read as the service ("piano"), "" when none
	MatchKind       MatchKind           // how the service part was read
	ServiceIDs      []string            // MatchService: matched catalog service ids, query order, no duplicates
	CategorySlugs   []string            // MatchCategory
	Typo            bool                // matched through a misspelling
	MaxPriceCents   *int                // highest acceptable price, in cents
	MinPriceCents   *int                // lowest acceptable price, in cents
	Cheap           bool                // "cheap", "affordable", ...: the engine turns it into a max price
	DateFrom        *instainstru.Date   // inclusive
	DateTo          *instainstru.Date   // inclusive
	TimeAfter       *instainstru.Minute // the lesson lies inside [TimeAfter, TimeBefore] (either may be nil)
	TimeBefore      *instainstru.Minute // see TimeAfter; 24:00 (EndOfDay) is possible ("before midnight")
	ExactStart      bool                // "at 4pm": the lesson must start exactly at TimeAfter
	DurationMinutes *int                // asked lesson length
	LocationType    string              // "online" | "in_person" | ""
	Location        string              // a known area ("brooklyn") or ""
	Level           string              // "beginner" | "intermediate" | "advanced" | "kids" | "teen" | "adult" | ""
}

// Location types and levels as Parsed spells them.
const (
	LocationOnline   = "online"
	LocationInPerson = "in_person"

	LevelBeginner     = "beginner"
	LevelIntermediate = "intermediate"
	LevelAdvanced     = "advanced"
	LevelKids         = "kids"
	LevelTeen         = "teen"
	LevelAdult        = "adult"
)

// Parse reads q. It never fails and never panics, for any input (the HTTP layer rejects > 500
// chars first; longer input is read up to its first maxInputBytes bytes). now is the current
// instant; loc is the caller's zone (relative dates are read in it; nil reads as UTC).
func (r *Reader) Parse(q string, now time.Time, loc *time.Location) Parsed {
	if r == nil {
		r = emptyReader
	}
	if loc == nil {
		loc = time.UTC
	}
	toks := normalize(q)
	p := Parsed{Normalized: joinTokens(toks)}
	s := newState(r, toks, instainstru.DateOf(now.In(loc)))
	s.correctKeywords()
	s.protect()
	s.extract()
	s.resolve(&p)
	r.readService(s, &p)
	return p
}
