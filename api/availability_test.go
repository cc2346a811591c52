package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/api"
)

// Every date in these tests is relative to today in America/New_York (the default timezone of a
// registered instructor), so they never go stale.

const (
	weekPath     = "/api/v1/instructors/me/availability/week"
	copyPath     = "/api/v1/instructors/me/availability/copy-week"
	patternPath  = "/api/v1/instructors/me/availability/apply-pattern"
	blackoutPath = "/api/v1/instructors/me/blackout-dates"
)

func nyToday(t testing.TB) instainstru.Date {
	t.Helper()
	loc, err := time.LoadLocation(instainstru.DefaultTimezone)
	require.NoError(t, err)
	return instainstru.DateOf(time.Now().In(loc))
}

// nextMonday is the Monday of next week: every date of that week is in the future.
func nextMonday(t testing.TB) instainstru.Date { return nyToday(t).WeekStart().AddDays(7) }

// ranges is a compact way to write a day's ranges: {"09:00", "12:00"}, ...
type ranges [][2]string

// weekDays builds the days object of the week starting mon: offset (0 = Monday) → ranges; every
// other date of the week is present with [].
func weekDays(mon instainstru.Date, days map[int]ranges) map[string][]api.TimeRangeDTO {
	out := map[string][]api.TimeRangeDTO{}
	for i := 0; i < 7; i++ {
		rs := make([]api.TimeRangeDTO, 0)
		for _, r := range days[i] {
			rs = append(rs, api.TimeRangeDTO{StartTime: r[0], EndTime: r[1]})
		}
		out[mon.AddDays(i).String()] = rs
	}
	return out
}

func putWeekBody(mon instainstru.Date, days map[int]ranges) map[string]any {
	return map[string]any{"week_start": mon.String(), "days": weekDays(mon, days)}
}

