package instainstru

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ranges parses "09:00-12:00" strings; "24:00" is allowed as an end.
func ranges(t testing.TB, specs ...string) []TimeRange {
	t.Helper()
	out := []TimeRange{}
	for _, s := range specs {
		a, b, ok := strings.Cut(s, "-")
		require.True(t, ok, s)
		st, err := ParseMinute(a, false)
		require.NoError(t, err)
		en, err := ParseMinute(b, true)
		require.NoError(t, err)
		out = append(out, TimeRange{st, en})
	}
	return out
}

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := LoadZone(name)
	require.NoError(t, err)
	return loc
}

// wall is the instant of "2026-11-23 19:00" (first occurrence) in loc.
func wall(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	ds, ms, ok := strings.Cut(s, " ")
	require.True(t, ok, s)
	d, err := ParseDate(ds)
	require.NoError(t, err)
	m, err := ParseMinute(ms, false)
	require.NoError(t, err)
	at, err := ResolveLocal(d, m, loc)
	require.NoError(t, err)
	return at
}

func date(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	require.NoError(t, err)
	return d
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// span is a booking [start, start+minutes) with no stored buffer (blocked until its end).
func span(start time.Time, minutes int) BookedSpan {
	return BookedSpan{StartsAt: start, EndsAt: start.Add(time.Duration(minutes) * time.Minute)}
}

// withBuffer is b as booked while the buffer was minutes: it blocks that long after its end.
func withBuffer(b BookedSpan, minutes int) BookedSpan {
	b.BlockedUntil = b.EndsAt.Add(time.Duration(minutes) * time.Minute)
	return b
}

func TestBookableRanges(t *testing.T) {
	ny, syd := zone(t, "America/New_York"), zone(t, "Australia/Sydney")
	longAgo := utc("2026-01-01 00:00")
	type tc struct {
		name     string
		loc      *time.Location
		date     string
		avail    []string
		bookings []BookedSpan
		buffer   int
		now      time.Time
		advance  time.Duration
		want     []string
	}
	cases := []tc{
		{name: "no bookings: availability as is", loc: ny, date: "2026-11-23",
			avail: []string{"09:00-12:00", "13:00-17:00"}, now: longAgo, want: []string{"09:00-12:00", "13:00-17:00"}},
		{name: "unnormalized availability is merged", loc: ny, date: "2026-11-23",
			avail: []string{"10:00-11:00", "09:00-10:00", "10:30-12:00"}, now: longAgo, want: []string{"09:00-12:00"}},
		{name: "end of day is 24:00", loc: ny, date: "2026-11-23",
			avail: []string{"22:00-24:00"}, now: longAgo, want: []string{"22:00-24:00"}},
		{name: "booking splits a range", loc: ny, date: "2026-11-23", avail: []string{"09:00-12:00"},
			bookings: []BookedSpan{span(wall(t, ny, "2026-11-23 10:00"), 60)}, now: longAgo,
			want: []string{"09:00-10:00", "11:00-12:00"}},
		{name: "buffer widens both sides", loc: ny, date: "2026-11-23", avail: []string{"09:00-12:00"},
			bookings: []BookedSpan{span(wall(t, ny, "2026-11-23 10:00"), 60)}, buffer: 15, now: longAgo,
			want: []string{"09:00-09:45", "11:15-12:00"}},
		{name: "buffer of a booking before the range eats its start", loc: ny, date: "2026-11-23",
			avail: []string{"09:00-12:00"}, bookings: []BookedSpan{span(wall(t, ny, "2026-11-23 08:00"), 60)},
			buffer: 30, now: longAgo, want: []string{"09:30-12:00"}},
		{name: "buffer of a booking after the range eats its end", loc: ny, date: "2026-11-23",
			avail: []string{"09:00-12:00"}, bookings: []BookedSpan{span(wall(t, ny, "2026-11-23 12:00"), 60)},
			buffer: 30, now: longAgo, want: []string{"09:00-11:30"}},
		{name: "booking touching the range without buffer leaves it whole", loc: ny, date: "2026-11-23",
			avail: []string{"09:00-12:00"}, bookings: []BookedSpan{span(wall(t, ny, "2026-11-23 08:00"), 60),
				span(wall(t, ny, "2026-11-23 12:00"), 60)}, now: longAgo, want: []string{"09:00-12:00"}},
		{name: "buffer off the grid rounds inward", loc: ny, date: "2026-11-23", avail: []string{"09:00-12:00"},
			bookings: []BookedSpan{span(wall(t, ny, "2026-11-23 10:00"), 60)}, buffer: 10, now: longAgo,
			want: []string{"09:00-09:45", "11:15-12:00"}},
		{name: "buffers of neighbouring bookings close the gap", loc: ny, date: "2026-11-23",
			avail: []string{"09:00-13:00"}, bookings: []BookedSpan{span(wall(t, ny, "2026-11-23 09:30"), 60),
				span(wall(t, ny, "2026-11-23 11:00"), 60)}, buffer: 15, now: longAgo,
			want: []string{"09:00-09:15", "12:15-13:00"}},
		{name: "booking straddling midnight in UTC but not locally", loc: ny, date: "2026-11-23",
			avail: []string{"17:00-22:00"}, bookings: []BookedSpan{span(utc("2026-11-24 00:00"), 90)}, now: longAgo,
			want: []string{"17:00-19:00", "20:30-22:00"}},
		{name: "a booking on the next local date on the same UTC date is ignored", loc: ny, date: "2026-11-23",
			avail: []string{"17:00-22:00"}, bookings: []BookedSpan{span(wall(t, ny, "2026-11-24 09:00"), 60)},
			now: longAgo, want: []string{"17:00-22:00"}},
		{name: "buffer of the previous evening's lesson reaches past local midnight", loc: ny, date: "2026-11-23",
			avail: []string{"00:00-03:00"}, bookings: []BookedSpan{span(wall(t, ny, "2026-11-22 23:00"), 60)},
			buffer: 30, now: longAgo, want: []string{"00:30-03:00"}},
		{name: "min advance cuts mid-range, rounded up to the grid", loc: ny, date: "2026-11-23",
			avail: []string{"09:00-12:00"}, now: wall(t, ny, "2026-11-23 08:07"), advance: 2 * time.Hour,
			want: []string{"10:15-12:00"}},
		{name: "min advance landing on the grid keeps that start", loc: ny, date: "2026-11-23",
			avail: []string{"09:00-12:00"}, now: wall(t, ny, "2026-11-23 08:00"), advance: 2 * time.Hour,
			want: []string{"10:00-12:00"}},
		{name: "min advance reaching the next date", loc: ny, date: "2026-11-24",
			avail: []string{"00:00-24:00"}, now: wall(t, ny, "2026-11-23 20:50"), advance: 5 * time.Hour,
			want: []string{"02:00-24:00"}},
		{name: "without advance a lesson must still start after now", loc: ny, date: "2026-11-23",
			avail: []string{"09:00-12:00"}, now: wall(t, ny, "2026-11-23 10:00"), want: []string{"10:15-12:00"}},
		{name: "seconds past a grid minute round up", loc: ny, date: "2026-11-23",
			avail: []string{"09:00-12:00"}, now: wall(t, ny, "2026-11-23 09:44").Add(59 * time.Second),
			want: []string{"09:45-12:00"}},
		{name: "today's past hours are removed", loc: ny, date: "2026-11-23",
			avail: []string{"09:00-12:00", "13:00-17:00"}, now: wall(t, ny, "2026-11-23 14:20"),
			want: []string{"14:30-17:00"}},
		{name: "a past date is empty", loc: ny, date: "2026-11-22",
			avail: []string{"09:00-17:00"}, now: wall(t, ny, "2026-11-23 08:00"), want: []string{}},
		{name: "no availability", loc: ny, date: "2026-11-23", now: longAgo, want: []string{}},
		// America/New_York springs forward on 2026-03-08 at 02:00 EST to 03:00 EDT: 02:00-03:00
		// does not exist, and a lesson ending at 02:00 would read 03:00, so it is refused too.
		{name: "spring forward, whole day", loc: ny, date: "2026-03-08", avail: []string{"00:00-24:00"},
			now: longAgo, want: []string{"00:00-01:45", "03:00-24:00"}},
		{name: "spring forward, range across the gap", loc: ny, date: "2026-03-08",
			avail: []string{"01:00-04:00"}, now: longAgo, want: []string{"01:00-01:45", "03:00-04:00"}},
		{name: "spring forward with a buffered booking after the gap", loc: ny, date: "2026-03-08",
			avail: []string{"00:00-06:00"}, bookings: []BookedSpan{span(wall(t, ny, "2026-03-08 03:00"), 60)},
			buffer: 30, now: longAgo, want: []string{"00:00-01:30", "04:30-06:00"}},
		{name: "spring forward, advance counted in elapsed time", loc: ny, date: "2026-03-08",
			avail: []string{"00:00-24:00"}, now: wall(t, ny, "2026-03-08 00:30"), advance: 2 * time.Hour,
			want: []string{"03:30-24:00"}},
		// It falls back on 2026-11-01 at 02:00 EDT to 01:00 EST: 01:00-02:00 happens twice, a
		// wall time there means its first occurrence, and no lesson can cross the change.
		{name: "fall back, whole day", loc: ny, date: "2026-11-01", avail: []string{"00:00-24:00"},
			now: longAgo, want: []string{"00:00-01:45", "02:00-24:00"}},
		{name: "fall back, booking in the repeated hour's second occurrence", loc: ny, date: "2026-11-01",
			avail: []string{"00:00-04:00"}, bookings: []BookedSpan{span(utc("2026-11-01 06:30"), 60)},
			now: longAgo, want: []string{"00:00-01:45", "02:30-04:00"}},
		{name: "fall back, booking in the repeated hour's first occurrence", loc: ny, date: "2026-11-01",
			avail: []string{"00:00-04:00"}, bookings: []BookedSpan{span(utc("2026-11-01 05:00"), 30)},
			now: longAgo, want: []string{"00:00-01:00", "01:30-01:45", "02:00-04:00"}},
		// Australia/Sydney: DST ends 2026-04-05 (03:00 AEDT back to 02:00 AEST), starts 2026-10-04
		// (02:00 AEST forward to 03:00 AEDT).
		{name: "southern autumn fall back", loc: syd, date: "2026-04-05", avail: []string{"00:00-24:00"},
			now: longAgo, want: []string{"00:00-02:45", "03:00-24:00"}},
		{name: "southern spring forward", loc: syd, date: "2026-10-04", avail: []string{"00:00-24:00"},
			now: longAgo, want: []string{"00:00-01:45", "03:00-24:00"}},
		// The buffer changed after the booking: before it the current buffer applies, after it
		// the stored one (what the database's exclusion constraint compares).
		{name: "buffer lowered since the booking", loc: ny, date: "2026-11-23", avail: []string{"09:00-12:00"},
			bookings: []BookedSpan{withBuffer(span(wall(t, ny, "2026-11-23 10:00"), 60), 30)}, buffer: 0, now: longAgo,
			want: []string{"09:00-10:00", "11:30-12:00"}},
		{name: "buffer raised since the booking", loc: ny, date: "2026-11-23", avail: []string{"09:00-12:00"},
			bookings: []BookedSpan{withBuffer(span(wall(t, ny, "2026-11-23 10:00"), 60), 0)}, buffer: 30, now: longAgo,
			want: []string{"09:00-09:30", "11:00-12:00"}},
		{name: "southern ordinary day with a booking", loc: syd, date: "2026-07-15", avail: []string{"08:00-12:00"},
			bookings: []BookedSpan{span(utc("2026-07-14 23:00"), 60)}, buffer: 15, now: longAgo,
			want: []string{"08:00-08:45", "10:15-12:00"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Unless a case says otherwise, its bookings were made under the current buffer.
			for i, b := range c.bookings {
				if b.BlockedUntil.IsZero() {
					c.bookings[i] = withBuffer(b, c.buffer)
				}
			}
			d := date(t, c.date)
			rules := BookingRules{Now: c.now, MinAdvance: c.advance, Buffer: time.Duration(c.buffer) * time.Minute}
			got := BookableRanges(d, ranges(t, c.avail...), c.bookings, c.loc, rules)
			require.Equal(t, ranges(t, c.want...), got)
			// Whatever the case, every listed lesson passes the booking rules and no other does.
			cal := &Calendar{Loc: c.loc, Availability: map[Date][]TimeRange{d: NormalizeRanges(ranges(t, c.avail...))}, Bookings: c.bookings}
			requireAgreesWithRules(t, d, cal, rules, got)
		})
	}
}

// requireAgreesWithRules checks every grid lesson of every allowed duration on d: it lies inside
// one of got exactly when the rulebook (ResolveLesson, then Calendar.CheckLesson) accepts it.
func requireAgreesWithRules(t testing.TB, d Date, cal *Calendar, r BookingRules, got []TimeRange) {
	t.Helper()
	for start := Minute(0); start < EndOfDay; start += DurationGrid {
		for dur := MinDuration; dur <= MaxDuration && start+Minute(dur) <= EndOfDay; dur += DurationGrid {
			l, err := ResolveLesson(d, start, dur, cal.Loc)
			if err == nil {
				err = cal.CheckLesson(l, r)
			}
			want := err == nil
			listed := slices.ContainsFunc(got, func(g TimeRange) bool { return g.Contains(TimeRange{start, start + Minute(dur)}) })
			if want != listed {
				require.Failf(t, "public ranges disagree with the booking rules",
					"%s %s %s +%d min: rules say %v, listed=%v (ranges %v, avail %v, blackout %v, now %s, advance %s, buffer %s, bookings %v)",
					cal.Loc, d, start, dur, err, listed, got, cal.Availability[d], cal.Blackouts[d], r.Now.In(cal.Loc), r.MinAdvance, r.Buffer, cal.Bookings)
			}
		}
	}
}

// testZones cover northern and southern DST, half-hour DST (Lord Howe), 45-minute offsets
// (Chatham), changes at midnight (Havana, Santiago) and zones without DST.
var testZones = []string{"America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham",
	"America/Havana", "America/Santiago", "Europe/London", "Asia/Kolkata", "America/Sao_Paulo", "UTC"}

// changeDates lists the dates of 2026 in loc whose midnight-to-midnight span holds a clock change.
func changeDates(loc *time.Location) []Date {
	var out []Date
	for d := (Date{2026, 1, 1}); d.Before(Date{2027, 1, 1}); d = d.AddDays(1) {
		a := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
		b := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc).AddDate(0, 0, 1)
		if b.Sub(a) != 24*time.Hour {
			out = append(out, d)
		}
		_, off1 := a.Zone()
		_, off2 := b.Zone()
		if off1 != off2 && (len(out) == 0 || out[len(out)-1] != d) {
			out = append(out, d)
		}
	}
	return out
}

