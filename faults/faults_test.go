package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/instainstru/instainstru/loadgen"
	"github.com/instainstru/instainstru/persistence/testenv"
	"github.com/instainstru/instainstru/tasks"
)

// The scenarios run one after another (two of them stop shared pieces of the suite: the
// PostgreSQL cluster, and they all share the machine's two cores).

// TestRedisStop kills the private redis-server under load (its data is gone: no persistence),
// keeps it down, then starts it empty. While it is down, reads keep answering 200 from
// PostgreSQL (the cache fails open) and bookings keep committing (201). Afterwards the
// scheduler's start-up sweep restores every reminder of every confirmed future booking.
func TestRedisStop(t *testing.T) {
	s := begin(t, "redis-stop")
	db := newDatabase(s)
	rs := testenv.StartRedis(t)
	env := appEnv(db.url, "redis://"+rs.Addr()+"/0")
	_, base := s.server("serve", env, "serve")
	s.start("worker", env, "worker")
	sched := s.start("scheduler", env, "scheduler")
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: rs.Addr()})
	defer insp.Close()

	since := time.Now()
	l := s.startLoad(base)
	time.Sleep(phase(1500*time.Millisecond, 10*time.Second))
	s.waitFor("the start-up sweep to queue the reminders", 30*time.Second, func() bool {
		missing, total := s.missingReminders(db, insp)
		return total > 0 && missing == 0
	})

	rs.Kill()
	down := time.Now()
	time.Sleep(phase(3*time.Second, 20*time.Second))
	back := time.Now()
	rs.Start()
	time.Sleep(phase(2*time.Second, 10*time.Second))
	sn := l.stop()

	// A short grace after the kill: requests already past their Redis call are not the question.
	outage := l.between(down.Add(200*time.Millisecond), back)
	reads, writes := split(outage)
	rt, wt := count(reads), count(writes)
	t.Logf("during the outage: reads %s; bookings and cancellations %s", rt, wt)
	s.require(len(reads) > 0 && rt.status[200] == len(reads), "reads during the Redis outage were not all 200: %s", rt)
	s.require(wt.created > 0, "no booking committed (201) during the Redis outage: %s", wt)
	s.require(wt.fivexx() == 0 && len(wt.transport) == 0, "writes failed during the Redis outage: %s", wt)
	s.require(sn.Count("", 500) == 0, "%d answers were 500", sn.Count("", 500))

	missing, total := s.missingReminders(db, insp)
	t.Logf("after Redis came back empty: %d of %d reminders missing", missing, total)
	s.require(missing > 0, "the restarted Redis still had its reminders: the outage did not wipe it")
	sched.stop(15 * time.Second)
	s.start("scheduler-2", env, "scheduler")
	took := s.waitFor("the sweep to restore every reminder", phase(30*time.Second, 60*time.Second), func() bool {
		m, _ := s.missingReminders(db, insp)
		return m == 0
	})
	_, total = s.missingReminders(db, insp)
	t.Logf("every reminder of the %d due later is queued again, %.1f s after the scheduler restart", total, took.Seconds())
	s.audit(db, l, sn, since)
}

// missingReminders counts the reminders of confirmed future bookings (due more than a minute
// from now, so none is being sent while it counts) that are not in the queue.
func (s *scen) missingReminders(db *database, insp *asynq.Inspector) (missing, total int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	now := time.Now()
	var after time.Time
	afterID := ""
	for {
		page, err := db.store.UpcomingLessons(ctx, now, after, afterID, 500)
		s.noErr(err, "upcoming lessons")
		for _, lsn := range page {
			for _, j := range tasks.ReminderJobs(lsn.BookingID, lsn.StartsAt, now) {
				if !j.ProcessAt.After(now.Add(time.Minute)) {
					continue
				}
				total++
				if _, err := insp.GetTaskInfo(j.Queue, j.ID); err != nil {
					if !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
						s.noErr(err, "task info")
					}
					missing++
				}
			}
		}
		if len(page) < 500 {
			return missing, total
		}
		after, afterID = page[len(page)-1].StartsAt, page[len(page)-1].BookingID
	}
}

func split(rs []loadgen.Result) (reads, writes []loadgen.Result) {
	for _, r := range rs {
		if r.Endpoint == loadgen.Book || r.Endpoint == loadgen.Cancel {
			writes = append(writes, r)
		} else {
			reads = append(reads, r)
		}
	}
	return reads, writes
}

