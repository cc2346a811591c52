package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
)

// pubFixture is an instructor set up for the public availability tests.
type pubFixture struct {
	id        string
	offerID   string
	studentID string
	loc       *time.Location
}

// pubInstructor registers an instructor named fullName in zone tz through the API, sets buffer
// and minimum advance, and, when durations is not empty (a PostgreSQL array literal such as
// "{45,90}"), gives them one active offer. It also registers a student for the bookings.
func (e *env) pubInstructor(t testing.TB, fullName, tz string, buffer, advanceHours int, durations string) pubFixture {
	t.Helper()
	r := e.do("POST", "/api/v1/auth/register", map[string]any{"email": uniqueEmail("pub"), "password": testPassword,
		"full_name": fullName, "role": "instructor", "timezone": tz})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	var a api.AuthResponse
	r.JSON(t, &a)
	f := pubFixture{id: a.User.ID}
	_, f.studentID = e.register(t, "student")
	var err error
	f.loc, err = time.LoadLocation(tz)
	require.NoError(t, err)
	_, err = db.Pool.Exec(t.Context(), `UPDATE instructor_profiles SET buffer_minutes = $2, min_advance_booking_hours = $3
		WHERE user_id = $1`, f.id, buffer, advanceHours)
	require.NoError(t, err)
	f.offerID = persistence.NewID()
	active := durations != ""
	if !active {
		durations = "{60}"
	}
	// Bookings need an offer to reference; an inactive one does not count for the default duration.
	_, err = db.Pool.Exec(t.Context(), `
		INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options,
			location_types, is_active)
		SELECT $1, $2, id, 6000, $3::int[], '{online}', $4 FROM service_catalog ORDER BY display_order, id LIMIT 1`,
		f.offerID, f.id, durations, active)
	require.NoError(t, err)
	return f
}

func (f pubFixture) today() instainstru.Date { return instainstru.DateOf(time.Now().In(f.loc)) }

// pubRanges parses "09:00-12:00" specs.
func pubRanges(t testing.TB, specs ...string) []instainstru.TimeRange {
	t.Helper()
	out := []instainstru.TimeRange{}
	for _, s := range specs {
		a, b, _ := strings.Cut(s, "-")
		st, err := instainstru.ParseMinute(a, false)
		require.NoError(t, err)
		en, err := instainstru.ParseMinute(b, true)
		require.NoError(t, err)
		out = append(out, instainstru.TimeRange{Start: st, End: en})
	}
	return out
}

// setAvailability replaces the ranges of one date through the store.
func (f pubFixture) setAvailability(t testing.TB, d instainstru.Date, specs ...string) {
	t.Helper()
	require.NoError(t, errOnly(db.Store.ReplaceAvailability(t.Context(), f.id,
		map[instainstru.Date][]instainstru.TimeRange{d: pubRanges(t, specs...)}, instainstru.AnyVersion)))
}

// at is the instant of wall time hh:mm on d in the instructor's zone.
func (f pubFixture) at(t testing.TB, d instainstru.Date, hhmm string) time.Time {
	t.Helper()
	m, err := instainstru.ParseMinute(hhmm, false)
	require.NoError(t, err)
	at, err := instainstru.ResolveLocal(d, m, f.loc)
	require.NoError(t, err)
	return at
}

// book inserts a booking row of the fixture's student directly (booking creation is another
// area's endpoint), with the buffer that was in force then, and returns its id.
func (f pubFixture) book(t testing.TB, startsAt time.Time, minutes, storedBuffer int, status string) string {
	t.Helper()
	id := persistence.NewID()
	endsAt := startsAt.Add(time.Duration(minutes) * time.Minute)
	ls, le := startsAt.In(f.loc), endsAt.In(f.loc)
	endTime := le.Format("15:04")
	if endTime == "00:00" {
		endTime = "24:00" // a lesson ending at midnight ends at 24:00 of its date
	}
	var cancelledAt *time.Time
	var reason *string
	if status == "cancelled" {
		now, r := time.Now(), "test"
		cancelledAt, reason = &now, &r
	}
	_, err := db.Pool.Exec(t.Context(), `
		INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time,
			timezone, starts_at, ends_at, blocked_until, duration_minutes, buffer_minutes, service_name, category_name,
			hourly_rate_cents, total_price_cents, status, location_type, cancelled_at, cancellation_reason)
		VALUES ($1, $2, $3, $4, $5::date, $6::time, $7::time, $8, $9, $10, $11, $12, $13, 'Piano', 'Music', 6000, 6000,
			$14, 'online', $15, $16)`,
		id, f.studentID, f.id, f.offerID, ls.Format("2006-01-02"), ls.Format("15:04"), endTime,
		f.loc.String(), startsAt, endsAt, endsAt.Add(time.Duration(storedBuffer)*time.Minute), minutes, storedBuffer,
		status, cancelledAt, reason)
	require.NoError(t, err)
	return id
}

