package api

import (
	"cmp"
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
// and resets Window later (see cache.RedisRateLimiter), which is cheap (one round trip)
// and lets a client at most double its budget across a window boundary.
type RateLimitConfig struct {
	Window time.Duration
	// GeneralPerWindow is the per-client-IP budget for all of /api/v1.
	GeneralPerWindow int
	// AuthPerWindow is the budget of login and of registration attempts, per client IP and,
	// separately, per email address (so a distributed guess at one account is limited too).
	AuthPerWindow int
	// SyncInterval is how often hits counted locally under the general budget reach the store.
	SyncInterval time.Duration
}

// DefaultRateLimitConfig is 300 requests per minute per IP overall and 10 login (and 10
// registration) attempts per minute per IP and per email.
func DefaultRateLimitConfig() RateLimitConfig {
	return RateLimitConfig{
		Window:           time.Minute,
		GeneralPerWindow: 300,
		AuthPerWindow:    10,
		SyncInterval:     100 * time.Millisecond,
	}
}

func (r RateLimitConfig) withDefaults() RateLimitConfig {
	d := DefaultRateLimitConfig()
	r.Window = cmp.Or(max(r.Window, 0), d.Window)
	r.GeneralPerWindow = cmp.Or(max(r.GeneralPerWindow, 0), d.GeneralPerWindow)
	r.AuthPerWindow = cmp.Or(max(r.AuthPerWindow, 0), d.AuthPerWindow)
	r.SyncInterval = cmp.Or(max(r.SyncInterval, 0), d.SyncInterval)
	return r
}

// rateLimiter counts hits in the shared store and in an in-process counter, and decides on the
// larger; when the store errors or is slow the local count alone decides, so a Redis outage
// neither blocks requests nor lifts the limits (each node then enforces the budget on its own).
type rateLimiter struct {
	cfg        RateLimitConfig
	store      instainstru.RateLimitStore // nil: local only
	local      *localLimiter
	log        *slog.Logger
	loggedDown atomic.Int64 // unix nanos of the last "store unavailable" log line
	trusted    []netip.Prefix
	deferred   *deferredHits
	stop       chan struct{}
	closeOnce  sync.Once
}

// close stops the background sync (the server's Shutdown calls it).
func (rl *rateLimiter) close() { rl.closeOnce.Do(func() { close(rl.stop) }) }

// generalScope is the whole-API per-IP budget, the one that may count locally (deferredHits).
const generalScope = "api"

func newRateLimiter(cfg RateLimitConfig, store instainstru.RateLimitStore, log *slog.Logger, trustedProxies []string) *rateLimiter {
	rl := &rateLimiter{cfg: cfg.withDefaults(), store: store, local: newLocalLimiter(), log: log,
		deferred: &deferredHits{keys: map[string]*deferredKey{}}, stop: make(chan struct{})}
	if store != nil {
		go rl.syncDeferred(rl.stop)
	}
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
func (rl *rateLimiter) allow(ctx context.Context, key string, limit int, exact bool) error {
	count, reset := rl.hit(ctx, key, limit, exact)
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
//
// When exact is false (the general per-IP budget), a key well under its limit is counted locally
// and its hits reach the store in the background every SyncInterval (see deferred); only near
// the limit does each hit ask the store. The credential limits are always exact.
func (rl *rateLimiter) hit(ctx context.Context, key string, limit int, exact bool) (int64, time.Duration) {
	now := time.Now()
	n, reset := rl.local.hit(key, rl.cfg.Window, now)
	if rl.store == nil {
		return n, reset
	}
	if !exact {
		if est, ok := rl.deferred.admit(key, n, limit, now); ok {
			return est, reset
		}
	}
	// This hit plus any deferred ones not yet in the store.
	sn, sreset, err := rl.store.Hit(ctx, key, 1+rl.deferred.take(key), rl.cfg.Window)
	if err != nil {
		rl.storeDown(err)
		return n, reset
	}
	rl.deferred.learn(key, sn, now.Add(sreset))
	if sn >= n {
		n, reset = sn, sreset
	}
	return n, reset
}

// storeDown logs, at most every 10 s, that the shared store failed: the store itself fails fast
// (its own timeout and breaker), and meanwhile each process enforces the budgets alone.
func (rl *rateLimiter) storeDown(err error) {
	now := time.Now().UnixNano()
	last := rl.loggedDown.Load()
	if now-last < int64(10*time.Second) || !rl.loggedDown.CompareAndSwap(last, now) {
		return
	}
	rl.log.Warn("rate limit store unavailable: limiting per process", "err", err)
}

// syncDeferred sends the deferred hits to the store every SyncInterval until stop is closed.
func (rl *rateLimiter) syncDeferred(stop <-chan struct{}) {
	t := time.NewTicker(rl.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		for key, n := range rl.deferred.takeAll() {
			sn, sreset, err := rl.store.Hit(context.Background(), key, n, rl.cfg.Window)
			if err != nil {
				rl.storeDown(err) // these hits stay counted locally only
				break
			}
			rl.deferred.learn(key, sn, time.Now().Add(sreset))
		}
	}
}

// deferredHits holds, per key, the hits admitted locally but not yet sent to the store, and the
// last total the store reported. A key is admitted locally while that total plus the deferred
// hits stays under half its limit: far from the limit a request costs no Redis round trip, and
// near it every hit is exact. Several nodes can each admit up to half the limit between syncs,
// so a burst may briefly exceed the general budget by that much; the credential limits, where it
// would matter, never defer.
type deferredHits struct {
	mu   sync.Mutex
	keys map[string]*deferredKey
}

type deferredKey struct {
	pending int64
	shared  int64
	resetAt time.Time
}

func (d *deferredHits) admit(key string, local int64, limit int, now time.Time) (int64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := d.keys[key]
	if k == nil {
		k = &deferredKey{}
		d.keys[key] = k
	}
	if now.After(k.resetAt) {
		k.shared = 0
	}
	est := k.shared + k.pending + 1
	if local > est {
		est = local
	}
	if 2*est >= int64(limit) {
		return 0, false
	}
	k.pending++
	return est, true
}

func (d *deferredHits) take(key string) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if k := d.keys[key]; k != nil {
		n := k.pending
		k.pending = 0
		return n
	}
	return 0
}

func (d *deferredHits) takeAll() map[string]int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]int64{}
	now := time.Now()
	for key, k := range d.keys {
		if k.pending > 0 {
			out[key] = k.pending
			k.pending = 0
		} else if now.After(k.resetAt) {
			delete(d.keys, key) // idle and expired: keeps the map to the keys seen recently
		}
	}
	return out
}

