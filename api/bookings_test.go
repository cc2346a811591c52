package api_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
)

// user is a fixture account with a live session and access token.
type user struct {
	ID    string
	Token string
}

// fastUser inserts an account and a session directly and signs its access token with the test
// secret, so concurrency tests can have hundreds of users without hundreds of argon2 hashes.
// Registration itself is covered by the auth tests.
func fastUser(t testing.TB, role string) user {
	t.Helper()
	ctx := context.Background()
	id, fam := persistence.NewID(), persistence.NewID()
	_, err := db.Pool.Exec(ctx, `INSERT INTO users (id, email, password_hash, full_name, role) VALUES ($1::uuid, $1::text || '@example.com', 'x', $2, $3)`,
		id, "Fixture "+strings.ToUpper(role[:1])+role[1:]+" "+id[len(id)-4:], role)
	require.NoError(t, err)
	if role == "instructor" {
		_, err = db.Pool.Exec(ctx, `INSERT INTO instructor_profiles (user_id, min_advance_booking_hours) VALUES ($1, 0)`, id)
		require.NoError(t, err)
	}
	_, err = db.Pool.Exec(ctx, `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, now() + interval '1 day')`,
		persistence.NewID(), id, fam, []byte(persistence.NewID()))
	require.NoError(t, err)
	now := time.Now()
	tok := sign(t, jwt.SigningMethodHS256, testJWTSecret, jwt.MapClaims{
		"typ": "access", "sid": fam, "role": role, "iss": testIssuer, "sub": id, "aud": testAudience,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
	})
	return user{ID: id, Token: tok}
}

var nyc = mustZone("America/New_York")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// teacher is an instructor fixture with one offer and availability.
type teacher struct {
	user
	Offer string
}

// newTeacher creates an instructor with a Piano-like offer (rate, durations 30/60/90, in person
// and online) of a catalog service not yet offered by them, and availability ranges on dates.
func newTeacher(t testing.TB, e *env, rate, buffer, minAdvance int, avail map[instainstru.Date][]instainstru.TimeRange) teacher {
	t.Helper()
	u := fastUser(t, "instructor")
	ctx := context.Background()
	_, err := db.Pool.Exec(ctx, `UPDATE instructor_profiles SET buffer_minutes=$2, min_advance_booking_hours=$3 WHERE user_id=$1`, u.ID, buffer, minAdvance)
	require.NoError(t, err)
	offer := persistence.NewID()
	_, err = db.Pool.Exec(ctx, `INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
		SELECT $1, $2, id, $3, '{30,60,90}', '{in_person,online}' FROM service_catalog WHERE slug='piano'`, offer, u.ID, rate)
	require.NoError(t, err)
	require.NoError(t, errOnly(db.Store.ReplaceAvailability(ctx, u.ID, avail, instainstru.AnyVersion)))
	return teacher{user: u, Offer: offer}
}

// dayAhead is the date n days from today in New York.
func dayAhead(n int) instainstru.Date { return instainstru.DateOf(time.Now().In(nyc)).AddDays(n) }

func hm(s string) instainstru.Minute {
	m, err := instainstru.ParseMinute(s, true)
	if err != nil {
		panic(err)
	}
	return m
}

func spans(pairs ...string) []instainstru.TimeRange {
	var out []instainstru.TimeRange
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, instainstru.TimeRange{Start: hm(pairs[i]), End: hm(pairs[i+1])})
	}
	return out
}

func bookBody(offer string, d instainstru.Date, start string, dur int) map[string]any {
	return map[string]any{"instructor_service_id": offer, "date": d.String(), "start_time": start,
		"duration_minutes": dur, "location_type": "online"}
}

// overlaps counts confirmed bookings that overlap another of the same instructor (buffer
// included) or of the same student: the invariant every test below must keep at zero.
func overlaps(t testing.TB) int {
	t.Helper()
	var n int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `
		SELECT count(*) FROM bookings a JOIN bookings b ON a.id < b.id AND a.status='confirmed' AND b.status='confirmed'
		WHERE (a.instructor_id = b.instructor_id AND tstzrange(a.starts_at, a.blocked_until) && tstzrange(b.starts_at, b.blocked_until))
		   OR (a.student_id = b.student_id AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at))`).Scan(&n))
	return n
}