func pubPath(id string, q ...string) string {
	p := "/api/v1/public/instructors/" + id + "/availability"
	if len(q) > 0 {
		p += "?" + strings.Join(q, "&")
	}
	return p
}

// pubAvailability is a decoded availability answer with its per-date values left raw.
type pubAvailability struct {
	InstructorID       string                     `json:"instructor_id"`
	InstructorName     *string                    `json:"instructor_name"`
	Timezone           string                     `json:"timezone"`
	DetailLevel        string                     `json:"detail_level"`
	AvailabilityByDate map[string]json.RawMessage `json:"availability_by_date"`
}

func getAvailability(t testing.TB, e *env, path string) (*resp, pubAvailability) {
	t.Helper()
	r := e.do("GET", path, nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	var out pubAvailability
	r.JSON(t, &out)
	return r, out
}

// slotsOf decodes a full-detail date into "09:00-12:00" strings.
func slotsOf(t testing.TB, raw json.RawMessage) []string {
	t.Helper()
	var day struct {
		AvailableSlots []api.PublicSlotDTO `json:"available_slots"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&day), "%s", raw)
	require.NotNil(t, day.AvailableSlots, "available_slots is a list, never null: %s", raw)
	out := []string{}
	for _, s := range day.AvailableSlots {
		out = append(out, s.StartTime+"-"+s.EndTime)
	}
	return out
}

func dateKeys(from instainstru.Date, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = from.AddDays(i).String()
	}
	return out
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPublicAvailabilityFull(t *testing.T) {
	e := newEnv(t)
	f := e.pubInstructor(t, "Sarah Connor", "America/New_York", 15, 0, "{60}")
	d1 := f.today().AddDays(3)
	d2, d3, d4 := d1.AddDays(1), d1.AddDays(2), d1.AddDays(3)
	f.setAvailability(t, d1, "00:00-02:00", "09:00-12:00", "13:00-17:00", "18:00-22:00")
	f.setAvailability(t, d2, "10:00-11:00")
	f.setAvailability(t, d3, "09:00-17:00")
	// The lesson before d1 ends at 00:00; the current 15-minute buffer reaches into d1.
	f.book(t, f.at(t, d1.AddDays(-1), "23:00"), 60, 15, "confirmed")
	bookingID := f.book(t, f.at(t, d1, "10:00"), 60, 15, "confirmed")
	f.book(t, f.at(t, d1, "14:00"), 60, 15, "cancelled")
	// 19:00-20:00 in New York is 00:00-01:00 UTC on the next day: still d1 locally.
	f.book(t, f.at(t, d1, "19:00"), 60, 15, "confirmed")
	require.NoError(t, errOnly(db.Store.AddBlackout(t.Context(), f.id, instainstru.BlackoutDate{Date: d3, Reason: "holiday"}, instainstru.AnyVersion)))
	// A stray range on the blackout date (the write paths never leave one) is still not shown.
	_, err := db.Pool.Exec(t.Context(), `INSERT INTO availability_slots (instructor_id, slot_date, start_time, end_time)
		VALUES ($1, $2, '09:00', '10:00')`, f.id, d3.Time())
	require.NoError(t, err)

	r, got := getAvailability(t, e, pubPath(f.id, "start_date="+d1.String(), "end_date="+d4.String()))
	require.ElementsMatch(t, []string{"instructor_id", "instructor_name", "timezone", "detail_level", "availability_by_date"},
		keys(r.Map(t)))
	require.Equal(t, f.id, got.InstructorID)
	require.Equal(t, "Sarah C.", *got.InstructorName)
	require.Equal(t, "America/New_York", got.Timezone)
	require.Equal(t, "full", got.DetailLevel)
	require.ElementsMatch(t, dateKeys(d1, 4), mapKeys(got.AvailabilityByDate))
	require.Equal(t, []string{"00:15-02:00", "09:00-09:45", "11:15-12:00", "13:00-17:00", "18:00-18:45", "20:15-22:00"},
		slotsOf(t, got.AvailabilityByDate[d1.String()]))
	require.Equal(t, []string{"10:00-11:00"}, slotsOf(t, got.AvailabilityByDate[d2.String()]))
	require.Equal(t, []string{}, slotsOf(t, got.AvailabilityByDate[d3.String()]))
	require.Equal(t, []string{}, slotsOf(t, got.AvailabilityByDate[d4.String()]))
	for _, secret := range []string{bookingID, f.studentID, f.offerID, "Test student", "Connor", "@"} {
		require.NotContains(t, string(r.Body), secret)
	}

	// A raised buffer: before each booking the new lesson keeps the buffer in force now (30), after
	// it the one stored with the booking (15), exactly as the database's constraint compares them.
	_, err = db.Pool.Exec(t.Context(), `UPDATE instructor_profiles SET buffer_minutes = 30 WHERE user_id = $1`, f.id)
	require.NoError(t, err)
	_, got = getAvailability(t, e, pubPath(f.id, "start_date="+d1.String(), "end_date="+d1.String()))
	require.Equal(t, []string{"00:15-02:00", "09:00-09:30", "11:15-12:00", "13:00-17:00", "18:00-18:30", "20:15-22:00"},
		slotsOf(t, got.AvailabilityByDate[d1.String()]))
	require.ElementsMatch(t, []string{d1.String()}, mapKeys(got.AvailabilityByDate))
}

func TestPublicAvailabilityDetailLevels(t *testing.T) {
	withLevel := func(level string) func(*api.Config, *api.Deps) {
		return func(_ *api.Config, d *api.Deps) {
			d.PublicAvailability = api.PublicAvailabilityConfig{Days: 30, DetailLevel: level, ShowInstructorName: true}
		}
	}
	full, summary, minimal := newEnv(t), newEnv(t, withLevel("summary")), newEnv(t, withLevel("minimal"))
	f := full.pubInstructor(t, "Ada Lovelace", "America/Chicago", 0, 0, "{60}")
	d1 := f.today().AddDays(2)
	f.setAvailability(t, d1, "09:00-10:00", "11:30-12:15", "13:00-17:00")
	f.setAvailability(t, d1.AddDays(1), "17:00-19:00")
	f.setAvailability(t, d1.AddDays(2), "16:00-17:00")
	q := []string{"start_date=" + d1.String(), "end_date=" + d1.AddDays(3).String()}

	_, got := getAvailability(t, full, pubPath(f.id, q...))
	require.Equal(t, []string{"09:00-10:00", "11:30-12:15", "13:00-17:00"}, slotsOf(t, got.AvailabilityByDate[d1.String()]))

	type summaryDay struct{ Morning, Afternoon, Evening bool }
	r, got := getAvailability(t, summary, pubPath(f.id, q...))
	require.Equal(t, "summary", got.DetailLevel)
	wantSummary := map[string]summaryDay{
		d1.String():            {Morning: true, Afternoon: true},
		d1.AddDays(1).String(): {Evening: true},
		d1.AddDays(2).String(): {Afternoon: true},
		d1.AddDays(3).String(): {},
	}
	for d, want := range wantSummary {
		var m map[string]any
		require.NoError(t, json.Unmarshal(got.AvailabilityByDate[d], &m))
		require.ElementsMatch(t, []string{"morning", "afternoon", "evening"}, keys(m), d)
		require.Equal(t, map[string]any{"morning": want.Morning, "afternoon": want.Afternoon, "evening": want.Evening}, m, d)
	}
	require.NotContains(t, string(r.Body), "available_slots")
	require.NotContains(t, string(r.Body), "09:00")

	// The duration filter applies before the reduction: with 90 minutes only 13:00-17:00 and
	// 17:00-19:00 are left.
	_, got = getAvailability(t, summary, pubPath(f.id, append(q, "duration_minutes=90")...))
	var m map[string]any
	require.NoError(t, json.Unmarshal(got.AvailabilityByDate[d1.String()], &m))
	require.Equal(t, map[string]any{"morning": false, "afternoon": true, "evening": false}, m)

	r, got = getAvailability(t, minimal, pubPath(f.id, q...))
	require.Equal(t, "minimal", got.DetailLevel)
	wantMinimal := map[string]bool{d1.String(): true, d1.AddDays(1).String(): true, d1.AddDays(2).String(): true,
		d1.AddDays(3).String(): false}
	for d, want := range wantMinimal {
		var m map[string]any
		require.NoError(t, json.Unmarshal(got.AvailabilityByDate[d], &m))
		require.Equal(t, map[string]any{"has_availability": want}, m, d)
	}
	require.NotContains(t, string(r.Body), "morning")
	_, got = getAvailability(t, minimal, pubPath(f.id, append(q, "duration_minutes=120")...))
	require.JSONEq(t, `{"has_availability": true}`, string(got.AvailabilityByDate[d1.String()]))
	require.JSONEq(t, `{"has_availability": true}`, string(got.AvailabilityByDate[d1.AddDays(1).String()]))
	require.JSONEq(t, `{"has_availability": false}`, string(got.AvailabilityByDate[d1.AddDays(2).String()]))
}

func TestPublicAvailabilityDurationFilter(t *testing.T) {
	e := newEnv(t)
	f := e.pubInstructor(t, "Ben Okri", "Europe/London", 0, 0, "{60}")
	d := f.today().AddDays(5)
	f.setAvailability(t, d, "08:00-08:30", "09:00-10:00", "11:00-12:15", "14:00-18:00")
	for _, c := range []struct {
		duration string
		want     []string
	}{
		{"", []string{"08:00-08:30", "09:00-10:00", "11:00-12:15", "14:00-18:00"}},
		{"15", []string{"08:00-08:30", "09:00-10:00", "11:00-12:15", "14:00-18:00"}},
		{"30", []string{"08:00-08:30", "09:00-10:00", "11:00-12:15", "14:00-18:00"}},
		{"45", []string{"09:00-10:00", "11:00-12:15", "14:00-18:00"}},
		{"75", []string{"11:00-12:15", "14:00-18:00"}},
		{"90", []string{"14:00-18:00"}},
		{"240", []string{"14:00-18:00"}},
	} {
		q := []string{"start_date=" + d.String(), "end_date=" + d.String()}
		if c.duration != "" {
			q = append(q, "duration_minutes="+c.duration)
		}
		_, got := getAvailability(t, e, pubPath(f.id, q...))
		require.Equal(t, c.want, slotsOf(t, got.AvailabilityByDate[d.String()]), "duration %s", c.duration)
	}
}

// pubMiddayZone is an Etc/GMT zone in which it is now between 10:00 and 11:00, so a test about
// "today" has hours on both sides of now whenever it runs.
func pubMiddayZone() string {
	n := time.Now().UTC().Hour() - 10 // local = UTC - n
	switch {
	case n == 0:
		return "Etc/GMT"
	case n > 12:
		n -= 24
	case n < -14:
		n += 24
	}
	return fmt.Sprintf("Etc/GMT%+d", n)
}

// gridUp is the wall-clock minute of the first 15-minute grid point at or after t (strictly after
// when strict) in loc, on t's local date.
func gridUp(t time.Time, loc *time.Location, strict bool) string {
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	if lt.Second() > 0 || lt.Nanosecond() > 0 || strict {
		m++
	}
	m = (m + 14) / 15 * 15
	return instainstru.Minute(m).String()
}

func TestPublicAvailabilityPastAndMinAdvance(t *testing.T) {
	e := newEnv(t)
	tz := pubMiddayZone()
	f := e.pubInstructor(t, "Grace Hopper", tz, 0, 0, "{60}")
	today := f.today()
	require.Contains(t, []int{10, 11}, time.Now().In(f.loc).Hour(), "zone %s", tz)
	f.setAvailability(t, today, "00:00-24:00")
	f.setAvailability(t, today.AddDays(1), "00:00-24:00")
	path := pubPath(f.id, "start_date="+today.String(), "end_date="+today.AddDays(1).String())

	for _, advance := range []int{0, 2, 15} {
		_, err := db.Pool.Exec(t.Context(), `UPDATE instructor_profiles SET min_advance_booking_hours = $2 WHERE user_id = $1`,
			f.id, advance)
		require.NoError(t, err)
		before := time.Now().Add(time.Duration(advance) * time.Hour)
		_, got := getAvailability(t, e, path)
		after := time.Now().Add(time.Duration(advance) * time.Hour)
		slots := slotsOf(t, got.AvailabilityByDate[today.String()])
		tomorrow := slotsOf(t, got.AvailabilityByDate[today.AddDays(1).String()])
		if advance == 15 {
			// 10:xx + 15 h is tomorrow: today is empty and tomorrow starts after the cut.
			require.Empty(t, slots)
			require.Len(t, tomorrow, 1)
			start := strings.Split(tomorrow[0], "-")[0]
			require.True(t, start >= gridUp(before, f.loc, false) && start <= gridUp(after, f.loc, false),
				"tomorrow %v, cut between %s and %s", tomorrow, before.In(f.loc), after.In(f.loc))
			continue
		}
		require.Equal(t, []string{"00:00-24:00"}, tomorrow)
		require.Len(t, slots, 1, "advance %d", advance)
		start, end, _ := strings.Cut(slots[0], "-")
		require.Equal(t, "24:00", end)
		// The past (and the advance window) is cut at now, rounded up to the grid; a lesson must
		// start strictly after now.
		require.True(t, start >= gridUp(before, f.loc, advance == 0) && start <= gridUp(after, f.loc, advance == 0),
			"advance %d: today %v, now between %s and %s", advance, slots, before.In(f.loc), after.In(f.loc))
		m, err := instainstru.ParseMinute(start, false)
		require.NoError(t, err)
		require.True(t, m.OnGrid())
	}
}

func TestPublicAvailabilityDaylightSavingDate(t *testing.T) {
	e := newEnv(t)
	f := e.pubInstructor(t, "Nina Simone", "America/New_York", 0, 0, "{60}")
	// The next spring-forward date in New York, at least two days away.
	d := f.today().AddDays(2)
	for ; ; d = d.AddDays(1) {
		a := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, f.loc)
		if a.AddDate(0, 0, 1).Sub(a) == 23*time.Hour {
			break
		}
	}
	f.setAvailability(t, d, "00:00-24:00")
	_, got := getAvailability(t, e, pubPath(f.id, "start_date="+d.String(), "end_date="+d.String()))
	require.Equal(t, []string{"00:00-01:45", "03:00-24:00"}, slotsOf(t, got.AvailabilityByDate[d.String()]))
}

func TestPublicAvailabilityWindow(t *testing.T) {
	days5 := func(_ *api.Config, d *api.Deps) {
		d.PublicAvailability = api.PublicAvailabilityConfig{Days: 5, DetailLevel: "minimal", ShowInstructorName: true}
	}
	e, small := newEnv(t), newEnv(t, days5)
	f := e.pubInstructor(t, "Alan Turing", "Asia/Tokyo", 0, 0, "{60}")
	q := func(kv ...string) string { return pubPath(f.id, kv...) }
	today := f.today()
	sameDay := func(check func(today instainstru.Date) bool) {
		// Midnight may pass in Tokyo during the request: accept either day.
		if !check(today) {
			require.True(t, check(f.today()))
		}
	}

	// Defaults: today and the six days after it.
	_, got := getAvailability(t, e, q())
	sameDay(func(td instainstru.Date) bool {
		return equalSets(dateKeys(td, 7), mapKeys(got.AvailabilityByDate))
	})
	// Only start_date: six days after it.
	start := today.AddDays(10)
	_, got = getAvailability(t, e, q("start_date="+start.String()))
	require.ElementsMatch(t, dateKeys(start, 7), mapKeys(got.AvailabilityByDate))
	// Only end_date: from today.
	_, got = getAvailability(t, e, q("end_date="+today.AddDays(3).String()))
	sameDay(func(td instainstru.Date) bool {
		return equalSets(dateKeys(td, td.DaysUntil(today.AddDays(3))+1), mapKeys(got.AvailabilityByDate))
	})
	// A start in the past is clamped to today.
	_, got = getAvailability(t, e, q("start_date="+today.AddDays(-5).String(), "end_date="+today.AddDays(2).String()))
	sameDay(func(td instainstru.Date) bool {
		return equalSets(dateKeys(td, td.DaysUntil(today.AddDays(2))+1), mapKeys(got.AvailabilityByDate))
	})
	// Exactly the cap is fine (31 dates for 30 days); one more day is 422.
	_, got = getAvailability(t, e, q("start_date="+start.String(), "end_date="+start.AddDays(30).String()))
	require.Len(t, got.AvailabilityByDate, 31)
	m := requireProblem(t, e.do("GET", q("start_date="+start.String(), "end_date="+start.AddDays(31).String()), nil),
		422, "validation_failed")
	require.Equal(t, []string{"end_date"}, problemFields(t, m))
	requireProblem(t, e.do("GET", q("end_date="+today.AddDays(40).String()), nil), 422, "validation_failed")
	// A configured cap of 5 days: the default window shrinks to it, and 6 days is refused.
	_, got = getAvailability(t, small, q("start_date="+start.String()))
	require.ElementsMatch(t, dateKeys(start, 6), mapKeys(got.AvailabilityByDate))
	requireProblem(t, small.do("GET", q("start_date="+start.String(), "end_date="+start.AddDays(6).String()), nil),
		422, "validation_failed")
	// End before start, and a window wholly in the past.
	requireProblem(t, e.do("GET", q("start_date="+start.String(), "end_date="+start.AddDays(-1).String()), nil),
		422, "validation_failed")
	m = requireProblem(t, e.do("GET", q("start_date="+today.AddDays(-9).String(), "end_date="+today.AddDays(-2).String()), nil),
		422, "validation_failed")
	require.Equal(t, []string{"end_date"}, problemFields(t, m))
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestPublicAvailabilityHidesWhoIsNotPublic(t *testing.T) {
	e := newEnv(t)
	suspended := e.pubInstructor(t, "Sus Pended", "America/New_York", 0, 0, "{60}")
	deactivated := e.pubInstructor(t, "De Activated", "America/New_York", 0, 0, "{60}")
	active := e.pubInstructor(t, "Act Ive", "America/New_York", 0, 0, "{60}")
	for _, f := range []pubFixture{suspended, deactivated, active} {
		f.setAvailability(t, f.today().AddDays(2), "09:00-12:00")
	}
	_, err := db.Pool.Exec(t.Context(), `UPDATE users SET account_status = 'suspended' WHERE id = $1`, suspended.id)
	require.NoError(t, err)
	_, err = db.Pool.Exec(t.Context(), `UPDATE users SET account_status = 'deactivated' WHERE id = $1`, deactivated.id)
	require.NoError(t, err)
	for name, id := range map[string]string{
		"suspended": suspended.id, "deactivated": deactivated.id, "unknown": persistence.NewID(),
		"a student": active.studentID, "malformed": "not-a-uuid", "upper-case garbage": "ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ",
	} {
		for _, path := range []string{pubPath(url.PathEscape(id)), "/api/v1/public/instructors/" + url.PathEscape(id) + "/next-available"} {
			r := e.do("GET", path, nil)
			requireProblem(t, r, 404, "not_found")
			require.NotContains(t, string(r.Body), "suspend", name)
			require.NotContains(t, string(r.Body), "deactivat", name)
		}
	}
	r := e.do("GET", pubPath(active.id), nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
}

func TestPublicAvailabilityETag(t *testing.T) {
	e := newEnv(t)
	f := e.pubInstructor(t, "Etta James", "America/Denver", 0, 0, "{60}")
	d := f.today().AddDays(4)
	f.setAvailability(t, d, "09:00-12:00")
	path := pubPath(f.id, "start_date="+d.String(), "end_date="+d.AddDays(1).String())

	r := e.do("GET", path, nil)
	require.Equal(t, 200, r.Status)
	etag := r.Header.Get("ETag")
	require.Regexp(t, `^"[0-9a-f]{32}"$`, etag, "a strong tag")
	require.Equal(t, "public, max-age=30", r.Header.Get("Cache-Control"))
	first := r.Body

	again := e.do("GET", path, nil)
	require.Equal(t, etag, again.Header.Get("ETag"), "same body, same tag")
	require.Equal(t, first, again.Body)

	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		r = e.do("GET", path, nil, "If-None-Match", inm)
		require.Equal(t, 304, r.Status, "If-None-Match: %s", inm)
		require.Empty(t, r.Body)
		require.Equal(t, etag, r.Header.Get("ETag"))
		require.Equal(t, "public, max-age=30", r.Header.Get("Cache-Control"))
	}
	r = e.do("GET", path, nil, "If-None-Match", `"0123"`)
	require.Equal(t, 200, r.Status)
	require.Equal(t, first, r.Body)

	// A new booking changes the answer and so the tag: the old tag no longer matches.
	f.book(t, f.at(t, d, "10:00"), 60, 0, "confirmed")
	r = e.do("GET", path, nil, "If-None-Match", etag)
	require.Equal(t, 200, r.Status)
	require.NotEqual(t, etag, r.Header.Get("ETag"))
	var got pubAvailability
	r.JSON(t, &got)
	require.Equal(t, []string{"09:00-10:00", "11:00-12:00"}, slotsOf(t, got.AvailabilityByDate[d.String()]))

	// next-available carries a tag too.
	nx := "/api/v1/public/instructors/" + f.id + "/next-available"
	r = e.do("GET", nx, nil)
	require.Equal(t, 200, r.Status)
	require.NotEmpty(t, r.Header.Get("ETag"))
	require.Equal(t, 304, e.do("GET", nx, nil, "If-None-Match", r.Header.Get("ETag")).Status)
}

func TestPublicAvailabilityInstructorName(t *testing.T) {
	hidden := func(_ *api.Config, d *api.Deps) {
		d.PublicAvailability = api.PublicAvailabilityConfig{Days: 30, DetailLevel: "full", ShowInstructorName: false}
	}
	e, anon := newEnv(t), newEnv(t, hidden)
	for full, want := range map[string]string{"Sarah Connor": "Sarah C.", "Mary Jane Watson": "Mary W.", "Cher": "Cher"} {
		f := e.pubInstructor(t, full, "America/New_York", 0, 0, "{60}")
		_, got := getAvailability(t, e, pubPath(f.id))
		require.NotNil(t, got.InstructorName)
		require.Equal(t, want, *got.InstructorName)

		r, got := getAvailability(t, anon, pubPath(f.id))
		require.Nil(t, got.InstructorName)
		require.NotContains(t, keys(r.Map(t)), "instructor_name")
		require.NotContains(t, string(r.Body), strings.Fields(full)[0])
	}
}

func TestPublicNextAvailable(t *testing.T) {
	days5 := func(_ *api.Config, d *api.Deps) {
		d.PublicAvailability = api.PublicAvailabilityConfig{Days: 5, DetailLevel: "summary"}
	}
	e, small := newEnv(t), newEnv(t, days5)
	next := func(e *env, id string, q string) map[string]any {
		t.Helper()
		r := e.do("GET", "/api/v1/public/instructors/"+id+"/next-available"+q, nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		return r.Map(t)
	}
	found := func(d instainstru.Date, start, end string) map[string]any {
		return map[string]any{"found": true, "date": d.String(), "start_time": start, "end_time": end}
	}

	// Offers of 45 and 90 minutes: 45 is the default length.
	f := e.pubInstructor(t, "Miles Davis", "America/Los_Angeles", 15, 0, "{90,45}")
	d := f.today().AddDays(2)
	f.setAvailability(t, d, "08:00-08:30", "09:00-12:00", "13:00-16:00")
	f.setAvailability(t, d.AddDays(3), "07:00-12:00")
	f.book(t, f.at(t, d, "09:30"), 60, 15, "confirmed") // with its buffer, 09:15-10:45 is taken
	require.Equal(t, found(d, "10:45", "11:30"), next(e, f.id, ""))
	require.Equal(t, found(d, "08:00", "08:30"), next(e, f.id, "?duration_minutes=30"))
	require.Equal(t, found(d, "10:45", "11:45"), next(e, f.id, "?duration_minutes=60"))
	require.Equal(t, found(d, "13:00", "14:30"), next(e, f.id, "?duration_minutes=90"))
	require.Equal(t, found(d, "13:00", "16:00"), next(e, f.id, "?duration_minutes=180"))
	require.Equal(t, found(d.AddDays(3), "07:00", "11:00"), next(e, f.id, "?duration_minutes=240"))

	// Nothing long enough: found false and nothing else.
	g := e.pubInstructor(t, "Nora Jones", "America/New_York", 0, 0, "") // no active offer: 60 minutes
	g.setAvailability(t, g.today().AddDays(1), "09:00-09:45")
	require.Equal(t, map[string]any{"found": false}, next(e, g.id, ""))
	require.Equal(t, found(g.today().AddDays(1), "09:00", "09:45"), next(e, g.id, "?duration_minutes=45"))
	// Beyond the horizon is not found; inside it is.
	g.setAvailability(t, g.today().AddDays(8), "09:00-17:00")
	require.Equal(t, found(g.today().AddDays(8), "09:00", "10:00"), next(e, g.id, ""))
	require.Equal(t, map[string]any{"found": false}, next(small, g.id, ""))
	g.setAvailability(t, g.today().AddDays(5), "15:00-16:00")
	require.Equal(t, found(g.today().AddDays(5), "15:00", "16:00"), next(small, g.id, ""))
}

// TestPublicAvailabilityBadInput: every malformed or unacceptable request is a clear 4xx
// problem, never a 5xx.
func TestPublicAvailabilityBadInput(t *testing.T) {
	e := newEnv(t)
	f := e.pubInstructor(t, "Bad Input", "America/New_York", 0, 0, "{60}")
	d := f.today().AddDays(3).String()
	base := "/api/v1/public/instructors/" + f.id
	cases := []struct {
		name, path string
		status     int
		code       string
		field      string
	}{
		{"month 13", base + "/availability?start_date=2026-13-01", 400, "malformed_request", "start_date"},
		{"February 30", base + "/availability?start_date=2027-02-30", 400, "malformed_request", "start_date"},
		{"words", base + "/availability?start_date=tomorrow", 400, "malformed_request", "start_date"},
		{"no dashes", base + "/availability?end_date=20261123", 400, "malformed_request", "end_date"},
		{"date with time", base + "/availability?start_date=" + d + "T10:00:00Z", 400, "malformed_request", "start_date"},
		{"duration not a number", base + "/availability?duration_minutes=abc", 400, "malformed_request", "duration_minutes"},
		{"duration overflow", base + "/availability?duration_minutes=99999999999999999999", 400, "malformed_request", "duration_minutes"},
		{"duration zero", base + "/availability?duration_minutes=0", 422, "validation_failed", "duration_minutes"},
		{"duration off grid", base + "/availability?duration_minutes=50", 422, "validation_failed", "duration_minutes"},
		{"duration too long", base + "/availability?duration_minutes=255", 422, "validation_failed", "duration_minutes"},
		{"duration negative", base + "/availability?duration_minutes=-15", 422, "validation_failed", "duration_minutes"},
		{"huge range", base + "/availability?start_date=2000-01-01&end_date=9999-12-31", 422, "validation_failed", "end_date"},
		{"end before start", base + "/availability?start_date=" + d + "&end_date=2000-01-01", 422, "validation_failed", "end_date"},
		{"year 9999 default window", base + "/availability?start_date=9999-12-30", 422, "validation_failed", "start_date"},
		{"next: duration not a number", base + "/next-available?duration_minutes=1e3", 400, "malformed_request", "duration_minutes"},
		{"next: duration off grid", base + "/next-available?duration_minutes=61", 422, "validation_failed", "duration_minutes"},
		{"next: duration too long", base + "/next-available?duration_minutes=300", 422, "validation_failed", "duration_minutes"},
		{"malformed id", "/api/v1/public/instructors/123/availability", 404, "not_found", ""},
		{"injection in id", "/api/v1/public/instructors/" + url.PathEscape("' OR 1=1 --") + "/availability", 404, "not_found", ""},
		{"very long id", "/api/v1/public/instructors/" + strings.Repeat("a", 2000) + "/next-available", 404, "not_found", ""},
		{"uuid with braces", "/api/v1/public/instructors/%7B" + f.id + "%7D/availability", 404, "not_found", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("GET", c.path, nil)
			m := requireProblem(t, r, c.status, c.code)
			if c.field != "" {
				require.Contains(t, problemFields(t, m), c.field)
			}
			require.Empty(t, r.Header.Get("ETag"), "errors are not cacheable answers")
		})
	}
}

// TestPublicAvailabilityEastOfUTC: far east of UTC a date's local midnight is the previous UTC
// day, so the previous evening's lesson (and its buffer) must still be found.
func TestPublicAvailabilityEastOfUTC(t *testing.T) {
	e := newEnv(t)
	f := e.pubInstructor(t, "Kiri Te Kanawa", "Pacific/Auckland", 30, 0, "{60}")
	d := f.today().AddDays(3)
	f.setAvailability(t, d, "00:00-03:00", "21:00-24:00")
	f.book(t, f.at(t, d.AddDays(-1), "23:00"), 60, 30, "confirmed")
	f.book(t, f.at(t, d, "22:00"), 60, 30, "confirmed")
	_, got := getAvailability(t, e, pubPath(f.id, "start_date="+d.String(), "end_date="+d.String()))
	require.Equal(t, []string{"00:30-03:00", "21:00-21:30", "23:30-24:00"}, slotsOf(t, got.AvailabilityByDate[d.String()]))
}
