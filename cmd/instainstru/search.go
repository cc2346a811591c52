package main

import (
	"context"
	"log/slog"

	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/search"
	"github.com/instainstru/instainstru/search/embed"
)

// newEmbedder builds the configured embedder: the built-in one, or the OpenAI-compatible provider
// (checked at start: a dimension mismatch stops the process) behind a Fallback to the built-in
// one, with an LRU of query embeddings in front.
func newEmbedder(ctx context.Context, cfg *Config, log *slog.Logger) (embed.Embedder, error) {
	var e embed.Embedder = embed.NewBuiltin()
	if cfg.EmbeddingsProvider == "openai" {
		o, err := embed.NewOpenAI(ctx, embed.OpenAIConfig{URL: cfg.EmbeddingsURL, Model: cfg.EmbeddingsModel, APIKey: cfg.EmbeddingsAPIKey})
		if err != nil {
			return nil, err
		}
		e = embed.NewFallback(o, embed.NewBuiltin(), log)
	}
	return embed.NewCache(e, 10_000), nil
}

// newSearch builds the search engine and its event recorder.
func newSearch(ctx context.Context, cfg *Config, log *slog.Logger, store *persistence.Store) (*search.Engine, *search.Recorder, error) {
	emb, err := newEmbedder(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	rec := search.NewRecorder(store, log, 4096)
	eng, err := search.New(ctx, search.Config{Store: store, Embedder: emb, Log: log, Recorder: rec,
		HorizonDays: cfg.AvailabilityHorizonDays})
	if err != nil {
		_ = rec.Close(ctx)
		return nil, nil, err
	}
	return eng, rec, nil
}

// indexCatalog computes the catalog embeddings that are missing (seed runs it).
func indexCatalog(ctx context.Context, cfg *Config, log *slog.Logger, store *persistence.Store) error {
	emb, err := newEmbedder(ctx, cfg, log)
	if err != nil {
		return err
	}
	n, err := search.IndexCatalog(ctx, store, emb)
	if err != nil {
		return err
	}
	log.Info("catalog embeddings up to date", "computed", n, "embedder", emb.Name())
	return nil
}
