package instainstru

import (
	"fmt"
	"strconv"
	"time"
)

// Date is a calendar date with no zone, as an instructor's availability and bookings use it.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD strictly (no normalisation of 2026-02-30).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a YYYY-MM-DD date", s)
	}
	return DateOf(t), nil
}

// DateOf is the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// utc is the date at midnight UTC, used only for calendar arithmetic (never as an instant).
func (d Date) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.utc().AddDate(0, 0, n)) }

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// Before reports whether d is strictly before o.
func (d Date) Before(o Date) bool { return d.utc().Before(o.utc()) }

// After reports whether d is strictly after o.
func (d Date) After(o Date) bool { return d.utc().After(o.utc()) }

// DaysUntil is the number of days from d to o (negative when o is earlier).
func (d Date) DaysUntil(o Date) int { return int(o.utc().Sub(d.utc()).Hours() / 24) }

// WeekStart is the Monday of the Monday–Sunday week containing d.
func (d Date) WeekStart() Date {
	off := (int(d.Weekday()) + 6) % 7 // Monday=0 ... Sunday=6
	return d.AddDays(-off)
}

// Time returns d at midnight UTC, for storing in a DATE column.
func (d Date) Time() time.Time { return d.utc() }

// Minute is a wall-clock time of day as minutes after midnight, 0..1440 (1440 is "24:00", valid
// only as the end of a range).
type Minute int

// EndOfDay is 24:00.
const EndOfDay Minute = 24 * 60

// ParseMinute reads "HH:MM" (24 h). "24:00" is accepted only when allowEnd is true.
func ParseMinute(s string, allowEnd bool) (Minute, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%q is not an HH:MM time", s)
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || s[0] == '-' || s[3] == '-' || s[0] == '+' || s[3] == '+' {
		return 0, fmt.Errorf("%q is not an HH:MM time", s)
	}
	v := Minute(h*60 + m)
	if h == 24 && m == 0 && allowEnd {
		return v, nil
	}
	if h > 23 {
		return 0, fmt.Errorf("%q is not an HH:MM time", s)
	}
	return v, nil
}

// String formats as HH:MM ("24:00" for EndOfDay).
func (m Minute) String() string { return fmt.Sprintf("%02d:%02d", int(m)/60, int(m)%60) }

// OnGrid reports whether m is on the 15-minute grid.
func (m Minute) OnGrid() bool { return int(m)%DurationGrid == 0 }

// Duration converts m to a time.Duration since midnight.
func (m Minute) Duration() time.Duration { return time.Duration(m) * time.Minute }

// ResolveLocal turns a wall-clock date and time in loc into an instant using the tz database.
// A time that does not exist (spring-forward gap) is an invalid_local_time error. A time that
// exists twice (fall-back overlap) resolves to its first occurrence, the earlier instant: the
// reading a person who says "1:30" on that night most often means, and a stable choice.
func ResolveLocal(d Date, m Minute, loc *time.Location) (time.Time, error) {
	wall := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Add(m.Duration())
	var best time.Time
	found := false
	// The offsets in force a day either side cover every transition that can affect this wall time.
	for _, probe := range []time.Time{wall.Add(-26 * time.Hour), wall, wall.Add(26 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		cand := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if sameWall(cand, wall) && (!found || cand.Before(best)) {
			best, found = cand, true
		}
	}
	if !found {
		return time.Time{}, &Error{Code: CodeInvalidLocalTime,
			Message: fmt.Sprintf("%s %s does not exist in %s (clocks skip it)", d, m, loc)}
	}
	return best, nil
}

func sameWall(t, wall time.Time) bool {
	y, mo, d := t.Date()
	wy, wmo, wd := wall.Date()
	return y == wy && mo == wmo && d == wd && t.Hour() == wall.Hour() && t.Minute() == wall.Minute()
}

// LocalMinute is the wall-clock date and minute of t in loc.
func LocalMinute(t time.Time, loc *time.Location) (Date, Minute) {
	lt := t.In(loc)
	return DateOf(lt), Minute(lt.Hour()*60 + lt.Minute())
}