func getWeek(t testing.TB, e *env, tok string, d instainstru.Date) api.WeekDTO {
	t.Helper()
	r := e.do("GET", weekPath+"?start_date="+d.String(), nil, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var w api.WeekDTO
	r.JSON(t, &w)
	return w
}

func putWeek(t testing.TB, e *env, tok string, mon instainstru.Date, days map[int]ranges) api.WeekDTO {
	t.Helper()
	r := e.do("PUT", weekPath, putWeekBody(mon, days), bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var w api.WeekDTO
	r.JSON(t, &w)
	return w
}

func TestAvailabilityWeekRoundTrip(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.register(t, "instructor")
	mon := nextMonday(t)

	// An empty week: all seven dates, each an empty list (not null), whatever day is asked for.
	for off := 0; off < 7; off++ {
		r := e.do("GET", weekPath+"?start_date="+mon.AddDays(off).String(), nil, bearer(tok)...)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		m := r.Map(t)
		require.ElementsMatch(t, []string{"week_start", "timezone", "days"}, objectKeys(m))
		require.Equal(t, mon.String(), m["week_start"])
		require.Equal(t, "America/New_York", m["timezone"])
		days := m["days"].(map[string]any)
		require.Len(t, days, 7)
		for i := 0; i < 7; i++ {
			v, ok := days[mon.AddDays(i).String()]
			require.True(t, ok, "date %s missing", mon.AddDays(i))
			require.Equal(t, []any{}, v)
		}
	}

	// PUT then GET round-trips; 24:00 is a valid end.
	want := map[int]ranges{0: {{"09:00", "12:00"}}, 1: {{"13:00", "24:00"}}, 4: {{"07:15", "08:45"}, {"18:00", "20:30"}}}
	w := putWeek(t, e, tok, mon, want)
	require.Equal(t, api.WeekDTO{WeekStart: mon.String(), Timezone: "America/New_York", Days: weekDays(mon, want)}, w)
	require.Equal(t, w, getWeek(t, e, tok, mon.AddDays(6)))
	require.Equal(t, w, getWeek(t, e, tok, mon.AddDays(3)))
	// The neighbouring weeks are untouched.
	require.Equal(t, weekDays(mon.AddDays(7), nil), getWeek(t, e, tok, mon.AddDays(7)).Days)
	require.Equal(t, weekDays(mon.AddDays(-7), nil), getWeek(t, e, tok, mon.AddDays(-1)).Days)

	// The timezone a client sends back is ignored: the instructor's own zone applies.
	body := putWeekBody(mon, want)
	body["timezone"] = "Asia/Tokyo"
	r := e.do("PUT", weekPath, body, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, "America/New_York", getWeek(t, e, tok, mon).Timezone)

	// [] clears a date; the others keep what they are sent.
	want2 := map[int]ranges{1: {{"13:00", "24:00"}}, 4: {{"07:15", "08:45"}, {"18:00", "20:30"}}}
	require.Equal(t, weekDays(mon, want2), putWeek(t, e, tok, mon, want2).Days)
	require.Equal(t, weekDays(mon, want2), getWeek(t, e, tok, mon).Days)

	// The whole week is replaced: a date left out of days is cleared as well.
	r = e.do("PUT", weekPath, map[string]any{"week_start": mon.String(), "days": map[string]any{
		mon.AddDays(4).String(): []map[string]string{{"start_time": "10:00", "end_time": "11:00"}},
	}}, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, weekDays(mon, map[int]ranges{4: {{"10:00", "11:00"}}}), getWeek(t, e, tok, mon).Days)

	// null for a date clears it like [].
	r = e.do("PUT", weekPath, fmt.Sprintf(`{"week_start":%q,"days":{%q:null}}`, mon, mon.AddDays(4)), bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, weekDays(mon, nil), getWeek(t, e, tok, mon).Days)
}

func TestAvailabilityNormalizesRanges(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.register(t, "instructor")
	mon := nextMonday(t)
	tests := []struct {
		name string
		in   ranges
		want ranges
	}{
		{"touching ranges merge", ranges{{"09:00", "10:00"}, {"10:00", "11:00"}}, ranges{{"09:00", "11:00"}}},
		{"overlapping ranges merge", ranges{{"09:00", "10:30"}, {"10:00", "11:00"}}, ranges{{"09:00", "11:00"}}},
		{"contained range disappears", ranges{{"13:00", "15:00"}, {"14:00", "14:30"}}, ranges{{"13:00", "15:00"}}},
		{"unsorted input is sorted", ranges{{"18:00", "19:00"}, {"08:00", "08:15"}, {"12:00", "13:00"}},
			ranges{{"08:00", "08:15"}, {"12:00", "13:00"}, {"18:00", "19:00"}}},
		{"duplicates collapse", ranges{{"09:00", "10:00"}, {"09:00", "10:00"}}, ranges{{"09:00", "10:00"}}},
		{"a chain merges into one", ranges{{"22:00", "24:00"}, {"20:00", "21:00"}, {"21:00", "22:30"}, {"00:00", "00:15"}},
			ranges{{"00:00", "00:15"}, {"20:00", "24:00"}}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			day := i % 7
			w := putWeek(t, e, tok, mon, map[int]ranges{day: tc.in})
			require.Equal(t, weekDays(mon, map[int]ranges{day: tc.want}), w.Days)
			require.Equal(t, w, getWeek(t, e, tok, mon))
		})
	}
}

func TestAvailabilityPutValidation(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.register(t, "instructor")
	mon := nextMonday(t)
	ms := mon.String()
	stored := map[int]ranges{0: {{"09:00", "12:00"}}, 2: {{"14:00", "15:00"}}}
	putWeek(t, e, tok, mon, stored)
	rng := func(s, e string) []map[string]string { return []map[string]string{{"start_time": s, "end_time": e}} }

	tests := []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"start equals end", map[string]any{"week_start": ms, "days": map[string]any{ms: rng("10:00", "10:00")}}, []string{"days." + ms + "[0]"}},
		{"start after end", map[string]any{"week_start": ms, "days": map[string]any{ms: rng("11:00", "10:00")}}, []string{"days." + ms + "[0]"}},
		{"start off the grid", map[string]any{"week_start": ms, "days": map[string]any{ms: rng("09:10", "10:00")}}, []string{"days." + ms + "[0]"}},
		{"end off the grid", map[string]any{"week_start": ms, "days": map[string]any{ms: rng("09:00", "10:01")}}, []string{"days." + ms + "[0]"}},
		{"date after the week", map[string]any{"week_start": ms, "days": map[string]any{mon.AddDays(7).String(): rng("09:00", "10:00")}}, []string{"days." + mon.AddDays(7).String()}},
		{"date before the week", map[string]any{"week_start": ms, "days": map[string]any{mon.AddDays(-1).String(): []any{}}}, []string{"days." + mon.AddDays(-1).String()}},
		{"week_start not a Monday", map[string]any{"week_start": mon.AddDays(1).String(), "days": map[string]any{}}, []string{"week_start"}},
		{"week_start missing", map[string]any{"days": map[string]any{}}, []string{"week_start"}},
		{"week_start malformed", map[string]any{"week_start": "2026-02-30", "days": map[string]any{}}, []string{"week_start"}},
		{"days missing", map[string]any{"week_start": ms}, []string{"days"}},
		{"hour 25", map[string]any{"week_start": ms, "days": map[string]any{ms: rng("09:00", "25:00")}}, []string{"days." + ms + "[0].end_time"}},
		{"24:00 as a start", map[string]any{"week_start": ms, "days": map[string]any{ms: rng("24:00", "24:00")}}, []string{"days." + ms + "[0].start_time"}},
		{"one-digit hour", map[string]any{"week_start": ms, "days": map[string]any{ms: rng("9:00", "10:00")}}, []string{"days." + ms + "[0].start_time"}},
		{"minute 60", map[string]any{"week_start": ms, "days": map[string]any{ms: rng("09:60", "10:00")}}, []string{"days." + ms + "[0].start_time"}},
		{"times missing", map[string]any{"week_start": ms, "days": map[string]any{ms: []map[string]string{{}}}},
			[]string{"days." + ms + "[0].start_time", "days." + ms + "[0].end_time"}},
		{"date key not a date", map[string]any{"week_start": ms, "days": map[string]any{"monday": rng("09:00", "10:00")}}, []string{"days.monday"}},
		{"every error at once", map[string]any{"week_start": ms, "days": map[string]any{
			ms: rng("09:07", "10:00"), mon.AddDays(1).String(): rng("x", "10:00"), "x-not-a-date": []any{}}},
			[]string{"days." + mon.AddDays(1).String() + "[0].start_time", "days.x-not-a-date"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PUT", weekPath, tc.body, bearer(tok)...)
			p := requireProblem(t, r, 422, "validation_failed")
			require.Equal(t, tc.fields, problemFields(t, p))
		})
	}
	// Nothing of any refused request was written.
	require.Equal(t, weekDays(mon, stored), getWeek(t, e, tok, mon).Days)
}

