package api_test

// The calendar is always right: each test here reproduces a way the instructor actor's copy of
// the calendar used to drift from the database (a blackout, a timezone change, a second node, a
// commit whose reply was lost, a suspension or deletion racing a booking, a changed buffer, a
// far-away date) and shows that no booking can be wrong because of it.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// withDirectory wires a directory of instructor actors over store (with cfg; a cache's Stores,
// when given, serve the reads and are invalidated on changes, as in cmd).
func withDirectory(t testing.TB, store actors.Store, cfg actors.Config, cs *cache.Stores) func(*api.Config, *api.Deps) {
	return func(_ *api.Config, d *api.Deps) {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		if cs != nil {
			cfg.OnChange = cs.AvailabilityChanged
			d.Catalog, d.Instructors, d.Offers = cs.Catalog, cs.Instructors, cs.Offers
			d.Users, d.Accounts, d.Public = cs.Users, cs.Accounts, cs.Public
		}
		dir := actors.NewDirectory(store, cfg)
		t.Cleanup(dir.Shutdown)
		d.Bookings, d.Availability = dir, dir
	}
}

// book posts a booking of tc's offer for student s and returns the answer.
func (e *env) book(s user, tc teacher, d instainstru.Date, start string, dur int, headers ...string) *resp {
	return e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, start, dur), append(bearer(s.Token), headers...)...)
}

func weekOf(d instainstru.Date) instainstru.Date { return d.WeekStart() }

// Defect 1: a week PUT wrote ranges onto a blackout date and the actor then booked it.
func TestBlackoutDateHasNoBookableTime(t *testing.T) {
	e := newEnv(t)
	d := nextMonday(t).AddDays(2)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("09:00", "17:00")})
	r := e.do("POST", "/api/v1/instructors/me/blackout-dates", map[string]any{"date": d.String(), "reason": "away"}, bearer(tc.Token)...)
	require.Less(t, r.Status, 300, "%s", r.Body)

	// Ranges on the blackout date: refused with its own code, nothing written.
	r = e.do("PUT", weekPath, putWeekBody(weekOf(d), map[int]ranges{2: {{"09:00", "12:00"}}}), bearer(tc.Token)...)
	p := requireProblem(t, r, 422, "blackout_date")
	require.Equal(t, []string{"days." + d.String()}, problemFields(t, p))
	// Clearing it, and writing the other dates of that week, stay allowed.
	r = e.do("PUT", weekPath, putWeekBody(weekOf(d), map[int]ranges{1: {{"09:00", "12:00"}}}), bearer(tc.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)

	// Even a stray range on the date (written by no path of ours) is never bookable.
	_, err := db.Pool.Exec(t.Context(), `INSERT INTO availability_slots (instructor_id, slot_date, start_time, end_time)
		VALUES ($1, $2, '09:00', '12:00')`, tc.ID, d.Time())
	require.NoError(t, err)
	s := fastUser(t, "student")
	for _, fresh := range []bool{false, true} {
		if fresh { // also after a reload from the database
			e2 := newEnv(t)
			r = e2.book(s, tc, d, "10:00", 60)
		} else {
			r = e.book(s, tc, d, "10:00", 60)
		}
		requireProblem(t, r, 409, "outside_availability")
	}
	_, got := getAvailability(t, e, pubPath(tc.ID, "start_date="+d.String(), "end_date="+d.String()))
	require.Equal(t, []string{}, slotsOf(t, got.AvailabilityByDate[d.String()]))
	// A booking the day before still works: the blackout is one date.
	require.Equal(t, 201, e.book(s, tc, d.AddDays(-1), "10:00", 60).Status)
}

