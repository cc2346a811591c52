package query

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// expectation is a compact, strict description of a Parsed: every field not named must be at its
// zero value, so a test fails on anything the reader adds that the case did not ask for.
// Keys: kind=service|category|all|pending, svc=Name|Name (catalog display names), cat=slug|slug,
// sq=, typo, min=, max=, cheap, on=date (from and to), from=, to=, after=, before=, exact,
// dur=, lt=, loc=, lvl=, norm=. sq and norm are checked only when named. In svc, sq, norm and loc
// values "_" stands for a space.
func checkSpec(t *testing.T, r *Reader, q, spec string) {
	t.Helper()
	p := r.Parse(q, refNow, newYork)
	if err := matchSpec(t, p, spec); err != nil {
		t.Errorf("Parse(%q):\n  %v\n  got  %s\n  want %s", q, err, describe(p), spec)
	}
}

func matchSpec(t *testing.T, p Parsed, spec string) error {
	t.Helper()
	want := Parsed{}
	kindSet, sqSet, normSet := false, false, false
	for _, f := range strings.Fields(spec) {
		k, v, _ := strings.Cut(f, "=")
		if k == "sq" || k == "norm" || k == "loc" || k == "svc" {
			v = strings.ReplaceAll(v, "_", " ")
		}
		switch k {
		case "kind":
			kindSet = true
			if v == "pending" {
				want.MatchKind = MatchPending
			} else {
				want.MatchKind = MatchKind(v)
			}
		case "svc":
			for _, name := range strings.Split(v, "|") {
				want.ServiceIDs = append(want.ServiceIDs, serviceID(t, name))
			}
		case "cat":
			want.CategorySlugs = strings.Split(v, "|")
		case "sq":
			sqSet, want.ServiceQuery = true, v
		case "norm":
			normSet, want.Normalized = true, v
		case "typo":
			want.Typo = true
		case "cheap":
			want.Cheap = true
		case "exact":
			want.ExactStart = true
		case "min", "max", "dur":
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("bad spec %q", spec)
			}
			switch k {
			case "min":
				want.MinPriceCents = ip(n)
			case "max":
				want.MaxPriceCents = ip(n)
			default:
				want.DurationMinutes = ip(n)
			}
		case "on":
			want.DateFrom, want.DateTo = dp(v), dp(v)
		case "from":
			want.DateFrom = dp(v)
		case "to":
			want.DateTo = dp(v)
		case "after":
			want.TimeAfter = mp(v)
		case "before":
			want.TimeBefore = mp(v)
		case "lt":
			want.LocationType = v
		case "loc":
			want.Location = v
		case "lvl":
			want.Level = v
		default:
			t.Fatalf("bad spec key %q in %q", k, spec)
		}
	}
	if !kindSet {
		switch {
		case len(want.ServiceIDs) > 0:
			want.MatchKind = MatchService
		case len(want.CategorySlugs) > 0:
			want.MatchKind = MatchCategory
		default:
			want.MatchKind = MatchAll
		}
	}
	if !sqSet {
		want.ServiceQuery = p.ServiceQuery
	}
	if !normSet {
		want.Normalized = p.Normalized
	}
	if got, w := describe(p), describe(want); got != w {
		return fmt.Errorf("mismatch")
	}
	return nil
}
