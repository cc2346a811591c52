package query

import (
	"github.com/instainstru/instainstru"
)

// ---- numbers -------------------------------------------------------------------------------

// hundredths reads "80", "80.5" or "1.25" as hundredths (8000, 8050, 125). Values above a
// million are refused: no lesson costs that, and it keeps every later product far from overflow.
func hundredths(t string) (int, bool) {
	if t == "" || len(t) > 12 {
		return 0, false
	}
	whole, frac, fracDigits, dot := 0, 0, 0, false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			if !dot {
				whole = whole*10 + int(c-'0')
				if whole > 1_000_000 {
					return 0, false
				}
			} else if fracDigits < 2 {
				frac = frac*10 + int(c-'0')
				fracDigits++
			}
		case c == '.' && !dot && i > 0 && i < len(t)-1:
			dot = true
		case c == ',' && !dot && i > 0 && i < len(t)-1: // "1,000"
		default:
			return 0, false
		}
	}
	if fracDigits == 1 {
		frac *= 10
	}
	return whole*100 + frac, true
}

// atoi reads 1 to 4 ASCII digits.
func atoi(t string) (int, bool) {
	if t == "" || len(t) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
		n = n*10 + int(t[i]-'0')
	}
	return n, true
}

// splitNum splits a token such as "5pm", "5:30pm", "30min" or "1.5h" into its leading number
// ("5", "5:30", "30", "1.5") and the letters after it. num is "" when t does not start with a digit.
func splitNum(t string) (num, suffix string) {
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.' || t[i] == ':') {
		i++
	}
	if i == 0 || t[0] < '0' || t[0] > '9' {
		return "", ""
	}
	return t[:i], t[i:]
}

// ---- prices --------------------------------------------------------------------------------

type amount struct {
	cents int
	money bool // written with "$" or a currency word, so certainly a price
	n     int  // tokens used
}

// amountAt reads a price at j: "$80", "80 dollars", "80$", "$49.99 per hour", "80 bucks an hour".
// A bare number followed by a time or duration unit ("30 minutes", "5 pm") is not a price.
func (s *state) amountAt(j int) (amount, bool) {
	k, money := j, false
	if s.tok(k) == "$" {
		money = true
		k++
	}
	c, ok := hundredths(s.tok(k))
	if !ok {
		return amount{}, false
	}
	k++
	if nx := s.tok(k); nx == "$" || currencyWords[nx] {
		money = true
		k++
	} else if !money && s.unitFollows(k) {
		return amount{}, false
	}
	k += perUnit.longest(s, k)
	return amount{cents: c, money: money, n: k - j}, true
}

// unitFollows reports a time or duration word at k, which makes the number before it no price.
func (s *state) unitFollows(k int) bool {
	nx := s.tok(k)
	if nx == "-" {
		nx = s.tok(k + 1)
	}
	if minuteUnits[nx] || hourUnits[nx] || nx == "am" || nx == "pm" || nx == "oclock" {
		return true
	}
	if (nx == "a" || nx == "p") && s.tok(k+1) == "." {
		return true
	}
	_, isMonth := monthNames[nx]
	return isMonth || nx == "of"
}

func (s *state) addPrice(min, max *int) { s.prices = append(s.prices, priceC{min: min, max: max}) }

func ptr[T any](v T) *T { return &v }

var (
	betweenSeps = set("and", "-", "&", "to")
	fromSeps    = set("to", "-", "until", "till", "til", "through", "thru")
)

var rangeSep = set("-", "to", "and", "&", "through", "thru", "until", "till", "til")

// price reads "under $80", "at least 50", "$80 or less", "$50-$80", "$50+" and a lone "$80"
// (read as a ceiling: someone typing "piano $50" will not pay more).
func (s *state) price(i int) int {
	if s.isAge(i) {
		return 0
	}
	if n := maxPricePrefix.longest(s, i); n > 0 {
		if a, ok := s.amountAt(i + n); ok {
			s.addPrice(nil, ptr(a.cents))
			return n + a.n
		}
	}
	if n := minPricePrefix.longest(s, i); n > 0 {
		if a, ok := s.amountAt(i + n); ok {
			s.addPrice(ptr(a.cents), nil)
			return n + a.n
		}
	}
	a, ok := s.amountAt(i)
	if !ok {
		return 0
	}
	k := i + a.n
	if n := maxPriceSuffix.longest(s, k); n > 0 {
		s.addPrice(nil, ptr(a.cents))
		return k + n - i
	}
	if n := minPriceSuffix.longest(s, k); n > 0 {
		s.addPrice(ptr(a.cents), nil)
		return k + n - i
	}
	if sep := s.tok(k); sep != "and" && rangeSep[sep] {
		if b, ok := s.amountAt(k + 1); ok && (a.money || b.money) {
			s.addPriceRange(a.cents, b.cents)
			return k + 1 + b.n - i
		}
	}
	if a.money {
		s.addPrice(nil, ptr(a.cents))
		return a.n
	}
	return 0
}

