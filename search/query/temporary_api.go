// Package query reads a natural-language search query into a structured Parsed value.
//
// TEMPORARY: this file only carries the agreed API (see the parser's package when it lands) with
// a deliberately minimal reader — exact service names, slugs and search terms, category aliases,
// and "online" — so the search engine builds and its HTTP test has something to call. The real
// parser replaces this whole file; the engine's own tests build Parsed values directly and do not
// depend on this reader.
package query

import (
	"strings"
	"time"
	"unicode"

	"github.com/instainstru/instainstru"
)

// Vocabulary is what the reader knows of the catalog; the engine builds it from the database.
type Vocabulary struct {
	Services   []ServiceTerm
	Categories []CategoryTerm
	Areas      []string // distinct areas_of_service of active instructors ("brooklyn", "upper west side")
}

// ServiceTerm is a catalog service as the reader knows it.
type ServiceTerm struct {
	ID, Slug, Name, CategorySlug string
	Terms                        []string // the service's search_terms / aliases ("keyboard" for Piano)
}

// CategoryTerm is a category as the reader knows it.
type CategoryTerm struct {
	ID, Slug, Name string
	Aliases        []string // "music", "languages", "tutoring", "fitness", ...
}

// MatchKind is how the service words of a query were read.
type MatchKind string

// Match kinds.
const (
	MatchService  MatchKind = "service"  // ServiceIDs holds one or more catalog services
	MatchCategory MatchKind = "category" // CategorySlugs holds one or more categories
	MatchAll      MatchKind = "all"      // no service words at all: every service, constraints apply
	MatchPending  MatchKind = ""         // words are left that named nothing known: the engine tries
	// semantic similarity on ServiceQuery, else nothing matches
)

// Reader reads queries against one vocabulary.
type Reader struct {
	services   map[string]string // name, slug or term → service id
	categories map[string]string // name, slug or alias → category slug
}

// NewReader precomputes the indexes.
func NewReader(v Vocabulary) *Reader {
	r := &Reader{services: map[string]string{}, categories: map[string]string{}}
	for _, s := range v.Services {
		for _, w := range append([]string{s.Name, s.Slug}, s.Terms...) {
			if k := normalize(w); k != "" {
				if _, ok := r.services[k]; !ok {
					r.services[k] = s.ID
				}
			}
		}
	}
	for _, c := range v.Categories {
		for _, w := range append([]string{c.Name, c.Slug}, c.Aliases...) {
			if k := normalize(w); k != "" {
				r.categories[k] = c.Slug
			}
		}
	}
	return r
}

// Parsed is a query's structured reading.
type Parsed struct {
	Normalized      string
	ServiceQuery    string
	MatchKind       MatchKind
	ServiceIDs      []string
	CategorySlugs   []string
	Typo            bool
	MaxPriceCents   *int
	MinPriceCents   *int
	Cheap           bool
	DateFrom        *instainstru.Date
	DateTo          *instainstru.Date
	TimeAfter       *instainstru.Minute
	TimeBefore      *instainstru.Minute
	ExactStart      bool
	DurationMinutes *int
	LocationType    string
	Location        string
	Level           string
}

var dropped = map[string]bool{"lessons": true, "lesson": true, "classes": true, "class": true, "teacher": true,
	"tutor": true, "instructor": true, "coach": true, "a": true, "the": true, "for": true, "with": true}

// Parse never fails and never panics.
func (r *Reader) Parse(q string, now time.Time, loc *time.Location) Parsed {
	p := Parsed{Normalized: normalize(q)}
	var rest []string
	for _, w := range strings.Fields(p.Normalized) {
		switch {
		case w == "online":
			p.LocationType = "online"
		case !dropped[w]:
			rest = append(rest, w)
		}
	}
	p.ServiceQuery = strings.Join(rest, " ")
	switch {
	case p.ServiceQuery == "":
		p.MatchKind = MatchAll
	case r.services[p.ServiceQuery] != "":
		p.MatchKind, p.ServiceIDs = MatchService, []string{r.services[p.ServiceQuery]}
	case r.categories[p.ServiceQuery] != "":
		p.MatchKind, p.CategorySlugs = MatchCategory, []string{r.categories[p.ServiceQuery]}
	}
	return p
}

func normalize(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if unicode.IsLetter(c) || unicode.IsDigit(c) || c == '$' {
			b.WriteRune(c)
		} else {
			b.WriteRune(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