// TestBookableAgreesWithBookingRules is the exhaustive check: on every clock-change date of 2026
// (and the dates around them) and on random ordinary dates, with random availability, bookings,
// buffers, "now" and advance windows, the listed ranges hold exactly the lessons the booking
// rules accept.
func TestBookableAgreesWithBookingRules(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 11))
	for _, name := range testZones {
		loc := zone(t, name)
		dates := []Date{}
		for _, d := range changeDates(loc) {
			dates = append(dates, d.AddDays(-1), d, d.AddDays(1))
		}
		if name == "America/New_York" || name == "Australia/Sydney" {
			require.Len(t, changeDates(loc), 2, name)
		}
		for i := 0; i < 6; i++ {
			dates = append(dates, Date{2026, 1, 1}.AddDays(rng.IntN(365)))
		}
		for _, d := range dates {
			for trial := 0; trial < 3; trial++ {
				cal, rules := randomDay(rng, d, loc)
				got := cal.Bookable(d, rules)
				requireAgreesWithRules(t, d, cal, rules, got)
			}
		}
	}
}

// randomDay is a random calendar around date d: availability (sometimes the whole day), bookings
// from before the date to after it, sometimes a blackout, and random rules.
func randomDay(rng *rand.Rand, d Date, loc *time.Location) (*Calendar, BookingRules) {
	var avail []TimeRange
	if rng.IntN(3) == 0 {
		avail = []TimeRange{{0, EndOfDay}}
	} else {
		for n := rng.IntN(4); n >= 0; n-- {
			s := Minute(rng.IntN(95) * DurationGrid)
			e := s + Minute((1+rng.IntN(40))*DurationGrid)
			if e > EndOfDay {
				e = EndOfDay
			}
			avail = append(avail, TimeRange{s, e})
		}
	}
	midnight := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
	var bookings []BookedSpan
	for n := rng.IntN(5); n > 0; n-- {
		// Instants from 3 hours before the date to 3 hours after it, some off the minute grid.
		start := midnight.Add(-3*time.Hour + time.Duration(rng.IntN(30*60))*time.Minute)
		if rng.IntN(4) == 0 {
			start = start.Add(time.Duration(rng.IntN(60)) * time.Second)
		}
		// Booked under some buffer, not necessarily today's: the rules must read both.
		bookings = append(bookings, withBuffer(span(start, (1+rng.IntN(16))*DurationGrid), rng.IntN(121)))
	}
	advances := []time.Duration{0, 0, time.Hour, 2 * time.Hour, 5 * time.Hour, 24 * time.Hour}
	rules := BookingRules{
		Now:        midnight.Add(-30*time.Hour + time.Duration(rng.Int64N(int64(60*time.Hour)))),
		MinAdvance: advances[rng.IntN(len(advances))],
		Buffer:     time.Duration(rng.IntN(121)) * time.Minute,
		Horizon:    []int{0, 0, 0, 1, 2, 365}[rng.IntN(6)],
	}
	cal := &Calendar{Loc: loc, Availability: map[Date][]TimeRange{d: NormalizeRanges(avail)}, Bookings: bookings}
	if rng.IntN(8) == 0 {
		cal.Blackouts = map[Date]bool{d: true}
	}
	return cal, rules
}