func TestBookingHappyPathAndPrice(t *testing.T) {
	e := newEnv(t)
	d := dayAhead(3)
	tc := newTeacher(t, e, 7000, 0, 2, map[instainstru.Date][]instainstru.TimeRange{d: spans("09:00", "18:00")})
	s := fastUser(t, "student")

	body := bookBody(tc.Offer, d, "10:00", 90)
	body["total_price_cents"] = 1 // ignored
	body["student_note"] = "Beginner, bring sheet music"
	r := e.do("POST", "/api/v1/bookings", body, bearer(s.Token)...)
	require.Equal(t, 201, r.Status, string(r.Body))
	var b map[string]any
	r.JSON(t, &b)
	require.EqualValues(t, 10500, b["total_price_cents"], "70 $/h for 90 minutes")
	require.EqualValues(t, 7000, b["hourly_rate_cents"])
	require.Equal(t, "10:00", b["start_time"])
	require.Equal(t, "11:30", b["end_time"])
	require.Equal(t, "America/New_York", b["timezone"])
	require.Equal(t, "confirmed", b["status"])
	require.Equal(t, "Piano", b["service_name"])
	require.Equal(t, "Music", b["category"])
	starts, err := time.Parse(time.RFC3339, b["starts_at"].(string))
	require.NoError(t, err)
	want, _ := instainstru.ResolveLocal(d, hm("10:00"), nyc)
	require.True(t, starts.Equal(want))
	id := b["id"].(string)

	// Participants read it; anyone else gets 404.
	require.Equal(t, 200, e.do("GET", "/api/v1/bookings/"+id, nil, bearer(s.Token)...).Status)
	require.Equal(t, 200, e.do("GET", "/api/v1/bookings/"+id, nil, bearer(tc.Token)...).Status)
	other := fastUser(t, "student")
	requireProblem(t, e.do("GET", "/api/v1/bookings/"+id, nil, bearer(other.Token)...), 404, "not_found")
	requireProblem(t, e.do("GET", "/api/v1/bookings/"+id+"/calendar.ics", nil, bearer(other.Token)...), 404, "not_found")

	// Lists show only one's own.
	var page struct {
		Items []map[string]any `json:"items"`
	}
	e.do("GET", "/api/v1/bookings?upcoming=true", nil, bearer(s.Token)...).JSON(t, &page)
	require.Len(t, page.Items, 1)
	e.do("GET", "/api/v1/bookings", nil, bearer(other.Token)...).JSON(t, &page)
	require.Len(t, page.Items, 0)

	// The transaction recorded exactly one event, booking.created, carrying ids and the start only;
	// the relay fans it out into emails, reminders and invalidation.
	events, err := db.Store.OutboxPending(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, instainstru.EventBookingCreated, events[0].Type)
	require.Equal(t, id, events[0].BookingID)
	require.Equal(t, tc.ID, events[0].InstructorID)

	// calendar.ics
	ics := e.do("GET", "/api/v1/bookings/"+id+"/calendar.ics", nil, bearer(s.Token)...)
	require.Equal(t, 200, ics.Status)
	require.Contains(t, ics.Header.Get("Content-Type"), "text/calendar")
	require.Contains(t, string(ics.Body), "DTSTART:"+want.UTC().Format("20060102T150405Z"))
	require.Contains(t, string(ics.Body), "UID:"+id+"@instainstru")
}

