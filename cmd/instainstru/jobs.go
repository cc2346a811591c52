package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/instainstru/instainstru/dashboard"
	"github.com/instainstru/instainstru/metrics"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/tasks"
	"github.com/instainstru/instainstru/tasks/mail"
)

// jobEnv is what the worker and the scheduler share: the database, the job queue's Redis, the
// cache (for invalidation), the mailer, and the tasks.Deps built from them.
type jobEnv struct {
	store *persistence.Store
	redis asynq.RedisConnOpt
	deps  tasks.Deps
	daily tasks.DailyDeps
	cfg   *Config
	// metrics, when set, counts every task run's outcome (the process's metrics Set).
	metrics tasks.JobMetrics
	close   func()
}

// openJobs connects what the background jobs need. Close it when done.
func openJobs(ctx context.Context, cfg *Config, log *slog.Logger) (*jobEnv, error) {
	pool, err := persistence.Open(ctx, cfg.DatabaseURL, int32(cfg.DatabaseMaxConn))
	if err != nil {
		return nil, err
	}
	ropt, err := asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	mailer, err := mail.New(mail.SMTPConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, User: cfg.SMTPUser,
		Password: cfg.SMTPPass, From: cfg.MailFrom, Timeout: cfg.SMTPTimeout}, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	rdb, err := cache.Dial(cfg.RedisURL)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	rc := cache.New(rdb, cache.DefaultConfig())
	store := persistence.NewStore(pool)
	client := asynq.NewClient(ropt)
	env := &jobEnv{store: store, redis: ropt, cfg: cfg}
	stores := cache.NewStores(rc, store)
	env.deps = tasks.Deps{Store: store, Mailer: mailer, Cache: stores, Client: client,
		ClaimLease: cfg.MailClaimLease, Log: log}
	env.daily = dailyDeps(cfg, log, store, stores, client)
	env.close = func() {
		_ = client.Close()
		_ = rc.Close()
		_ = rdb.Close()
		pool.Close()
	}
	if !mailer.Delivers() {
		log.Warn("SMTP_HOST unset: emails are logged and recorded in notification_log, not sent")
	}
	return env, nil
}

// cmdWorker processes tasks until a signal, then stops taking tasks and waits for the running
// ones (asynq's ShutdownTimeout) before closing its connections.
func cmdWorker(ctx context.Context, cfg *Config, log *slog.Logger) error {
	env, err := openJobs(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer env.close()
	stop, err := serveJobMetrics(ctx, cfg, log, env, false)
	if err != nil {
		return err
	}
	defer stop()
	return runWorker(ctx, env, log)
}

// serveJobMetrics gives a worker or scheduler process a metrics Set served at METRICS_ADDR/metrics
// (unset: none), so its task outcomes (and, for the scheduler, the outbox and queue gauges) can
// be scraped like the API's.
func serveJobMetrics(ctx context.Context, cfg *Config, log *slog.Logger, env *jobEnv, gauges bool) (func(), error) {
	if cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	set := metrics.New()
	env.metrics = set.Jobs
	mux := http.NewServeMux()
	mux.Handle("/metrics", set.Handler())
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	inspector := asynq.NewInspector(env.redis)
	go func() {
		defer close(done)
		if gauges {
			tasks.WatchJobs(wctx, env.store, inspector, set.Jobs, 15*time.Second, log)
		}
	}()
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		cancel()
		<-done
		_ = inspector.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
	}, nil
}

// newJobsMux is every handler the worker serves: the booking jobs (tasks.NewMux) and the daily
// jobs, which register themselves on the same mux.
func newJobsMux(env *jobEnv) *asynq.ServeMux {
	mux := tasks.NewMux(env.deps)
	tasks.RegisterDaily(mux, env.daily)
	if env.metrics != nil {
		mux.Use(tasks.CountOutcomes(env.metrics))
	}
	return mux
}

// runWorker runs the asynq server until ctx ends.
func runWorker(ctx context.Context, env *jobEnv, log *slog.Logger) error {
	srv := tasks.NewServer(env.redis, tasks.ServerConfig{Log: log})
	if err := srv.Start(newJobsMux(env)); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	log.Info("worker running", "queues", tasks.Queues)
	<-ctx.Done()
	log.Info("worker: finishing running tasks")
	srv.Shutdown()
	return nil
}

// cmdScheduler runs runScheduler until a signal.
func cmdScheduler(ctx context.Context, cfg *Config, log *slog.Logger) error {
	env, err := openJobs(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer env.close()
	stop, err := serveJobMetrics(ctx, cfg, log, env, true)
	if err != nil {
		return err
	}
	defer stop()
	return runScheduler(ctx, env, log)
}

// runScheduler is everything `instainstru scheduler` runs until ctx ends: the booking loops
// (a reminder sweep at start, the outbox relay, the reclaim of stuck emails) and the periodic
// entries of the daily jobs, which are added here beside them. Run one scheduler.
func runScheduler(ctx context.Context, env *jobEnv, log *slog.Logger) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tasks.RunBookingLoops(ctx, env.deps)
	}()
	var daily error
	wg.Add(1)
	go func() {
		defer wg.Done()
		daily = runDailySchedule(ctx, env.cfg, log, env.store)
	}()
	log.Info("scheduler running: outbox relay, reminder sweep, daily analytics, report, cache warming and upkeep")
	wg.Wait()
	return daily
}

// startJobs runs the worker and the scheduler beside the API (`all`) and mounts the job
// dashboard on app (ADMIN_USER / ADMIN_PASSWORD). The returned stop ends them and waits.
func startJobs(ctx context.Context, cfg *Config, log *slog.Logger, app *fiber.App, m tasks.JobMetrics) (func(), error) {
	env, err := openJobs(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	env.metrics = m
	dash, err := dashboard.Mount(app, dashboard.Options{Redis: env.redis, User: cfg.AdminUser,
		Password: cfg.AdminPassword, Production: cfg.Production(), Log: log})
	if err != nil {
		env.close()
		return nil, err
	}
	jctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs <- runWorker(jctx, env, log) }()
	go func() { defer wg.Done(); errs <- runScheduler(jctx, env, log) }()
	if dash != nil {
		if cfg.AdminPassword == devAdminPassword {
			log.Info("job dashboard", "url", "http://"+cfg.HTTPAddr+dashboard.Prefix+"/",
				"user", devAdminUser, "password", devAdminPassword+" (development default)")
		} else {
			log.Info("job dashboard", "url", "http://"+cfg.HTTPAddr+dashboard.Prefix+"/", "auth", dash.Authenticated())
		}
	}
	return func() {
		log.Info("shutting down: worker and scheduler")
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				log.Warn("background jobs stopped with an error", "err", err)
			}
		}
		_ = dash.Close()
		env.close()
	}, nil
}
