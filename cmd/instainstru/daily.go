package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/tasks"
)

// dailyDeps wires the daily jobs' handlers (tasks.RegisterDaily) for a worker: the store, the
// cache to warm after analytics, and the queue the handlers enqueue follow-up tasks on. The
// relayed-outbox purge is wired when the store has it.
func dailyDeps(cfg *Config, log *slog.Logger, store *persistence.Store, warm tasks.CacheWarmer, q tasks.TaskEnqueuer) tasks.DailyDeps {
	d := tasks.DailyDeps{Analytics: store, Upkeep: store, Warmer: warm, Queue: q, Log: log,
		Policy: tasks.UpkeepPolicy{AutoCompleteAfter: cfg.AutoCompleteAfter, RefreshTokenTTL: cfg.RefreshTokenTTL}}
	if p, ok := any(store).(tasks.OutboxPurger); ok {
		d.Outbox = p
	}
	return d
}

// runDailySchedule runs the daily schedule (analytics, report, upkeep) until ctx ends: the
// scheduler command calls it beside the outbox relay.
func runDailySchedule(ctx context.Context, cfg *Config, log *slog.Logger, store *persistence.Store) error {
	redis, err := asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	return tasks.RunDailySchedule(ctx, tasks.ScheduleConfig{Redis: redis, Entries: tasks.DailyEntries(store), Log: log})
}

// cmdAdmin is `instainstru admin create --email E [--name N] [--password P]`: it creates an
// admin account, the only kind of account the admin API routes admit. Without --password the
// password is read from the first line of standard input (so it stays out of the shell history
// and the process list).
func cmdAdmin(ctx context.Context, cfg *Config, log *slog.Logger, args []string, stdin io.Reader) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: instainstru admin create --email E [--name N] [--password P | password on stdin]")
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	email := fs.String("email", "", "the admin's email (the login)")
	name := fs.String("name", "Administrator", "the admin's display name")
	password := fs.String("password", "", "the password; read from stdin when omitted")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	u := &instainstru.User{Email: instainstru.NormalizeEmail(*email), FullName: strings.TrimSpace(*name),
		Role: instainstru.RoleAdmin}
	if !instainstru.ValidEmail(u.Email) {
		return fmt.Errorf("admin create: --email %q is not a valid email", *email)
	}
	if !instainstru.ValidFullName(u.FullName) {
		return errors.New("admin create: --name must be 1 to 200 printable characters")
	}
	pw := *password
	if pw == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("admin create: read the password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if !instainstru.ValidPassword(pw) {
		return fmt.Errorf("admin create: the password must be %d to %d characters", instainstru.MinPasswordLen, instainstru.MaxPasswordLen)
	}
	hash, err := api.HashPassword(pw)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	pool, err := persistence.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := persistence.NewStore(pool).CreateUser(ctx, u); err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	log.Info("admin account created", "id", u.ID, "email", u.Email)
	return nil
}

// stdin is the admin command's input (a variable so the command reads what main hands it).
var stdin io.Reader = os.Stdin