func TestAvailabilityPastDates(t *testing.T) {
	e := newEnv(t)
	tok, id := e.register(t, "instructor")
	lastMon := nyToday(t).WeekStart().AddDays(-7) // every date of last week is at least a day old
	// Past availability can only have been written while it was in the future: seed it directly.
	_, err := db.Pool.Exec(t.Context(), `INSERT INTO availability_slots (instructor_id, slot_date, start_time, end_time)
		VALUES ($1, $2, '09:00', '10:00'), ($1, $3, '13:00', '24:00')`, id, lastMon.Time(), lastMon.AddDays(5).Time())
	require.NoError(t, err)
	past := map[int]ranges{0: {{"09:00", "10:00"}}, 5: {{"13:00", "24:00"}}}
	read := getWeek(t, e, tok, lastMon)
	require.Equal(t, weekDays(lastMon, past), read.Days)

	// The week exactly as read can be sent back.
	r := e.do("PUT", weekPath, read, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var w api.WeekDTO
	r.JSON(t, &w)
	require.Equal(t, read, w)
	// So can a subset of its past dates, unchanged (ranges in another order or split, too).
	r = e.do("PUT", weekPath, map[string]any{"week_start": lastMon.String(), "days": map[string]any{
		lastMon.String(): []map[string]string{{"start_time": "09:30", "end_time": "10:00"}, {"start_time": "09:00", "end_time": "09:30"}},
	}}, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)

	// Changing a past date is refused, whether adding, altering or clearing; the unchanged past
	// date sent alongside is not reported.
	for _, tc := range []struct {
		name    string
		off     int
		changed ranges
	}{
		{"adding", 1, ranges{{"09:00", "10:00"}}},
		{"altering", 0, ranges{{"09:00", "10:15"}}},
		{"clearing", 0, ranges{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := lastMon.AddDays(tc.off)
			days := weekDays(lastMon, map[int]ranges{tc.off: tc.changed, 5: past[5]})
			body := map[string]any{"week_start": lastMon.String(), "days": map[string]any{
				d.String(): days[d.String()], lastMon.AddDays(5).String(): days[lastMon.AddDays(5).String()]}}
			p := requireProblem(t, e.do("PUT", weekPath, body, bearer(tok)...), 422, "validation_failed")
			require.Equal(t, []string{"days." + d.String()}, problemFields(t, p))
		})
	}
	require.Equal(t, weekDays(lastMon, past), getWeek(t, e, tok, lastMon).Days)
}

func TestAvailabilityCopyWeek(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.register(t, "instructor")
	mon := nextMonday(t)
	src := map[int]ranges{0: {{"09:00", "12:00"}}, 3: {{"13:00", "17:00"}, {"18:00", "19:00"}}, 6: {{"10:00", "11:00"}}}
	putWeek(t, e, tok, mon, src)
	// The target has something on a day the source leaves empty: copying clears it.
	putWeek(t, e, tok, mon.AddDays(14), map[int]ranges{1: {{"08:00", "09:00"}}, 3: {{"06:00", "07:00"}}})

	r := e.do("POST", copyPath, map[string]any{"from_week_start": mon.String(), "to_week_start": mon.AddDays(14).String()}, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var w api.WeekDTO
	r.JSON(t, &w)
	require.Equal(t, api.WeekDTO{WeekStart: mon.AddDays(14).String(), Timezone: "America/New_York", Days: weekDays(mon.AddDays(14), src)}, w)
	require.Equal(t, w, getWeek(t, e, tok, mon.AddDays(14)))
	require.Equal(t, weekDays(mon, src), getWeek(t, e, tok, mon).Days, "the source is unchanged")
	require.Equal(t, weekDays(mon.AddDays(7), nil), getWeek(t, e, tok, mon.AddDays(7)).Days, "the week between is untouched")

	for _, tc := range []struct {
		body   map[string]any
		fields []string
	}{
		{map[string]any{"from_week_start": mon.AddDays(1).String(), "to_week_start": mon.AddDays(14).String()}, []string{"from_week_start"}},
		{map[string]any{"from_week_start": mon.String(), "to_week_start": mon.AddDays(16).String()}, []string{"to_week_start"}},
		{map[string]any{"from_week_start": mon.String()}, []string{"to_week_start"}},
		{map[string]any{"to_week_start": "tomorrow"}, []string{"from_week_start", "to_week_start"}},
	} {
		p := requireProblem(t, e.do("POST", copyPath, tc.body, bearer(tok)...), 422, "validation_failed")
		require.Equal(t, tc.fields, problemFields(t, p))
	}
}

func TestAvailabilityApplyPattern(t *testing.T) {
	// The 366-date limit is checked beyond a year ahead: a horizon that does not bind here (the
	// horizon's own refusals are tested in TestAvailabilityHorizon).
	e := newEnv(t, withHorizon(t, 800))
	tok, _ := e.register(t, "instructor")
	mon := nextMonday(t)
	pattern := map[int]ranges{0: {{"09:00", "12:00"}}, 2: {{"14:00", "16:00"}}, 4: {{"10:00", "11:00"}}}
	putWeek(t, e, tok, mon, pattern)
	// Something on a Thursday the pattern leaves empty: applying the pattern clears it.
	putWeek(t, e, tok, mon.AddDays(14), map[int]ranges{3: {{"08:00", "09:00"}}})
	blackout := mon.AddDays(9) // the Wednesday of the second week
	r := e.do("POST", blackoutPath, map[string]any{"date": blackout.String()}, bearer(tok)...)
	require.Equal(t, 201, r.Status, "%s", r.Body)

	// Three weeks after the pattern week: 21 dates, one of them a blackout.
	r = e.do("POST", patternPath, map[string]any{"from_week_start": mon.String(),
		"start_date": mon.AddDays(7).String(), "end_date": mon.AddDays(27).String()}, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"dates_updated": float64(20)}, r.Map(t))
	for wk := 1; wk <= 3; wk++ {
		start := mon.AddDays(7 * wk)
		want := weekDays(start, pattern)
		if wk == 1 {
			want[blackout.String()] = []api.TimeRangeDTO{}
		}
		require.Equal(t, want, getWeek(t, e, tok, start).Days, "week %d", wk)
	}
	require.Equal(t, weekDays(mon, pattern), getWeek(t, e, tok, mon).Days, "the pattern week is unchanged")
	require.Equal(t, weekDays(mon.AddDays(28), nil), getWeek(t, e, tok, mon.AddDays(28)).Days, "nothing after end_date")

	// Ranges of at most 366 dates; larger ones, inverted or wholly past ones are refused.
	for _, tc := range []struct {
		name       string
		from       instainstru.Date
		start, end instainstru.Date
		fields     []string
	}{
		{"367 dates", mon, mon.AddDays(7), mon.AddDays(7 + 366), []string{"end_date"}},
		{"end before start", mon, mon.AddDays(8), mon.AddDays(7), []string{"end_date"}},
		{"wholly past", mon, nyToday(t).AddDays(-10), nyToday(t).AddDays(-1), []string{"end_date"}},
		{"pattern week not a Monday", mon.AddDays(2), mon.AddDays(7), mon.AddDays(8), []string{"from_week_start"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", patternPath, map[string]any{"from_week_start": tc.from.String(),
				"start_date": tc.start.String(), "end_date": tc.end.String()}, bearer(tok)...)
			require.Equal(t, tc.fields, problemFields(t, requireProblem(t, r, 422, "validation_failed")))
		})
	}
	p := requireProblem(t, e.do("POST", patternPath, map[string]any{"from_week_start": mon.String()}, bearer(tok)...), 422, "validation_failed")
	require.Equal(t, []string{"start_date", "end_date"}, problemFields(t, p))

	// Exactly 366 dates is allowed (the blackout among them is skipped).
	r = e.do("POST", patternPath, map[string]any{"from_week_start": mon.String(),
		"start_date": mon.AddDays(7).String(), "end_date": mon.AddDays(7 + 365).String()}, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"dates_updated": float64(365)}, r.Map(t))
	require.Equal(t, weekDays(mon.AddDays(7*52), pattern), getWeek(t, e, tok, mon.AddDays(7*52)).Days)

	// A range starting in the past updates only today and later.
	today := nyToday(t)
	r = e.do("POST", patternPath, map[string]any{"from_week_start": mon.String(),
		"start_date": today.AddDays(-3).String(), "end_date": today.AddDays(2).String()}, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"dates_updated": float64(3)}, r.Map(t))
}

