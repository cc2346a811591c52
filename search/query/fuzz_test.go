package query

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/instainstru/instainstru"
)

// FuzzParse: for any input Parse returns, is deterministic, and keeps its invariants.
func FuzzParse(f *testing.F) {
	for _, q := range []string{
		"piano under $80", "music lessons", "spanish tomorrow", "keyboard lessons for kids",
		"guitar or ukulele", "math tutor this weekend", "lessons under $50", "pianno",
		"yoga in the evening", "online french between $40 and $60",
		"30 minute violin lesson under $40", "sat prep in brooklyn", "xqzv",
		"piano'; drop table users;--", "between 3 and 5pm", "between 50 and 80", "dec 30 to jan 2",
		"2026-02-30", "12/5/27", "1 1/2 hours", "$1,000", "at 10am morning", "fri or sat",
		"next week tuesday", "in the upper west side", "ESPAÑOL 😀 ½ hour", "- $ - / : .", "sat sat sat",
		"between between and and", "from to - -", "1h30m", "5:30 p.m.", "before midnight", "\xff\xfe",
		strings.Repeat("piano ", 100), strings.Repeat("$", 600), strings.Repeat("ab", 3000),
	} {
		f.Add(q)
	}
	r := testReader(f)
	f.Fuzz(func(t *testing.T, q string) {
		p := r.Parse(q, refNow, newYork)
		if again := r.Parse(q, refNow, newYork); !reflect.DeepEqual(p, again) {
			t.Fatalf("not deterministic for %q:\n%s\n%s", q, describe(p), describe(again))
		}
		checkInvariants(t, q, p)
		// Reading the normalized text again gives the same normalized text, when that text is
		// within the reader's input bound (spacing out punctuation can lengthen a cut input
		// past it, and the second reading then cuts elsewhere).
		if p2 := r.Parse(p.Normalized, refNow, newYork); len(p.Normalized) <= maxInputBytes && p2.Normalized != p.Normalized {
			t.Fatalf("normalization not idempotent for %q: %q then %q", q, p.Normalized, p2.Normalized)
		}
	})
}

func checkInvariants(t *testing.T, q string, p Parsed) {
	t.Helper()
	fail := func(why string) { t.Fatalf("%s for %q: %s", why, q, describe(p)) }
	if p.MinPriceCents != nil && *p.MinPriceCents < 0 || p.MaxPriceCents != nil && *p.MaxPriceCents < 0 {
		fail("negative price")
	}
	if p.MinPriceCents != nil && p.MaxPriceCents != nil && *p.MinPriceCents > *p.MaxPriceCents {
		fail("min price above max")
	}
	if (p.DateFrom == nil) != (p.DateTo == nil) {
		fail("half a date range")
	}
	if p.DateFrom != nil && p.DateFrom.After(*p.DateTo) {
		fail("DateFrom after DateTo")
	}
	for _, m := range []*instainstru.Minute{p.TimeAfter, p.TimeBefore} {
		if m != nil && (*m < 0 || *m > instainstru.EndOfDay) {
			fail("time of day out of range")
		}
	}
	if p.TimeAfter != nil && p.TimeBefore != nil && *p.TimeAfter >= *p.TimeBefore {
		fail("TimeAfter not before TimeBefore")
	}
	if p.ExactStart && p.TimeAfter == nil {
		fail("exact start without a time")
	}
	if p.DurationMinutes != nil && (*p.DurationMinutes <= 0 || *p.DurationMinutes > 24*60) {
		fail("duration out of range")
	}
	switch p.MatchKind {
	case MatchService:
		if len(p.ServiceIDs) == 0 || len(p.CategorySlugs) != 0 {
			fail("service match without services")
		}
		seen := map[string]bool{}
		for _, id := range p.ServiceIDs {
			if seen[id] {
				fail("duplicate service id")
			}
			seen[id] = true
		}
	case MatchCategory:
		if len(p.CategorySlugs) == 0 || len(p.ServiceIDs) != 0 {
			fail("category match without categories")
		}
	case MatchPending:
		if p.ServiceQuery == "" || len(p.ServiceIDs)+len(p.CategorySlugs) != 0 || p.Typo {
			fail("pending without words")
		}
	case MatchAll:
		if p.ServiceQuery != "" || len(p.ServiceIDs)+len(p.CategorySlugs) != 0 || p.Typo {
			fail("all with service words")
		}
	default:
		fail("unknown match kind")
	}
	switch p.LocationType {
	case "", LocationOnline, LocationInPerson:
	default:
		fail("unknown location type")
	}
	switch p.Level {
	case "", LevelBeginner, LevelIntermediate, LevelAdvanced, LevelKids, LevelTeen, LevelAdult:
	default:
		fail("unknown level")
	}
}

// hostileInputs are far past the HTTP limit and built to find quadratic or expanding work.
var hostileInputs = []string{
	strings.Repeat("pianno guitr spansh calculas ", 400),
	strings.Repeat("between 3 and ", 500),
	strings.Repeat("$", 100000),
	strings.Repeat("a", 100000),
	strings.Repeat("1/2 ", 5000),
	strings.Repeat("é", 50000),
	strings.Repeat("\u0301", 50000), // combining marks only
	strings.Repeat("ﷺ", 5000),       // expands eighteen-fold under NFKD
	strings.Repeat("sat ", 1000),
	strings.Repeat("xqzvw ", 1000),
}

// TestLongAndHostileInputs: no panic and sound readings on inputs far past the HTTP limit (their
// cost is measured by BenchmarkParseHostile, not timed here).
func TestLongAndHostileInputs(t *testing.T) {
	r := testReader(t)
	for _, q := range hostileInputs {
		checkInvariants(t, q[:min(len(q), 40)], r.Parse(q, refNow, newYork))
	}
}

// BenchmarkParseHostile: the parse cost of the hostile inputs (Parse reads at most 2,048 bytes and
// 256 words, so each stays in the range of a long ordinary query).
func BenchmarkParseHostile(b *testing.B) {
	r := testReader(b)
	for i, q := range hostileInputs {
		b.Run(fmt.Sprint(i), func(b *testing.B) {
			for b.Loop() {
				r.Parse(q, refNow, newYork)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	r := testReader(b)
	for _, c := range []struct{ name, q string }{
		{"typical", "piano lessons for kids under $80 tomorrow evening in brooklyn"},
		{"short", "piano"},
		{"typo", "spansh tutor this weekend"},
		{"pending", "underwater basket weaving"},
		{"long500", strings.Repeat("guitar lessons near me tomorrow ", 16)[:500]},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Parse(c.q, refNow, newYork)
			}
		})
	}
}

func BenchmarkNewReader(b *testing.B) {
	v := catalogVocabulary(b)
	b.ReportAllocs()
	for b.Loop() {
		NewReader(v)
	}
}