// TestPostgresRestart stops the private PostgreSQL cluster under load (fast shutdown: sessions
// cut, open transactions rolled back), keeps it down, and starts it again. While it is down
// every answer is bounded by REQUEST_TIMEOUT and is a 200 (from the cache) or a 503 with
// Retry-After, never a 500 and never a hang; afterwards the same server process answers again
// and books (no restart), and no acknowledged booking is missing.
func TestPostgresRestart(t *testing.T) {
	s := begin(t, "postgres-restart")
	db := newDatabase(s)
	rs := testenv.StartRedis(t)
	env := appEnv(db.url, "redis://"+rs.Addr()+"/0")
	srv, base := s.server("serve", env, "serve")

	since := time.Now()
	l := s.startLoad(base)
	time.Sleep(phase(1500*time.Millisecond, 10*time.Second))
	stopAt := time.Now()
	s.noErr(cluster.stop(), "stop PostgreSQL")
	t.Cleanup(func() { _ = cluster.start() }) // the suite's other scenarios need it back
	stopped := time.Now()
	time.Sleep(phase(2500*time.Millisecond, 15*time.Second))
	s.noErr(cluster.start(), "start PostgreSQL")
	upAt := time.Now()
	s.ready(srv, base, 60*time.Second)
	recovered := time.Now()
	time.Sleep(phase(3*time.Second, 15*time.Second))
	sn := l.stop()

	dt := count(l.between(stopped, upAt))
	t.Logf("stop took %.1f s; PostgreSQL down %.1f s: %s", stopped.Sub(stopAt).Seconds(), upAt.Sub(stopped).Seconds(), dt)
	s.require(dt.status[503] > 0, "no 503 while PostgreSQL was down: %s", dt)
	s.require(dt.noRetry == 0, "%d answers 503 without Retry-After", dt.noRetry)
	s.require(len(dt.transport) == 0, "requests got no answer while PostgreSQL was down: %v", dt.transport)
	for st := range dt.status {
		s.require(st == 503 || st < 500, "answer %d while PostgreSQL was down: %s", st, dt)
	}
	// REQUEST_TIMEOUT=3s: no answer may take much longer (a loaded machine gets 3 s of slack).
	s.require(dt.slowest <= 6*time.Second, "an answer took %s while PostgreSQL was down (REQUEST_TIMEOUT 3s)", dt.slowest)
	s.require(sn.Count("", 500) == 0, "%d answers were 500", sn.Count("", 500))

	at := count(l.between(recovered.Add(time.Second), time.Now()))
	t.Logf("ready %.1f s after PostgreSQL was back; afterwards: %s", recovered.Sub(upAt).Seconds(), at)
	s.require(at.created > 0 && at.reads200 > 0, "after PostgreSQL came back the server did not book and read again: %s", at)
	s.require(at.fivexx() == 0 && len(at.transport) == 0, "after recovery: %s", at)
	s.audit(db, l, sn, since)
}