func TestAvailabilityBlackouts(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.register(t, "instructor")
	mon := nextMonday(t)
	putWeek(t, e, tok, mon, map[int]ranges{1: {{"09:00", "12:00"}}, 2: {{"09:00", "10:00"}}})

	r := e.do("GET", blackoutPath, nil, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"items": []any{}, "next_cursor": nil}, r.Map(t))

	// Adding a blackout clears that date's availability, and only that date's.
	tue, wed := mon.AddDays(1), mon.AddDays(2)
	r = e.do("POST", blackoutPath, map[string]any{"date": tue.String(), "reason": "  dentist  "}, bearer(tok)...)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"date": tue.String(), "reason": "dentist"}, r.Map(t))
	require.Equal(t, "/api/v1/instructors/me/blackout-dates/"+tue.String(), r.Header.Get("Location"))
	require.Equal(t, weekDays(mon, map[int]ranges{2: {{"09:00", "10:00"}}}), getWeek(t, e, tok, mon).Days)

	// The reason is optional; the list is by date, and includes today.
	today := nyToday(t)
	for _, d := range []instainstru.Date{mon.AddDays(30), today} {
		r = e.do("POST", blackoutPath, map[string]any{"date": d.String()}, bearer(tok)...)
		require.Equal(t, 201, r.Status, "%s", r.Body)
		require.Equal(t, map[string]any{"date": d.String(), "reason": ""}, r.Map(t))
	}
	// Adding a date again replaces its reason.
	r = e.do("POST", blackoutPath, map[string]any{"date": tue.String(), "reason": "dentist, then school run"}, bearer(tok)...)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	var page api.Page[api.BlackoutDTO]
	r = e.do("GET", blackoutPath, nil, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r.JSON(t, &page)
	require.Equal(t, []api.BlackoutDTO{{Date: today.String()}, {Date: tue.String(), Reason: "dentist, then school run"},
		{Date: mon.AddDays(30).String()}}, page.Items)
	require.Nil(t, page.NextCursor)

	long := strings.Repeat("é", 201)
	for _, tc := range []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"in the past", map[string]any{"date": today.AddDays(-1).String()}, []string{"date"}},
		{"reason too long", map[string]any{"date": wed.String(), "reason": long}, []string{"reason"}},
		{"reason with a control character", map[string]any{"date": wed.String(), "reason": "a\x00b"}, []string{"reason"}},
		{"date missing", map[string]any{"reason": "x"}, []string{"date"}},
		{"date malformed", map[string]any{"date": "2026/11/23"}, []string{"date"}},
		{"date out of range", map[string]any{"date": "0001-01-01"}, []string{"date"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := requireProblem(t, e.do("POST", blackoutPath, tc.body, bearer(tok)...), 422, "validation_failed")
			require.Equal(t, tc.fields, problemFields(t, p))
		})
	}
	// 200 characters exactly is fine (characters, not bytes).
	r = e.do("POST", blackoutPath, map[string]any{"date": wed.String(), "reason": long[:400]}, bearer(tok)...)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	require.Equal(t, weekDays(mon, nil), getWeek(t, e, tok, mon).Days)

	// Delete: 204, then 404; a malformed date is 400.
	r = e.do("DELETE", blackoutPath+"/"+tue.String(), nil, bearer(tok)...)
	require.Equal(t, 204, r.Status, "%s", r.Body)
	require.Empty(t, r.Body)
	requireProblem(t, e.do("DELETE", blackoutPath+"/"+tue.String(), nil, bearer(tok)...), 404, "not_found")
	requireProblem(t, e.do("DELETE", blackoutPath+"/"+mon.AddDays(3).String(), nil, bearer(tok)...), 404, "not_found")
	requireProblem(t, e.do("DELETE", blackoutPath+"/not-a-date", nil, bearer(tok)...), 400, "malformed_request")
	r = e.do("GET", blackoutPath, nil, bearer(tok)...)
	page = api.Page[api.BlackoutDTO]{}
	r.JSON(t, &page)
	require.Equal(t, []string{today.String(), wed.String(), mon.AddDays(30).String()}, blackoutDates(page.Items))
	// The cleared availability is not restored by removing the blackout.
	require.Equal(t, weekDays(mon, nil), getWeek(t, e, tok, mon).Days)
}

func objectKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func blackoutDates(bs []api.BlackoutDTO) []string {
	out := []string{}
	for _, b := range bs {
		out = append(out, b.Date)
	}
	return out
}

// availabilityCalls is one request to every availability endpoint, for the access tests.
func availabilityCalls(mon instainstru.Date) []struct {
	method, path string
	body         any
} {
	return []struct {
		method, path string
		body         any
	}{
		{"GET", weekPath + "?start_date=" + mon.String(), nil},
		{"PUT", weekPath, putWeekBody(mon, map[int]ranges{0: {{"09:00", "10:00"}}})},
		{"POST", copyPath, map[string]any{"from_week_start": mon.String(), "to_week_start": mon.AddDays(7).String()}},
		{"POST", patternPath, map[string]any{"from_week_start": mon.String(), "start_date": mon.String(), "end_date": mon.AddDays(6).String()}},
		{"POST", blackoutPath, map[string]any{"date": mon.String()}},
		{"GET", blackoutPath, nil},
		{"DELETE", blackoutPath + "/" + mon.String(), nil},
	}
}

func TestAvailabilityRequiresAnInstructor(t *testing.T) {
	e := newEnv(t)
	student, _ := e.register(t, "student")
	mon := nextMonday(t)
	for _, call := range availabilityCalls(mon) {
		t.Run(call.method+" "+call.path, func(t *testing.T) {
			requireProblem(t, e.do(call.method, call.path, call.body), 401, "unauthorized")
			requireProblem(t, e.do(call.method, call.path, call.body, "Authorization", "Bearer not-a-token"), 401, "invalid_token")
			requireProblem(t, e.do(call.method, call.path, call.body, bearer(student)...), 403, "forbidden")
		})
	}
}

