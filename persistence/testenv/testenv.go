// Package testenv gives tests their own real PostgreSQL database and Redis database number.
//
// Each test package gets a fresh, fully migrated database (created from nothing, dropped at the
// end), so packages that commit never see each other's rows and `go test ./...` may run them in
// parallel. Redis isolation is by DB number, one per package, flushed before use.
package testenv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/instainstru/instainstru/persistence"
)

// AdminURL is the database tests connect to in order to create their own. TEST_DATABASE_URL
// overrides it; scripts/dev-services.sh creates the default one.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/instainstru_test?sslmode=disable"
}

// RedisBaseURL is the Redis server tests use (TEST_REDIS_URL overrides it).
func RedisBaseURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]`)

// DB is a fresh migrated database owned by one test package.
type DB struct {
	Name  string
	URL   string
	Pool  *pgxpool.Pool
	Store *persistence.Store
	admin string
}

// NewDatabase creates and migrates a database whose name starts with "it_<label>_". Call Close
// when done (typically at the end of TestMain).
func NewDatabase(label string) (*DB, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := AdminURL()
	name := fmt.Sprintf("it_%s_%d_%04x", unsafeChars.ReplaceAllString(strings.ToLower(label), "_"), os.Getpid(), rand.IntN(1<<16))
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("connect to %s (run scripts/dev-services.sh): %w", admin, err)
	}
	defer conn.Close(ctx)
	sweepOrphans(ctx, conn, admin)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create test database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + name
	db := &DB{Name: name, URL: u.String(), admin: admin}
	if _, err := persistence.Migrate(ctx, db.URL); err != nil {
		db.drop()
		return nil, err
	}
	pool, err := persistence.Open(ctx, db.URL, 20)
	if err != nil {
		db.drop()
		return nil, err
	}
	db.Pool = pool
	db.Store = persistence.NewStore(pool)
	return db, nil
}

var orphanName = regexp.MustCompile(`^it_.*_(\d+)_[0-9a-f]{4}$`)

// sweepOrphans drops test databases left by test processes that died before their cleanup ran
// (a panic, a timeout, a kill). Database names carry the creating process id; only a local server
// is swept, where that id means something.
func sweepOrphans(ctx context.Context, conn *pgx.Conn, admin string) {
	u, err := url.Parse(admin)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
		return
	}
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'it\_%'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, n := range names {
		m := orphanName.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // ours, or its process still runs
		}
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)")
	}
}

// Close closes the pool and drops the database.
func (d *DB) Close() {
	if d.Pool != nil {
		d.Pool.Close()
	}
	d.drop()
}

func (d *DB) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.Name}.Sanitize()+" WITH (FORCE)")
}

// Main runs a package's tests against a fresh database and exposes it through *dbp. It is meant
// for TestMain: `func TestMain(m *testing.M) { testenv.Main(m, "api", &db) }`.
func Main(m *testing.M, label string, dbp **DB) {
	db, err := NewDatabase(label)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		os.Exit(1)
	}
	*dbp = db
	code := m.Run()
	db.Close()
	os.Exit(code)
}

// Redis returns a client on the given DB number (one per package), flushed first.
// TEST_REDIS_DB_OFFSET shifts every package's number (modulo 16), so two checkouts can run their
// suites against one Redis at once without flushing each other's keys.
func Redis(t testing.TB, dbNumber int) (*cache.Client, string) {
	t.Helper()
	u := RedisURL(t, dbNumber)
	c := dial(t, u)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("redis at %s (run scripts/dev-services.sh): %v", RedisBaseURL(), err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, u
}

// RedisURL is the URL of a package's Redis DB number (TEST_REDIS_DB_OFFSET applied), without
// flushing it: for a second client on a DB the package already uses.
func RedisURL(t testing.TB, dbNumber int) string {
	if off, err := strconv.Atoi(os.Getenv("TEST_REDIS_DB_OFFSET")); err == nil {
		dbNumber = (dbNumber + off) % 16
	}
	u, err := url.Parse(RedisBaseURL())
	if err != nil {
		t.Fatalf("parse redis url: %v", err)
	}
	u.Path = fmt.Sprintf("/%d", dbNumber)
	return u.String()
}