func TestBookingRules(t *testing.T) {
	e := newEnv(t)
	d := dayAhead(4)
	tc := newTeacher(t, e, 6000, 15, 48, map[instainstru.Date][]instainstru.TimeRange{
		d: spans("09:00", "12:00", "14:00", "24:00"), dayAhead(1): spans("09:00", "24:00")})
	s1, s2 := fastUser(t, "student"), fastUser(t, "student")
	post := func(u user, body map[string]any) *resp {
		return e.do("POST", "/api/v1/bookings", body, bearer(u.Token)...)
	}

	require.Equal(t, 201, post(s1, bookBody(tc.Offer, d, "10:00", 60)).Status)

	cases := []struct {
		name   string
		u      user
		body   map[string]any
		status int
		code   string
	}{
		{"duration not offered", s2, bookBody(tc.Offer, d, "09:00", 45), 422, "validation_failed"},
		{"too soon (48 h advance)", s2, bookBody(tc.Offer, dayAhead(1), "20:00", 60), 422, "too_soon"},
		{"outside availability", s2, bookBody(tc.Offer, d, "11:30", 60), 409, "outside_availability"},
		{"spans the gap between ranges", s2, bookBody(tc.Offer, d, "13:00", 90), 409, "outside_availability"},
		{"overlaps a lesson", s2, bookBody(tc.Offer, d, "10:30", 30), 409, "booking_conflict"},
		{"inside the 15 min buffer after", s2, bookBody(tc.Offer, d, "11:00", 30), 409, "booking_conflict"},
		{"inside the buffer before", s2, bookBody(tc.Offer, d, "09:30", 30), 409, "booking_conflict"},
		{"ends at 24:00 is fine", s2, bookBody(tc.Offer, d, "23:00", 60), 201, ""},
		{"past date", s2, bookBody(tc.Offer, dayAhead(-2), "10:00", 60), 422, "too_soon"},
		{"unknown service", s2, bookBody(persistence.NewID(), d, "10:00", 60), 422, "validation_failed"},
		{"bad location", s2, map[string]any{"instructor_service_id": tc.Offer, "date": d.String(), "start_time": "15:00", "duration_minutes": 60, "location_type": "moon"}, 422, "validation_failed"},
		{"off-grid start", s2, bookBody(tc.Offer, d, "15:10", 60), 422, "validation_failed"},
		{"instructor cannot book", tc.user, bookBody(tc.Offer, d, "15:00", 60), 403, "forbidden"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(c.u, c.body)
			if c.status == 201 {
				require.Equal(t, 201, r.Status, string(r.Body))
				return
			}
			requireProblem(t, r, c.status, c.code)
		})
	}
	// Right after the buffer works.
	require.Equal(t, 201, post(s2, bookBody(tc.Offer, d, "11:15", 30)).Status)

	// The same student with another instructor at an overlapping time: student_conflict.
	tc2 := newTeacher(t, e, 5000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("08:00", "20:00")})
	requireProblem(t, post(s1, bookBody(tc2.Offer, d, "10:30", 60)), 409, "student_conflict")

	// A suspended instructor takes no new bookings.
	_, err := db.Pool.Exec(context.Background(), `UPDATE users SET account_status='suspended' WHERE id=$1`, tc2.ID)
	require.NoError(t, err)
	requireProblem(t, post(s2, bookBody(tc2.Offer, d, "15:00", 60)), 409, "instructor_unavailable")
	require.Zero(t, overlaps(t))
}

func TestBookingDSTGap(t *testing.T) {
	e := newEnv(t)
	// 2027-03-14 02:00–03:00 does not exist in New York.
	gap := instainstru.Date{Year: 2027, Month: time.March, Day: 14}
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{gap: spans("00:00", "06:00")})
	s := fastUser(t, "student")
	requireProblem(t, e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, gap, "02:30", 30), bearer(s.Token)...), 422, "invalid_local_time")
	requireProblem(t, e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, gap, "01:30", 60), bearer(s.Token)...), 422, "invalid_local_time")
	r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, gap, "03:00", 60), bearer(s.Token)...)
	require.Equal(t, 201, r.Status, string(r.Body))
	require.Equal(t, "2027-03-14T07:00:00Z", r.Map(t)["starts_at"], "03:00 EDT")
}

// TestConcurrentOverlappingBookings is the central guarantee: 200 students race for overlapping
// lessons with one instructor; exactly one wins, everyone else gets 409, and nothing overlaps.
func TestConcurrentOverlappingBookings(t *testing.T) {
	e := newEnv(t)
	d := dayAhead(5)
	for _, buffer := range []int{0, 30} {
		t.Run(fmt.Sprintf("buffer=%d", buffer), func(t *testing.T) {
			tc := newTeacher(t, e, 6000, buffer, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("08:00", "20:00")})
			const n = 200
			students := make([]user, n)
			for i := range students {
				students[i] = fastUser(t, "student")
			}
			// Every pair of these 60-minute lessons conflicts: starts less than 60 minutes apart
			// (plus the buffer) overlap once widened.
			starts := []string{"09:30", "10:00", "10:30", "10:45"}
			if buffer == 0 {
				starts = []string{"09:45", "10:00", "10:15"}
			}
			var created, conflicts, other atomic.Int32
			var wg sync.WaitGroup
			gate := make(chan struct{})
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					<-gate
					r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, starts[i%len(starts)], 60), bearer(students[i].Token)...)
					switch r.Status {
					case 201:
						created.Add(1)
					case 409:
						conflicts.Add(1)
					default:
						other.Add(1)
						t.Errorf("unexpected %d: %s", r.Status, r.Body)
					}
				}(i)
			}
			close(gate)
			wg.Wait()
			require.EqualValues(t, 1, created.Load())
			require.EqualValues(t, n-1, conflicts.Load())
			require.Zero(t, other.Load())
			require.Zero(t, overlaps(t))
		})
	}
}

