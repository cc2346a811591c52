package instainstru

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Public availability: what a visitor may book, computed from the instructor's availability
// ("the rug") minus confirmed bookings widened by the instructor's current buffer, minus the past
// and the minimum-advance window, in the instructor's zone.
//
// The computation agrees exactly with the rulebook (ResolveLesson and Calendar.CheckLesson in
// calendar.go), which it shares its primitives with: every lesson that starts on the 15-minute
// grid, lasts a multiple of 15 minutes and lies inside one listed range is accepted by those rules
// at the instant the ranges were computed, and no accepted lesson lies outside the listed ranges
// (TestBookableAgreesWithBookingRules checks it on random calendars and every DST date).
// Lessons that cross a daylight-saving change are refused by the rules (wall clock and elapsed
// time would disagree), so the ranges of such a date stop short of the change.

// PublicDetailLevel is how much of an instructor's bookable time the public endpoints reveal.
type PublicDetailLevel string

// Detail levels of PUBLIC_AVAILABILITY_DETAIL_LEVEL.
const (
	DetailFull    PublicDetailLevel = "full"    // every bookable range
	DetailSummary PublicDetailLevel = "summary" // morning / afternoon / evening flags per date
	DetailMinimal PublicDetailLevel = "minimal" // one has-availability flag per date
)

// ValidDetailLevel reports whether l is one of the three detail levels.
func ValidDetailLevel(l PublicDetailLevel) bool {
	return l == DetailFull || l == DetailSummary || l == DetailMinimal
}

// BookedSpan is a confirmed booking as the rules need it: when it takes place and until when it
// blocks the instructor (its end plus the buffer in force when it was booked; zero means its end).
// No id, student or service ever travels with it, so nothing private can leak from it.
type BookedSpan struct {
	StartsAt     time.Time
	EndsAt       time.Time
	BlockedUntil time.Time
}

// PublicCalendar is everything the public view of one instructor needs for a window of dates
// [From, To], as stored. Nothing in it depends on the current time, so a cache may keep it for a
// while: the request applies "now" and the minimum-advance window when it reads it. Its fields
// are plain exported values so it encodes to JSON and back without loss.
type PublicCalendar struct {
	InstructorID           string
	FullName               string
	Timezone               string
	AccountStatus          AccountStatus
	MinAdvanceBookingHours int
	// BufferMinutes is the instructor's current buffer: a new lesson must end this long before an
	// existing booking starts; after a booking, the buffer stored with it applies (BlockedUntil),
	// exactly as the booking rules and the database constraint do.
	BufferMinutes int
	// ShortestDuration is the shortest duration option of the instructor's active offers, 0 when
	// there is none.
	ShortestDuration int
	From             Date
	To               Date
	// Availability holds the dates of the window that have ranges, in date order.
	Availability []DayAvailability
	// Blackouts are the window's blackout dates. Adding a blackout clears the date's ranges; a
	// blackout date is treated as empty anyway, so a stray row can never be shown.
	Blackouts []Date
	// Bookings are the confirmed bookings that can affect any date of the window.
	Bookings []BookedSpan
	// Version identifies the state of the instructor's public data the calendar was read at, when
	// the reader knows it (the cache sets the version of the instructor's availability namespace;
	// it changes with every booking, cancellation, availability or profile write): two calendars
	// of one instructor and window with the same non-zero Version have the same content, so
	// whatever is derived from one may be reused for the other. 0 means unknown (a direct store
	// read): nothing derived from the calendar may be reused.
	Version int64
}

// calendarBlock is the grid public calendars are loaded (and cached) on: a window asked is
// widened to whole blocks, so a cache holds a few calendars per instructor whatever windows are
// asked, instead of one per (start, end) pair. 28 days from a Monday: a 7-day view needs one or
// two blocks.
const calendarBlock = 28

var calendarAnchor = Date{Year: 2000, Month: 1, Day: 3}