// TestClockRunsFastPathMatchesCells: the one-run shortcut for ordinary dates gives what the
// cell-by-cell path gives, on every date of 2026 in every test zone.
func TestClockRunsFastPathMatchesCells(t *testing.T) {
	for _, name := range testZones {
		loc := zone(t, name)
		transitions := 0
		for d := (Date{2026, 1, 1}); d.Before(Date{2027, 1, 1}); d = d.AddDays(1) {
			slow := clockRunsByCell(d, loc)
			fast := clockRuns(d, loc)
			require.Equal(t, len(slow), len(fast), "%s %s", name, d)
			for i := range slow {
				require.Equal(t, slow[i].Start, fast[i].Start, "%s %s", name, d)
				require.Equal(t, slow[i].End, fast[i].End, "%s %s", name, d)
				require.True(t, slow[i].At.Equal(fast[i].At), "%s %s", name, d)
			}
			if len(slow) != 1 || slow[0].Start != 0 || slow[0].End != EndOfDay {
				transitions++
			}
		}
		// The test must exercise the cell path: zones with DST have such dates, others none.
		if len(changeDates(loc)) > 0 {
			require.GreaterOrEqual(t, transitions, 2, "%s: dates with a clock change", name)
		} else {
			require.Zero(t, transitions, "%s: no date has a clock change", name)
		}
	}
}

