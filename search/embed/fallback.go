package embed

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// Fallback answers with Primary and, when Primary fails, logs and answers with Secondary (the
// built-in embedder) instead, so a provider outage degrades search quality instead of failing
// searches. The answer's space says which one answered (see SpaceEmbedder): the engine then
// compares the query with catalog vectors of that space.
type Fallback struct {
	Primary   Embedder
	Secondary Embedder
	Log       *slog.Logger
	fallbacks atomic.Int64
}

// NewFallback wraps primary with secondary.
func NewFallback(primary, secondary Embedder, log *slog.Logger) *Fallback {
	if log == nil {
		log = slog.Default()
	}
	return &Fallback{Primary: primary, Secondary: secondary, Log: log}
}

// Dimensions is the primary's.
func (f *Fallback) Dimensions() int { return f.Primary.Dimensions() }

// Name is the primary's: stored catalog vectors are in its space.
func (f *Fallback) Name() string { return f.Primary.Name() }

// Embed is EmbedSpace without the space.
func (f *Fallback) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	v, _, err := f.EmbedSpace(ctx, texts)
	return v, err
}

// EmbedSpace tries the primary, then the secondary.
func (f *Fallback) EmbedSpace(ctx context.Context, texts []string) ([][]float32, string, error) {
	v, err := f.Primary.Embed(ctx, texts)
	if err == nil {
		return v, f.Primary.Name(), nil
	}
	f.fallbacks.Add(1)
	f.Log.Warn("embeddings provider failed: using the built-in embedder", "provider", f.Primary.Name(), "err", err)
	v, err = f.Secondary.Embed(ctx, texts)
	return v, f.Secondary.Name(), err
}

// Fallbacks is how many calls the secondary answered.
func (f *Fallback) Fallbacks() int64 { return f.fallbacks.Load() }
