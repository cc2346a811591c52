package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// RateLimitConfig sets the request budgets. Windows are fixed: a counter starts at the first hit
// and resets Window later (see persistence.RedisRateLimiter), which is cheap (one round trip)
// and lets a client at most double its budget across a window boundary.
type RateLimitConfig struct {
	Window time.Duration
	// GeneralPerWindow is the per-client-IP budget for all of /api/v1.
	GeneralPerWindow int
	// AuthPerWindow is the budget of login and of registration attempts, per client IP and,
	// separately, per email address (so a distributed guess at one account is limited too).
	AuthPerWindow int
	// StoreTimeout bounds each call to the shared store; past it the local limiter decides.
	StoreTimeout time.Duration
	// StoreRetryAfter is how long the shared store is skipped after it failed, so a dead Redis
	// costs one timeout per interval instead of one per request.
	StoreRetryAfter time.Duration
}

// DefaultRateLimitConfig is 300 requests per minute per IP overall and 10 login (and 10
// registration) attempts per minute per IP and per email.
func DefaultRateLimitConfig() RateLimitConfig {
	return RateLimitConfig{
		Window:           time.Minute,
		GeneralPerWindow: 300,
		AuthPerWindow:    10,
		StoreTimeout:     50 * time.Millisecond,
		StoreRetryAfter:  5 * time.Second,
	}
}

func (r RateLimitConfig) withDefaults() RateLimitConfig {
	d := DefaultRateLimitConfig()
	if r.Window <= 0 {
		r.Window = d.Window
	}
	if r.GeneralPerWindow <= 0 {
		r.GeneralPerWindow = d.GeneralPerWindow
	}
	if r.AuthPerWindow <= 0 {
		r.AuthPerWindow = d.AuthPerWindow
	}
	if r.StoreTimeout <= 0 {
		r.StoreTimeout = d.StoreTimeout
	}
	if r.StoreRetryAfter <= 0 {
		r.StoreRetryAfter = d.StoreRetryAfter
	}
	return r
}

// rateLimiter counts hits in the shared store and in an in-process counter, and decides on the
// larger; when the store errors or is slow the local count alone decides, so a Redis outage
// neither blocks requests nor lifts the limits (each node then enforces the budget on its own).
type rateLimiter struct {
	cfg       RateLimitConfig
	store     instainstru.RateLimitStore // nil: local only
	local     *localLimiter
	log       *slog.Logger
	downUntil atomic.Int64 // unix nanos until which the store is skipped
	trusted   []netip.Prefix
}