// Defect 2: after a timezone change the warm actor kept the old zone.
func TestTimezoneChangeReachesTheWarmActor(t *testing.T) {
	e := newEnv(t)
	d := dayAhead(4)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("08:00", "18:00")})
	// Warm the actor in New York.
	require.Equal(t, 201, e.book(fastUser(t, "student"), tc, d, "15:00", 60).Status)

	r := e.do("PATCH", "/api/v1/auth/me", map[string]any{"timezone": "Asia/Tokyo"}, bearer(tc.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)

	r = e.book(fastUser(t, "student"), tc, d, "09:00", 60)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	b := r.Map(t)
	tokyo := mustZone("Asia/Tokyo")
	want, err := instainstru.ResolveLocal(d, hm("09:00"), tokyo)
	require.NoError(t, err)
	require.Equal(t, "Asia/Tokyo", b["timezone"])
	require.Equal(t, want.UTC().Format(time.RFC3339), b["starts_at"], "09:00 is read in the instructor's new zone")
}

// Defect 3: with two nodes, node 2's actor kept availability node 1 had cleared, and refused
// availability node 1 had added.
func TestTwoNodesOneTruth(t *testing.T) {
	node1, node2 := newEnv(t), newEnv(t) // two servers, two directories, one database
	mon := nextMonday(t).AddDays(7)
	d1, d2, d3 := mon.AddDays(1), mon.AddDays(2), mon.AddDays(3)
	tc := newTeacher(t, node1, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{
		d1: spans("09:00", "12:00"), d2: spans("09:00", "12:00")})
	// Both nodes' actors are warm.
	require.Equal(t, 201, node1.book(fastUser(t, "student"), tc, d2, "09:00", 60).Status)
	require.Equal(t, 201, node2.book(fastUser(t, "student"), tc, d2, "10:00", 60).Status)

	// Node 1 clears d1 and opens d3.
	r := node1.do("PUT", weekPath, putWeekBody(mon, map[int]ranges{2: {{"09:00", "12:00"}}, 3: {{"09:00", "12:00"}}}), bearer(tc.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)

	requireProblem(t, node2.book(fastUser(t, "student"), tc, d1, "10:00", 60), 409, "outside_availability")
	r = node2.book(fastUser(t, "student"), tc, d3, "10:00", 60)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	// And node 1, whose actor node 2 just overtook, sees node 2's booking.
	requireProblem(t, node1.book(fastUser(t, "student"), tc, d3, "10:00", 60), 409, "booking_conflict")
	require.Zero(t, overlaps(t))
}

// holdProxy is a TCP proxy to PostgreSQL that, once armed, holds the server's replies on a
// connection for a while after the client sent a statement containing a marker: the statement
// runs and commits, its answer arrives late. It reproduces "the commit's reply was lost".
type holdProxy struct {
	ln      net.Listener
	target  string
	marker  atomic.Value // []byte
	hold    time.Duration
	wg      sync.WaitGroup
	holding atomic.Int32
}

func newHoldProxy(t testing.TB, target string, hold time.Duration) *holdProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &holdProxy{ln: ln, target: target, hold: hold}
	p.marker.Store([]byte(nil))
	go p.serve()
	t.Cleanup(func() { _ = ln.Close(); p.wg.Wait() })
	return p
}

func (p *holdProxy) arm(marker string) { p.marker.Store([]byte(marker)) }

