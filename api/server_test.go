package api_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/persistence/testenv"
	"github.com/instainstru/instainstru/tasks"
)

// env is one running test server and what it is wired to.
type env struct {
	*client
	srv   *api.Server
	rdb   *cache.Client
	store *persistence.Store
	dir   *actors.Directory
}

// newEnv wires a server the way cmd does, against the package's database and Redis DB 1, with
// the catalog seeded. Options adjust the config or dependencies before the server is built.
func newEnv(t testing.TB, opts ...func(*api.Config, *api.Deps)) *env {
	t.Helper()
	ctx := context.Background()
	_, _, err := db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	rdb, _ := testenv.Redis(t, 1)
	latest, err := persistence.LatestMigration()
	require.NoError(t, err)
	cfg := api.DefaultConfig()
	// Tests of every area register users and send hundreds of requests from 127.0.0.1: budgets
	// that never bind them. Rate-limit tests lower these through an option.
	cfg.RateLimit.GeneralPerWindow, cfg.RateLimit.AuthPerWindow = 100_000, 10_000
	// One directory of instructor actors per server, as in cmd: availability and booking writes
	// both go through it.
	dir := actors.NewDirectory(db.Store, actors.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(dir.Shutdown)
	deps := api.Deps{
		Bookings:        dir,
		Availability:    dir,
		BookingReader:   db.Store,
		Log:             slog.New(slog.NewTextHandler(io.Discard, nil)),
		Health:          db.Store,
		LatestMigration: latest,
		RedisPing:       func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
		Catalog:         db.Store,
		Instructors:     db.Store,
		Offers:          db.Store,
		Users:           db.Store,
		Tokens:          db.Store,
		Accounts:        db.Store,
		Auth:            testAuthConfig(),
		// Each server counts under its own prefix, so no test inherits another's budget.
		RateLimits: rateStore(t, rdb, "rl:"+persistence.NewID()+":"),
		// Public availability reads the store directly (cmd may wrap it in a cache).
		Public:             db.Store,
		PublicAvailability: api.DefaultPublicAvailabilityConfig(),
		Search:             searchEngine(t),
		// Recalculations are queued in this package's Redis DB, where tests can read them back.
		AnalyticsQueue: tasks.RecalcQueue{Queue: asynq.NewClientFromRedisClient(rdb)},
	}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	if d, ok := deps.Bookings.(*actors.Directory); ok { // an option may wire its own (withCache)
		dir = d
	}
	srv := api.New(cfg, deps)
	c := serveForTest(t, srv.Serve, srv.Shutdown)
	return &env{client: c, srv: srv, rdb: rdb, store: db.Store, dir: dir}
}

// withCache wires the cached decorators of cs in place of the store, as cmd does, and a directory
// of instructor actors whose OnChange invalidates the instructor's cached availability.
func withCache(t testing.TB, cs *cache.Stores) func(*api.Config, *api.Deps) {
	return func(_ *api.Config, d *api.Deps) {
		dir := actors.NewDirectory(db.Store, actors.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			OnChange: cs.AvailabilityChanged})
		t.Cleanup(dir.Shutdown)
		d.Bookings, d.Availability = dir, dir
		d.Catalog, d.Instructors, d.Offers = cs.Catalog, cs.Instructors, cs.Offers
		d.Users, d.Accounts, d.Public = cs.Users, cs.Accounts, cs.Public
	}
}

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/healthz", nil)
	require.Equal(t, 200, r.Status)
	require.NotEmpty(t, r.Header.Get("X-Request-ID"))

	r = e.do("GET", "/readyz", nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	m := r.Map(t)
	require.Equal(t, "ready", m["status"])
	require.Equal(t, "ok", m["redis"].(map[string]any)["status"])

	// A client-sent request id is echoed; a hostile one is replaced.
	r = e.do("GET", "/healthz", nil, "X-Request-ID", "abc-123")
	require.Equal(t, "abc-123", r.Header.Get("X-Request-ID"))
	r = e.do("GET", "/healthz", nil, "X-Request-ID", "bad id\twith spaces")
	require.NotEqual(t, "bad id\twith spaces", r.Header.Get("X-Request-ID"))
}

func TestReadinessReportsPendingMigrations(t *testing.T) {
	e := newEnv(t, func(_ *api.Config, d *api.Deps) { d.LatestMigration++ })
	r := e.do("GET", "/readyz", nil)
	require.Equal(t, 503, r.Status)
	require.Equal(t, "migrations pending", r.Map(t)["database"].(map[string]any)["status"])
	require.NotEmpty(t, r.Header.Get("Retry-After"))
}

func TestReadinessWithRedisDown(t *testing.T) {
	dead := testenv.ClientAt(t, "127.0.0.1:1")
	e := newEnv(t, func(_ *api.Config, d *api.Deps) {
		d.RedisPing = func(ctx context.Context) error { return dead.Ping(ctx).Err() }
	})
	r := e.do("GET", "/readyz", nil)
	require.Equal(t, 200, r.Status, "Redis is reported, not required")
	require.Contains(t, r.Map(t)["redis"].(map[string]any)["status"], "down")
}

func TestCategoriesEndToEnd(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/catalog/categories", nil)
	require.Equal(t, 200, r.Status)
	var cats []api.CategoryDTO
	r.JSON(t, &cats)
	require.Len(t, cats, 7)
	names := []string{}
	total := 0
	for i, c := range cats {
		require.Equal(t, i+1, c.DisplayOrder)
		require.Greater(t, c.ServiceCount, 0)
		names = append(names, c.Name)
		total += c.ServiceCount
	}
	require.Equal(t, []string{"Music", "Languages", "Tutoring & Test Prep", "Sports & Fitness",
		"Arts & Crafts", "Technology & Coding", "Lifestyle & Wellness"}, names)
	require.GreaterOrEqual(t, total, 250)
	require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
}

func TestUnknownRouteIsProblemJSON(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/nope", nil)
	require.Equal(t, 404, r.Status)
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	require.Equal(t, "not_found", r.Map(t)["code"])
}

func TestCORSNeverReflectsUnknownOrigins(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/catalog/categories", nil, "Origin", "https://evil.example")
	require.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
	r = e.do("GET", "/api/v1/catalog/categories", nil, "Origin", "http://localhost:3000")
	require.Equal(t, "http://localhost:3000", r.Header.Get("Access-Control-Allow-Origin"))
}
