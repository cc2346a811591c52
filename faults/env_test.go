package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/instainstru/instainstru/loadgen"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// full is the long form (FAULTS_FULL=1, make faults): longer phases, more users.
var full = os.Getenv("FAULTS_FULL") != ""

// phase is a duration of the short or the long form.
func phase(short, long time.Duration) time.Duration {
	if full {
		return long
	}
	return short
}

const pgBin = "/usr/lib/postgresql/15/bin"

var (
	bin      string     // the instainstru binary, built once
	cluster  *pgCluster // the suite's private PostgreSQL
	template = "faults_template"
)

func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "instainstru-faults-")
	if err == nil {
		err = os.Chmod(root, 0o755) // the postgres user must reach its data directory
	}
	if err == nil {
		err = setup(root)
	}
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults: setup:", err)
	} else {
		code = m.Run()
	}
	if cluster != nil {
		_ = cluster.stop()
	}
	_ = os.RemoveAll(root)
	os.Exit(code)
}

// setup builds the binary, starts the private PostgreSQL cluster and prepares the template
// database every scenario's database is copied from (migrated, catalog and demo data seeded).
func setup(root string) error {
	_, file, _, _ := runtime.Caller(0)
	bin = filepath.Join(root, "instainstru")
	build := exec.Command("go", "build", "-o", bin, "./cmd/instainstru")
	build.Dir = filepath.Dir(filepath.Dir(file))
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v: %s", err, out)
	}
	var err error
	if cluster, err = startCluster(filepath.Join(root, "pg")); err != nil {
		return err
	}
	if err := cluster.exec("CREATE DATABASE " + template); err != nil {
		return err
	}
	env := append(os.Environ(), "APP_ENV=test", "LOG_LEVEL=warn", "DATABASE_URL="+cluster.url(template))
	for _, args := range [][]string{{"migrate"}, {"seed", "--demo"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", args[0], err, out)
		}
	}
	return nil
}

// pgCluster is a PostgreSQL cluster owned by the suite (initdb into a temporary directory, on a
// free port), so scenarios may stop and restart it without touching anyone else's server.
type pgCluster struct {
	dir  string
	port int
}