func TestConcurrentStudentDoubleBooking(t *testing.T) {
	e := newEnv(t)
	d := dayAhead(6)
	for round := 0; round < 5; round++ {
		a := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("08:00", "20:00")})
		b := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("08:00", "20:00")})
		s := fastUser(t, "student")
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		codes := make([]string, 2)
		for i, tc := range []teacher{a, b} {
			wg.Add(1)
			go func(i int, tc teacher) {
				defer wg.Done()
				r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, "14:00", 60), bearer(s.Token)...)
				statuses[i] = r.Status
				if r.Status != 201 {
					codes[i], _ = r.Map(t)["code"].(string)
				}
			}(i, tc)
		}
		wg.Wait()
		wins := 0
		for i, st := range statuses {
			if st == 201 {
				wins++
			} else {
				require.Equal(t, 409, st)
				require.Equal(t, "student_conflict", codes[i])
			}
		}
		require.Equal(t, 1, wins, "one lesson per student per hour")
	}
	require.Zero(t, overlaps(t))
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	d := dayAhead(7)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("08:00", "20:00")})
	s := fastUser(t, "student")
	key := "key-" + persistence.NewID()
	body := bookBody(tc.Offer, d, "12:00", 60)

	const n = 50
	bodies := make([]string, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			r := e.do("POST", "/api/v1/bookings", body, append(bearer(s.Token), "Idempotency-Key", key)...)
			statuses[i], bodies[i] = r.Status, string(r.Body)
		}(i)
	}
	close(gate)
	wg.Wait()
	for i := 0; i < n; i++ {
		require.Equal(t, 201, statuses[i], bodies[i])
		require.Equal(t, bodies[0], bodies[i], "identical responses")
	}
	var count int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM bookings WHERE student_id=$1`, s.ID).Scan(&count))
	require.Equal(t, 1, count)

	// Same key, different body.
	other := bookBody(tc.Offer, d, "15:00", 60)
	requireProblem(t, e.do("POST", "/api/v1/bookings", other, append(bearer(s.Token), "Idempotency-Key", key)...), 422, "idempotency_key_reused")
	// The same key from another student is theirs alone.
	s2 := fastUser(t, "student")
	require.Equal(t, 201, e.do("POST", "/api/v1/bookings", other, append(bearer(s2.Token), "Idempotency-Key", key)...).Status)
}

// TestIdempotencyKeyFreeAfterExpiry: keys live 24 h, after which the key is free again: a new
// request under it books and is remembered under the key, instead of the expired record
// answering idempotency_key_reused forever.
func TestIdempotencyKeyFreeAfterExpiry(t *testing.T) {
	e := newEnv(t)
	d := dayAhead(7)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("08:00", "20:00")})
	s := fastUser(t, "student")
	key := "key-" + persistence.NewID()
	withKey := append(bearer(s.Token), "Idempotency-Key", key)
	require.Equal(t, 201, e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, "09:00", 60), withKey...).Status)

	// A day passes for the key.
	_, err := db.Pool.Exec(context.Background(), `UPDATE idempotency_keys SET created_at = now() - interval '25 hours',
		expires_at = now() - interval '1 hour' WHERE user_id = $1 AND key = $2`, s.ID, key)
	require.NoError(t, err)

	other := bookBody(tc.Offer, d, "15:00", 60)
	r := e.do("POST", "/api/v1/bookings", other, withKey...)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	require.Empty(t, r.Header.Get("Idempotent-Replayed"))
	first := r.Map(t)["id"]
	// The key now remembers the new request for another 24 h: a repeat replays it.
	r = e.do("POST", "/api/v1/bookings", other, withKey...)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	require.Equal(t, "true", r.Header.Get("Idempotent-Replayed"))
	require.Equal(t, first, r.Map(t)["id"])
	var live bool
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT expires_at > now() + interval '23 hours'
		FROM idempotency_keys WHERE user_id = $1 AND key = $2`, s.ID, key).Scan(&live))
	require.True(t, live)
	requireProblem(t, e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, "17:00", 60), withKey...), 422, "idempotency_key_reused")
}