// CalendarWindow widens the dates [lo, hi] to whole blocks of the calendar grid: the window a
// public calendar for them is loaded with (the API and cache warming use it, so they meet in the
// cache).
func CalendarWindow(lo, hi Date) (Date, Date) {
	down := func(d Date) Date {
		n := calendarAnchor.DaysUntil(d)
		return calendarAnchor.AddDays(n - ((n%calendarBlock)+calendarBlock)%calendarBlock)
	}
	return down(lo), down(hi).AddDays(calendarBlock - 1)
}

// Visible reports whether the instructor may be shown publicly at all: suspended and
// deactivated instructors are hidden.
func (c *PublicCalendar) Visible() bool { return c.AccountStatus == StatusActive }

// BookableDay is one date's bookable wall-clock ranges, sorted, each on the 15-minute grid.
// Ranges may touch without being merged when a lesson could not cross the point where they meet.
type BookableDay struct {
	Date   Date
	Ranges []TimeRange
}

// PublicAvailabilityReader loads the public calendar of an instructor for the dates [from, to].
// An unknown id, a malformed id or a user who is not an instructor is not_found; a suspended or
// deactivated instructor is returned (with its status) so a cache can hold the answer, and the
// caller hides it.
type PublicAvailabilityReader interface {
	PublicCalendar(ctx context.Context, instructorID string, from, to Date) (*PublicCalendar, error)
}

// Bookable computes the bookable ranges of every date in [from, to] at instant now. The window
// must lie inside the calendar's window.
func (c *PublicCalendar) Bookable(now time.Time, from, to Date, horizonDays int) ([]BookableDay, error) {
	if from.After(to) || from.Before(c.From) || to.After(c.To) {
		return nil, Internal(fmt.Errorf("public calendar holds %s..%s, asked for %s..%s", c.From, c.To, from, to))
	}
	loc, err := LoadZone(c.Timezone)
	if err != nil {
		return nil, Internal(fmt.Errorf("instructor %s has unknown zone %q", c.InstructorID, c.Timezone))
	}
	cal := Calendar{Loc: loc, Availability: make(map[Date][]TimeRange, len(c.Availability)),
		Blackouts: make(map[Date]bool, len(c.Blackouts)), Bookings: c.Bookings}
	for _, d := range c.Availability {
		cal.Availability[d.Date] = append(cal.Availability[d.Date], d.Ranges...)
	}
	for _, b := range c.Blackouts {
		cal.Blackouts[b] = true
	}
	rules := BookingRules{
		Now:        now,
		MinAdvance: time.Duration(c.MinAdvanceBookingHours) * time.Hour,
		Buffer:     time.Duration(c.BufferMinutes) * time.Minute,
		Horizon:    horizonDays,
	}
	out := make([]BookableDay, 0, from.DaysUntil(to)+1)
	for d := from; !d.After(to); d = d.AddDays(1) {
		out = append(out, BookableDay{Date: d, Ranges: cal.Bookable(d, rules)})
	}
	return out, nil
}

// BookingRules are the time rules a new lesson must meet besides lying inside availability.
type BookingRules struct {
	// Now is the instant the answer is for.
	Now time.Time
	// MinAdvance: a lesson must start at least this long after Now (and always after Now).
	MinAdvance time.Duration
	// Buffer widens every booking on both sides.
	Buffer time.Duration
	// Horizon: no lesson on a date more than this many days after today (in the instructor's
	// zone); 0 means none (AVAILABILITY_HORIZON_DAYS).
	Horizon int
}

// beyondHorizon reports whether date d in loc lies past the horizon of r.
func (r BookingRules) beyondHorizon(d Date, loc *time.Location) bool {
	return r.Horizon > 0 && d.After(DateOf(r.Now.In(loc)).AddDays(r.Horizon))
}