func (p *holdProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		var heldUntil atomic.Int64
		p.wg.Add(2)
		go func() { // client → server: watch for the marker
			defer p.wg.Done()
			defer s.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if m := p.marker.Load().([]byte); m != nil && bytes.Contains(buf[:n], m) {
						p.marker.Store([]byte(nil)) // once
						heldUntil.Store(time.Now().Add(p.hold).UnixNano())
					}
					if _, werr := s.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		go func() { // server → client: delay while held
			defer p.wg.Done()
			defer c.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := s.Read(buf)
				if n > 0 {
					if until := heldUntil.Load(); until != 0 {
						p.holding.Add(1)
						time.Sleep(time.Until(time.Unix(0, until)))
						heldUntil.Store(0)
					}
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

// Defect 4: when the commit's reply came late, the client got 503 but the booking (or week PUT)
// was committed while the actor's memory and the cache stayed as before.
func TestCommitThenTimeout(t *testing.T) {
	u, err := url.Parse(db.URL)
	require.NoError(t, err)
	proxy := newHoldProxy(t, u.Host, 3*time.Second)
	u.Host = proxy.ln.Addr().String()
	pool, err := persistence.Open(t.Context(), u.String(), 8)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	slow := persistence.NewStore(pool)
	_, cs := sharedTestCache(t)
	e := newEnv(t, withDirectory(t, slow, actors.Config{AskTimeout: time.Second}, cs))

	d := dayAhead(5)
	d2 := d.AddDays(1)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("09:00", "12:00"), d2: spans("09:00", "12:00")})
	s := fastUser(t, "student")
	// The calendar is read (and cached) before the write.
	_, before := getAvailability(t, e, pubPath(tc.ID, "start_date="+d.String(), "end_date="+d.String()))
	require.Equal(t, []string{"09:00-12:00"}, slotsOf(t, before.AvailabilityByDate[d.String()]))

	// The marker is a value only the booking's own pipelined write carries (statements are
	// prepared first, so their text travels a round trip earlier than their execution).
	note := "lost-reply-" + persistence.NewID()
	proxy.arm(note)
	key := []string{"Idempotency-Key", persistence.NewID()} // not the marker: the key is looked up first
	body := bookBody(tc.Offer, d, "10:00", 60)
	body["student_note"] = note
	r := e.do("POST", "/api/v1/bookings", body, append(bearer(s.Token), key...)...)
	require.Equal(t, 503, r.Status, "%s", r.Body)
	require.NotEmpty(t, r.Header.Get("Retry-After"))
	var committed string
	require.Eventually(t, func() bool {
		return db.Pool.QueryRow(t.Context(), `SELECT id::text FROM bookings WHERE student_id = $1 AND status = 'confirmed'`, s.ID).Scan(&committed) == nil
	}, 10*time.Second, 50*time.Millisecond, "the booking did commit")

	// Nobody is shown the taken time (once the actor heard of its failed write, a moment after
	// the 503), and the actor knows it is taken.
	require.Eventually(t, func() bool {
		_, after := getAvailability(t, e, pubPath(tc.ID, "start_date="+d.String(), "end_date="+d.String()))
		return equalSets([]string{"09:00-10:00", "11:00-12:00"}, slotsOf(t, after.AvailabilityByDate[d.String()]))
	}, 10*time.Second, 100*time.Millisecond)
	requireProblem(t, e.book(fastUser(t, "student"), tc, d, "10:00", 60), 409, "booking_conflict")
	// The retry with the same key answers the committed booking, here and on another node.
	r = e.do("POST", "/api/v1/bookings", body, append(bearer(s.Token), key...)...)
	require.Less(t, r.Status, 300, "%s", r.Body)
	require.Equal(t, committed, r.Map(t)["id"])
	r = newEnv(t).do("POST", "/api/v1/bookings", body, append(bearer(s.Token), key...)...)
	require.Less(t, r.Status, 300, "%s", r.Body)
	require.Equal(t, committed, r.Map(t)["id"])

	// The same with a week PUT that clears d2's week (its COMMIT's reply is held): afterwards d2
	// cannot be booked.
	proxy.arm("commit")
	r = e.do("PUT", weekPath, putWeekBody(weekOf(d2), map[int]ranges{}), bearer(tc.Token)...)
	require.Equal(t, 503, r.Status, "%s", r.Body)
	require.Eventually(t, func() bool {
		var n int
		_ = db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM availability_slots WHERE instructor_id = $1 AND slot_date = $2`, tc.ID, d2.Time()).Scan(&n)
		return n == 0
	}, 10*time.Second, 50*time.Millisecond, "the week PUT did commit")
	requireProblem(t, e.book(fastUser(t, "student"), tc, d2, "10:00", 60), 409, "outside_availability")
	require.Positive(t, proxy.holding.Load(), "the proxy really held replies")
}

// pausingStore holds a booking write at the actors' edge until released, so a test can run a
// suspension, an offer deletion or a deactivation exactly between the rules check and the commit.
type pausingStore struct {
	actors.Store
	arrived chan struct{}
	release chan struct{}
}

func newPausingStore() *pausingStore {
	return &pausingStore{Store: db.Store, arrived: make(chan struct{}, 1), release: make(chan struct{})}
}

func (p *pausingStore) InsertBooking(ctx context.Context, b *instainstru.Booking, idem *instainstru.IdempotencyKey, expected int64) (int64, error) {
	p.arrived <- struct{}{}
	<-p.release
	return p.Store.InsertBooking(ctx, b, idem, expected)
}

// Defect 5: status was read before the actor ran and never re-checked.
func TestBookingRacingSuspensionDeletionDeactivation(t *testing.T) {
	cases := []struct {
		name   string
		status int
		code   string
		race   func(t *testing.T, e *env, tc teacher, s user)
	}{
		{"instructor suspends", 409, "instructor_unavailable", func(t *testing.T, e *env, tc teacher, _ user) {
			r := e.do("POST", "/api/v1/account/suspend", nil, bearer(tc.Token)...)
			require.Equal(t, 200, r.Status, "%s", r.Body)
		}},
		{"offer deleted (soft)", 409, "instructor_unavailable", func(t *testing.T, e *env, tc teacher, _ user) {
			r := e.do("DELETE", "/api/v1/instructors/me/services/"+tc.Offer, nil, bearer(tc.Token)...)
			require.Equal(t, 200, r.Status, "%s", r.Body)
			require.Equal(t, "soft", r.Map(t)["deleted"])
		}},
		{"student deactivates", 403, "forbidden", func(t *testing.T, e *env, _ teacher, s user) {
			r := e.do("POST", "/api/v1/account/deactivate", nil, bearer(s.Token)...)
			require.Equal(t, 200, r.Status, "%s", r.Body)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := newPausingStore()
			e := newEnv(t, withDirectory(t, ps, actors.Config{AskTimeout: 20 * time.Second}, nil))
			d := dayAhead(3)
			tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("09:00", "17:00")})
			if c.name == "offer deleted (soft)" { // a past lesson references the offer: deletion is soft
				authPastLesson(t, tc)
			}
			s := fastUser(t, "student")
			done := asyncDo(e, "POST", "/api/v1/bookings", bookBody(tc.Offer, d, "10:00", 60), bearer(s.Token)...)
			<-ps.arrived // the actor decided; the write has not run
			c.race(t, e, tc, s)
			close(ps.release)
			r := <-done
			requireProblem(t, r, c.status, c.code)
			var n int
			require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM bookings WHERE instructor_id = $1
				AND status = 'confirmed' AND starts_at > now()`, tc.ID).Scan(&n))
			require.Zero(t, n, "nothing was committed after the %s", c.name)
		})
	}
}