// isAge reports "kids under 10", "under 10 years old", "over 50 yo": an age, not a price.
func (s *state) isAge(i int) bool {
	if i > 0 {
		if l := levelWords[s.toks[i-1]]; l == LevelKids || l == LevelTeen || l == LevelAdult {
			return true
		}
	}
	for k := i; k < i+4 && k < len(s.toks); k++ {
		switch s.toks[k] {
		case "year", "years", "yr", "yrs", "yo", "old":
			return true
		case "$":
			return false
		}
	}
	return false
}

func (s *state) addPriceRange(a, b int) {
	if a > b {
		a, b = b, a
	}
	s.addPrice(ptr(a), ptr(b))
}

// between reads "between A and B" and "from A to B" for prices, times and dates. The rule that
// tells them apart is in the package doc: a currency mark makes a price, am/pm/noon/":" a time;
// two bare numbers are a time when both are hours (0-24) that read as an increasing window, else
// a price.
func (s *state) between(i int) int {
	t := s.tok(i)
	var seps map[string]bool
	switch t {
	case "between", "btw", "btwn", "betwen", "inbetween":
		seps = betweenSeps
	case "from":
		seps = fromSeps
	default:
		return 0
	}
	j := i + 1
	a, aok := s.amountAt(j)
	var b amount
	bok := false
	if aok && seps[s.tok(j+a.n)] {
		b, bok = s.amountAt(j + a.n + 1)
	}
	ca, caok := s.clockAt(j)
	var cb clock
	cbok := false
	if caok && seps[s.tok(j+ca.n)] {
		cb, cbok = s.clockAt(j + ca.n + 1)
	}
	priceOK := aok && bok
	timeOK := caok && cbok
	if priceOK && (a.money || b.money) {
		s.addPriceRange(a.cents, b.cents)
		return 1 + a.n + 1 + b.n
	}
	if timeOK {
		from, to, ok := clockWindow(ca, cb)
		if ca.sure || cb.sure || ok {
			if ok {
				s.times = append(s.times, timeC{after: ptr(instainstru.Minute(from)), before: ptr(instainstru.Minute(to))})
			}
			return 1 + ca.n + 1 + cb.n
		}
	}
	if priceOK && t == "between" {
		s.addPriceRange(a.cents, b.cents)
		return 1 + a.n + 1 + b.n
	}
	if d1, n1, ok := s.dateExprAt(j); ok && seps[s.tok(j+n1)] {
		if d2, n2, ok := s.dateExprAt(j + n1 + 1); ok {
			s.addDateRange(d1, d2)
			return 1 + n1 + 1 + n2
		}
	}
	if t == "from" && caok && ca.sure {
		s.times = append(s.times, timeC{after: ptr(instainstru.Minute(ca.value(false)))})
		return 1 + ca.n
	}
	return 0
}

// cheapAt reads "cheap", "affordable", "low cost", ...
func (s *state) cheapAt(i int) int {
	t := s.tok(i)
	if cheapWords[t] {
		s.cheap = true
		return 1
	}
	if t == "low" {
		switch nx := s.tok(i + 1); {
		case nx == "cost" || nx == "price" || nx == "priced" || nx == "budget":
			s.cheap = true
			return 2
		case nx == "-" && (s.tok(i+2) == "cost" || s.tok(i+2) == "priced"):
			s.cheap = true
			return 3
		}
	}
	if t == "not" && (s.tok(i+1) == "expensive" || s.tok(i+1) == "pricey") {
		s.cheap = true
		return 2
	}
	return 0
}

// ---- durations -----------------------------------------------------------------------------

var durationPhrases = []struct {
	p   []string
	min int
}{
	{normalize("an hour and a half"), 90}, {normalize("a hour and a half"), 90},
	{normalize("one hour and a half"), 90}, {normalize("hour and a half"), 90},
	{normalize("one and a half hours"), 90}, {normalize("one and a half hour"), 90},
	{normalize("half an hour"), 30}, {normalize("half a hour"), 30}, {normalize("half an hr"), 30},
	{normalize("a half hour"), 30}, {normalize("a half - hour"), 30}, {normalize("half - hour"), 30},
	{normalize("half hour"), 30}, {normalize("halfhour"), 30},
	{normalize("an hour - long"), 60}, {normalize("an hour long"), 60},
	{normalize("hour - long"), 60}, {normalize("hour long"), 60}, {normalize("hourlong"), 60},
	{normalize("an hour"), 60}, {normalize("a hour"), 60}, {normalize("an hr"), 60},
}