// BookableRanges returns the wall-clock ranges of date d (in loc) in which a lesson can be booked:
// the availability ranges avail, minus every booking widened by the buffer, minus the start
// times that are past or inside the minimum-advance window (the cut is rounded up to the
// 15-minute grid), minus the wall-clock times a lesson cannot use because of a clock change.
// The result is sorted and on the 15-minute grid; it is empty, never nil, when nothing is left.
func BookableRanges(d Date, avail []TimeRange, bookings []BookedSpan, loc *time.Location, rules BookingRules) []TimeRange {
	out := []TimeRange{}
	if len(avail) == 0 || rules.beyondHorizon(d, loc) {
		return out
	}
	avail = NormalizeRanges(avail)
	earliest := rules.earliestStart()
	for _, run := range clockRuns(d, loc) {
		base := clipRanges(avail, run.Start, run.End)
		if len(base) == 0 {
			continue
		}
		runEnd := run.at(run.End)
		var cuts []TimeRange
		// Starts before `earliest` are refused; later wall minutes of the run are later instants.
		if first := run.Start + Minute(clampMinutes(ceilMinutes(earliest.Sub(run.At)), run.Len())); first > run.Start {
			cuts = append(cuts, TimeRange{run.Start, first})
		}
		for _, b := range bookings {
			lo, hi := rules.blocks(b)
			if !lo.Before(runEnd) || !hi.After(run.At) {
				continue
			}
			// A lesson [a, b) conflicts when a < hi and b > lo: in wall minutes it must end at or
			// before floor(lo) or start at or after ceil(hi).
			s := run.Start + Minute(clampMinutes(floorMinutes(lo.Sub(run.At)), run.Len()))
			e := run.Start + Minute(clampMinutes(ceilMinutes(hi.Sub(run.At)), run.Len()))
			if s < e {
				cuts = append(cuts, TimeRange{s, e})
			}
		}
		for _, r := range SubtractRanges(base, cuts) {
			// Lessons start on the grid and last multiples of 15 minutes: shrink to the grid.
			r.Start = Minute(ceilDiv(int64(r.Start), DurationGrid) * DurationGrid)
			r.End = Minute(floorDiv(int64(r.End), DurationGrid) * DurationGrid)
			if r.Start < r.End {
				out = append(out, r)
			}
		}
	}
	return out
}

// clockRun is a stretch [Start, End) of a date's wall clock that maps linearly onto elapsed time
// from instant At, and inside which every grid-aligned lesson passes the booking rules' wall-clock
// checks (its start exists and its end reads start plus duration on the same date, or 24:00).
type clockRun struct {
	Start, End Minute
	At         time.Time
}

func (r clockRun) Len() int { return int(r.End - r.Start) }

// at is the instant of wall minute m of the run.
func (r clockRun) at(m Minute) time.Time { return r.At.Add(time.Duration(m-r.Start) * time.Minute) }

// clockRuns splits date d's wall clock in loc into runs. On an ordinary date (no clock change
// from its midnight to the next) it is one run of the whole day. On a date with a change, each
// 15-minute cell is checked with the same functions the booking rules use, and consecutive valid
// cells that follow each other in elapsed time form a run.
func clockRuns(d Date, loc *time.Location) []clockRun {
	if start, err := ResolveLocal(d, 0, loc); err == nil {
		if _, end := start.ZoneBounds(); end.IsZero() || end.After(start.Add(24*time.Hour)) {
			return []clockRun{{Start: 0, End: EndOfDay, At: start}}
		}
	}
	return clockRunsByCell(d, loc)
}

// clockRunsByCell is the general path of clockRuns, cell by cell.
func clockRunsByCell(d Date, loc *time.Location) []clockRun {
	const cell = time.Duration(DurationGrid) * time.Minute
	var runs []clockRun
	var next time.Time // the instant at which the last run's next cell must start to extend it
	for m := Minute(0); m < EndOfDay; m += DurationGrid {
		at, err := ResolveLocal(d, m, loc)
		if err != nil || !wallEndAgrees(d, m+DurationGrid, at.Add(cell), loc) {
			next = time.Time{}
			continue
		}
		if !next.IsZero() && at.Equal(next) {
			runs[len(runs)-1].End = m + DurationGrid
		} else {
			runs = append(runs, clockRun{Start: m, End: m + DurationGrid, At: at})
		}
		next = at.Add(cell)
	}
	return runs
}

