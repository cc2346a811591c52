package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/hibiken/asynq"

	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/metrics"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/persistence/seed"
	"github.com/instainstru/instainstru/tasks"
)

func cmdMigrate(ctx context.Context, cfg *Config, log *slog.Logger, down bool) error {
	if down {
		v, err := persistence.MigrateDown(ctx, cfg.DatabaseURL, false)
		if err != nil {
			return err
		}
		log.Info("migrated down one step", "version", v)
		return nil
	}
	v, err := persistence.Migrate(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	log.Info("schema up to date", "version", v, "database", maskURL(cfg.DatabaseURL))
	return nil
}

func cmdSeed(ctx context.Context, cfg *Config, log *slog.Logger, demo bool) error {
	pool, err := persistence.Open(ctx, cfg.DatabaseURL, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := persistence.NewStore(pool)
	cats, svcs, err := seed.Catalog(ctx, store)
	if err != nil {
		return err
	}
	log.Info("catalog seeded", "categories", cats, "services", svcs)
	if err := indexCatalog(ctx, cfg, log, store); err != nil {
		return err
	}
	if demo {
		return seedDemo(ctx, store, log)
	}
	return nil
}

// serveMode says what cmdServe does once the server listens.
type serveMode int

const (
	modeServe serveMode = iota // serve until a signal (serve, and all after migrate and seed)
	modeBench                  // measure the HTTP paths on loopback, then stop
	modeAll                    // serve, plus worker, scheduler and the job dashboard (all)
)

// cmdServe runs the API until a signal (or, in modeBench, until the benchmark ends), then shuts
// down in dependency order: HTTP drained first (no new work reaches anything below), then actors,
// then the pool and Redis.
func cmdServe(ctx context.Context, cfg *Config, log *slog.Logger, mode serveMode) error {
	pool, err := persistence.Open(ctx, cfg.DatabaseURL, int32(cfg.DatabaseMaxConn))
	if err != nil {
		return err
	}
	defer pool.Close()
	store := persistence.NewStore(pool)
	latest, err := persistence.LatestMigration()
	if err != nil {
		return err
	}
	if v, err := store.SchemaVersion(ctx); err == nil && v != latest {
		log.Warn("database schema is not current: run `instainstru migrate`", "have", v, "want", latest)
	}

	rdb, err := cache.Dial(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	defer rdb.Close()

	// Public reads go through the Redis cache; the decorators invalidate on the writes they carry,
	// and the actors invalidate an instructor's availability after each booking or availability
	// write, before its response is sent.
	ccfg := cache.DefaultConfig()
	ccfg.AvailabilityTTL = cfg.PublicAvailabilityCacheTTL
	ccfg.NearTTL = time.Second // in-process copies of hot calendars; see persistence/cache/nearcache.go
	rc := cache.New(rdb, ccfg)
	defer rc.Close()
	cached := cache.NewStores(rc, store)
	limits := cache.NewRedisRateLimiter(rdb, "rl:")
	defer limits.Close()

	// Natural-language search; any calendar change drops its short-lived answers on this node.
	searchEngine, searchEvents, err := newSearch(ctx, cfg, log, store)
	if err != nil {
		return err
	}
	defer func() { _ = searchEvents.Close(context.Background()) }()

	// Every availability and booking write goes through the instructor's actor.
	dir, err := newDirectory(store, actors.Config{
		IdleTimeout: cfg.ActorIdleTimeout, AskTimeout: cfg.ActorAskTimeout, Log: log,
		HorizonDays: cfg.AvailabilityHorizonDays,
		OnChange: func(ctx context.Context, id string) {
			cached.AvailabilityChanged(ctx, id)
			searchEngine.Invalidate()
		},
	}, log)
	if err != nil {
		return err
	}

	// One metrics Set for the process: GET /metrics serves it, /monitoring/stats reads it.
	mset := metrics.New()
	watchComponents(mset, rc, dir, store, searchEvents)

	acfg := api.DefaultConfig()
	acfg.Production = cfg.Production()
	acfg.CORSOrigins = cfg.CORSOrigins
	acfg.TrustedProxies = cfg.TrustedProxies
	acfg.RequestTimeout = cfg.RequestTimeout
	acfg.RateLimit.Window = time.Minute
	acfg.RateLimit.GeneralPerWindow, acfg.RateLimit.AuthPerWindow = cfg.RateLimitGeneral, cfg.RateLimitAuth
	if mode == modeBench {
		// The benchmark is one client IP sending hundreds of thousands of requests: keep the
		// limiter in the path (it is part of the cost of a real request) but never binding.
		acfg.RateLimit.GeneralPerWindow = 1 << 30
	}
	srv := api.New(acfg, api.Deps{
		Log:             log,
		Health:          store,
		LatestMigration: latest,
		RedisPing:       func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
		Cluster:         clusterInfo(dir),
		Catalog:         cached.Catalog,
		Instructors:     cached.Instructors,
		Offers:          cached.Offers,
		Users:           cached.Users,
		Tokens:          store,
		Accounts:        cached.Accounts,
		Auth: api.AuthConfig{JWTSecret: []byte(cfg.JWTSecret), AccessTTL: cfg.AccessTokenTTL,
			RefreshTTL: cfg.RefreshTokenTTL, RefreshReuseGrace: cfg.RefreshReuseGrace},
		RateLimits:    limits,
		Bookings:      dir,
		BookingReader: store,
		Availability:  dir,
		Public:        cached.Public,
		MonitoringKey: cfg.MonitoringKey,
		Search:        searchEngine,
		// POST /admin/analytics/recalculate queues on the job queue's Redis.
		AnalyticsQueue: tasks.RecalcQueue{Queue: asynq.NewClientFromRedisClient(rdb)},
		Metrics:        mset,
		StatsSources: map[string]func() any{
			"cache":  func() any { return cacheReport(rc.Stats()) },
			"actors": func() any { return dir.Stats() },
		},
		PublicAvailability: api.PublicAvailabilityConfig{Days: cfg.PublicAvailabilityDays,
			DetailLevel: cfg.PublicAvailabilityDetailLevel, ShowInstructorName: cfg.PublicAvailabilityShowName,
			HorizonDays: cfg.AvailabilityHorizonDays},
	})

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	if mode == modeBench {
		mountBenchConstant(srv.App())
	}
	// The job gauges (outbox backlog, relay lag, queue sizes) are sampled by every API process,
	// so they can be scraped and alerted on wherever /metrics is served.
	if ropt, err := asynq.ParseRedisURI(cfg.RedisURL); err == nil && mode != modeBench {
		inspector := asynq.NewInspector(ropt)
		wctx, stopWatch := context.WithCancel(ctx)
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			tasks.WatchJobs(wctx, store, inspector, mset.Jobs, 15*time.Second, log)
		}()
		defer func() { stopWatch(); <-watched; _ = inspector.Close() }()
	}
	if mode == modeAll {
		stopJobs, err := startJobs(ctx, cfg, log, srv.App(), mset.Jobs)
		if err != nil {
			_ = ln.Close()
			return err
		}
		// Deferred, so it runs after the HTTP drain and the actors below: the worker finishes
		// its running tasks and the scheduler its relay pass.
		defer stopJobs()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var benchErr error
	if mode == modeBench {
		benchErr = benchAvailability(ctx, ln)
	} else {
		printURLs(cfg, log)
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
	}
	log.Info("shutting down: draining HTTP")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("http shutdown", "err", err)
	}
	log.Info("shutting down: stopping actors")
	dir.Shutdown()
	log.Info("stopped")
	return benchErr
}

// cacheReport adds the hit rate to the cache counters.
func cacheReport(st cache.Stats) map[string]any {
	rate := 0.0
	if n := st.Hits + st.Misses; n > 0 {
		rate = float64(st.Hits) / float64(n)
	}
	return map[string]any{"hit_rate": rate, "counters": st}
}

func printURLs(cfg *Config, log *slog.Logger) {
	base := "http://" + cfg.HTTPAddr
	log.Info("InstaInstru is up",
		"api", base+"/api/v1",
		"health", base+"/healthz",
		"ready", base+"/readyz",
		"categories", base+"/api/v1/catalog/categories",
		"jwt_secret", mask(cfg.JWTSecret),
		"redis", maskURL(cfg.RedisURL),
	)
	fmt.Printf("\n  InstaInstru API      %s/api/v1\n  Health / readiness   %s/healthz  %s/readyz\n  Try                  curl %s/api/v1/catalog/categories\n\n",
		base, base, base, base)
}