// authPastLesson records a completed lesson of tc's offer (so deleting the offer is a soft delete).
func authPastLesson(t testing.TB, tc teacher) {
	t.Helper()
	s := fastUser(t, "student")
	_, err := db.Pool.Exec(t.Context(), `INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id,
			booking_date, start_time, end_time, timezone, starts_at, ends_at, blocked_until, duration_minutes,
			service_name, category_name, hourly_rate_cents, total_price_cents, status, location_type)
		VALUES ($1, $2, $3, $4, current_date - 7, '10:00', '11:00', 'America/New_York', now() - interval '7 days',
			now() - interval '7 days' + interval '1 hour', now() - interval '7 days' + interval '1 hour', 60,
			'Piano', 'Music', 6000, 6000, 'completed', 'online')`, persistence.NewID(), s.ID, tc.ID, tc.Offer)
	require.NoError(t, err)
}

// Defect 7: after a buffer was lowered, public availability listed a start the database refused.
func TestChangedBufferListsOnlyWhatTheDatabaseAccepts(t *testing.T) {
	e := newEnv(t)
	d := dayAhead(6)
	tc := newTeacher(t, e, 6000, 30, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("09:00", "13:00")})
	require.Equal(t, 201, e.book(fastUser(t, "student"), tc, d, "10:00", 60).Status) // blocks until 11:30

	lower := e.do("PUT", "/api/v1/instructors/me", map[string]any{"buffer_minutes": 0, "min_advance_booking_hours": 0}, bearer(tc.Token)...)
	require.Equal(t, 200, lower.Status, "%s", lower.Body)
	_, got := getAvailability(t, e, pubPath(tc.ID, "start_date="+d.String(), "end_date="+d.String()))
	require.Equal(t, []string{"09:00-10:00", "11:30-13:00"}, slotsOf(t, got.AvailabilityByDate[d.String()]))
	requireProblem(t, e.book(fastUser(t, "student"), tc, d, "11:00", 30), 409, "booking_conflict")
	require.Equal(t, 201, e.book(fastUser(t, "student"), tc, d, "11:30", 30).Status)

	// Raised: before a booking the new buffer applies, after it the stored one (none here).
	raise := e.do("PUT", "/api/v1/instructors/me", map[string]any{"buffer_minutes": 60, "min_advance_booking_hours": 0}, bearer(tc.Token)...)
	require.Equal(t, 200, raise.Status, "%s", raise.Body)
	_, got = getAvailability(t, e, pubPath(tc.ID, "start_date="+d.String(), "end_date="+d.String()))
	require.Equal(t, []string{"12:00-13:00"}, slotsOf(t, got.AvailabilityByDate[d.String()]))
	require.Equal(t, 201, e.book(fastUser(t, "student"), tc, d, "12:00", 60).Status, "the database accepts it, so we do")
	require.Zero(t, overlaps(t))
}