func TestCancelRescheduleCompleteNoShow(t *testing.T) {
	e := newEnv(t)
	soon, later := dayAhead(0), dayAhead(3)
	now := time.Now().In(nyc)
	// A lesson starting within 24 h gives a late cancellation; make sure one fits today or tomorrow.
	lateDay := soon
	lateStart := instainstru.Minute((now.Hour() + 2) * 60) // two hours from now, on the hour
	if now.Hour() >= 21 {
		lateDay, lateStart = dayAhead(1), hm("08:00")
	}
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{
		lateDay: {{Start: 0, End: instainstru.EndOfDay}}, later: spans("09:00", "18:00")})
	s := fastUser(t, "student")
	book := func(d instainstru.Date, start string) string {
		r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, start, 60), bearer(s.Token)...)
		require.Equal(t, 201, r.Status, string(r.Body))
		return r.Map(t)["id"].(string)
	}

	// Cancel: reason required; late flag within 24 h; only once.
	lateID := book(lateDay, lateStart.String())
	requireProblem(t, e.do("POST", "/api/v1/bookings/"+lateID+"/cancel", map[string]any{"reason": "  "}, bearer(s.Token)...), 422, "validation_failed")
	requireProblem(t, e.do("POST", "/api/v1/bookings/"+lateID+"/cancel", map[string]any{"reason": strings.Repeat("x", 501)}, bearer(s.Token)...), 422, "validation_failed")
	other := fastUser(t, "student")
	requireProblem(t, e.do("POST", "/api/v1/bookings/"+lateID+"/cancel", map[string]any{"reason": "mine now"}, bearer(other.Token)...), 404, "not_found")
	r := e.do("POST", "/api/v1/bookings/"+lateID+"/cancel", map[string]any{"reason": "sick"}, bearer(s.Token)...)
	require.Equal(t, 200, r.Status, string(r.Body))
	m := r.Map(t)
	require.Equal(t, "cancelled", m["status"])
	require.Equal(t, true, m["late_cancellation"])
	require.Equal(t, s.ID, m["cancelled_by"])
	requireProblem(t, e.do("POST", "/api/v1/bookings/"+lateID+"/cancel", map[string]any{"reason": "again"}, bearer(s.Token)...), 409, "invalid_status_transition")

	// Reschedule: atomic. Into a conflict → the old booking stays confirmed.
	id := book(later, "10:00")
	blocker := fastUser(t, "student")
	require.Equal(t, 201, e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, later, "14:00", 60), bearer(blocker.Token)...).Status)
	requireProblem(t, e.do("POST", "/api/v1/bookings/"+id+"/reschedule", map[string]any{"date": later.String(), "start_time": "14:30"}, bearer(s.Token)...), 409, "booking_conflict")
	require.Equal(t, "confirmed", e.do("GET", "/api/v1/bookings/"+id, nil, bearer(s.Token)...).Map(t)["status"])
	// Rescheduling onto an overlap with itself is fine (the old one is replaced).
	r = e.do("POST", "/api/v1/bookings/"+id+"/reschedule", map[string]any{"date": later.String(), "start_time": "10:30", "duration_minutes": 90}, bearer(tc.Token)...)
	require.Equal(t, 200, r.Status, string(r.Body))
	nb := r.Map(t)
	require.Equal(t, "10:30", nb["start_time"])
	require.EqualValues(t, 9000, nb["total_price_cents"])
	require.Equal(t, id, nb["rescheduled_from_id"])
	old := e.do("GET", "/api/v1/bookings/"+id, nil, bearer(s.Token)...).Map(t)
	require.Equal(t, "cancelled", old["status"])
	require.Equal(t, "rescheduled", old["cancellation_reason"])

	// Complete / no-show: instructor only, only after end / start.
	newID := nb["id"].(string)
	requireProblem(t, e.do("POST", "/api/v1/bookings/"+newID+"/complete", nil, bearer(s.Token)...), 403, "forbidden")
	requireProblem(t, e.do("POST", "/api/v1/bookings/"+newID+"/complete", nil, bearer(tc.Token)...), 409, "invalid_status_transition")
	requireProblem(t, e.do("POST", "/api/v1/bookings/"+newID+"/no-show", nil, bearer(tc.Token)...), 409, "invalid_status_transition")
	// Move a booking into the past directly (time travel for the test) and finish it.
	_, err := db.Pool.Exec(context.Background(), `UPDATE bookings SET starts_at = now() - interval '2 hours', ends_at = now() - interval '1 hour', blocked_until = now() - interval '1 hour' WHERE id=$1`, newID)
	require.NoError(t, err)
	r = e.do("POST", "/api/v1/bookings/"+newID+"/complete", nil, bearer(tc.Token)...)
	require.Equal(t, 200, r.Status, string(r.Body))
	require.Equal(t, "completed", r.Map(t)["status"])
	requireProblem(t, e.do("POST", "/api/v1/bookings/"+newID+"/no-show", nil, bearer(tc.Token)...), 409, "invalid_status_transition")
	require.Zero(t, overlaps(t))
}