func TestAvailabilityIsPerInstructor(t *testing.T) {
	e := newEnv(t)
	mine, _ := e.register(t, "instructor")
	other, _ := e.register(t, "instructor")
	mon := nextMonday(t)
	my := map[int]ranges{0: {{"09:00", "12:00"}}, 3: {{"10:00", "11:00"}}}
	putWeek(t, e, mine, mon, my)
	r := e.do("POST", blackoutPath, map[string]any{"date": mon.AddDays(5).String(), "reason": "mine"}, bearer(mine)...)
	require.Equal(t, 201, r.Status, "%s", r.Body)

	// The other instructor sees none of it, and what they do lands on their own calendar only.
	require.Equal(t, weekDays(mon, nil), getWeek(t, e, other, mon).Days)
	r = e.do("GET", blackoutPath, nil, bearer(other)...)
	require.Equal(t, `{"items":[],"next_cursor":null}`, string(r.Body))
	requireProblem(t, e.do("DELETE", blackoutPath+"/"+mon.AddDays(5).String(), nil, bearer(other)...), 404, "not_found")
	putWeek(t, e, other, mon, map[int]ranges{0: {{"13:00", "14:00"}}})
	r = e.do("POST", copyPath, map[string]any{"from_week_start": mon.String(), "to_week_start": mon.AddDays(7).String()}, bearer(other)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r = e.do("POST", blackoutPath, map[string]any{"date": mon.String()}, bearer(other)...)
	require.Equal(t, 201, r.Status, "%s", r.Body)

	require.Equal(t, weekDays(mon, my), getWeek(t, e, mine, mon).Days)
	require.Equal(t, weekDays(mon.AddDays(7), nil), getWeek(t, e, mine, mon.AddDays(7)).Days)
	var page api.Page[api.BlackoutDTO]
	e.do("GET", blackoutPath, nil, bearer(mine)...).JSON(t, &page)
	require.Equal(t, []api.BlackoutDTO{{Date: mon.AddDays(5).String(), Reason: "mine"}}, page.Items)
	require.Equal(t, weekDays(mon.AddDays(7), map[int]ranges{0: {{"13:00", "14:00"}}}), getWeek(t, e, other, mon.AddDays(7)).Days)
}

func TestAvailabilityBadInput(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.register(t, "instructor")
	mon := nextMonday(t)
	ms := mon.String()
	stored := map[int]ranges{1: {{"09:00", "10:00"}}}
	putWeek(t, e, tok, mon, stored)
	tests := []struct {
		name         string
		method, path string
		body         string
		contentType  string
		status       int
		code         string
	}{
		{"truncated JSON", "PUT", weekPath, `{"week_start": "` + ms, "", 400, "malformed_request"},
		{"not JSON", "PUT", weekPath, `week_start=` + ms, "", 400, "malformed_request"},
		{"empty body", "PUT", weekPath, ``, "", 400, "malformed_request"},
		{"a JSON array", "PUT", weekPath, `[]`, "", 400, "malformed_request"},
		{"a JSON string", "POST", copyPath, `"hello"`, "", 400, "malformed_request"},
		{"two JSON values", "PUT", weekPath, `{"week_start":"` + ms + `","days":{}} {}`, "", 400, "malformed_request"},
		{"days an array", "PUT", weekPath, `{"week_start":"` + ms + `","days":[]}`, "", 422, "validation_failed"},
		{"a day a string", "PUT", weekPath, `{"week_start":"` + ms + `","days":{"` + ms + `":"09:00-10:00"}}`, "", 422, "validation_failed"},
		{"a range an array", "PUT", weekPath, `{"week_start":"` + ms + `","days":{"` + ms + `":[["09:00","10:00"]]}}`, "", 422, "validation_failed"},
		{"a time a number", "PUT", weekPath, `{"week_start":"` + ms + `","days":{"` + ms + `":[{"start_time":900,"end_time":"10:00"}]}}`, "", 422, "validation_failed"},
		{"week_start a number", "PUT", weekPath, `{"week_start":20261123,"days":{}}`, "", 422, "validation_failed"},
		{"unknown top-level field", "PUT", weekPath, `{"week_start":"` + ms + `","days":{},"instructor_id":"x"}`, "", 422, "validation_failed"},
		{"unknown range field", "PUT", weekPath, `{"week_start":"` + ms + `","days":{"` + ms + `":[{"start_time":"09:00","end_time":"10:00","id":1}]}}`, "", 422, "validation_failed"},
		{"timezone not a string", "PUT", weekPath, `{"week_start":"` + ms + `","timezone":5,"days":{}}`, "", 422, "validation_failed"},
		{"a huge date key", "PUT", weekPath, `{"week_start":"` + ms + `","days":{"` + strings.Repeat("9", 5000) + `":[]}}`, "", 422, "validation_failed"},
		{"form content type", "PUT", weekPath, `{"week_start":"` + ms + `","days":{}}`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"copy-week unknown field", "POST", copyPath, `{"from_week_start":"` + ms + `","to_week_start":"` + ms + `","force":true}`, "", 422, "validation_failed"},
		{"copy-week dates as numbers", "POST", copyPath, `{"from_week_start":1,"to_week_start":2}`, "", 422, "validation_failed"},
		{"apply-pattern null body", "POST", patternPath, `null`, "", 422, "validation_failed"},
		{"apply-pattern dates as objects", "POST", patternPath, `{"from_week_start":{},"start_date":"` + ms + `","end_date":"` + ms + `"}`, "", 422, "validation_failed"},
		{"blackout reason a number", "POST", blackoutPath, `{"date":"` + ms + `","reason":42}`, "", 422, "validation_failed"},
		{"blackout unknown field", "POST", blackoutPath, `{"date":"` + ms + `","instructor_id":"` + ms + `"}`, "", 422, "validation_failed"},
		{"GET week without start_date", "GET", weekPath, ``, "", 400, "malformed_request"},
		{"GET week with a bad start_date", "GET", weekPath + "?start_date=2026-13-01", ``, "", 400, "malformed_request"},
		{"GET week with a datetime", "GET", weekPath + "?start_date=" + ms + "T00:00:00Z", ``, "", 400, "malformed_request"},
		{"GET week in year 1", "GET", weekPath + "?start_date=0001-01-01", ``, "", 422, "validation_failed"},
		{"GET week at the end of time", "GET", weekPath + "?start_date=9999-12-31", ``, "", 422, "validation_failed"},
		{"DELETE blackout with a bad date", "DELETE", blackoutPath + "/2026-02-30", ``, "", 400, "malformed_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, e.base+tc.path, body)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+tok)
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			res, err := e.http.Do(req)
			require.NoError(t, err)
			data, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			r := &resp{Status: res.StatusCode, Header: res.Header, Body: data}
			requireProblem(t, r, tc.status, tc.code)
		})
	}
	// No refused request changed anything.
	require.Equal(t, weekDays(mon, stored), getWeek(t, e, tok, mon).Days)
	r := e.do("GET", blackoutPath, nil, bearer(tok)...)
	require.Equal(t, `{"items":[],"next_cursor":null}`, string(r.Body))
}