func newRateLimiter(cfg RateLimitConfig, store instainstru.RateLimitStore, log *slog.Logger, trustedProxies []string) *rateLimiter {
	rl := &rateLimiter{cfg: cfg.withDefaults(), store: store, local: newLocalLimiter(), log: log}
	for _, p := range trustedProxies {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			rl.trusted = append(rl.trusted, pfx.Masked())
		} else if a, err := netip.ParseAddr(p); err == nil {
			a = a.Unmap()
			rl.trusted = append(rl.trusted, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return rl
}

// allow records a hit on key against limit and returns nil, or a rate_limited error carrying
// the time until the window resets.
func (rl *rateLimiter) allow(ctx context.Context, key string, limit int) error {
	count, reset := rl.hit(ctx, key)
	if count > int64(limit) {
		if reset < time.Second {
			reset = time.Second
		}
		return &instainstru.Error{Code: instainstru.CodeRateLimited, Message: "too many requests: slow down and retry later",
			RetryAfter: reset}
	}
	return nil
}

// hit counts one hit on key both locally and in the shared store and decides on the larger
// count. The local count is what this node alone has seen, so it never exceeds the shared one
// while the store works; it carries the budget across a store outage (or a slow answer) in
// either direction, instead of restarting it at zero when the limiter switches sides.
func (rl *rateLimiter) hit(ctx context.Context, key string) (int64, time.Duration) {
	n, reset := rl.local.hit(key, rl.cfg.Window, time.Now())
	if rl.store != nil && time.Now().UnixNano() >= rl.downUntil.Load() {
		sn, sreset, err := rl.storeHit(ctx, key)
		if err != nil {
			rl.downUntil.Store(time.Now().Add(rl.cfg.StoreRetryAfter).UnixNano())
			rl.log.Warn("rate limit store unavailable: limiting per process", "err", err,
				"retry_in", rl.cfg.StoreRetryAfter)
		} else if sn >= n {
			n, reset = sn, sreset
		}
	}
	return n, reset
}

type storeResult struct {
	n     int64
	reset time.Duration
	err   error
}

// storeHit asks the shared store but waits at most StoreTimeout, whatever the client does with
// the context (go-redis, unless told otherwise, waits its own read timeout of seconds on a
// server that accepted the connection and hangs). A late answer is dropped; the circuit in hit
// keeps such abandoned calls to one per StoreRetryAfter.
func (rl *rateLimiter) storeHit(ctx context.Context, key string) (int64, time.Duration, error) {
	sctx, cancel := context.WithTimeout(ctx, rl.cfg.StoreTimeout)
	defer cancel()
	done := make(chan storeResult, 1)
	go func() {
		n, reset, err := rl.store.Hit(sctx, key, rl.cfg.Window)
		done <- storeResult{n, reset, err}
	}()
	select {
	case r := <-done:
		return r.n, r.reset, r.err
	case <-sctx.Done():
		return 0, 0, sctx.Err()
	}
}

// perIP limits every request through it per client IP under scope.
func (rl *rateLimiter) perIP(scope string, limit int) fiber.Handler {
	if limit <= 0 {
		limit = rl.cfg.GeneralPerWindow
	}
	return func(c *fiber.Ctx) error {
		if err := rl.allow(c.UserContext(), scope+":ip:"+rl.clientIP(c), limit); err != nil {
			return err
		}
		return c.Next()
	}
}

// perEmail limits attempts on one account under scope. The email is hashed so the shared store
// never holds addresses.
func (rl *rateLimiter) perEmail(ctx context.Context, scope, email string) error {
	h := sha256.Sum256([]byte(email))
	return rl.allow(ctx, scope+":email:"+hex.EncodeToString(h[:16]), rl.cfg.AuthPerWindow)
}

// clientIP is the connection peer, unless the peer is a trusted proxy: then it is the rightmost
// X-Forwarded-For entry that is not itself a trusted proxy. Entries left of that were written by
// the client and are never believed, so a forged header cannot buy a fresh budget.
func (rl *rateLimiter) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	peer = peer.Unmap()
	if !rl.isTrusted(peer) {
		return peer.String()
	}
	var hops []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(v), ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing further left
		}
		client = a.Unmap()
		if !rl.isTrusted(client) {
			break
		}
	}
	return client.String()
}

func (rl *rateLimiter) isTrusted(a netip.Addr) bool {
	for _, p := range rl.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// localLimiter is the in-process fixed-window fallback. Expired windows are swept at most once a
// window, so memory stays bounded by the keys seen in about one window.
type localLimiter struct {
	mu        sync.Mutex
	windows   map[string]*localWindow
	nextSweep time.Time
}

type localWindow struct {
	count   int64
	resetAt time.Time
}

func newLocalLimiter() *localLimiter { return &localLimiter{windows: map[string]*localWindow{}} }

func (l *localLimiter) hit(key string, window time.Duration, now time.Time) (int64, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.After(l.nextSweep) {
		for k, w := range l.windows {
			if !now.Before(w.resetAt) {
				delete(l.windows, k)
			}
		}
		l.nextSweep = now.Add(window)
	}
	w := l.windows[key]
	if w == nil || !now.Before(w.resetAt) {
		w = &localWindow{resetAt: now.Add(window)}
		l.windows[key] = w
	}
	w.count++
	return w.count, w.resetAt.Sub(now)
}