func TestPublicCalendarBookable(t *testing.T) {
	ny := zone(t, "America/New_York")
	cal := &PublicCalendar{
		InstructorID: "i", FullName: "Sarah Connor", Timezone: "America/New_York", AccountStatus: StatusActive,
		MinAdvanceBookingHours: 2, BufferMinutes: 15, ShortestDuration: 30,
		From: date(t, "2026-11-22"), To: date(t, "2026-11-28"),
		Availability: []DayAvailability{
			{Date: date(t, "2026-11-23"), Ranges: ranges(t, "09:00-12:00")},
			{Date: date(t, "2026-11-24"), Ranges: ranges(t, "09:00-12:00", "14:00-15:00")},
			{Date: date(t, "2026-11-25"), Ranges: ranges(t, "09:00-12:00")},
		},
		Blackouts: []Date{date(t, "2026-11-25")},
		Bookings:  []BookedSpan{withBuffer(span(wall(t, ny, "2026-11-24 10:00"), 60), 15)},
	}
	now := wall(t, ny, "2026-11-23 08:50")
	want := []BookableDay{
		{date(t, "2026-11-23"), ranges(t, "11:00-12:00")},
		{date(t, "2026-11-24"), ranges(t, "09:00-09:45", "11:15-12:00", "14:00-15:00")},
		{date(t, "2026-11-25"), ranges(t)}, // a blackout date is empty even with stray ranges
		{date(t, "2026-11-26"), ranges(t)},
	}
	got, err := cal.Bookable(now, date(t, "2026-11-23"), date(t, "2026-11-26"), 0)
	require.NoError(t, err)
	require.Equal(t, want, got)
	// With a horizon of two days, the third day on is empty whatever it holds.
	got, err = cal.Bookable(now, date(t, "2026-11-23"), date(t, "2026-11-26"), 1)
	require.NoError(t, err)
	require.Equal(t, append(want[:2:2], BookableDay{date(t, "2026-11-25"), ranges(t)}, BookableDay{date(t, "2026-11-26"), ranges(t)}), got)

	// It survives a JSON round trip unchanged (a cache stores it that way).
	raw, err := json.Marshal(cal)
	require.NoError(t, err)
	var back PublicCalendar
	require.NoError(t, json.Unmarshal(raw, &back))
	got, err = back.Bookable(now, date(t, "2026-11-23"), date(t, "2026-11-26"), 0)
	require.NoError(t, err)
	require.Equal(t, want, got)

	// Dates outside the loaded window are an error, never silently empty.
	_, err = cal.Bookable(now, date(t, "2026-11-21"), date(t, "2026-11-26"), 0)
	require.True(t, IsCode(err, CodeInternal))
	_, err = cal.Bookable(now, date(t, "2026-11-23"), date(t, "2026-11-29"), 0)
	require.True(t, IsCode(err, CodeInternal))
	bad := *cal
	bad.Timezone = "Mars/Olympus"
	_, err = bad.Bookable(now, date(t, "2026-11-23"), date(t, "2026-11-23"), 0)
	require.True(t, IsCode(err, CodeInternal))

	require.True(t, cal.Visible())
	for _, s := range []AccountStatus{StatusSuspended, StatusDeactivated, ""} {
		hidden := *cal
		hidden.AccountStatus = s
		require.False(t, hidden.Visible(), s)
	}
}

