package query

import (
	"time"

	"github.com/instainstru/instainstru"
)

var tomorrowWords = set("tomorrow", "tmrw", "tmr", "tmw", "tmrow", "tomoz", "2morrow", "2moro")

// satPrefix are the words before "sat" that make it Saturday rather than the SAT exam.
var satPrefix = set("on", "this", "next", "every", "coming", "by", "until", "till", "til", "saturday", "friday", "sunday")

// joinWords join two weekdays ("fri or sat").
var joinWords = set("-", "or", "and", ",", "to", "through", "thru")

// dayExpr is one date phrase: a range, or a weekday still to be placed.
type dayExpr struct {
	from, to instainstru.Date
	wd       int // -1 for a plain range
	nextWeek bool
	tonight  bool
	monthDay bool // "dec 5": a following bare day number continues it ("dec 5-8")
	invalid  bool // a date that does not exist ("feb 30"): its words are used, nothing is set
}

// date reads a date phrase at i, with an optional "on" before it and an optional second date
// after "-", "to", "through", "until" making a range.
func (s *state) date(i int) int {
	k := i
	if s.tok(k) == "on" {
		k++
	}
	if s.tok(i) == "this" && dayPartWords[s.tok(i+1)] {
		// "this morning", "this evening": today; the day part itself is read next.
		s.dates = append(s.dates, dateC{from: s.today, to: s.today, wd: -1})
		return 1
	}
	d, n, ok := s.dateExprAt(k)
	if !ok {
		return 0
	}
	end := k + n
	if sep := s.tok(end); sep == "-" || sep == "to" || sep == "through" || sep == "thru" || sep == "until" || sep == "till" {
		if d2, n2, ok := s.dateExprAt(end + 1); ok {
			s.addDateRange(d, d2)
			return end + 1 + n2 - i
		}
		if d.monthDay {
			if day, ok := atoi(ordinal(s.tok(end + 1))); ok && day >= 1 && day <= 31 {
				if last, ok := validDate(d.from.Year, d.from.Month, day); ok && !last.Before(d.from) {
					s.dates = append(s.dates, dateC{from: d.from, to: last, wd: -1})
					return end + 2 - i
				}
			}
		}
	}
	s.addDay(d)
	return end - i
}

func (s *state) addDay(d dayExpr) {
	if d.invalid {
		return
	}
	s.dates = append(s.dates, dateC{from: d.from, to: d.to, wd: d.wd, nextWeek: d.nextWeek})
	if d.tonight {
		s.times = append(s.times, timeC{after: ptr(instainstru.Minute(17 * 60))})
	}
}

// addDateRange records "from d1 to d2"; weekdays are placed at their next occurrence, the second
// one on or after the first date. A range that ends before it starts is dropped.
func (s *state) addDateRange(d1, d2 dayExpr) {
	if d1.invalid || d2.invalid {
		return
	}
	from := d1.from
	if d1.wd >= 0 {
		from = s.placeWeekday(d1, nil)
	}
	to := d2.to
	if d2.wd >= 0 {
		to = nextWeekday(from, d2.wd)
	}
	if to.Before(from) {
		return
	}
	s.dates = append(s.dates, dateC{from: from, to: to, wd: -1})
	if d1.tonight || d2.tonight {
		s.times = append(s.times, timeC{after: ptr(instainstru.Minute(17 * 60))})
	}
}

// nextWeekday is the first date on or after d that falls on wd.
func nextWeekday(d instainstru.Date, wd int) instainstru.Date {
	return d.AddDays((wd - int(d.Weekday()) + 7) % 7)
}

// ordinal strips "st", "nd", "rd", "th" from "5th".
func ordinal(t string) string {
	if r, ok := cutSuffix(t, "st", "nd", "rd", "th"); ok {
		return r
	}
	return t
}

