package query

import (
	"sort"
	"strings"
	"unicode"
)

// vtok is one token of the matcher's view: catalog phrases are compared on these.
type vtok struct {
	s       string
	at      int  // index in state.toks
	barrier bool // a comma or a constraint's words: no phrase spans it
}

// view is the query as the service matcher sees it: joining punctuation dropped ("jiu-jitsu"
// reads "jiu jitsu"), "&" read as "and", plurals of known words made singular, and, when
// afterConstraints, the words a constraint used turned into barriers so "spanish tomorrow
// guitar" never reads as "spanish guitar".
func (s *state) view(afterConstraints bool) []vtok {
	v := make([]vtok, 0, len(s.toks))
	barrier := func(i int) {
		if len(v) > 0 && !v[len(v)-1].barrier {
			v = append(v, vtok{at: i, barrier: true})
		}
	}
	for i, t := range s.toks {
		switch {
		case afterConstraints && s.used[i], t == ",":
			barrier(i)
		case dropInMatch[t]:
		case t == "&":
			v = append(v, vtok{s: "and", at: i})
		default:
			v = append(v, vtok{s: singular(s.r, t), at: i})
		}
	}
	return v
}

// singular turns an unknown plural of a known word into that word ("guitars" → "guitar").
func singular(r *Reader, t string) string {
	if len(t) < 4 || filler[t] {
		return t
	}
	if _, ok := r.words[t]; ok {
		return t
	}
	for _, c := range [...]struct{ cut, add string }{{"ies", "y"}, {"es", ""}, {"s", ""}} {
		if strings.HasSuffix(t, c.cut) {
			w := t[:len(t)-len(c.cut)] + c.add
			if _, ok := r.words[w]; ok {
				return w
			}
		}
	}
	return t
}

// match is one catalog phrase found in a view, covering v[start:end].
type match struct {
	start, end int
	e          *phraseEntry
}

// matchView finds catalog phrases in v. Every phrase at every position is a candidate; the
// ones with the most non-filler words win first (so "learn spanish guitar" reads "spanish
// guitar", not "learn spanish"), then longer ones, then earlier ones; chosen phrases never
// overlap. The result is in query order.
func (r *Reader) matchView(v []vtok) []match {
	var cands []match
	for i := range v {
		if v[i].barrier {
			continue
		}
		n := r.phrases
		for j := i; j < len(v) && !v[j].barrier; j++ {
			if n = n.child(v[j].s); n == nil {
				break
			}
			if e := n.entry; e != nil && (len(e.services) > 0 || len(e.categories) > 0) {
				cands = append(cands, match{start: i, end: j + 1, e: e})
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	sort.SliceStable(cands, func(a, b int) bool {
		x, y := cands[a], cands[b]
		if x.e.weight != y.e.weight {
			return x.e.weight > y.e.weight
		}
		if x.end-x.start != y.end-y.start {
			return x.end-x.start > y.end-y.start
		}
		return x.start < y.start
	})
	taken := make([]bool, len(v))
	out := cands[:0:0]
	for _, c := range cands {
		free := true
		for k := c.start; k < c.end; k++ {
			if taken[k] {
				free = false
				break
			}
		}
		if !free {
			continue
		}
		for k := c.start; k < c.end; k++ {
			taken[k] = true
		}
		out = append(out, c)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].start < out[b].start })
	return out
}

// maxTypoWords bounds how many unknown words are looked up as misspellings.
const maxTypoWords = 8

// readService reads the service part from the words no constraint used. First hit wins: catalog
// service phrases, then category phrases, then the same through misspellings, then leftover
// unknown words (pending, for the engine's semantic match), then phrases made only of filler
// ("tutor", "go"), and with nothing left at all, every service.
func (r *Reader) readService(s *state, p *Parsed) {
	v := s.view(true)
	ms := r.matchView(v)
	covered := make([]bool, len(v))
	for _, m := range ms {
		for k := m.start; k < m.end; k++ {
			covered[k] = true
		}
	}
	if r.decide(s, v, ms, true, p) {
		return
	}
	var unknown []int
	for k, t := range v {
		if !t.barrier && !covered[k] && !filler[t.s] && hasLetter(t.s) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		fixed := append([]vtok(nil), v...)
		n := 0
		for _, k := range unknown {
			if n == maxTypoWords {
				break
			}
			n++
			if w, _, ok := r.correctWord(v[k].s); ok {
				fixed[k].s = w
			}
		}
		if r.decide(s, fixed, r.matchView(fixed), true, p) {
			p.Typo = true
			return
		}
		words := make([]string, len(unknown))
		for i, k := range unknown {
			words[i] = s.orig[v[k].at]
		}
		p.MatchKind, p.ServiceQuery = MatchPending, strings.Join(words, " ")
		return
	}
	if r.decide(s, v, ms, false, p) {
		return
	}
	p.MatchKind = MatchAll
}

// decide fills p from the matches of one kind of strength (strong: with a non-filler word),
// services before categories, and reports whether there were any.
func (r *Reader) decide(s *state, v []vtok, ms []match, strong bool, p *Parsed) bool {
	var svc, cat []match
	for _, m := range ms {
		if (m.e.weight > 0) != strong {
			continue
		}
		if len(m.e.services) > 0 {
			svc = append(svc, m)
		} else if len(m.e.categories) > 0 {
			cat = append(cat, m)
		}
	}
	var words []string
	text := func(m match) {
		for k := m.start; k < m.end; k++ {
			words = append(words, s.orig[v[k].at])
		}
	}
	switch {
	case len(svc) > 0:
		seen := map[int]bool{}
		for _, m := range svc {
			text(m)
			for _, si := range m.e.services {
				if !seen[si] {
					seen[si] = true
					p.ServiceIDs = append(p.ServiceIDs, r.serviceIDs[si])
				}
			}
		}
		p.MatchKind = MatchService
	case len(cat) > 0:
		seen := map[int]bool{}
		for _, m := range cat {
			text(m)
			for _, ci := range m.e.categories {
				if !seen[ci] {
					seen[ci] = true
					p.CategorySlugs = append(p.CategorySlugs, r.categorySlugs[ci])
				}
			}
		}
		p.MatchKind = MatchCategory
	default:
		return false
	}
	p.ServiceQuery = strings.Join(words, " ")
	return true
}

func hasLetter(t string) bool {
	for _, r := range t {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