func (s *state) setDuration(m int) {
	if m >= 5 && m <= 24*60 {
		s.duration = ptr(m)
	}
}

// durationAt reads "30 minute", "30-min", "45 mins", "1 hour", "an hour", "90 minutes",
// "hour-long", "1.5 hours", "1 hour 30 minutes", "90min", "1h30", "half an hour".
func (s *state) durationAt(i int) int {
	best, bestMin := 0, 0
	for _, d := range durationPhrases {
		if len(d.p) > best && s.seq(i, d.p...) {
			best, bestMin = len(d.p), d.min
		}
	}
	if best > 0 {
		s.setDuration(bestMin)
		return best + s.longAfter(i+best)
	}
	m, n := s.quantityAt(i)
	if n == 0 {
		return 0
	}
	// "1 hour 30 minutes", "1 hr and 30 min"
	if m%60 == 0 {
		k := i + n
		if s.tok(k) == "and" {
			k++
		}
		if m2, n2 := s.quantityAt(k); n2 > 0 && m2 < 60 {
			m += m2
			n = k + n2 - i
		}
	}
	s.setDuration(m)
	return n + s.longAfter(i+n)
}

// longAfter swallows a trailing "long" / "-long" ("90 minute long", "30-minute-long").
func (s *state) longAfter(k int) int {
	if s.tok(k) == "long" {
		return 1
	}
	if s.tok(k) == "-" && s.tok(k+1) == "long" {
		return 2
	}
	return 0
}

// quantityAt reads one number-and-unit length at i, in minutes, and the tokens it used.
func (s *state) quantityAt(i int) (int, int) {
	t := s.tok(i)
	// one token: "30min", "1.5hrs", "2h", "90m", "1h30", "1h30m"
	if num, suf := splitNum(t); num != "" && suf != "" && !fractions[t] {
		v, ok := hundredths(num)
		if !ok {
			return 0, 0
		}
		switch {
		case minuteUnits[suf]:
			return (v + 50) / 100, 1
		case hourUnits[suf]:
			return (v*60 + 50) / 100, 1
		}
		if h, rest, ok := cutHours(t); ok {
			if mm, ok := atoi(rest); ok && mm < 60 {
				return h*60 + mm, 1
			}
			if r2, ok := cutSuffix(rest, "m", "min", "mins"); ok {
				if mm, ok := atoi(r2); ok && mm < 60 {
					return h*60 + mm, 1
				}
			}
		}
		return 0, 0
	}
	var v int // hundredths of the unit
	k := i
	switch {
	case fractions[t]:
		v = fractionValue[t]
		k++
	default:
		if w, ok := numberWords[t]; ok {
			v = w * 100
		} else if h, ok := hundredths(t); ok {
			v = h
		} else {
			return 0, 0
		}
		k++
		switch {
		case s.tok(k) == "1/2":
			v += 50
			k++
		case s.seq(k, "and", "a", "half"):
			v += 50
			k += 3
		}
	}
	if s.tok(k) == "-" {
		k++
	}
	u := s.tok(k)
	switch {
	case minuteUnits[u] && u != "m":
		return (v + 50) / 100, k + 1 - i
	case hourUnits[u]:
		return (v*60 + 50) / 100, k + 1 - i
	}
	return 0, 0
}

var fractionValue = map[string]int{"1/2": 50, "1/4": 25, "3/4": 75}
var fractions = map[string]bool{"1/2": true, "1/4": true, "3/4": true}

// cutHours splits "1h30" into 1 and "30".
func cutHours(t string) (int, string, bool) {
	for i := 0; i < len(t); i++ {
		if t[i] == 'h' {
			h, ok := atoi(t[:i])
			return h, t[i+1:], ok && i+1 < len(t)
		}
	}
	return 0, "", false
}

func cutSuffix(t string, sufs ...string) (string, bool) {
	for _, suf := range sufs {
		if len(t) > len(suf) && t[len(t)-len(suf):] == suf {
			return t[:len(t)-len(suf)], true
		}
	}
	return "", false
}

// ---- times of day --------------------------------------------------------------------------

