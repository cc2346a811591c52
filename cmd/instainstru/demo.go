package main

import (
	"context"
	"log/slog"

	"github.com/instainstru/instainstru/persistence"
)

func seedDemo(ctx context.Context, store *persistence.Store, log *slog.Logger) error {
	log.Warn("demo data is not available yet")
	return nil
}