// TestWorkerKill stalls the suite's SMTP server in DATA under load, kills the worker with
// SIGKILL while it is sending, starts a new worker, and (after the claim lease) restarts the
// scheduler, whose start-up sweep re-queues the dead worker's sends. Every email recorded as sent
// in notification_log reached the SMTP server exactly once, every acknowledged booking has both
// confirmations sent, and nothing is left claimed or failed.
func TestWorkerKill(t *testing.T) {
	s := begin(t, "worker-kill")
	db := newDatabase(s)
	rs := testenv.StartRedis(t)
	mail := testenv.StartSMTP(s.t)
	env := appEnv(db.url, "redis://"+rs.Addr()+"/0", "SMTP_HOST=127.0.0.1", fmt.Sprintf("SMTP_PORT=%d", mail.Port()),
		"SMTP_TIMEOUT=5s", "MAIL_CLAIM_LEASE=11s")
	_, base := s.server("serve", env, "serve")
	worker := s.start("worker", env, "worker")
	sched := s.start("scheduler", env, "scheduler")

	since := time.Now()
	l := s.startLoad(base)
	time.Sleep(phase(2*time.Second, 10*time.Second))
	mail.Stall()
	select {
	case <-mail.InData():
	case <-time.After(60 * time.Second):
		s.require(false, "the worker never reached DATA")
	}
	time.Sleep(200 * time.Millisecond) // let its other sends reach DATA too
	worker.kill()
	killedAt := time.Now()
	mail.Unstall()
	var claimed int
	s.noErr(db.pool.QueryRow(context.Background(), `SELECT count(*) FROM notification_log WHERE status = 'sending'`).Scan(&claimed), "claims")
	t.Logf("worker killed with %d emails claimed mid-send", claimed)
	s.require(claimed > 0, "no email was being sent when the worker was killed")
	s.start("worker-2", env, "worker")
	time.Sleep(phase(1500*time.Millisecond, 10*time.Second))
	sn := l.stop()

	// The dead worker's claims protect a send that might still run until the lease (11 s) ends;
	// then the scheduler's start-up sweep re-queues them.
	time.Sleep(time.Until(killedAt.Add(12 * time.Second)))
	sched.stop(15 * time.Second)
	s.start("scheduler-2", env, "scheduler")
	// Confirmations are owed for the acknowledged bookings still confirmed (a cancelled lesson's
	// confirmation may rightly be skipped when it runs, and a cancellation cut short when the load
	// stopped may have committed unacknowledged).
	var booked []string
	for id := range sn.Booked {
		if !sn.Cancelled[id] {
			booked = append(booked, id)
		}
	}
	ctx := context.Background()
	last := ""
	defer func() {
		if t.Failed() {
			t.Logf("last state: %s", last)
		}
	}()
	s.waitFor("every email sent", phase(60*time.Second, 120*time.Second), func() bool {
		pending, _, err := db.store.OutboxBacklog(ctx)
		s.noErr(err, "pending outbox")
		var open, unconfirmed int
		s.noErr(db.pool.QueryRow(ctx, `SELECT count(*) FROM notification_log WHERE status IN ('sending', 'failed')`).Scan(&open), "open claims")
		s.noErr(db.pool.QueryRow(ctx, `SELECT count(*) FROM unnest($1::uuid[]) b
			JOIN bookings bk ON bk.id = b AND bk.status = 'confirmed'
			WHERE (SELECT count(*) FROM notification_log n WHERE n.booking_id = b AND n.kind = 'booking_confirmed' AND n.status = 'sent') < 2`,
			booked).Scan(&unconfirmed), "confirmations")
		var states string
		s.noErr(db.pool.QueryRow(ctx, `SELECT coalesce(string_agg(kind || ' ' || status || ' attempts ' || attempts, '; '), '')
			FROM notification_log WHERE status IN ('sending', 'failed')`).Scan(&states), "open rows")
		last = fmt.Sprintf("outbox pending %d, claimed or failed %d [%s], bookings without both confirmations %d", pending, open, states, unconfirmed)
		return pending == 0 && open == 0 && unconfirmed == 0
	})
	t.Logf("settled: %s", last)
	time.Sleep(2 * time.Second) // anything that would send twice has had time to

	rows, err := db.pool.Query(ctx, `SELECT recipient, subject, count(*) FROM notification_log WHERE status = 'sent' GROUP BY 1, 2`)
	s.noErr(err, "notification_log")
	want := map[string]int{}
	for rows.Next() {
		var to, subj string
		var n int
		s.noErr(rows.Scan(&to, &subj, &n), "scan")
		want[to+"\x00"+subj] = n
	}
	s.noErr(rows.Err(), "rows")
	got := accepted(mail)
	sent, doubled, lost := 0, 0, 0
	for k, n := range want {
		sent += n
		if got[k] > n {
			doubled += got[k] - n
		}
		if got[k] < n {
			lost += n - got[k]
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			doubled += n // accepted by the server, never recorded as sent
		}
	}
	var resent int
	s.noErr(db.pool.QueryRow(ctx, `SELECT count(*) FROM notification_log WHERE status = 'sent' AND attempts >= 2`).Scan(&resent), "resent")
	t.Logf("%d emails sent for %d acknowledged bookings; %d of them after the worker died mid-send; lost %d, doubled %d",
		sent, len(booked), resent, lost, doubled)
	s.require(lost == 0 && doubled == 0, "emails lost %d, doubled %d (of %d sent)", lost, doubled, sent)
	s.require(resent > 0, "no email was sent again after the kill: the kill caught nothing")
	s.audit(db, l, sn, since)
}

// TestServerSIGTERM sends SIGTERM to the server under load. Every request started before the
// signal gets an answer (in-flight requests finish; a request written on a connection the
// server closed while idle is replayed by the client and then refused, counted separately);
// the process exits cleanly within its drain budget; no booking is half-written (each has its
// outbox event and its idempotency record) and none acknowledged is missing.
func TestServerSIGTERM(t *testing.T) {
	s := begin(t, "server-sigterm")
	db := newDatabase(s)
	rs := testenv.StartRedis(t)
	env := appEnv(db.url, "redis://"+rs.Addr()+"/0")
	srv, base := s.server("serve", env, "serve")

	since := time.Now()
	l := s.startLoad(base)
	time.Sleep(phase(2*time.Second, 10*time.Second))
	sigAt := time.Now()
	s.noErr(srv.cmd.Process.Signal(syscall.SIGTERM), "SIGTERM")
	select {
	case <-srv.done:
	case <-time.After(30 * time.Second):
		s.require(false, "the server did not exit within 30 s of SIGTERM")
	}
	exited := time.Now()
	time.Sleep(500 * time.Millisecond)
	sn := l.stop()
	s.require(srv.state.Success(), "the server exited with %s", srv.state)
	s.require(!strings.Contains(srv.out.String(), "http shutdown"), "the HTTP drain did not finish: %s", tail(srv.out.String(), 400))

	before := l.between(since, sigAt)
	bt := count(before)
	at := count(l.between(sigAt, time.Now()))
	t.Logf("exit %.2f s after SIGTERM; requests started before it: %d, %s; after it: %s",
		exited.Sub(sigAt).Seconds(), len(before), bt, at)
	for kind, n := range bt.transport {
		s.require(kind == "refused", "%d requests started before SIGTERM got no answer (%s): %s", n, kind, bt)
	}
	s.require(bt.status[500] == 0, "answers 500 during the drain: %s", bt)
	s.audit(db, l, sn, since)
}