// clock is a time of day as written. When it carries no am/pm and is not a 24-hour reading, its
// hour is inferred (see value).
type clock struct {
	h, m     int
	mer      int  // 0 none, 1 am, 2 pm
	fixed    bool // the value needs no inference: am/pm, noon, midnight, or an hour of 13+ / 0
	sure     bool // certainly a time (am/pm, ":", noon, midnight, "o'clock"), not just a number
	midnight bool
	n        int
}

// value is the minute of the day. Bare hours read as lesson hours: 1-7 are afternoon/evening
// (13:00-19:00), 8-11 morning, 12 noon. end makes "midnight" 24:00 (an end of window).
func (c clock) value(end bool) int {
	if c.midnight {
		if end {
			return int(instainstru.EndOfDay)
		}
		return 0
	}
	switch {
	case c.mer == 1:
		return (c.h%12)*60 + c.m
	case c.mer == 2:
		return (c.h%12+12)*60 + c.m
	case c.fixed || c.h >= 8:
		return c.h*60 + c.m
	case c.h == 0:
		return c.m
	default:
		return (c.h+12)*60 + c.m
	}
}

// clockAt reads a time of day at j: "5pm", "5 pm", "5:30pm", "5 p.m.", "17:00", "noon",
// "midnight", "5 o'clock", or a bare hour "5" (not when a duration or price unit follows).
func (s *state) clockAt(j int) (clock, bool) {
	t := s.tok(j)
	switch t {
	case "noon", "midday":
		return clock{h: 12, fixed: true, sure: true, n: 1}, true
	case "midnight":
		return clock{midnight: true, fixed: true, sure: true, n: 1}, true
	}
	num, suf := splitNum(t)
	if num == "" {
		return clock{}, false
	}
	h, m, colon, ok := parseHM(num)
	if !ok {
		return clock{}, false
	}
	c := clock{h: h, m: m, sure: colon, n: 1}
	switch suf {
	case "":
		switch nx := s.tok(j + 1); {
		case nx == "am" || nx == "pm":
			c.mer, c.n = meridiemWords[nx], 2
		case (nx == "a" || nx == "p") && s.tok(j+2) == "." && s.tok(j+3) == "m":
			c.mer, c.n = meridiemWords[nx], 4
			if s.tok(j+4) == "." {
				c.n = 5
			}
		case nx == "oclock":
			c.sure, c.n = true, 2
		default:
			if !colon && (s.unitFollows(j+1) || currencyWords[nx] || nx == "$" || nx == "+") {
				return clock{}, false
			}
		}
	case "am", "pm", "a", "p":
		c.mer = meridiemWords[suf]
	case "oclock":
		c.sure = true
	default:
		return clock{}, false
	}
	if c.mer > 0 {
		if h < 1 || h > 12 {
			return clock{}, false
		}
		c.fixed, c.sure = true, true
	} else if h > 23 {
		return clock{}, false
	} else if h >= 13 || (h == 0 && colon) {
		c.fixed = true
	}
	return c, true
}

// parseHM reads "5" or "5:30".
func parseHM(num string) (h, m int, colon bool, ok bool) {
	for i := 0; i < len(num); i++ {
		if num[i] == ':' {
			h, ok1 := atoi(num[:i])
			m, ok2 := atoi(num[i+1:])
			if !ok1 || !ok2 || len(num)-i-1 != 2 || m > 59 || i > 2 {
				return 0, 0, false, false
			}
			return h, m, true, true
		}
	}
	if len(num) > 2 {
		return 0, 0, false, false
	}
	h, ok = atoi(num)
	return h, 0, false, ok
}

// clockWindow reads two clocks as a window start < end. A bare first hour takes the am/pm of
// the second ("3 to 5pm" is 15:00-17:00, "11 to 1pm" is 11:00-13:00); a bare second hour is the
// first reading of it after the start ("10am to 2" is 10:00-14:00).
func clockWindow(a, b clock) (int, int, bool) {
	to := b.value(true)
	from := a.value(false)
	if !a.fixed && b.mer > 0 && a.h <= 12 {
		pm, am := (a.h%12+12)*60+a.m, (a.h%12)*60+a.m
		if pm < to {
			from = pm
		} else {
			from = am
		}
	}
	if !b.fixed && to <= from && b.h < 12 {
		to += 12 * 60
	}
	if from >= to || to > int(instainstru.EndOfDay) {
		return 0, 0, false
	}
	return from, to, true
}