// Defect 9: there was no availability horizon; anyone could pin an actor's memory at will.
func TestAvailabilityHorizon(t *testing.T) {
	e := newEnv(t)
	today := nyToday(t)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{today.AddDays(2): spans("09:00", "12:00")})
	far := today.AddDays(400)
	p := requireProblem(t, e.do("POST", patternPath, map[string]any{"from_week_start": nextMonday(t).String(),
		"start_date": far.String(), "end_date": far.AddDays(300).String()}, bearer(tc.Token)...), 422, "beyond_horizon")
	require.Equal(t, []string{"end_date"}, problemFields(t, p))
	requireProblem(t, e.do("PUT", weekPath, putWeekBody(weekOf(far), map[int]ranges{0: {{"09:00", "12:00"}}}), bearer(tc.Token)...),
		422, "beyond_horizon")
	// A stray far row (written before the horizon existed) is neither loaded nor bookable.
	_, err := db.Pool.Exec(t.Context(), `INSERT INTO availability_slots (instructor_id, slot_date, start_time, end_time)
		VALUES ($1, $2, '09:00', '12:00')`, tc.ID, far.Time())
	require.NoError(t, err)
	requireProblem(t, e.book(fastUser(t, "student"), tc, far, "10:00", 60), 422, "beyond_horizon")
	var n int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM availability_slots WHERE instructor_id = $1`, tc.ID).Scan(&n))
	require.Equal(t, 2, n, "nothing was written beyond the horizon")
	// The edge itself is fine.
	require.Equal(t, 200, e.do("PUT", weekPath, putWeekBody(weekOf(today.AddDays(360)), map[int]ranges{}), bearer(tc.Token)...).Status)
}

// asyncDo sends a JSON request from another goroutine and delivers the answer (see rawDo).
func asyncDo(e *env, method, path string, body any, headers ...string) <-chan *resp {
	done := make(chan *resp, 1)
	go func() { done <- rawDo(e, method, path, body, headers...) }()
	return done
}

// rawDo sends a JSON request (nil body: none) without failing the test, so any goroutine may use
// it; a transport error is a Status of -1 with the error as Body.
func rawDo(e *env, method, path string, body any, headers ...string) *resp {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return &resp{Status: -1, Body: []byte(err.Error())}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		return &resp{Status: -1, Body: []byte(err.Error())}
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.http.Do(req)
	if err != nil {
		return &resp{Status: -1, Body: []byte(err.Error())}
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return &resp{Status: res.StatusCode, Header: res.Header, Body: data}
}

// Defect 12 (part): reschedule did not re-check the offer's location types.
func TestRescheduleRechecksLocation(t *testing.T) {
	e := newEnv(t)
	d := dayAhead(4)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("09:00", "17:00")})
	s := fastUser(t, "student")
	r := e.book(s, tc, d, "10:00", 60) // online
	require.Equal(t, 201, r.Status, "%s", r.Body)
	id := r.Map(t)["id"].(string)
	r = e.do("PATCH", "/api/v1/instructors/me/services/"+tc.Offer, map[string]any{"location_types": []string{"in_person"}}, bearer(tc.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	p := requireProblem(t, e.do("POST", "/api/v1/bookings/"+id+"/reschedule", map[string]any{"date": d.String(), "start_time": "14:00"},
		bearer(s.Token)...), 422, "validation_failed")
	require.Equal(t, []string{"location_type"}, problemFields(t, p))
}

// stormOracle installs, for the test's duration, a trigger that records every confirmed booking
// that was committed outside its instructor's availability, on a blackout date, beyond the
// horizon, or while the instructor or the student was not active. A booking's transaction holds
// the instructor's calendar lock (the fence) and share-locks both users, so what the trigger reads
// is what the booking was decided against.
func stormOracle(t *testing.T) {
	ctx := t.Context()
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS storm_violations (booking_id uuid, why text)`,
		`TRUNCATE storm_violations`,
		`CREATE OR REPLACE FUNCTION storm_check() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NOT EXISTS (SELECT 1 FROM availability_slots a WHERE a.instructor_id = NEW.instructor_id
			               AND a.slot_date = NEW.booking_date AND a.start_time <= NEW.start_time
			               AND (a.end_time >= NEW.end_time OR a.end_time = '24:00'::time)) THEN
				INSERT INTO storm_violations VALUES (NEW.id, 'outside availability');
			END IF;
			IF EXISTS (SELECT 1 FROM blackout_dates b WHERE b.instructor_id = NEW.instructor_id AND b.blackout_date = NEW.booking_date) THEN
				INSERT INTO storm_violations VALUES (NEW.id, 'blackout date');
			END IF;
			IF NEW.booking_date > current_date + 366 THEN
				INSERT INTO storm_violations VALUES (NEW.id, 'beyond horizon');
			END IF;
			IF EXISTS (SELECT 1 FROM users u WHERE u.id IN (NEW.instructor_id, NEW.student_id) AND u.account_status <> 'active') THEN
				INSERT INTO storm_violations VALUES (NEW.id, 'inactive party');
			END IF;
			RETURN NULL;
		END $$`,
		`DROP TRIGGER IF EXISTS storm_check ON bookings`,
		`CREATE TRIGGER storm_check AFTER INSERT ON bookings FOR EACH ROW WHEN (NEW.status = 'confirmed') EXECUTE FUNCTION storm_check()`,
	} {
		_, err := db.Pool.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	t.Cleanup(func() {
		_, _ = db.Pool.Exec(context.Background(), `DROP TRIGGER IF EXISTS storm_check ON bookings`)
		_, _ = db.Pool.Exec(context.Background(), `DROP FUNCTION IF EXISTS storm_check(); DROP TABLE IF EXISTS storm_violations`)
	})
}

