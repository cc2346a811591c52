// Command instainstru is the one binary of the InstaInstru backend:
//
//	instainstru migrate [down]   apply migrations (or roll back one)
//	instainstru seed [--demo]    load the service catalog (and deterministic demo data)
//	instainstru serve            HTTP API and actors
//	instainstru worker           background task processing (asynq)
//	instainstru scheduler        outbox relay, reminder sweep, periodic jobs
//	instainstru all              migrate, seed --demo, then everything in one process
//	instainstru admin create     create an admin account
//
// Configuration comes from the environment only (see .env.example); this package is the only
// one that reads it.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "instainstru:", err)
		os.Exit(1)
	}
}

const usage = `usage: instainstru <command>

commands:
  migrate [down]   apply every pending migration ("down": roll back one)
  seed [--demo]    load the service catalog idempotently; --demo adds demo instructors,
                   students, availability and bookings (deterministic)
  serve            run the HTTP API and the per-instructor actors
  worker           process background tasks (emails, reminders, cache invalidation, daily jobs)
  scheduler        relay committed events to the task queue, sweep reminders at start, run
                   the periodic jobs (run one)
  all              migrate, seed --demo, then API, worker, scheduler and the job dashboard
                   (/dashboard) in one process
  bench-http       serve on a loopback port and measure requests/s and p50/p99 of cached
                   public availability against a bare constant handler (needs seed --demo)
  bench-search [-n 10000] [-runs 5]
                   generate instructors into <database>_bench_search and print p50/p99 of
                   search_time_ms over 50 mixed queries
  admin create --email E [--name N] [--password P]
                   create an admin account (the password is read from stdin when omitted)
  seed-bench [-n 10000]
                   add the generated instructors of bench-search to the configured database
  load [-duration 60s] [-workers 32] [-targets http://HTTP_ADDR]
                   drive the realistic request mix against running servers, print progress,
                   throughput, p50/p99 per endpoint and errors, then audit the database`

func run(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Println(usage)
		return nil
	}
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	switch args[0] {
	case "migrate":
		down := len(args) > 1 && args[1] == "down"
		return cmdMigrate(ctx, cfg, log, down)
	case "seed":
		demo := len(args) > 1 && args[1] == "--demo"
		return cmdSeed(ctx, cfg, log, demo)
	case "serve":
		return cmdServe(ctx, cfg, log, modeServe)
	case "worker":
		return cmdWorker(ctx, cfg, log)
	case "scheduler":
		return cmdScheduler(ctx, cfg, log)
	case "bench-http":
		cfg.HTTPAddr = "127.0.0.1:0" // loopback only, a free port
		return cmdServe(ctx, cfg, log, modeBench)
	case "bench-search":
		return cmdBenchSearch(ctx, cfg, log, args[1:])
	case "admin":
		return cmdAdmin(ctx, cfg, log, args[1:], stdin)
	case "seed-bench":
		return cmdSeedBench(ctx, cfg, log, args[1:])
	case "load":
		return cmdLoad(ctx, cfg, args[1:])
	case "all":
		if err := cmdMigrate(ctx, cfg, log, false); err != nil {
			return err
		}
		if err := cmdSeed(ctx, cfg, log, true); err != nil {
			return err
		}
		return cmdServe(ctx, cfg, log, modeAll)
	}
	return errors.New("unknown command " + args[0] + "\n\n" + usage)
}

func newLogger(cfg *Config) *slog.Logger {
	var lvl slog.Level
	switch strings.ToLower(cfg.LogLevel) {
	case "debug":
		lvl = slog.LevelDebug
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
