package actors

import (
	"context"
	"fmt"

	"github.com/instainstru/instainstru"
)

// Availability writes. They change the rug only: they never read, check or cancel bookings.

// validateRanges checks one date's ranges: 15-minute grid, start < end, within the day.
func validateRanges(field string, rs []instainstru.TimeRange, v *instainstru.Validator) {
	for i, r := range rs {
		f := fmt.Sprintf("%s[%d]", field, i)
		v.Check(r.Start < r.End, f, "start_time must be before end_time")
		v.Check(r.Start.OnGrid() && r.End.OnGrid(), f, "times must be on the 15-minute grid (:00, :15, :30, :45)")
		v.Check(r.Start >= 0 && r.End <= instainstru.EndOfDay, f, "times must lie within the day")
	}
}

// putWeek replaces a week. Dates outside the week are refused; past dates may be sent only
// unchanged (so a client can send back the whole week it read) and are never written.
func (a *InstructorActor) putWeek(ctx context.Context, w *instainstru.Week) (*instainstru.Week, error) {
	start := w.Start.WeekStart()
	if start != w.Start {
		return nil, instainstru.Invalid(instainstru.FieldError{Field: "week_start", Message: "must be the Monday of the week"})
	}
	var v instainstru.Validator
	given := map[instainstru.Date][]instainstru.TimeRange{}
	today := a.today()
	for _, d := range w.Days {
		field := "days." + d.Date.String()
		if d.Date.Before(start) || d.Date.After(start.AddDays(6)) {
			v.Add(field, "date is outside the week starting "+start.String())
			continue
		}
		validateRanges(field, d.Ranges, &v)
		given[d.Date] = d.Ranges
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for _, d := range w.Days {
		if len(d.Ranges) == 0 {
			continue // clearing a date is always allowed, even past the horizon or on a blackout
		}
		if err := a.checkWritable("days."+d.Date.String(), d.Date); err != nil && !d.Date.Before(today) {
			return nil, err
		}
	}
	past, err := a.pastDays(ctx, start)
	if err != nil {
		return nil, err
	}
	writes := map[instainstru.Date][]instainstru.TimeRange{}
	for i := 0; i < 7; i++ {
		d := start.AddDays(i)
		rs := instainstru.NormalizeRanges(given[d])
		if d.Before(today) {
			if _, sent := given[d]; sent && !sameRanges(rs, past[d]) {
				v.Add("days."+d.String(), "dates in the past cannot be changed")
			}
			continue
		}
		writes[d] = rs
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.write(ctx, writes); err != nil {
		return nil, err
	}
	return a.week(start, past), nil
}

func sameRanges(x, y []instainstru.TimeRange) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// checkWritable refuses ranges on date d when it is a blackout date (blackout_date) or beyond
// the horizon (beyond_horizon).
func (a *InstructorActor) checkWritable(field string, d instainstru.Date) error {
	if a.black[d] {
		return &instainstru.Error{Code: instainstru.CodeBlackoutDate, Message: fmt.Sprintf("%s is a blackout date", d),
			Fields: []instainstru.FieldError{{Field: field, Message: "is a blackout date: remove the blackout first"}}}
	}
	return instainstru.CheckHorizon(field, d, a.today(), a.dir.cfg.HorizonDays)
}

// write commits whole-date replacements, fenced at the calendar's version, then updates memory
// (only after the commit succeeded).
func (a *InstructorActor) write(ctx context.Context, days map[instainstru.Date][]instainstru.TimeRange) error {
	if len(days) == 0 {
		return nil
	}
	v, err := a.dir.store.ReplaceAvailability(ctx, a.id, days, a.version)
	if err != nil {
		return err
	}
	a.version = v
	for d, rs := range days {
		if len(rs) == 0 {
			delete(a.avail, d)
		} else {
			a.avail[d] = rs
		}
	}
	return nil
}

// pastDays reads the week's dates before today from the database: the actor keeps only dates
// from yesterday on in memory, and past dates never change, so the database is their truth.
func (a *InstructorActor) pastDays(ctx context.Context, start instainstru.Date) (map[instainstru.Date][]instainstru.TimeRange, error) {
	today := a.today()
	if !start.Before(today) {
		return nil, nil
	}
	end := today.AddDays(-1)
	if last := start.AddDays(6); last.Before(end) {
		end = last
	}
	return a.dir.store.AvailabilityBetween(ctx, a.id, start, end)
}

// week is the week from memory, with its past dates taken from past (see pastDays).
func (a *InstructorActor) week(start instainstru.Date, past map[instainstru.Date][]instainstru.TimeRange) *instainstru.Week {
	today := a.today()
	days := map[instainstru.Date][]instainstru.TimeRange{}
	for i := 0; i < 7; i++ {
		d := start.AddDays(i)
		if d.Before(today) {
			days[d] = past[d]
		} else {
			days[d] = a.avail[d]
		}
	}
	return weekOf(start, a.tz, days)
}

// pattern reads a source week's ranges by weekday from the database (the source may be in the
// past, outside what the actor keeps in memory).
func (a *InstructorActor) pattern(ctx context.Context, from instainstru.Date) (map[int][]instainstru.TimeRange, error) {
	src, err := a.dir.store.AvailabilityBetween(ctx, a.id, from, from.AddDays(6))
	if err != nil {
		return nil, err
	}
	out := map[int][]instainstru.TimeRange{}
	for i := 0; i < 7; i++ {
		out[i] = src[from.AddDays(i)]
	}
	return out, nil
}

// copyWeek replaces the target week with the source week, weekday by weekday; past and blackout
// dates of the target are left alone.
func (a *InstructorActor) copyWeek(ctx context.Context, from, to instainstru.Date) (*instainstru.Week, error) {
	pat, err := a.pattern(ctx, from)
	if err != nil {
		return nil, err
	}
	writes := map[instainstru.Date][]instainstru.TimeRange{}
	today := a.today()
	for i := 0; i < 7; i++ {
		d := to.AddDays(i)
		if d.Before(today) || a.black[d] {
			continue
		}
		if len(pat[i]) > 0 {
			if err := instainstru.CheckHorizon("to_week_start", d, today, a.dir.cfg.HorizonDays); err != nil {
				return nil, err
			}
		}
		writes[d] = nonNilRanges(pat[i])
	}
	if err := a.write(ctx, writes); err != nil {
		return nil, err
	}
	past, err := a.pastDays(ctx, to)
	if err != nil {
		return nil, err
	}
	return a.week(to, past), nil
}

func nonNilRanges(rs []instainstru.TimeRange) []instainstru.TimeRange {
	if rs == nil {
		return []instainstru.TimeRange{}
	}
	return rs
}

// applyPattern repeats a week's weekday pattern over [start, end] (at most 366 days), skipping
// blackout dates and dates already past. Days that are empty in the pattern are cleared.
func (a *InstructorActor) applyPattern(ctx context.Context, m *applyPatternRequest) (int, error) {
	var v instainstru.Validator
	v.Check(!m.end.Before(m.start), "end_date", "must not be before start_date")
	v.Check(m.start.DaysUntil(m.end) < patternMaxDays, "end_date", fmt.Sprintf("the range is at most %d days", patternMaxDays))
	today := a.today()
	v.Check(!m.end.Before(today), "end_date", "must not be in the past")
	if err := v.Err(); err != nil {
		return 0, err
	}
	if err := instainstru.CheckHorizon("end_date", m.end, today, a.dir.cfg.HorizonDays); err != nil {
		return 0, err
	}
	pat, err := a.pattern(ctx, m.from)
	if err != nil {
		return 0, err
	}
	writes := map[instainstru.Date][]instainstru.TimeRange{}
	for d := m.start; !d.After(m.end); d = d.AddDays(1) {
		if d.Before(today) || a.black[d] {
			continue
		}
		writes[d] = nonNilRanges(pat[(int(d.Weekday())+6)%7])
	}
	if err := a.write(ctx, writes); err != nil {
		return 0, err
	}
	return len(writes), nil
}

// blackout adds (clearing the date's availability) or removes a blackout date. Past dates are refused.
func (a *InstructorActor) blackout(ctx context.Context, m *blackoutRequest) error {
	d := m.blackout.Date
	if !m.add {
		v, err := a.dir.store.RemoveBlackout(ctx, a.id, d, a.version)
		if err != nil {
			return err
		}
		a.version = v
		delete(a.black, d)
		return nil
	}
	if d.Before(a.today()) {
		return instainstru.Invalid(instainstru.FieldError{Field: "date", Message: "must not be in the past"})
	}
	v, err := a.dir.store.AddBlackout(ctx, a.id, m.blackout, a.version)
	if err != nil {
		return err
	}
	a.version = v
	delete(a.avail, d)
	a.black[d] = true
	return nil
}