// TestAvailabilityConcurrentPutsAreSerialized sends 20 different versions of one week at once.
// Each version has, on every date, a range no other version has, so a final state that mixed two
// versions (on one date or across dates) would show.
func TestAvailabilityConcurrentPutsAreSerialized(t *testing.T) {
	e := newEnv(t)
	tok, id := e.register(t, "instructor")
	mon := nextMonday(t)
	const n = 20
	versions := make([]map[string][]api.TimeRangeDTO, n)
	bodies := make([][]byte, n)
	for i := 0; i < n; i++ {
		days := map[int]ranges{}
		for d := 0; d < 7; d++ {
			h := (i + d) % n // version i starts at hour i on Monday, i+1 on Tuesday, ...
			days[d] = ranges{{fmt.Sprintf("%02d:00", h), fmt.Sprintf("%02d:30", h)}, {"23:00", "24:00"}}
		}
		versions[i] = weekDays(mon, days)
		raw, err := json.Marshal(putWeekBody(mon, days))
		require.NoError(t, err)
		bodies[i] = raw
	}

	statuses := make([]int, n)
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			start.Wait()
			req, err := http.NewRequest("PUT", e.base+weekPath, bytes.NewReader(bodies[i]))
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := e.http.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		}(i)
	}
	start.Done()
	wg.Wait()
	for i := 0; i < n; i++ {
		require.NoError(t, errs[i], "request %d", i)
		require.Equal(t, 200, statuses[i], "request %d", i)
	}

	final := getWeek(t, e, tok, mon).Days
	matches := 0
	for _, v := range versions {
		if assertEqualDays(v, final) {
			matches++
		}
	}
	require.Equal(t, 1, matches, "the final week must be exactly one of the versions sent, got %v", final)
	// And the database holds exactly that, no stray rows of another version.
	var rows int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM availability_slots
		WHERE instructor_id = $1 AND slot_date BETWEEN $2 AND $3`, id, mon.Time(), mon.AddDays(6).Time()).Scan(&rows))
	require.Equal(t, 14, rows)
}

func assertEqualDays(a, b map[string][]api.TimeRangeDTO) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// withHorizon wires a directory of instructor actors with an availability horizon of days.
func withHorizon(t testing.TB, days int) func(*api.Config, *api.Deps) {
	return func(_ *api.Config, d *api.Deps) {
		dir := actors.NewDirectory(db.Store, actors.Config{HorizonDays: days, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		t.Cleanup(dir.Shutdown)
		d.Bookings, d.Availability = dir, dir
	}
}
