package clustertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/testenv"
)

var db *testenv.DB

func TestMain(m *testing.M) { testenv.Main(m, "clustertest", &db) }

// redisDB is this package's Redis DB number.
const redisDB = 13

const (
	monitoringKey = "cluster-test-monitoring-key"
	password      = "cluster-password"
)

// node is one `instainstru serve` process.
type node struct {
	name                           string
	httpPort, remotePort, mbrsPort int
	cmd                            *exec.Cmd
	done                           chan struct{}
	logPath                        string
}

func (n *node) base() string { return fmt.Sprintf("http://127.0.0.1:%d", n.httpPort) }

// cluster is a set of nodes started from one binary, all knowing each other.
type cluster struct {
	t     testing.TB
	bin   string
	env   []string
	nodes []*node
}

// buildBinary compiles cmd/instainstru into dir.
func buildBinary(t testing.TB, dir string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(file))
	bin := filepath.Join(dir, "instainstru")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/instainstru")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// freePorts reserves n distinct free loopback ports (held open together, then released).
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

// startCluster builds the binary and starts n nodes; they are stopped when the test ends.
func startCluster(t testing.TB, n int) *cluster {
	t.Helper()
	dir := t.TempDir()
	_, redisURL := testenv.Redis(t, redisDB)
	c := &cluster{t: t, bin: buildBinary(t, dir)}
	ports := freePorts(t, 3*n)
	var members []string
	for i := 0; i < n; i++ {
		nd := &node{name: fmt.Sprintf("node%d", i+1), httpPort: ports[3*i], remotePort: ports[3*i+1], mbrsPort: ports[3*i+2],
			logPath: filepath.Join(dir, fmt.Sprintf("node%d.log", i+1))}
		c.nodes = append(c.nodes, nd)
		members = append(members, fmt.Sprintf("127.0.0.1:%d", nd.mbrsPort))
	}
	c.env = append(os.Environ(),
		"APP_ENV=test", "LOG_LEVEL=warn",
		"DATABASE_URL="+db.URL, "REDIS_URL="+redisURL,
		"MONITORING_API_KEY="+monitoringKey,
		"RATE_LIMIT_GENERAL_PER_MINUTE=100000000", "RATE_LIMIT_AUTH_PER_MINUTE=100000000",
		"CLUSTER_NAME=clustertest", "CLUSTER_MEMBERS="+strings.Join(members, ","),
		"CLUSTER_MEMBERSHIP_REFRESH=500ms",
	)
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			c.stop(nd)
		}
		if t.Failed() {
			for _, nd := range c.nodes {
				b, _ := os.ReadFile(nd.logPath)
				if len(b) > 6000 {
					b = b[len(b)-6000:]
				}
				t.Logf("---- %s log (tail) ----\n%s", nd.name, b)
			}
		}
	})
	for _, nd := range c.nodes {
		c.start(nd)
	}
	c.waitMembers(c.nodes, n, 90*time.Second)
	return c
}

func (c *cluster) start(nd *node) {
	c.t.Helper()
	logf, err := os.OpenFile(nd.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(c.t, err)
	cmd := exec.Command(c.bin, "serve")
	cmd.Env = append(append([]string(nil), c.env...),
		fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", nd.httpPort),
		fmt.Sprintf("CLUSTER_ADDR=127.0.0.1:%d", nd.remotePort),
		fmt.Sprintf("CLUSTER_MEMBERSHIP_PORT=%d", nd.mbrsPort))
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(c.t, cmd.Start())
	nd.cmd, nd.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); _ = logf.Close(); close(nd.done) }()
}

// kill ends a node at once (SIGKILL: no goodbye to the cluster).
func (c *cluster) kill(nd *node) {
	_ = nd.cmd.Process.Signal(syscall.SIGKILL)
	<-nd.done
}

// stop asks a node to shut down, and kills it if it has not within 30s.
func (c *cluster) stop(nd *node) {
	if nd.cmd == nil {
		return
	}
	select {
	case <-nd.done:
		return
	default:
	}
	_ = nd.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-nd.done:
	case <-time.After(30 * time.Second):
		c.kill(nd)
	}
}

var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}

type readyz struct {
	Status  string `json:"status"`
	Cluster *struct {
		Members   int      `json:"members"`
		Self      string   `json:"self"`
		Addresses []string `json:"addresses"`
	} `json:"cluster"`
}

