package query

import (
	"unicode"

	"github.com/instainstru/instainstru"
)

// state is one Parse in progress: the tokens, which of them a constraint used, which belong to a
// catalog phrase that must stay whole, and the constraints read so far, in the order they were
// written (later ones win conflicts).
type state struct {
	r     *Reader
	toks  []string
	orig  []string // tokens as typed (before keyword corrections), for ServiceQuery
	used  []bool
	prot  []bool
	today instainstru.Date

	prices   []priceC
	dates    []dateC
	times    []timeC
	duration *int
	locType  string
	location string
	level    string
	cheap    bool
}

type priceC struct{ min, max *int }

// dateC is a date range, or a weekday still to be placed (wd >= 0) once every range is known.
type dateC struct {
	from, to instainstru.Date
	wd       int // -1 for a plain range
	nextWeek bool
}

// timeC is a window of the day; exact means "starts at after".
type timeC struct {
	after, before *instainstru.Minute
	exact         bool
}

func newState(r *Reader, toks []string, today instainstru.Date) *state {
	return &state{
		r: r, toks: toks, orig: append([]string(nil), toks...),
		used: make([]bool, len(toks)), prot: make([]bool, len(toks)), today: today,
	}
}

// tok is the free token at j, or "" when j is out of range, used or protected. No token is "",
// so "" works as a sentinel for pattern code.
func (s *state) tok(j int) string {
	if j < 0 || j >= len(s.toks) || s.used[j] || s.prot[j] {
		return ""
	}
	return s.toks[j]
}

// seq reports whether the free tokens from i spell ws.
func (s *state) seq(i int, ws ...string) bool {
	for k, w := range ws {
		if s.tok(i+k) != w {
			return false
		}
	}
	return true
}

func (s *state) markUsed(i, n int) {
	for k := i; k < i+n && k < len(s.used); k++ {
		s.used[k] = true
	}
}

func isAlpha(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// correctKeywords fixes misspelled constraint and filler words ("tomorow", "lesons") before
// anything is read, unless the word is known or a catalog word is at least as close.
func (s *state) correctKeywords() {
	for i, t := range s.toks {
		if !isAlpha(t) || keywordSet[t] || filler[t] || s.known(t) {
			continue
		}
		kw, d, ok := correctKeyword(t)
		if !ok {
			continue
		}
		if sw, sd, sok := s.r.correctWord(t); sok && sd <= d && sw != kw {
			continue // a catalog word is as close: leave it to the service reader
		}
		s.toks[i] = kw
	}
}

// known reports words the reader understands as they are.
func (s *state) known(t string) bool {
	if _, ok := s.r.words[t]; ok {
		return true
	}
	if _, ok := weekdayNames[t]; ok {
		return true
	}
	if _, ok := monthNames[t]; ok {
		return true
	}
	if _, ok := levelWords[t]; ok {
		return true
	}
	if s.r.areas.child(t) != nil {
		return true
	}
	return onlineWords[t] || cheapWords[t] || dayPartWords[t] || currencyWords[t] ||
		minuteUnits[t] || hourUnits[t] || numberWords[t] > 0 || singular(s.r, t) != t
}

// protect marks catalog phrases of two or more words so constraints cannot take their words:
// "sat prep" is the exam, not Saturday; "online marketing" is a service, not a place.
func (s *state) protect() {
	v := s.view(false)
	for _, m := range s.r.matchView(v) {
		if m.end-m.start < 2 {
			continue
		}
		for k := v[m.start].at; k <= v[m.end-1].at; k++ {
			s.prot[k] = true
		}
	}
}

// extract reads every constraint, left to right, marking the tokens each one used.
func (s *state) extract() {
	for i := 0; i < len(s.toks); {
		if s.tok(i) == "" {
			i++
			continue
		}
		n := s.constraintAt(i)
		if n <= 0 {
			i++
			continue
		}
		s.markUsed(i, n)
		i += n
	}
}

// constraintAt tries every constraint reader at i; the first that matches wins. The order
// settles the shared words: prices before durations ("$80 an hour"), durations before dates
// ("1/2 hour"), prices/times/dates share "between" and "from" (see between).
func (s *state) constraintAt(i int) int {
	if n := s.between(i); n > 0 {
		return n
	}
	if n := s.price(i); n > 0 {
		return n
	}
	if n := s.durationAt(i); n > 0 {
		return n
	}
	if n := s.timeOfDay(i); n > 0 {
		return n
	}
	if n := s.date(i); n > 0 {
		return n
	}
	if n := s.where(i); n > 0 {
		return n
	}
	if n := s.levelAt(i); n > 0 {
		return n
	}
	return s.cheapAt(i)
}