// TestClusterNodeKill runs three `serve` nodes as one actor cluster, drives load through all of
// them, kills one with SIGKILL and sends the load to the survivors. Once the survivors see two
// members, every request is answered without a 5xx and bookings commit; no acknowledged booking
// or cancellation is missing, and there is no overlap.
func TestClusterNodeKill(t *testing.T) {
	s := begin(t, "cluster-node-kill")
	db := newDatabase(s)
	rs := testenv.StartRedis(t)
	const n = 3
	type node struct {
		p                   *proc
		base                string
		http, remote, mbrsp int
	}
	nodes := make([]*node, n)
	var members []string
	for i := range nodes {
		nodes[i] = &node{http: freePort(), remote: freePort(), mbrsp: freePort()}
		nodes[i].base = fmt.Sprintf("http://127.0.0.1:%d", nodes[i].http)
		members = append(members, fmt.Sprintf("127.0.0.1:%d", nodes[i].mbrsp))
	}
	env := appEnv(db.url, "redis://"+rs.Addr()+"/0", "CLUSTER_NAME=faults", "CLUSTER_MEMBERS="+strings.Join(members, ","),
		"CLUSTER_MEMBERSHIP_REFRESH=500ms")
	for i, nd := range nodes {
		nd.p = s.start(fmt.Sprintf("node%d", i+1), append(append([]string(nil), env...),
			fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", nd.http), fmt.Sprintf("CLUSTER_ADDR=127.0.0.1:%d", nd.remote),
			fmt.Sprintf("CLUSTER_MEMBERSHIP_PORT=%d", nd.mbrsp)), "serve")
	}
	for _, nd := range nodes {
		s.waitMembers(nd.p, nd.base, n, 90*time.Second)
	}
	var bases []string
	for _, nd := range nodes {
		bases = append(bases, nd.base)
	}
	since := time.Now()
	l := s.startLoad(bases...)
	time.Sleep(phase(2*time.Second, 10*time.Second))
	nodes[2].p.kill()
	killed := time.Now()
	l.r.SetTargets(bases[:2])
	for _, nd := range nodes[:2] {
		s.waitMembers(nd.p, nd.base, n-1, 30*time.Second)
	}
	settled := time.Now()
	time.Sleep(phase(2500*time.Millisecond, 15*time.Second))
	sn := l.stop()

	around := count(l.between(killed, settled))
	after := count(l.between(settled.Add(500*time.Millisecond), time.Now()))
	t.Logf("survivors saw 2 members %.2f s after the kill; meanwhile %s; afterwards %s",
		settled.Sub(killed).Seconds(), around, after)
	s.require(after.created > 0 && after.reads200 > 0, "the survivors did not serve: %s", after)
	s.require(after.fivexx() == 0 && len(after.transport) == 0, "the survivors failed requests: %s", after)
	s.require(around.status[500] == 0 && around.noRetry == 0, "during the membership change: %s", around)
	s.require(sn.Count("", 500) == 0, "%d answers were 500", sn.Count("", 500))
	s.audit(db, l, sn, since)
}

// waitMembers waits until a node's /readyz is ready and reports want cluster members.
func (s *scen) waitMembers(p *proc, base string, want int, d time.Duration) {
	s.t.Helper()
	s.waitFor(fmt.Sprintf("%s to see %d members", p.name, want), d, func() bool {
		s.require(p.running(), "%s exited: %s", p.name, tail(p.out.String(), 600))
		resp, err := httpc.Get(base + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var r struct {
			Cluster *struct {
				Members int `json:"members"`
			} `json:"cluster"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&r)
		return resp.StatusCode == http.StatusOK && r.Cluster != nil && r.Cluster.Members == want
	})
}