func (nd *node) ready() (*readyz, error) {
	resp, err := client.Get(nd.base() + "/readyz")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r readyz
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// waitMembers waits until every node in nodes reports want members (and is ready).
func (c *cluster) waitMembers(nodes []*node, want int, within time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	for _, nd := range nodes {
		var last string
		for {
			r, err := nd.ready()
			if err == nil && r.Cluster != nil && r.Cluster.Members == want && r.Status == "ready" {
				break
			}
			if err != nil {
				last = err.Error()
			} else if r.Cluster != nil {
				last = fmt.Sprintf("%s, %d members %v", r.Status, r.Cluster.Members, r.Cluster.Addresses)
			}
			if time.Since(start) > within {
				c.t.Fatalf("%s does not see %d members after %s: %s", nd.name, want, within, last)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return time.Since(start)
}

// liveInstructors asks a node's monitoring stats for the instructors whose actor lives there.
func (nd *node) liveInstructors() ([]string, error) {
	req, _ := http.NewRequest(http.MethodGet, nd.base()+"/api/v1/monitoring/stats", nil)
	req.Header.Set("X-Monitoring-API-Key", monitoringKey)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var s struct {
		Sources struct {
			Actors struct {
				Placement   string   `json:"placement"`
				Instructors []string `json:"instructors"`
			} `json:"actors"`
		} `json:"sources"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return nil, err
	}
	if s.Sources.Actors.Placement != "cluster" {
		return nil, fmt.Errorf("%s: placement %q", nd.name, s.Sources.Actors.Placement)
	}
	return s.Sources.Actors.Instructors, nil
}

// answer is one HTTP exchange's outcome.
type answer struct {
	status     int
	retryAfter string
	code       string
	id         string
	err        error // transport failure: no answer at all
}

func call(method, url, token, idemKey string, body any) answer {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	var out struct {
		ID   string `json:"id"`
		Code string `json:"code"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), code: out.Code, id: out.ID}
}

// world is the data the tests book against: instructors (UTC, no notice, no buffer, one online
// 60-minute offer) and students, with access tokens.
type world struct {
	instructors, offers, insTokens []string
	students, stuTokens            []string
}

var (
	hashOnce sync.Once
	pwHash   string
)

// makeWorld inserts instructors and students and logs them in (round-robin over nodes).
func makeWorld(t testing.TB, nodes []*node, nIns, nStu int, durations string) *world {
	t.Helper()
	ctx := context.Background()
	_, _, err := db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	hashOnce.Do(func() {
		pwHash, err = api.HashPassword(password)
	})
	require.NoError(t, err)
	w := &world{}
	for i := 0; i < nIns; i++ {
		id, offer := persistence.NewID(), persistence.NewID()
		db.MustExec(t, `INSERT INTO users (id, email, password_hash, full_name, role, timezone) VALUES ($1::uuid, 'ins-' || $1::text || '@cluster.test', $2, 'Clu Ster', 'instructor', 'UTC')`, id, pwHash)
		db.MustExec(t, `INSERT INTO instructor_profiles (user_id, min_advance_booking_hours, buffer_minutes) VALUES ($1, 0, 0)`, id)
		db.MustExec(t, `INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
			SELECT $1, $2, id, 6000, $3::int[], '{online}' FROM service_catalog WHERE slug='piano'`, offer, id, durations)
		w.instructors, w.offers = append(w.instructors, id), append(w.offers, offer)
	}
	for i := 0; i < nStu; i++ {
		id := persistence.NewID()
		db.MustExec(t, `INSERT INTO users (id, email, password_hash, full_name, role) VALUES ($1::uuid, 'stu-' || $1::text || '@cluster.test', $2, 'Stu Dent', 'student')`, id, pwHash)
		w.students = append(w.students, id)
	}
	login := func(prefix string, ids []string) []string {
		tokens := make([]string, len(ids))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 6)
		for i, id := range ids {
			wg.Add(1)
			go func(i int, id string) {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				nd := nodes[i%len(nodes)]
				body, _ := json.Marshal(map[string]string{"email": prefix + id + "@cluster.test", "password": password})
				resp, err := client.Post(nd.base()+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
				if err != nil {
					t.Errorf("login: %v", err)
					return
				}
				defer resp.Body.Close()
				var out struct {
					AccessToken string `json:"access_token"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&out)
				if resp.StatusCode != http.StatusOK || out.AccessToken == "" {
					t.Errorf("login %s: status %d", id, resp.StatusCode)
				}
				tokens[i] = out.AccessToken
			}(i, id)
		}
		wg.Wait()
		return tokens
	}
	w.insTokens = login("ins-", w.instructors)
	w.stuTokens = login("stu-", w.students)
	require.False(t, t.Failed())
	return w
}

// setAvailability gives instructors [from, to) on each of days, straight in the database.
func setAvailability(t testing.TB, ids []string, days []instainstru.Date, from, to instainstru.Minute) {
	t.Helper()
	m := map[instainstru.Date][]instainstru.TimeRange{}
	for _, d := range days {
		m[d] = []instainstru.TimeRange{{Start: from, End: to}}
	}
	for _, id := range ids {
		_, err := db.Store.ReplaceAvailability(context.Background(), id, m, instainstru.AnyVersion)
		require.NoError(t, err)
	}
}

func bookBody(offer string, d instainstru.Date, start instainstru.Minute, dur int) map[string]any {
	return map[string]any{"instructor_service_id": offer, "date": d.String(), "start_time": start.String(),
		"duration_minutes": dur, "location_type": "online"}
}

// nextMonday is the Monday at least 8 days from now (UTC), so a whole week lies in the future.
func nextMonday() instainstru.Date {
	return instainstru.DateOf(time.Now().UTC().AddDate(0, 0, 8)).WeekStart().AddDays(7)
}