// dayParts are the named windows of the day.
var dayParts = map[string][2]int{
	"morning": {360, 720}, "mornings": {360, 720},
	"afternoon": {720, 1020}, "afternoons": {720, 1020},
	"evening": {1020, 1320}, "evenings": {1020, 1320},
	"lunchtime": {660, 840}, "lunch": {660, 840},
}

// timeOfDay reads "morning", "night", "after 5pm", "before noon", "at 4pm", "by 6", "until 8pm",
// "3-5pm", "after school", and a lone clock time with am/pm ("piano 5pm" = at 5pm).
func (s *state) timeOfDay(i int) int {
	t := s.tok(i)
	if w, ok := dayParts[t]; ok {
		s.times = append(s.times, timeC{after: ptr(instainstru.Minute(w[0])), before: ptr(instainstru.Minute(w[1]))})
		return 1
	}
	switch t {
	case "night", "nights":
		s.times = append(s.times, timeC{after: ptr(instainstru.Minute(17 * 60))})
		return 1
	case "after", "past":
		switch s.tok(i + 1) {
		case "school":
			s.times = append(s.times, timeC{after: ptr(instainstru.Minute(15 * 60))})
			return 2
		case "work":
			s.times = append(s.times, timeC{after: ptr(instainstru.Minute(17 * 60))})
			return 2
		}
		if c, ok := s.clockAt(i + 1); ok {
			s.times = append(s.times, timeC{after: ptr(instainstru.Minute(c.value(false)))})
			return 1 + c.n
		}
		return 0
	case "before", "by", "until", "till", "til":
		if c, ok := s.clockAt(i + 1); ok {
			if v := c.value(true); v > 0 {
				s.times = append(s.times, timeC{before: ptr(instainstru.Minute(v))})
			}
			return 1 + c.n
		}
		return 0
	case "at", "@":
		if n := s.clockLed(i+1, false); n > 0 {
			return 1 + n
		}
		return 0
	}
	return s.clockLed(i, true)
}

// clockLed reads a clock, or a window of two ("3-5pm", "3pm to 5pm"), starting at i. A lone
// clock is a start time ("at 4pm"); needSure refuses a lone bare number there ("piano 4").
func (s *state) clockLed(i int, needSure bool) int {
	a, ok := s.clockAt(i)
	if !ok {
		return 0
	}
	k := i + a.n
	if sep := s.tok(k); sep == "-" || sep == "to" || sep == "until" || sep == "till" {
		if b, ok := s.clockAt(k + 1); ok && (a.sure || b.sure) {
			if from, to, ok := clockWindow(a, b); ok {
				s.times = append(s.times, timeC{after: ptr(instainstru.Minute(from)), before: ptr(instainstru.Minute(to))})
			}
			return k + 1 + b.n - i
		}
	}
	if needSure && !a.sure {
		return 0
	}
	v := a.value(false)
	s.times = append(s.times, timeC{after: ptr(instainstru.Minute(v)), exact: true})
	return a.n
}

// ---- where and level -----------------------------------------------------------------------

// where reads online / in-person words and "in <area>" / "near <area>" for a known area.
func (s *state) where(i int) int {
	t := s.tok(i)
	if onlineWords[t] {
		s.locType = LocationOnline
		return 1
	}
	if n := onlinePhrases.longest(s, i); n > 0 {
		s.locType = LocationOnline
		return n
	}
	if n := inPersonPhrases.longest(s, i); n > 0 {
		s.locType = LocationInPerson
		return n
	}
	if n := areaPrefix.longest(s, i); n > 0 {
		k := i + n
		area, an := s.areaAt(k)
		if an == 0 && s.tok(k) == "the" { // "in the bronx" when the area is "bronx"
			k++
			area, an = s.areaAt(k)
		}
		if an > 0 {
			s.location = area
			return k + an - i
		}
	}
	return 0
}

// areaAt is the longest known area starting at k (its name and tokens used, hyphens skipped).
func (s *state) areaAt(k int) (string, int) {
	n := s.r.areas
	area, used := "", 0
	for j := k; j < len(s.toks); j++ {
		t := s.tok(j)
		if t == "" {
			break
		}
		if t == "-" || t == "." {
			continue
		}
		if n = n.child(t); n == nil {
			break
		}
		if n.entry != nil && n.entry.area != "" {
			area, used = n.entry.area, j+1-k
		}
	}
	return area, used
}

// levelAt reads "beginner", "kids", "adults", ...; the last one named wins.
func (s *state) levelAt(i int) int {
	if l, ok := levelWords[s.tok(i)]; ok {
		s.level = l
		return 1
	}
	return 0
}