// TestBookingStorm fires a random mix of bookings, cancellations and reschedules across 20
// instructors: no 5xx, no overlap, and every 201 ever answered is in the database.
func TestBookingStorm(t *testing.T) {
	e := newEnv(t)
	days := []instainstru.Date{dayAhead(8), dayAhead(9)}
	var teachers []teacher
	for i := 0; i < 20; i++ {
		teachers = append(teachers, newTeacher(t, e, 5000+100*i, []int{0, 15}[i%2], 0,
			map[instainstru.Date][]instainstru.TimeRange{days[0]: spans("08:00", "14:00"), days[1]: spans("12:00", "20:00")}))
	}
	students := make([]user, 40)
	for i := range students {
		students[i] = fastUser(t, "student")
	}
	const total = 2000
	var mu sync.Mutex
	var created []string
	ownerOf := map[string]user{}
	var fivexx atomic.Int32
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range work {
				s := students[rng.IntN(len(students))]
				tc := teachers[rng.IntN(len(teachers))]
				d := days[rng.IntN(2)]
				start := instainstru.Minute(8*60 + 15*rng.IntN(48)).String()
				mu.Lock()
				var pick string
				var owner user
				if len(created) > 0 && rng.IntN(3) == 0 {
					pick = created[rng.IntN(len(created))]
					owner = ownerOf[pick]
				}
				mu.Unlock()
				var r *resp
				rescheduled := false
				switch {
				case pick != "" && rng.IntN(2) == 0:
					r = e.do("POST", "/api/v1/bookings/"+pick+"/cancel", map[string]any{"reason": "storm"}, bearer(owner.Token)...)
				case pick != "":
					r = e.do("POST", "/api/v1/bookings/"+pick+"/reschedule", map[string]any{"date": d.String(), "start_time": start}, bearer(owner.Token)...)
					rescheduled = true
				default:
					r = e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, start, []int{30, 60, 90}[rng.IntN(3)]), bearer(s.Token)...)
					owner = s
				}
				if r.Status >= 500 {
					fivexx.Add(1)
					t.Errorf("5xx: %d %s", r.Status, r.Body)
				}
				if r.Status == 201 || (rescheduled && r.Status == 200) {
					id := r.Map(t)["id"].(string)
					mu.Lock()
					created = append(created, id)
					ownerOf[id] = owner
					mu.Unlock()
				}
			}
		}(w)
	}
	for i := 0; i < total; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	require.Zero(t, fivexx.Load())
	require.NotEmpty(t, created)
	var found int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM bookings WHERE id = ANY($1::uuid[])`, created).Scan(&found))
	require.Equal(t, len(created), found, "every 201 is in the database")
	require.Zero(t, overlaps(t))
}

// crashOnce is the booking store with a crash armed for the next booking write: our own store
// interface at the actors' edge, wrapped, the database behind it real.
type crashOnce struct {
	actors.Store
	armed atomic.Bool
}

func (c *crashOnce) InsertBooking(ctx context.Context, b *instainstru.Booking, idem *instainstru.IdempotencyKey, expected int64) (int64, error) {
	if c.armed.CompareAndSwap(true, false) {
		panic("simulated crash in the middle of a booking")
	}
	return c.Store.InsertBooking(ctx, b, idem, expected)
}

func TestActorCrashMidRequestOverHTTP(t *testing.T) {
	store := &crashOnce{Store: db.Store}
	const askTimeout = 3 * time.Second
	e := newEnv(t, func(_ *api.Config, d *api.Deps) {
		dir := actors.NewDirectory(store, actors.Config{Log: d.Log, AskTimeout: askTimeout})
		t.Cleanup(dir.Shutdown)
		d.Bookings = dir
	})
	d := dayAhead(10)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("08:00", "20:00")})
	first := fastUser(t, "student")
	require.Equal(t, 201, e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, "09:00", 60), bearer(first.Token)...).Status)

	store.armed.Store(true)
	t0 := time.Now()
	r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, "12:00", 60), bearer(fastUser(t, "student").Token)...)
	require.GreaterOrEqual(t, r.Status, 500, string(r.Body))
	require.Less(t, time.Since(t0), askTimeout, "a definite answer before the ask timeout")

	// The restarted actor reloaded the calendar: 09:00 is still taken, 12:00 is free.
	requireProblem(t, e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, "09:30", 60), bearer(fastUser(t, "student").Token)...), 409, "booking_conflict")
	require.Equal(t, 201, e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, "12:00", 60), bearer(fastUser(t, "student").Token)...).Status)
	require.Zero(t, overlaps(t))
}

func TestBookingListFiltersAndCursor(t *testing.T) {
	e := newEnv(t)
	days := []instainstru.Date{dayAhead(11), dayAhead(12), dayAhead(13)}
	avail := map[instainstru.Date][]instainstru.TimeRange{}
	for _, d := range days {
		avail[d] = spans("08:00", "20:00")
	}
	tc := newTeacher(t, e, 6000, 0, 0, avail)
	s := fastUser(t, "student")
	var ids []string
	for _, d := range days {
		for _, st := range []string{"09:00", "11:00", "15:00"} {
			r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, st, 60), bearer(s.Token)...)
			require.Equal(t, 201, r.Status, string(r.Body))
			ids = append(ids, r.Map(t)["id"].(string))
		}
	}
	require.Equal(t, 200, e.do("POST", "/api/v1/bookings/"+ids[4]+"/cancel", map[string]any{"reason": "x"}, bearer(s.Token)...).Status)

	type page struct {
		Items []struct {
			ID       string `json:"id"`
			StartsAt string `json:"starts_at"`
			Status   string `json:"status"`
			Date     string `json:"date"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	walk := func(u user, query string) []string {
		var seen []string
		cursor := ""
		for guard := 0; guard < 20; guard++ {
			q := "/api/v1/bookings?limit=2&" + query
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			var p page
			r := e.do("GET", q, nil, bearer(u.Token)...)
			require.Equal(t, 200, r.Status, string(r.Body))
			r.JSON(t, &p)
			require.LessOrEqual(t, len(p.Items), 2)
			for _, it := range p.Items {
				seen = append(seen, it.ID)
			}
			if p.NextCursor == nil {
				return seen
			}
			cursor = *p.NextCursor
		}
		t.Fatal("pagination did not end")
		return nil
	}
	// Student and instructor both see all nine, soonest first, each once.
	require.Equal(t, ids, walk(s, "upcoming=true"))
	require.Equal(t, ids, walk(tc.user, "upcoming=true"))
	// Filters.
	confirmed := append(append([]string{}, ids[:4]...), ids[5:]...)
	require.Equal(t, confirmed, walk(s, "status=confirmed"))
	require.Equal(t, []string{ids[4]}, walk(s, "status=cancelled"))
	require.Equal(t, ids[3:6], walk(s, "from="+days[1].String()+"&to="+days[1].String()))
	require.Empty(t, walk(s, "upcoming=false"))
	require.Empty(t, walk(fastUser(t, "student"), ""), "nobody else's bookings")

	for _, bad := range []struct {
		q    string
		want int
	}{
		// Query syntax that does not parse is 400 malformed_request naming the parameter...
		{"cursor=not-a-cursor", 400}, {"limit=abc", 400}, {"limit=0", 400}, {"status=pending", 400},
		{"upcoming=maybe", 400}, {"from=2026-13-01", 400}, {"to=yesterday", 400}, {"from=garbage", 400},
		{"upcoming=true&status=confirmed&from=nope", 400}, {"upcoming=TRUE", 400},
		// ...well-formed values that make no sense together are 422.
		{"from=2026-06-02&to=2026-06-01", 422},
	} {
		r := e.do("GET", "/api/v1/bookings?"+bad.q, nil, bearer(s.Token)...)
		require.Equal(t, bad.want, r.Status, "%s: %s", bad.q, r.Body)
		require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), bad.q)
		m := r.Map(t)
		if bad.want == 400 {
			require.Equal(t, "malformed_request", m["code"], bad.q)
			name := strings.SplitN(bad.q[strings.LastIndex(bad.q, "&")+1:], "=", 2)[0]
			require.Contains(t, problemFields(t, m), name, "%s: %s", bad.q, r.Body)
		} else {
			require.Equal(t, "validation_failed", m["code"], bad.q)
		}
	}
	// limit above 100 is clamped, not refused.
	require.Equal(t, 200, e.do("GET", "/api/v1/bookings?limit=100000", nil, bearer(s.Token)...).Status)
}

