package query

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/instainstru/instainstru"
)

// catalogFile mirrors the fields of persistence/seed/catalog.json the reader needs.
type catalogFile struct {
	Categories []struct {
		Slug    string   `json:"slug"`
		Name    string   `json:"name"`
		Aliases []string `json:"aliases"`
	} `json:"categories"`
	Services []struct {
		Slug        string   `json:"slug"`
		Name        string   `json:"name"`
		Category    string   `json:"category"`
		SearchTerms []string `json:"search_terms"`
	} `json:"services"`
}

var (
	vocabOnce sync.Once
	testVocab Vocabulary
	vocabErr  error
)

// catalogVocabulary builds a Vocabulary from the production catalog file, with ids "svc-<slug>"
// and "cat-<slug>", plus a few areas.
func catalogVocabulary(t testing.TB) Vocabulary {
	t.Helper()
	vocabOnce.Do(func() {
		_, here, _, _ := runtime.Caller(0)
		path := filepath.Join(filepath.Dir(here), "..", "..", "persistence", "seed", "catalog.json")
		raw, err := os.ReadFile(path)
		if err != nil {
			vocabErr = err
			return
		}
		var cf catalogFile
		if err := json.Unmarshal(raw, &cf); err != nil {
			vocabErr = err
			return
		}
		for _, c := range cf.Categories {
			testVocab.Categories = append(testVocab.Categories, CategoryTerm{ID: "cat-" + c.Slug, Slug: c.Slug, Name: c.Name, Aliases: c.Aliases})
		}
		for _, s := range cf.Services {
			testVocab.Services = append(testVocab.Services, ServiceTerm{ID: "svc-" + s.Slug, Slug: s.Slug, Name: s.Name, CategorySlug: s.Category, Terms: s.SearchTerms})
		}
		testVocab.Areas = []string{"brooklyn", "manhattan", "upper west side", "queens", "the bronx", "park slope", "harlem"}
	})
	if vocabErr != nil {
		t.Fatalf("catalog: %v", vocabErr)
	}
	if len(testVocab.Services) != 282 || len(testVocab.Categories) != 7 {
		t.Fatalf("catalog has %d services in %d categories, want 282 in 7", len(testVocab.Services), len(testVocab.Categories))
	}
	return testVocab
}

var (
	readerOnce sync.Once
	theReader  *Reader
)

func testReader(t testing.TB) *Reader {
	v := catalogVocabulary(t)
	readerOnce.Do(func() { theReader = NewReader(v) })
	return theReader
}

// serviceID finds a catalog service id by its display name, failing the test when absent.
func serviceID(t testing.TB, name string) string {
	t.Helper()
	for _, s := range catalogVocabulary(t).Services {
		if s.Name == name {
			return s.ID
		}
	}
	t.Fatalf("no catalog service named %q", name)
	return ""
}

var newYork = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

// refNow is the reference instant of NLS.md section 5: Wednesday 2026-11-18 10:00 New York.
var refNow = time.Date(2026, 11, 18, 10, 0, 0, 0, newYork)

func dp(s string) *instainstru.Date {
	d, err := instainstru.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return &d
}

func mp(s string) *instainstru.Minute {
	m, err := instainstru.ParseMinute(s, true)
	if err != nil {
		panic(err)
	}
	return &m
}

func ip(v int) *int { return &v }

// describe renders a Parsed compactly for failure messages and exploration.
func describe(p Parsed) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kind=%q", p.MatchKind)
	if len(p.ServiceIDs) > 0 {
		fmt.Fprintf(&b, " svc=%v", p.ServiceIDs)
	}
	if len(p.CategorySlugs) > 0 {
		fmt.Fprintf(&b, " cat=%v", p.CategorySlugs)
	}
	if p.ServiceQuery != "" {
		fmt.Fprintf(&b, " sq=%q", p.ServiceQuery)
	}
	if p.Typo {
		b.WriteString(" typo")
	}
	if p.MinPriceCents != nil {
		fmt.Fprintf(&b, " min=%d", *p.MinPriceCents)
	}
	if p.MaxPriceCents != nil {
		fmt.Fprintf(&b, " max=%d", *p.MaxPriceCents)
	}
	if p.Cheap {
		b.WriteString(" cheap")
	}
	if p.DateFrom != nil {
		fmt.Fprintf(&b, " from=%s", p.DateFrom)
	}
	if p.DateTo != nil {
		fmt.Fprintf(&b, " to=%s", p.DateTo)
	}
	if p.TimeAfter != nil {
		fmt.Fprintf(&b, " after=%s", p.TimeAfter)
	}
	if p.TimeBefore != nil {
		fmt.Fprintf(&b, " before=%s", p.TimeBefore)
	}
	if p.ExactStart {
		b.WriteString(" exact")
	}
	if p.DurationMinutes != nil {
		fmt.Fprintf(&b, " dur=%d", *p.DurationMinutes)
	}
	if p.LocationType != "" {
		fmt.Fprintf(&b, " lt=%s", p.LocationType)
	}
	if p.Location != "" {
		fmt.Fprintf(&b, " loc=%q", p.Location)
	}
	if p.Level != "" {
		fmt.Fprintf(&b, " lvl=%s", p.Level)
	}
	fmt.Fprintf(&b, " norm=%q", p.Normalized)
	return b.String()
}