func TestFitLessonSummarizeNextSlot(t *testing.T) {
	rs := ranges(t, "08:00-08:30", "11:30-12:15", "16:45-17:00", "20:00-22:00")
	require.Equal(t, rs, FitLesson(rs, 0))
	require.Equal(t, ranges(t, "08:00-08:30", "11:30-12:15", "20:00-22:00"), FitLesson(rs, 30))
	require.Equal(t, ranges(t, "11:30-12:15", "20:00-22:00"), FitLesson(rs, 45))
	require.Equal(t, ranges(t, "20:00-22:00"), FitLesson(rs, 60))
	require.Equal(t, ranges(t), FitLesson(rs, 180))

	summaries := []struct {
		in   []string
		want DaySummary
	}{
		{nil, DaySummary{}},
		{[]string{"08:00-09:00"}, DaySummary{Morning: true}},
		{[]string{"11:45-12:00"}, DaySummary{Morning: true}},
		{[]string{"12:00-12:15"}, DaySummary{Afternoon: true}},
		{[]string{"11:45-12:15"}, DaySummary{Morning: true, Afternoon: true}},
		{[]string{"16:45-17:00"}, DaySummary{Afternoon: true}},
		{[]string{"17:00-18:00"}, DaySummary{Evening: true}},
		{[]string{"23:00-24:00"}, DaySummary{Evening: true}},
		{[]string{"06:00-20:00"}, DaySummary{true, true, true}},
		{[]string{"00:00-01:00", "18:00-19:00"}, DaySummary{Morning: true, Evening: true}},
	}
	for _, s := range summaries {
		require.Equal(t, s.want, Summarize(ranges(t, s.in...)), "%v", s.in)
		require.Equal(t, len(s.in) > 0, HasAvailability(ranges(t, s.in...)))
	}

	days := []BookableDay{
		{Date{2026, 11, 23}, ranges(t)},
		{Date{2026, 11, 24}, ranges(t, "09:00-09:30", "13:00-15:00")},
		{Date{2026, 11, 25}, ranges(t, "07:00-12:00")},
	}
	d, r, ok := NextSlot(days, 30)
	require.True(t, ok)
	require.Equal(t, Date{2026, 11, 24}, d)
	require.Equal(t, ranges(t, "09:00-09:30")[0], r)
	d, r, ok = NextSlot(days, 60)
	require.True(t, ok)
	require.Equal(t, Date{2026, 11, 24}, d)
	require.Equal(t, ranges(t, "13:00-14:00")[0], r)
	d, r, ok = NextSlot(days, 180)
	require.True(t, ok)
	require.Equal(t, Date{2026, 11, 25}, d)
	require.Equal(t, ranges(t, "07:00-10:00")[0], r)
	_, _, ok = NextSlot(days, 360)
	require.False(t, ok)
	_, _, ok = NextSlot(nil, 60)
	require.False(t, ok)
}