// wallEndAgrees is the booking rules' end check: instant endsAt must read wall minute end on d,
// or midnight of the next date when end is 24:00.
func wallEndAgrees(d Date, end Minute, endsAt time.Time, loc *time.Location) bool {
	ed, em := LocalMinute(endsAt, loc)
	return (ed == d && em == end) || (end == EndOfDay && ed == d.AddDays(1) && em == 0)
}

// clipRanges intersects normalized ranges with [lo, hi).
func clipRanges(rs []TimeRange, lo, hi Minute) []TimeRange {
	var out []TimeRange
	for _, r := range rs {
		if r.Start < lo {
			r.Start = lo
		}
		if r.End > hi {
			r.End = hi
		}
		if r.Start < r.End {
			out = append(out, r)
		}
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

func floorMinutes(d time.Duration) int64 { return floorDiv(int64(d), int64(time.Minute)) }

func ceilMinutes(d time.Duration) int64 { return ceilDiv(int64(d), int64(time.Minute)) }

func clampMinutes(v int64, max int) int64 {
	if v < 0 {
		return 0
	}
	if v > int64(max) {
		return int64(max)
	}
	return v
}

// FitLesson keeps the ranges long enough for a lesson of minutes (all of them when minutes <= 0).
func FitLesson(ranges []TimeRange, minutes int) []TimeRange {
	out := make([]TimeRange, 0, len(ranges))
	for _, r := range ranges {
		if r.Len() >= minutes {
			out = append(out, r)
		}
	}
	return out
}

// Periods of the summary detail level: morning is before 12:00, afternoon 12:00–17:00, evening
// after 17:00.
var (
	Morning   = TimeRange{Start: 0, End: 12 * 60}
	Afternoon = TimeRange{Start: 12 * 60, End: 17 * 60}
	Evening   = TimeRange{Start: 17 * 60, End: EndOfDay}
)

// DaySummary says which periods of a date have bookable time.
type DaySummary struct {
	Morning, Afternoon, Evening bool
}

// Summarize reduces a date's ranges to periods: a period counts when any range overlaps it.
func Summarize(ranges []TimeRange) DaySummary {
	var s DaySummary
	for _, r := range ranges {
		s.Morning = s.Morning || r.Overlaps(Morning)
		s.Afternoon = s.Afternoon || r.Overlaps(Afternoon)
		s.Evening = s.Evening || r.Overlaps(Evening)
	}
	return s
}

// HasAvailability is the minimal detail level: whether a date has any bookable range.
func HasAvailability(ranges []TimeRange) bool { return len(ranges) > 0 }

// NextSlot finds the earliest lesson of minutes in days (in date order): its date and wall-clock
// range, whose start is the earliest possible start. found is false when none fits.
func NextSlot(days []BookableDay, minutes int) (d Date, r TimeRange, found bool) {
	for _, day := range days {
		for _, rg := range day.Ranges {
			if rg.Len() >= minutes {
				return day.Date, TimeRange{Start: rg.Start, End: rg.Start + Minute(minutes)}, true
			}
		}
	}
	return Date{}, TimeRange{}, false
}

// PublicName is how an instructor is named publicly: first name plus last initial ("Sarah C.").
// A single name is shown alone.
func PublicName(fullName string) string {
	parts := strings.Fields(fullName)
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	initial, _ := utf8.DecodeRuneInString(parts[len(parts)-1])
	return parts[0] + " " + string(unicode.ToUpper(initial)) + "."
}

// zones caches loaded time zones: time.LoadLocation reads and parses the tz database on every
// call, and public reads resolve a zone per request.
var zones sync.Map // name -> *time.Location

// LoadZone is time.LoadLocation with a cache. Like ValidTimezone, it refuses "" and "Local": no
// code uses the server's local zone.
func LoadZone(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("%q is not an IANA time zone", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}
