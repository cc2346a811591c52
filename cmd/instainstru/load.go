package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/loadgen"
	"github.com/instainstru/instainstru/persistence"
)

// cmdSeedBench adds the generated instructor set of bench-search (n instructors in New York with
// about three offers each, four weeks of availability from today and a few bookings) to the
// configured database, so the load harness searches and books in a marketplace of realistic
// size. It does nothing when the database already holds generated instructors.
func cmdSeedBench(ctx context.Context, cfg *Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("seed-bench", flag.ContinueOnError)
	n := fs.Int("n", 10000, "instructors to generate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, err := persistence.Open(ctx, cfg.DatabaseURL, 8)
	if err != nil {
		return err
	}
	defer pool.Close()
	var have int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE email LIKE 'bench-i%@bench.test'`).Scan(&have); err != nil {
		return err
	}
	if have > 0 {
		log.Info("generated instructors already present: nothing to do", "instructors", have)
		return nil
	}
	start := time.Now()
	today := instainstru.DateOf(time.Now().In(mustZone("America/New_York")))
	if err := loadBenchData(ctx, pool, *n, today); err != nil {
		return err
	}
	log.Info("generated instructors loaded", "instructors", *n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// cmdLoad drives the realistic mix (package loadgen) against a running server for a bounded
// time, prints a progress line every few seconds and a report at the end, then audits the
// database: no overlapping confirmed bookings (instructor or student), every acknowledged
// booking and cancellation present, every booking made during the run with its outbox event and
// its idempotency record. A failed audit is a non-zero exit.
func cmdLoad(ctx context.Context, cfg *Config, args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	defDur := 60 * time.Second
	if v := os.Getenv("LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("LOAD_DURATION=%q: %w", v, err)
		}
		defDur = d
	}
	dur := fs.Duration("duration", defDur, "how long to drive load (LOAD_DURATION)")
	workers := fs.Int("workers", 32, "concurrent virtual users")
	students := fs.Int("students", 60, "students registered and logged in for bookings")
	instructors := fs.Int("instructors", 500, "instructors sampled for availability and bookings")
	targets := fs.String("targets", "http://"+cfg.HTTPAddr, "comma-separated base URLs of the servers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, err := persistence.Open(ctx, cfg.DatabaseURL, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := persistence.NewStore(pool)

	prep := time.Now()
	runner, err := loadgen.Prepare(ctx, loadgen.Config{Targets: strings.Split(*targets, ","), Workers: *workers,
		Students: *students, Instructors: *instructors, IdempotencyKeys: true, Progress: os.Stdout})
	if err != nil {
		return err
	}
	fmt.Printf("load: %d students logged in, %d instructors sampled (%.1f s); %d workers for %s\n",
		*students, len(runner.Instructors()), time.Since(prep).Seconds(), *workers, *dur)
	start := time.Now()
	sn := runner.Run(ctx, *dur).Snapshot()
	sn.Print(os.Stdout)

	actx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var problems []string
	ins, stu, err := store.Overlaps(actx)
	if err != nil {
		return err
	}
	fmt.Printf("\noverlap check (confirmed bookings, whole database): instructor pairs %d, student pairs %d\n", ins, stu)
	if ins+stu > 0 {
		problems = append(problems, "overlapping confirmed bookings")
	}
	booked := keys(sn.Booked)
	cancelled := keys(sn.Cancelled)
	missing, err := store.MissingBookings(actx, booked)
	if err != nil {
		return err
	}
	notCancelled, err := store.NotCancelled(actx, cancelled)
	if err != nil {
		return err
	}
	noEvent, err := store.BookingsWithoutEvent(actx, start.Add(-time.Second))
	if err != nil {
		return err
	}
	noKey, err := store.BookingsWithoutKey(actx, start.Add(-time.Second), runner.StudentIDs())
	if err != nil {
		return err
	}
	fmt.Printf("acknowledged bookings missing: %d of %d; acknowledged cancellations not cancelled: %d of %d\n",
		len(missing), len(booked), len(notCancelled), len(cancelled))
	fmt.Printf("bookings of the run without their outbox event: %d; without their idempotency record: %d\n", len(noEvent), len(noKey))
	for _, p := range []struct {
		n    int
		what string
	}{{len(missing), "acknowledged bookings missing"}, {len(notCancelled), "acknowledged cancellations lost"},
		{len(noEvent), "bookings without outbox event"}, {len(noKey), "bookings without idempotency record"}} {
		if p.n > 0 {
			problems = append(problems, p.what)
		}
	}
	if n := sn.Count("", 500); n > 0 {
		problems = append(problems, fmt.Sprintf("%d answers 500", n))
	}
	if len(problems) > 0 {
		return errors.New("load: " + strings.Join(problems, "; "))
	}
	fmt.Println("audit: OK")
	return nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