// TestBookingBadInput: malformed and hostile requests to the booking endpoints are 4xx
// problem+json with the stated code, never 5xx, and write nothing.
func TestBookingBadInput(t *testing.T) {
	e := newEnv(t)
	d := dayAhead(14)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("08:00", "20:00")})
	s := fastUser(t, "student")
	r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, "09:00", 60), bearer(s.Token)...)
	require.Equal(t, 201, r.Status)
	id := r.Map(t)["id"].(string)
	with := func(k string, v any) map[string]any {
		b := bookBody(tc.Offer, d, "12:00", 60)
		b[k] = v
		return b
	}
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
		headers            []string
	}{
		{"not JSON", "POST", "/api/v1/bookings", "{nope", 400, "malformed_request", nil},
		{"empty body", "POST", "/api/v1/bookings", "", 400, "malformed_request", nil},
		{"array body", "POST", "/api/v1/bookings", "[]", 400, "malformed_request", nil},
		{"two values", "POST", "/api/v1/bookings", `{"date":"x"} {}`, 400, "malformed_request", nil},
		{"wrong type", "POST", "/api/v1/bookings", with("duration_minutes", "sixty"), 422, "validation_failed", nil},
		{"unknown field", "POST", "/api/v1/bookings", with("status", "completed"), 422, "validation_failed", nil},
		{"bad date", "POST", "/api/v1/bookings", with("date", "2026-02-30"), 422, "validation_failed", nil},
		{"bad time", "POST", "/api/v1/bookings", with("start_time", "25:00"), 422, "validation_failed", nil},
		{"24:00 start", "POST", "/api/v1/bookings", with("start_time", "24:00"), 422, "validation_failed", nil},
		{"negative duration", "POST", "/api/v1/bookings", with("duration_minutes", -60), 422, "validation_failed", nil},
		{"huge duration", "POST", "/api/v1/bookings", with("duration_minutes", 1<<40), 422, "validation_failed", nil},
		{"enum outside list", "POST", "/api/v1/bookings", with("location_type", "moon"), 422, "validation_failed", nil},
		{"malformed offer id", "POST", "/api/v1/bookings", with("instructor_service_id", "'; DROP TABLE bookings;--"), 422, "validation_failed", nil},
		{"NUL in note", "POST", "/api/v1/bookings", with("student_note", "hi\x00there"), 422, "validation_failed", nil},
		{"note too long", "POST", "/api/v1/bookings", with("student_note", strings.Repeat("é", 1001)), 422, "validation_failed", nil},
		{"idempotency key too long", "POST", "/api/v1/bookings", bookBody(tc.Offer, d, "13:00", 60), 422, "validation_failed", []string{"Idempotency-Key", strings.Repeat("k", 256)}},
		{"wrong content type", "POST", "/api/v1/bookings", bookBody(tc.Offer, d, "13:00", 60), 415, "unsupported_media_type", []string{"Content-Type", "text/plain"}},
		{"get malformed id", "GET", "/api/v1/bookings/not-a-uuid", nil, 404, "not_found", nil},
		{"get unknown id", "GET", "/api/v1/bookings/" + persistence.NewID(), nil, 404, "not_found", nil},
		{"cancel without reason", "POST", "/api/v1/bookings/" + id + "/cancel", map[string]any{}, 422, "validation_failed", nil},
		{"cancel reason wrong type", "POST", "/api/v1/bookings/" + id + "/cancel", map[string]any{"reason": 5}, 422, "validation_failed", nil},
		{"cancel reason control chars", "POST", "/api/v1/bookings/" + id + "/cancel", map[string]any{"reason": "a\x07b"}, 422, "validation_failed", nil},
		{"cancel malformed id", "POST", "/api/v1/bookings/xyz/cancel", map[string]any{"reason": "x"}, 404, "not_found", nil},
		{"reschedule bad date", "POST", "/api/v1/bookings/" + id + "/reschedule", map[string]any{"date": "tomorrow", "start_time": "10:00"}, 422, "validation_failed", nil},
		{"reschedule off grid", "POST", "/api/v1/bookings/" + id + "/reschedule", map[string]any{"date": d.String(), "start_time": "10:07"}, 422, "validation_failed", nil},
		{"reschedule bad duration", "POST", "/api/v1/bookings/" + id + "/reschedule", map[string]any{"date": d.String(), "start_time": "10:00", "duration_minutes": 7}, 422, "validation_failed", nil},
		{"list bad limit", "GET", "/api/v1/bookings?limit=-1", nil, 400, "malformed_request", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := append(bearer(s.Token), c.headers...)
			r := e.do(c.method, c.path, c.body, h...)
			require.Less(t, r.Status, 500, "%s", r.Body)
			requireProblem(t, r, c.status, c.code)
		})
	}
	// An oversized body is refused before it is read: the client announces it and sends only its
	// head (a client writing the whole megabyte may see the connection closed under it).
	requireProblem(t, rawOversized(t, e.base, "/api/v1/bookings", 1<<20+10), 413, "payload_too_large")
	// Nothing was written besides the one booking, and it is still confirmed.
	var n int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM bookings WHERE student_id=$1`, s.ID).Scan(&n))
	require.Equal(t, 1, n)
	require.Equal(t, "confirmed", e.do("GET", "/api/v1/bookings/"+id, nil, bearer(s.Token)...).Map(t)["status"])
}

// errOnly drops a fenced write's new calendar version, for fixtures that only care it worked.
func errOnly(_ int64, err error) error { return err }