func TestPublicName(t *testing.T) {
	for in, want := range map[string]string{
		"Sarah Connor":           "Sarah C.",
		"  Sarah   Connor  ":     "Sarah C.",
		"Mary Jane van der Berg": "Mary B.",
		"Cher":                   "Cher",
		"José ñandú":             "José Ñ.",
		"":                       "",
		"   ":                    "",
	} {
		require.Equal(t, want, PublicName(in), "%q", in)
	}
}

func TestLoadZoneAndDetailLevels(t *testing.T) {
	a, err := LoadZone("Europe/Paris")
	require.NoError(t, err)
	b, err := LoadZone("Europe/Paris")
	require.NoError(t, err)
	require.Same(t, a, b)
	for _, bad := range []string{"", "Local", "Nowhere/City", "../etc/passwd"} {
		_, err := LoadZone(bad)
		require.Error(t, err, bad)
	}
	for _, l := range []PublicDetailLevel{DetailFull, DetailSummary, DetailMinimal} {
		require.True(t, ValidDetailLevel(l))
	}
	require.False(t, ValidDetailLevel("everything"))
}

// BenchmarkBookableDay is one date's computation as a public read does it per date: three
// ranges, six bookings, a buffer and an advance window, on an ordinary date and on a date with
// a clock change.
func BenchmarkBookableDay(b *testing.B) {
	ny, err := LoadZone("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		d    Date
	}{{"ordinary", Date{2026, 11, 23}}, {"dst_change", Date{2026, 11, 1}}} {
		b.Run(bc.name, func(b *testing.B) {
			avail := []TimeRange{{8 * 60, 12 * 60}, {13 * 60, 17 * 60}, {18 * 60, 21 * 60}}
			midnight := time.Date(bc.d.Year, bc.d.Month, bc.d.Day, 0, 0, 0, 0, ny)
			var bookings []BookedSpan
			for h := 8; h < 21; h += 2 {
				bookings = append(bookings, span(midnight.Add(time.Duration(h)*time.Hour), 60))
			}
			rules := BookingRules{Now: midnight.Add(-time.Hour), MinAdvance: 2 * time.Hour, Buffer: 15 * time.Minute}
			b.ReportAllocs()
			for b.Loop() {
				if len(BookableRanges(bc.d, avail, bookings, ny, rules)) == 0 {
					b.Fatal("no ranges")
				}
			}
		})
	}
}

func ExamplePublicName() {
	fmt.Println(PublicName("Sarah Connor"))
	// Output: Sarah C.
}
