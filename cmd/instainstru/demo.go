package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/seed"
)

// seedDemo loads the deterministic demo data (after the catalog) and logs what it holds and how
// to log in. Every demo account shares one documented password, so production refuses it: a
// known admin password on a live platform would be an open door.
func seedDemo(ctx context.Context, store *persistence.Store, log *slog.Logger) error {
	if cfg, err := loadConfig(os.Getenv); err == nil && cfg.Production() {
		log.Warn("demo data is never loaded in production (APP_ENV=production): skipped")
		return nil
	}
	start := time.Now()
	// One hash for every account created by this run: argon2id is deliberately slow, and demo
	// accounts share the password anyway.
	hash, err := api.HashPassword(seed.DemoPassword)
	if err != nil {
		return fmt.Errorf("hash the demo password: %w", err)
	}
	sum, err := seed.Demo(ctx, store, seed.DemoOptions{PasswordHash: hash, Now: time.Now()})
	if err != nil {
		return err
	}
	log.Info("demo data seeded",
		"instructors", sum.Instructors, "students", sum.Students, "admins", sum.Admins,
		"offers", sum.Offers, "upcoming_availability_ranges", sum.UpcomingSlots, "bookings", sum.Bookings,
		"users_created", sum.UsersCreated, "offers_created", sum.OffersCreated,
		"availability_ranges_created", sum.SlotsCreated, "bookings_created", sum.BookingsCreated,
		"took", time.Since(start).Round(time.Millisecond))
	if sum.BookingsPreserved {
		log.Info("demo bookings already exist: kept as they are, none generated")
	}
	if len(sum.SkippedEmails) > 0 {
		log.Warn("demo accounts skipped: their emails belong to accounts the demo seed did not create",
			"emails", sum.SkippedEmails)
	}
	for _, l := range sum.Logins {
		log.Info("demo login", "email", l.Email, "password", seed.DemoPassword, "role", string(l.Role))
	}
	if len(sum.Logins) > 0 {
		log.Info("every other demo account (any @example.com user) has the same password")
	}
	return nil
}