// The acceptance storm: 200 students and 20 instructors through two servers at once, with random
// bookings, cancellations, availability edits, blackouts and a suspension. At the end: no booking
// was committed against a calendar the database would not confirm, no overlaps, every 201 is in
// the database, the suspended instructor holds no future lesson, and no 5xx but 503 with
// Retry-After.
func TestStormAcrossTwoNodes(t *testing.T) {
	stormOracle(t)
	nodes := []*env{newEnv(t), newEnv(t)}
	mon := nextMonday(t)
	open := map[instainstru.Date][]instainstru.TimeRange{}
	for i := 0; i < 14; i++ {
		open[mon.AddDays(i)] = spans("09:00", "17:00")
	}
	teachers := make([]teacher, 20)
	for i := range teachers {
		teachers[i] = newTeacher(t, nodes[0], 6000, 15*(i%3), 0, open)
	}
	students := make([]user, 200)
	for i := range students {
		students[i] = fastUser(t, "student")
	}
	suspended := teachers[0] // takes bookings until the suspension, none after

	type made struct {
		id      string
		student user
	}
	var (
		mu      sync.Mutex
		created []made
		bad     []string
		counts  = map[int]int{}
	)
	record := func(what string, r *resp) {
		mu.Lock()
		defer mu.Unlock()
		counts[r.Status]++
		if r.Status < 0 || (r.Status >= 500 && !(r.Status == 503 && r.Header.Get("Retry-After") != "")) {
			bad = append(bad, fmt.Sprintf("%s: %d %s", what, r.Status, r.Body))
		}
	}
	const workers, opsEach = 16, 90
	var wg sync.WaitGroup
	var suspendedAt atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 2026))
			for op := 0; op < opsEach; op++ {
				e := nodes[rng.IntN(2)]
				tc := teachers[rng.IntN(len(teachers))]
				d := mon.AddDays(rng.IntN(14))
				switch p := rng.IntN(100); {
				case p < 60:
					s := students[rng.IntN(len(students))]
					start := instainstru.Minute(8*60 + 30*rng.IntN(18)).String()
					r := rawDo(e, "POST", "/api/v1/bookings", bookBody(tc.Offer, d, start, 60), bearer(s.Token)...)
					record("book", r)
					if r.Status == 201 {
						var b struct{ ID string }
						_ = json.Unmarshal(r.Body, &b)
						mu.Lock()
						created = append(created, made{b.ID, s})
						mu.Unlock()
					}
				case p < 75:
					mu.Lock()
					var m made
					if len(created) > 0 {
						m = created[rng.IntN(len(created))]
					}
					mu.Unlock()
					if m.id != "" {
						record("cancel", rawDo(e, "POST", "/api/v1/bookings/"+m.id+"/cancel", map[string]any{"reason": "storm"}, bearer(m.student.Token)...))
					}
				case p < 92:
					days := map[int]ranges{}
					for i := 0; i < 7; i++ {
						if rng.IntN(4) > 0 {
							a := 8 + rng.IntN(4)
							days[i] = ranges{{fmt.Sprintf("%02d:00", a), fmt.Sprintf("%02d:00", a+4+rng.IntN(6))}}
						}
					}
					record("put week", rawDo(e, "PUT", weekPath, putWeekBody(weekOf(d), days), bearer(tc.Token)...))
				default:
					if rng.IntN(2) == 0 {
						record("blackout", rawDo(e, "POST", "/api/v1/instructors/me/blackout-dates", map[string]any{"date": d.String()}, bearer(tc.Token)...))
					} else {
						r := rawDo(e, "DELETE", "/api/v1/instructors/me/blackout-dates/"+d.String(), nil, bearer(tc.Token)...)
						if r.Status == 404 {
							r.Status = 204 // no blackout there: fine
						}
						record("unblackout", r)
					}
				}
				if w == 0 && op == opsEach/2 {
					// Mid-storm: the suspended teacher's students cancel, and the suspension is
					// retried until no booking races in.
					for try := 0; try < 50 && suspendedAt.Load() == 0; try++ {
						mu.Lock()
						mine := append([]made(nil), created...)
						mu.Unlock()
						for _, m := range mine {
							rawDo(e, "POST", "/api/v1/bookings/"+m.id+"/cancel", map[string]any{"reason": "storm"}, bearer(m.student.Token)...)
						}
						if r := rawDo(e, "POST", "/api/v1/account/suspend", nil, bearer(suspended.Token)...); r.Status == 200 {
							suspendedAt.Store(time.Now().UnixNano())
						}
					}
				}
			}
		}(w)
	}
	wg.Wait()
	t.Logf("storm answers by status: %v; %d bookings created", counts, len(created))
	require.Empty(t, bad, "no 5xx but 503 with Retry-After, no transport errors")
	require.NotZero(t, suspendedAt.Load(), "the suspension went through")

	var violations []string
	rows, err := db.Pool.Query(t.Context(), `SELECT booking_id::text || ': ' || why FROM storm_violations`)
	require.NoError(t, err)
	violations, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Empty(t, violations)
	require.Zero(t, overlaps(t))
	ids := make([]string, len(created))
	for i, m := range created {
		ids[i] = m.id
	}
	var found int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM bookings WHERE id = ANY($1::uuid[])`, ids).Scan(&found))
	require.Equal(t, len(created), found, "every 201 is in the database")
	var future int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM bookings WHERE instructor_id = $1 AND status = 'confirmed'
		AND starts_at > now()`, suspended.ID).Scan(&future))
	require.Zero(t, future, "the suspended instructor holds no future lesson")
	require.Greater(t, counts[201], 50, "the storm did book")
}

