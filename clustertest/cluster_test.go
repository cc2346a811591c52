package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
)

// Sizes: the short form runs in `go test`; CLUSTER_TEST_FULL=1 (make cluster-test) runs the
// issue's full sizes.
func sizes() (students, ops int) {
	if os.Getenv("CLUSTER_TEST_FULL") != "" {
		return 300, 3000
	}
	return 60, 500
}

const (
	placementInstructors = 50
	stormInstructors     = 30
)

// TestThreeNodesPlacementStormAndKill is the acceptance test of the actor cluster, on three real
// processes:
//  1. the nodes form a cluster (each /readyz shows 3 members);
//  2. 50 instructors each have their actor on exactly one node (the nodes' monitoring stats);
//  3. a storm of bookings, cancellations and availability edits, sent round-robin over the
//     nodes, during which one node is killed with SIGKILL: the survivors see 2 members within
//     30 s; every answer is a 2xx, an expected 4xx, or a 503 with Retry-After;
//  4. through the survivors every instructor can be booked again;
//  5. the database has no overlap, nothing outside the hours ever offered, and every
//     acknowledged booking and cancellation;
//  6. the killed node restarts and rejoins (3 members again) and takes bookings.
func TestThreeNodesPlacementStormAndKill(t *testing.T) {
	nStudents, nOps := sizes()
	c := startCluster(t, 3)
	w := makeWorld(t, c.nodes, placementInstructors, nStudents, "{60}")
	week := nextMonday()
	var weekDays []instainstru.Date
	for i := 0; i < 7; i++ {
		weekDays = append(weekDays, week.AddDays(i))
	}
	checkDay, placeDay, rejoinDay := week.AddDays(7), week.AddDays(8), week.AddDays(9)
	setAvailability(t, w.instructors, append(append([]instainstru.Date{}, weekDays...), checkDay, placeDay, rejoinDay), 8*60, 20*60)

	// Placement: one booking per instructor, sent round-robin, activates every actor.
	for i, ins := range w.instructors {
		a := bookWithRetry(c.nodes[i%3], w.stuTokens[i%len(w.stuTokens)], w.offers[i], placeDay, instainstru.Minute((8+i%12)*60), 60, 30*time.Second)
		require.Equalf(t, http.StatusCreated, a.status, "placement booking for %s: %+v", ins, a)
	}
	where := map[string][]string{}
	for _, nd := range c.nodes {
		ids, err := nd.liveInstructors()
		require.NoError(t, err)
		for _, id := range ids {
			where[id] = append(where[id], nd.name)
		}
	}
	perNode := map[string]int{}
	for _, ins := range w.instructors {
		require.Lenf(t, where[ins], 1, "instructor %s is active on %v", ins, where[ins])
		perNode[where[ins][0]]++
	}
	t.Logf("placement of %d instructors: %v", len(w.instructors), perNode)

	// The storm, with node3 killed halfway.
	s := &storm{c: c, w: w, days: weekDays, acked: map[string]*ack{}}
	s.alive[0].Store(true)
	s.alive[1].Store(true)
	s.alive[2].Store(true)
	killed := make(chan time.Duration, 1)
	var killer sync.WaitGroup
	killer.Add(1)
	go func() {
		defer killer.Done()
		for s.done.Load() < int64(nOps/2) {
			time.Sleep(20 * time.Millisecond)
		}
		s.alive[2].Store(false)
		s.killedAt.Store(time.Now().UnixNano())
		c.kill(c.nodes[2])
		t0 := time.Now()
		for _, nd := range c.nodes[:2] {
			for {
				r, err := nd.ready()
				if err == nil && r.Cluster != nil && r.Cluster.Members == 2 {
					break
				}
				if time.Since(t0) > 30*time.Second {
					t.Errorf("%s does not show 2 members 30s after the kill", nd.name)
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		killed <- time.Since(t0)
	}()
	s.run(t, nOps, 12)
	killer.Wait()
	t.Logf("survivors showed 2 members %s after the kill", <-killed)
	t.Logf("storm answers: %v", s.statusCounts())
	require.False(t, t.Failed())
	require.Greater(t, s.count(http.StatusCreated), 0)

	// Every instructor can be booked again through the survivors, and the other survivor's
	// public calendar (read before, so its near cache and Redis hold it) stops offering the hour
	// within the near cache's bound: Redis is invalidated before the booking's answer, the other
	// node's in-process copy by a pub/sub message (asynchronous, so a read racing it may still
	// see the hour) and in any case after the near cache's 1 s lifetime. Allowed here: 3 s, for
	// a loaded machine.
	var maxLag time.Duration
	for i, ins := range w.instructors[:stormInstructors] {
		writer, reader := c.nodes[i%2], c.nodes[(i+1)%2]
		require.True(t, offersHour(t, reader, ins, checkDay, "10:00"), "before the booking, %s offers 10:00", reader.name)
		a := bookWithRetry(writer, w.stuTokens[i%len(w.stuTokens)], w.offers[i], checkDay, 10*60, 60, 60*time.Second)
		require.Equalf(t, http.StatusCreated, a.status, "instructor %s after the kill: %+v", ins, a)
		s.record(a.id, false)
		booked := time.Now()
		for offersHour(t, reader, ins, checkDay, "10:00") {
			require.Lessf(t, time.Since(booked), 3*time.Second, "after a booking through %s, %s still offers 10:00", writer.name, reader.name)
			time.Sleep(10 * time.Millisecond)
		}
		if lag := time.Since(booked); lag > maxLag {
			maxLag = lag
		}
	}
	t.Logf("cross-node public calendar freshness: the booked hour disappeared from the other node within %s (worst of %d)", maxLag, stormInstructors)

	s.checkDatabase(t)

	// The killed node restarts and rejoins.
	c.start(c.nodes[2])
	took := c.waitMembers(c.nodes, 3, 90*time.Second)
	t.Logf("restarted node rejoined: 3 members everywhere after %s", took)
	for i, ins := range w.instructors[:stormInstructors] {
		a := bookWithRetry(c.nodes[2], w.stuTokens[(i+1)%len(w.stuTokens)], w.offers[i], rejoinDay, 12*60, 60, 60*time.Second)
		require.Equalf(t, http.StatusCreated, a.status, "instructor %s through the rejoined node: %+v", ins, a)
	}
}

// offersHour reports whether a node's public availability of the instructor on d has a slot
// containing the hour starting at hhmm.
func offersHour(t *testing.T, nd *node, ins string, d instainstru.Date, hhmm string) bool {
	t.Helper()
	resp, err := client.Get(nd.base() + "/api/v1/public/instructors/" + ins + "/availability?start_date=" + d.String() + "&end_date=" + d.String())
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct {
		ByDate map[string]struct {
			Slots []struct {
				Start string `json:"start_time"`
				End   string `json:"end_time"`
			} `json:"available_slots"`
		} `json:"availability_by_date"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	start, _ := instainstru.ParseMinute(hhmm, false)
	for _, sl := range out.ByDate[d.String()].Slots {
		a, _ := instainstru.ParseMinute(sl.Start, false)
		b, _ := instainstru.ParseMinute(sl.End, true)
		if a <= start && start+60 <= b {
			return true
		}
	}
	return false
}

// bookWithRetry books, retrying a 503 (with the same Idempotency-Key, as a client should) or a
// refused connection until within has passed.
func bookWithRetry(nd *node, token, offer string, d instainstru.Date, start instainstru.Minute, dur int, within time.Duration) answer {
	key := uuid.NewString()
	deadline := time.Now().Add(within)
	for {
		a := call(http.MethodPost, nd.base()+"/api/v1/bookings", token, key, bookBody(offer, d, start, dur))
		if (a.err == nil && a.status != http.StatusServiceUnavailable) || time.Now().After(deadline) {
			return a
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type ack struct {
	cancelled bool
}

// storm sends bookings, cancellations and availability edits round-robin over the live nodes.
type storm struct {
	c        *cluster
	w        *world
	days     []instainstru.Date
	alive    [3]atomic.Bool
	killedAt atomic.Int64
	done     atomic.Int64
	next     atomic.Int64

	mu       sync.Mutex
	acked    map[string]*ack // booking id → acknowledged state
	byStu    map[int][]string
	statuses map[string]int
}

func (s *storm) record(id string, cancelled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.acked[id]; a != nil {
		a.cancelled = a.cancelled || cancelled
		return
	}
	s.acked[id] = &ack{cancelled: cancelled}
}

func (s *storm) count(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.statuses {
		var st int
		var code string
		if _, err := fmt.Sscanf(k, "%d %s", &st, &code); err == nil && st == status {
			n += v
		}
	}
	return n
}

func (s *storm) statusCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.statuses {
		out[k] = v
	}
	return out
}

// pick returns a live node, round-robin.
func (s *storm) pick() (*node, int) {
	for {
		i := int(s.next.Add(1) % 3)
		if s.alive[i].Load() {
			return s.c.nodes[i], i
		}
	}
}

func (s *storm) run(t *testing.T, ops, workers int) {
	s.byStu = map[int][]string{}
	s.statuses = map[string]int{}
	var wg sync.WaitGroup
	var issued atomic.Int64
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(g) + 1))
			for issued.Add(1) <= int64(ops) {
				s.op(t, rng)
				s.done.Add(1)
			}
		}(g)
	}
	wg.Wait()
}

// op runs one random operation and checks its answer.
func (s *storm) op(t *testing.T, rng *rand.Rand) {
	w := s.w
	nd, ni := s.pick()
	var a answer
	var kind string
	r := rng.Intn(100)
	switch {
	case r < 72: // book: half-hour starts from 06:00 to 21:30 (06:00-07:59 is never offered)
		kind = "book"
		si, ii := rng.Intn(len(w.students)), rng.Intn(stormInstructors)
		d := s.days[rng.Intn(len(s.days))]
		start := instainstru.Minute(6*60 + 30*rng.Intn(32))
		key := uuid.NewString()
		for attempt := 0; ; attempt++ {
			a = call(http.MethodPost, nd.base()+"/api/v1/bookings", w.stuTokens[si], key, bookBody(w.offers[ii], d, start, 60))
			if a.err != nil || a.status != http.StatusServiceUnavailable || attempt == 3 {
				break
			}
			s.tally(a, kind) // the 503 itself is an answer to check
			if !s.validate(t, a, kind, ni) {
				return
			}
			time.Sleep(250 * time.Millisecond)
			nd, ni = s.pick()
		}
		if a.err == nil && a.status == http.StatusCreated {
			if start < 8*60 || start+60 > 22*60 {
				t.Errorf("booked %s %s, outside every hour ever offered", d, start)
			}
			s.record(a.id, false)
			s.mu.Lock()
			s.byStu[si] = append(s.byStu[si], a.id)
			s.mu.Unlock()
		}
	case r < 88: // cancel one of the student's acknowledged bookings
		kind = "cancel"
		si := rng.Intn(len(w.students))
		s.mu.Lock()
		ids := s.byStu[si]
		var id string
		if len(ids) > 0 {
			id = ids[rng.Intn(len(ids))]
		}
		s.mu.Unlock()
		if id == "" {
			return
		}
		a = call(http.MethodPost, nd.base()+"/api/v1/bookings/"+id+"/cancel", w.stuTokens[si], "", map[string]string{"reason": "storm"})
		if a.err == nil && a.status == http.StatusOK {
			s.record(id, true)
		}
	default: // an instructor toggles the evening hours of the week (08-20 or 08-22 per day)
		kind = "week"
		ii := rng.Intn(stormInstructors)
		days := map[string][]map[string]string{}
		for _, d := range s.days {
			end := "20:00"
			if rng.Intn(2) == 0 {
				end = "22:00"
			}
			days[d.String()] = []map[string]string{{"start_time": "08:00", "end_time": end}}
		}
		a = call(http.MethodPut, nd.base()+"/api/v1/instructors/me/availability/week", w.insTokens[ii], "",
			map[string]any{"week_start": s.days[0].String(), "days": days})
	}
	s.tally(a, kind)
	s.validate(t, a, kind, ni)
}

func (s *storm) tally(a answer, kind string) {
	key := fmt.Sprintf("%d %s/%s", a.status, kind, a.code)
	if a.err != nil {
		key = "0 " + kind + "/transport"
	}
	s.mu.Lock()
	s.statuses[key]++
	s.mu.Unlock()
}

// validate fails the test for an answer the contract does not allow here.
func (s *storm) validate(t *testing.T, a answer, kind string, ni int) bool {
	if a.err != nil {
		// Only a request in flight to the node being killed may get no answer at all.
		if !s.alive[ni].Load() {
			return false
		}
		t.Errorf("%s: no answer from node%d: %v", kind, ni+1, a.err)
		return false
	}
	switch {
	case a.status == http.StatusServiceUnavailable:
		if a.retryAfter == "" {
			t.Errorf("%s: 503 without Retry-After", kind)
		}
	case a.status >= 500:
		t.Errorf("%s: %d %s", kind, a.status, a.code)
	case a.status == http.StatusTooManyRequests, a.status == http.StatusOK, a.status == http.StatusCreated:
	case a.status == http.StatusConflict:
		switch a.code {
		case "booking_conflict", "student_conflict", "outside_availability", "invalid_status_transition":
		default:
			t.Errorf("%s: 409 %s", kind, a.code)
		}
	case a.status == http.StatusUnprocessableEntity && kind == "cancel":
	default:
		t.Errorf("%s: unexpected %d %s", kind, a.status, a.code)
	}
	return true
}

// checkDatabase: no overlaps, nothing outside offered hours, every acknowledged write present.
func (s *storm) checkDatabase(t *testing.T) {
	ctx := context.Background()
	var n int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM bookings a JOIN bookings b
		ON a.id < b.id AND a.status = 'confirmed' AND b.status = 'confirmed'
		AND (a.instructor_id = b.instructor_id OR a.student_id = b.student_id)
		AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)`).Scan(&n))
	require.Zero(t, n, "overlapping confirmed bookings")
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM bookings WHERE status = 'confirmed'
		AND ((starts_at AT TIME ZONE 'UTC')::time < '08:00' OR (ends_at AT TIME ZONE 'UTC')::time > '22:00'
		     OR (ends_at AT TIME ZONE 'UTC')::time = '00:00')`).Scan(&n))
	require.Zero(t, n, "confirmed bookings outside the hours ever offered")
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, a := range s.acked {
		var status string
		err := db.Pool.QueryRow(ctx, `SELECT status FROM bookings WHERE id = $1`, id).Scan(&status)
		require.NoErrorf(t, err, "acknowledged booking %s is not in the database", id)
		if a.cancelled {
			require.Equalf(t, "cancelled", status, "acknowledged cancellation of %s", id)
		} else if status != "confirmed" && status != "cancelled" {
			t.Errorf("booking %s is %s", id, status)
		}
	}
	t.Logf("%d acknowledged bookings, all in the database", len(s.acked))
}