func startCluster(dir string) (*pgCluster, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("the postgres user runs the private cluster: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	if out, err := asPostgres(pgBin+"/initdb", "-D", dir, "-A", "trust", "-U", "postgres").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	c := &pgCluster{dir: dir, port: freePort()}
	return c, c.start()
}

func asPostgres(args ...string) *exec.Cmd {
	return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
}

func (c *pgCluster) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300", c.port, c.dir)
	out, err := asPostgres(pgBin+"/pg_ctl", "-D", c.dir, "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "120", "-o", opts, "start").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return nil
}

// stop is a fast shutdown: sessions are disconnected, in-flight transactions roll back.
func (c *pgCluster) stop() error {
	out, err := asPostgres(pgBin+"/pg_ctl", "-D", c.dir, "-m", "fast", "-w", "-t", "120", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

func (c *pgCluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

func (c *pgCluster) exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// pgx directly: persistence.Open registers pgvector's types, which this database lacks.
	conn, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// database is one scenario's copy of the template.
type database struct {
	url   string
	pool  *pgxpool.Pool
	store *persistence.Store
}

func newDatabase(s *scen) *database {
	name := "f_" + strings.ToLower(strings.ReplaceAll(s.name, "-", "_"))
	s.noErr(cluster.exec("DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"), "drop database")
	s.noErr(cluster.exec("CREATE DATABASE "+name+" TEMPLATE "+template), "create database")
	d := &database{url: cluster.url(name)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := persistence.Open(ctx, d.url, 4)
	s.noErr(err, "open database")
	d.pool, d.store = pool, persistence.NewStore(pool)
	s.t.Cleanup(func() {
		pool.Close()
		_ = cluster.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return d
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// scen is one scenario: it prints `PASS name` or `FAIL name: why` when the test ends.
type scen struct {
	t    *testing.T
	name string
	mu   sync.Mutex
	why  string
}

func begin(t *testing.T, name string) *scen {
	s := &scen{t: t, name: name}
	t.Cleanup(func() { // registered first, so it runs last
		if t.Failed() {
			s.mu.Lock()
			why := s.why
			s.mu.Unlock()
			if why == "" {
				why = "see the test log"
			}
			fmt.Printf("FAIL %s: %s\n", name, why)
		} else {
			fmt.Printf("PASS %s\n", name)
		}
	})
	return s
}

// require ends the scenario with a failure unless ok.
func (s *scen) require(ok bool, format string, args ...any) {
	s.t.Helper()
	if !ok {
		s.mu.Lock()
		s.why = fmt.Sprintf(format, args...)
		s.mu.Unlock()
		s.t.Fatal(s.why)
	}
}

func (s *scen) noErr(err error, what string) {
	s.t.Helper()
	s.require(err == nil, "%s: %v", what, err)
}

// waitFor polls ok until it holds or d has passed.
func (s *scen) waitFor(what string, d time.Duration, ok func() bool) time.Duration {
	s.t.Helper()
	start := time.Now()
	for !ok() {
		s.require(time.Since(start) < d, "timed out after %s waiting for %s", d, what)
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// syncBuffer is a process's captured output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// proc is one running instainstru process.
type proc struct {
	name  string
	cmd   *exec.Cmd
	out   *syncBuffer
	done  chan struct{}
	state *os.ProcessState
}

// appEnv is the environment of the suite's processes.
func appEnv(dbURL, redisURL string, extra ...string) []string {
	return append(append(os.Environ(),
		"APP_ENV=test", "LOG_LEVEL=warn", "DATABASE_URL="+dbURL, "REDIS_URL="+redisURL, "DATABASE_MAX_CONNS=10",
		"RATE_LIMIT_GENERAL_PER_MINUTE=100000000", "RATE_LIMIT_AUTH_PER_MINUTE=100000000",
		"REQUEST_TIMEOUT=3s", "ACTOR_ASK_TIMEOUT=2s"), extra...)
}

func (s *scen) start(name string, env []string, command string) *proc {
	s.t.Helper()
	p := &proc{name: name, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, command)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	s.noErr(p.cmd.Start(), "start "+name)
	go func() { _ = p.cmd.Wait(); p.state = p.cmd.ProcessState; close(p.done) }()
	s.t.Cleanup(func() {
		p.stop(15 * time.Second)
		if s.t.Failed() {
			out := p.out.String()
			if len(out) > 4000 {
				out = out[len(out)-4000:]
			}
			s.t.Logf("---- %s output (tail) ----\n%s", name, out)
		}
	})
	return p
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits up to d, then kills.
func (p *proc) stop(d time.Duration) {
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(d):
		p.kill()
	}
}

// kill ends the process at once (SIGKILL) and reaps it.
func (p *proc) kill() {
	if p.running() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

var httpc = &http.Client{Timeout: 10 * time.Second}

// ready waits until base answers /readyz with 200.
func (s *scen) ready(p *proc, base string, d time.Duration) {
	s.t.Helper()
	s.waitFor(p.name+" ready", d, func() bool {
		s.require(p.running(), "%s exited before it was ready: %s", p.name, tail(p.out.String(), 600))
		resp, err := httpc.Get(base + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// server is an `instainstru serve` (or other command) on a free loopback port.
func (s *scen) server(name string, env []string, command string) (*proc, string) {
	port := freePort()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p := s.start(name, append(append([]string(nil), env...), fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", port)), command)
	s.ready(p, base, 90*time.Second)
	return p, base
}

// load is the generator running in the background, with every outcome kept.
type load struct {
	r      *loadgen.Runner
	cancel context.CancelFunc
	done   chan loadgen.Snapshot
	mu     sync.Mutex
	all    []loadgen.Result
}

func (s *scen) startLoad(targets ...string) *load {
	s.t.Helper()
	l := &load{done: make(chan loadgen.Snapshot, 1)}
	cfg := loadgen.Config{Targets: targets, Workers: 6, Students: 10, Instructors: 80, IdempotencyKeys: true,
		Timeout: 20 * time.Second, OnResult: func(r loadgen.Result) {
			l.mu.Lock()
			l.all = append(l.all, r)
			l.mu.Unlock()
		}}
	if full {
		cfg.Workers, cfg.Students, cfg.Instructors = 24, 40, 200
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	r, err := loadgen.Prepare(ctx, cfg)
	cancel()
	s.noErr(err, "prepare load")
	l.r = r
	rctx, rcancel := context.WithCancel(context.Background())
	l.cancel = rcancel
	go func() { l.done <- r.Run(rctx, time.Hour).Snapshot() }()
	s.t.Cleanup(func() { l.cancel() })
	return l
}

// stop ends the load and returns its figures.
func (l *load) stop() loadgen.Snapshot {
	l.cancel()
	return <-l.done
}

// between is every outcome of a request started in [from, to).
func (l *load) between(from, to time.Time) []loadgen.Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []loadgen.Result
	for _, r := range l.all {
		if !r.Start.Before(from) && r.Start.Before(to) {
			out = append(out, r)
		}
	}
	return out
}

// tally summarizes outcomes: answers by status, transport errors by kind, 201s.
type tally struct {
	status    map[int]int
	transport map[string]int
	created   int
	noRetry   int // 503 without Retry-After
	slowest   time.Duration
	reads200  int
}

func count(rs []loadgen.Result) tally {
	t := tally{status: map[int]int{}, transport: map[string]int{}}
	for _, r := range rs {
		if r.Status == 0 || r.Err != nil {
			t.transport[kindOf(r.Err)]++
			continue
		}
		t.status[r.Status]++
		if r.Status == http.StatusCreated {
			t.created++
		}
		if r.Status == http.StatusServiceUnavailable && r.RetryAfter == "" {
			t.noRetry++
		}
		if r.Status == http.StatusOK && r.Endpoint != loadgen.Book && r.Endpoint != loadgen.Cancel {
			t.reads200++
		}
		if r.Latency > t.slowest {
			t.slowest = r.Latency
		}
	}
	return t
}

func (t tally) String() string {
	return fmt.Sprintf("statuses %v, no answer %v, slowest %s", t.status, t.transport, t.slowest.Round(time.Millisecond))
}

func (t tally) fivexx() int {
	n := 0
	for st, c := range t.status {
		if st >= 500 {
			n += c
		}
	}
	return n
}

func kindOf(err error) string {
	switch {
	case err == nil:
		return "none"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "EOF"):
		return "eof"
	case strings.Contains(err.Error(), "Timeout") || strings.Contains(err.Error(), "deadline"):
		return "timeout"
	}
	return err.Error()
}

// audit checks the database against what the load was told: no overlap, every acknowledged
// booking and cancellation there, every booking made since `since` with its outbox event and
// (its student sent a key each time) its idempotency record.
func (s *scen) audit(db *database, l *load, sn loadgen.Snapshot, since time.Time) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ins, stu, err := db.store.Overlaps(ctx)
	s.noErr(err, "overlap audit")
	s.require(ins == 0 && stu == 0, "overlapping confirmed bookings: %d instructor pairs, %d student pairs", ins, stu)
	var booked, cancelled []string
	for id := range sn.Booked {
		booked = append(booked, id)
	}
	for id := range sn.Cancelled {
		cancelled = append(cancelled, id)
	}
	missing, err := db.store.MissingBookings(ctx, booked)
	s.noErr(err, "missing bookings audit")
	s.require(len(missing) == 0, "%d of %d acknowledged bookings are missing: %v", len(missing), len(booked), missing)
	lost, err := db.store.NotCancelled(ctx, cancelled)
	s.noErr(err, "cancellation audit")
	s.require(len(lost) == 0, "%d of %d acknowledged cancellations are not cancelled", len(lost), len(cancelled))
	noEvent, err := db.store.BookingsWithoutEvent(ctx, since)
	s.noErr(err, "outbox audit")
	s.require(len(noEvent) == 0, "%d bookings without their outbox event: %v", len(noEvent), noEvent)
	noKey, err := db.store.BookingsWithoutKey(ctx, since, l.r.StudentIDs())
	s.noErr(err, "idempotency audit")
	s.require(len(noKey) == 0, "%d bookings without their idempotency record: %v", len(noKey), noKey)
	s.t.Logf("audit: %d acknowledged bookings, %d cancellations: all there; no overlap; no half-written booking", len(booked), len(cancelled))
}

// accepted counts the SMTP server's accepted messages by "recipient\x00subject".
func accepted(m *testenv.SMTPServer) map[string]int {
	out := map[string]int{}
	for _, d := range m.Messages() {
		out[d.To+"\x00"+d.Subject]++
	}
	return out
}