func (d *deferredHits) learn(key string, shared int64, resetAt time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := d.keys[key]
	if k == nil {
		k = &deferredKey{}
		d.keys[key] = k
	}
	k.shared, k.resetAt = shared, resetAt
}

// perIP limits every request through it per client IP under scope.
func (rl *rateLimiter) perIP(scope string, limit int) fiber.Handler {
	if limit <= 0 {
		limit = rl.cfg.GeneralPerWindow
	}
	return func(c *fiber.Ctx) error {
		if err := rl.allow(c.UserContext(), scope+":ip:"+rl.clientKey(c), limit, scope != generalScope); err != nil {
			return err
		}
		return c.Next()
	}
}

// perEmail limits attempts on one account under scope. The email is hashed so the shared store
// never holds addresses.
func (rl *rateLimiter) perEmail(ctx context.Context, scope, email string) error {
	h := sha256.Sum256([]byte(email))
	return rl.allow(ctx, scope+":email:"+hex.EncodeToString(h[:16]), rl.cfg.AuthPerWindow, true)
}

// clientKey is whom a per-IP budget belongs to: the client's IPv4 address, or the /64 prefix of
// its IPv6 address. An IPv6 subscriber is routinely handed a whole /64 (and privacy addresses
// rotate inside it), so counting per address would give one client 2^64 budgets. IPv4-mapped
// addresses were unmapped by clientIP and count as the IPv4 client.
func (rl *rateLimiter) clientKey(c *fiber.Ctx) string {
	ip := rl.clientIP(c)
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() {
		return ip
	}
	return netip.PrefixFrom(a.WithZone(""), ipv6ClientBits).Masked().String()
}

// ipv6ClientBits is the IPv6 prefix length one client is assumed to hold.
const ipv6ClientBits = 64

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