// validDate builds y-m-d, refusing dates that do not exist (February 30).
func validDate(y int, m time.Month, d int) (instainstru.Date, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1 || y > 9999 {
		return instainstru.Date{}, false
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || t.Month() != m {
		return instainstru.Date{}, false
	}
	return instainstru.DateOf(t), true
}

// monthDay is month m day d in the year given, or, with none (y == 0), its next occurrence:
// a date already past this year means next year.
func (s *state) monthDay(y, m, d int) (instainstru.Date, bool) {
	if y > 0 {
		if y < 100 {
			y += 2000
		}
		return validDate(y, time.Month(m), d)
	}
	for yy := s.today.Year; yy <= s.today.Year+4; yy++ {
		if dt, ok := validDate(yy, time.Month(m), d); ok && !dt.Before(s.today) {
			return dt, true
		}
	}
	return instainstru.Date{}, false
}

// dateExprAt reads one date phrase at j.
func (s *state) dateExprAt(j int) (dayExpr, int, bool) {
	t := s.tok(j)
	switch {
	case t == "today":
		return one(s.today, 1)
	case t == "tonight" || t == "tonite" || t == "2nite":
		d, n, ok := one(s.today, 1)
		d.tonight = true
		return d, n, ok
	case tomorrowWords[t]:
		return one(s.today.AddDays(1), 1)
	case t == "day" && s.tok(j+1) == "after" && tomorrowWords[s.tok(j+2)]:
		return one(s.today.AddDays(2), 3)
	case t == "overmorrow":
		return one(s.today.AddDays(2), 1)
	}
	// this / next / coming + weekend, week, month, weekday
	k, mode := j, ""
	switch t {
	case "this", "coming":
		k, mode = j+1, "this"
		if t == "this" && s.tok(j+1) == "coming" {
			k++
		}
	case "next":
		k, mode = j+1, "next"
	case "every":
		k, mode = j+1, "every"
	}
	w := s.tok(k)
	wkStart := s.today.WeekStart()
	switch w {
	case "weekend", "weekends":
		sat := wkStart.AddDays(5)
		if mode == "next" {
			sat = sat.AddDays(7)
		}
		from := sat
		if from.Before(s.today) {
			from = s.today // Sunday: what is left of this weekend
		}
		return dayExpr{from: from, to: sat.AddDays(1), wd: -1}, k + 1 - j, true
	case "week":
		switch mode {
		case "this":
			return dayExpr{from: s.today, to: wkStart.AddDays(6), wd: -1}, k + 1 - j, true
		case "next":
			return dayExpr{from: wkStart.AddDays(7), to: wkStart.AddDays(13), wd: -1}, k + 1 - j, true
		}
	case "month":
		first := instainstru.Date{Year: s.today.Year, Month: s.today.Month, Day: 1}
		switch mode {
		case "this":
			return dayExpr{from: s.today, to: lastOfMonth(first), wd: -1}, k + 1 - j, true
		case "next":
			nf := lastOfMonth(first).AddDays(1)
			return dayExpr{from: nf, to: lastOfMonth(nf), wd: -1}, k + 1 - j, true
		}
	}
	if wd, ok := weekdayNames[w]; ok {
		if w == "sat" && mode == "" && !s.satIsSaturday(k) {
			return dayExpr{}, 0, false
		}
		return dayExpr{wd: wd, nextWeek: mode == "next"}, k + 1 - j, true
	}
	if mode != "" {
		return dayExpr{}, 0, false
	}
	return s.calendarDateAt(j)
}

func lastOfMonth(first instainstru.Date) instainstru.Date {
	return instainstru.DateOf(time.Date(first.Year, first.Month+1, 0, 0, 0, 0, 0, time.UTC))
}

// satIsSaturday decides whether a lone "sat" at k is Saturday: only with a word before it that
// introduces a day ("on sat", "fri or sat") or a time of day after it ("sat morning",
// "sat at 10am"). Otherwise it is the SAT exam, a catalog term.
func (s *state) satIsSaturday(k int) bool {
	if k > 0 && satPrefix[s.toks[k-1]] {
		return true
	}
	if k > 1 && joinWords[s.toks[k-1]] {
		if _, ok := weekdayNames[s.toks[k-2]]; ok { // "fri or sat", "fri-sat"
			return true
		}
	}
	nx := s.tok(k + 1)
	if dayPartWords[nx] {
		return true
	}
	if c, ok := s.clockAt(k + 1); ok && c.sure {
		return true
	}
	switch nx {
	case "at", "after", "before", "from", "between", "by", "until":
		_, ok := s.clockAt(k + 2)
		return ok
	}
	return false
}

// calendarDateAt reads "dec 5", "december 5th", "dec. 5, 2026", "5 dec", "5th of december",
// "12/5", "12/5/26", "2026-12-05", "2026/12/05".
func (s *state) calendarDateAt(j int) (dayExpr, int, bool) {
	t := s.tok(j)
	md := func(d instainstru.Date, n int) (dayExpr, int, bool) {
		return dayExpr{from: d, to: d, wd: -1, monthDay: true}, n, true
	}
	// month name first
	if m, ok := monthNames[t]; ok {
		k := j + 1
		if s.tok(k) == "." {
			k++
		}
		if s.tok(k) == "the" {
			k++
		}
		day, ok := atoi(ordinal(s.tok(k)))
		if !ok || day < 1 || day > 31 {
			return s.wholeMonth(t, m)
		}
		k++
		y, yn := s.yearAt(k)
		d, ok := s.monthDay(y, m, day)
		if !ok {
			return dayExpr{invalid: true}, k + yn - j, true // "feb 30": read, and dropped
		}
		return md(d, k+yn-j)
	}
	// day first: "5 dec", "5th of december", "the 5th of december" ("the" is filler, skipped before)
	if day, ok := atoi(ordinal(t)); ok && day >= 1 && day <= 31 && len(t) <= 4 {
		k := j + 1
		if s.tok(k) == "of" {
			k++
		}
		if m, ok := monthNames[s.tok(k)]; ok {
			k++
			if s.tok(k) == "." {
				k++
			}
			y, yn := s.yearAt(k)
			if d, ok := s.monthDay(y, m, day); ok {
				return md(d, k+yn-j)
			}
		}
		return dayExpr{}, 0, false
	}
	if len(t) == 4 {
		if y, ok := atoi(t); ok && s.tok(j+1) == "-" && s.tok(j+3) == "-" {
			mo, ok1 := atoi(s.tok(j + 2))
			dd, ok2 := atoi(s.tok(j + 4))
			if ok1 && ok2 && len(s.tok(j+2)) <= 2 && len(s.tok(j+4)) <= 2 {
				if d, ok := validDate(y, time.Month(mo), dd); ok {
					return one(d, 5)
				}
			}
		}
	}
	// slashes: m/d, m/d/y, y/m/d
	if parts, ok := slashParts(t); ok {
		switch {
		case len(parts) == 2:
			if d, ok := s.monthDay(0, parts[0], parts[1]); ok {
				return md(d, 1)
			}
		case len(parts) == 3 && parts[0] >= 1000:
			if d, ok := validDate(parts[0], time.Month(parts[1]), parts[2]); ok {
				return one(d, 1)
			}
		case len(parts) == 3 && (parts[2] < 100 || parts[2] >= 1000):
			if d, ok := s.monthDay(parts[2], parts[0], parts[1]); ok {
				return one(d, 1)
			}
		}
	}
	return dayExpr{}, 0, false
}

// wholeMonth reads a month named alone ("in december") as the rest of it when it is this month,
// else its next occurrence. Only full names, and not "may", which is mostly a verb.
func (s *state) wholeMonth(t string, m int) (dayExpr, int, bool) {
	if len(t) <= 4 && t != "june" && t != "july" || t == "may" || t == "sept" {
		return dayExpr{}, 0, false
	}
	y := s.today.Year
	if time.Month(m) < s.today.Month {
		y++
	}
	first := instainstru.Date{Year: y, Month: time.Month(m), Day: 1}
	from := first
	if from.Before(s.today) {
		from = s.today
	}
	return dayExpr{from: from, to: lastOfMonth(first), wd: -1}, 1, true
}

func one(d instainstru.Date, n int) (dayExpr, int, bool) {
	return dayExpr{from: d, to: d, wd: -1}, n, true
}

// yearAt reads an optional ", 2026" / "2026" / "'26" after a month and day.
func (s *state) yearAt(k int) (int, int) {
	n := 0
	if s.tok(k) == "," {
		n = 1
	}
	t := s.tok(k + n)
	if len(t) == 4 {
		if y, ok := atoi(t); ok && y >= 2000 && y <= 2100 {
			return y, n + 1
		}
	}
	return 0, 0
}

// slashParts splits "12/5" or "12/5/2026" into numbers.
func slashParts(t string) ([]int, bool) {
	var parts []int
	start := 0
	for i := 0; i <= len(t); i++ {
		if i == len(t) || t[i] == '/' {
			n, ok := atoi(t[start:i])
			if !ok {
				return nil, false
			}
			parts = append(parts, n)
			start = i + 1
		}
	}
	return parts, len(parts) == 2 || len(parts) == 3
}

// placeWeekday dates a weekday: "next friday" is the Friday of next week; otherwise the first
// such day inside a range the query also named ("next week tuesday"), else the next such day,
// today included.
func (s *state) placeWeekday(d dayExpr, ranges []dateC) instainstru.Date {
	if d.nextWeek {
		return s.today.WeekStart().AddDays(7 + (d.wd+6)%7)
	}
	for _, r := range ranges {
		if c := nextWeekday(r.from, d.wd); !c.After(r.to) {
			return c
		}
	}
	return nextWeekday(s.today, d.wd)
}