// Defect 10 (public calendars): the public availability cache was keyed by the exact window asked,
// so arbitrary start/end pairs made arbitrary keys. Windows are now loaded in aligned blocks.
func TestPublicCalendarKeysStayBounded(t *testing.T) {
	_, cs := sharedTestCache(t)
	e := newEnv(t, withCache(t, cs))
	f := e.pubInstructor(t, "Ada Lovelace", "America/New_York", 0, 0, "{60}")
	today := f.today()
	f.setAvailability(t, today.AddDays(3), "09:00-12:00")
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 200; i++ {
		start := today.AddDays(rng.IntN(300))
		end := start.AddDays(rng.IntN(30))
		r := e.do("GET", pubPath(f.id, "start_date="+start.String(), "end_date="+end.String()), nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
	}
	// The answers stay right.
	_, got := getAvailability(t, e, pubPath(f.id, "start_date="+today.AddDays(3).String(), "end_date="+today.AddDays(4).String()))
	require.Equal(t, []string{"09:00-12:00"}, slotsOf(t, got.AvailabilityByDate[today.AddDays(3).String()]))
	keys := 0
	rdb, err := cache.Dial(testenv.RedisURL(t, 1))
	require.NoError(t, err)
	defer rdb.Close()
	iter := rdb.Scan(t.Context(), 0, "*avail:"+f.id+"*", 1000).Iterator()
	for iter.Next(t.Context()) {
		keys++
	}
	require.NoError(t, iter.Err())
	t.Logf("200 windows, %d calendar keys", keys)
	require.LessOrEqual(t, keys, 40, "calendar keys per instructor are bounded by the aligned blocks, not by the windows asked")
	// A window beyond the horizon is refused, not cached.
	far := today.AddDays(400)
	requireProblem(t, e.do("GET", pubPath(f.id, "start_date="+far.String(), "end_date="+far.AddDays(1).String()), nil), 422, "beyond_horizon")
}
