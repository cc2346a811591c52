package api_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// withLimits restores production budgets (newEnv raises them for other tests).
func authWithLimits(general, auth int) func(*api.Config, *api.Deps) {
	return func(c *api.Config, _ *api.Deps) {
		c.RateLimit = api.DefaultRateLimitConfig()
		c.RateLimit.GeneralPerWindow, c.RateLimit.AuthPerWindow = general, auth
	}
}

func authWithProxies(p ...string) func(*api.Config, *api.Deps) {
	return func(c *api.Config, _ *api.Deps) { c.TrustedProxies = p }
}

func requireRateLimited(t testing.TB, r *resp) {
	t.Helper()
	requireProblem(t, r, 429, "rate_limited")
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", r.Header.Get("Retry-After"))
	require.GreaterOrEqual(t, secs, 1)
	require.LessOrEqual(t, secs, 60)
}

func authLogin(e *env, email, password string, headers ...string) *resp {
	return e.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, headers...)
}

func TestRateLimitWrongPasswordsPerIP(t *testing.T) {
	def := api.DefaultRateLimitConfig()
	require.Equal(t, 10, def.AuthPerWindow)
	require.Equal(t, 300, def.GeneralPerWindow)
	require.Equal(t, time.Minute, def.Window)

	e := newEnv(t, authWithLimits(300, 10))
	a := e.registerFull(t, "student", uniqueEmail("rl"))
	for i := 1; i <= 20; i++ {
		r := authLogin(e, a.User.Email, "wrong password")
		if i <= 10 {
			requireProblem(t, r, 401, "invalid_credentials")
		} else {
			requireRateLimited(t, r)
		}
	}
	// Now even the right password waits: the budget is spent.
	requireRateLimited(t, authLogin(e, a.User.Email, testPassword))
	// Distinct emails from the same IP share the IP's budget.
	requireRateLimited(t, authLogin(e, uniqueEmail("other"), testPassword))
	// Other endpoints are not affected by the login budget.
	require.Equal(t, 200, e.do("GET", "/api/v1/auth/me", nil, bearer(a.AccessToken)...).Status)
	// The counter lives in Redis with an expiry.
	keys, err := e.rdb.Keys(t.Context(), "rl:*login:ip:*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	ttl, err := e.rdb.PTTL(t.Context(), keys[0]).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, time.Duration(0))
	require.LessOrEqual(t, ttl, time.Minute)
}

func TestRateLimitPerEmailAcrossIPs(t *testing.T) {
	// Behind a trusted proxy each request comes from its own client IP, so only the per-email
	// budget can stop a distributed guess at one account.
	e := newEnv(t, authWithLimits(300, 10), authWithProxies("127.0.0.1"))
	a := e.registerFull(t, "student", uniqueEmail("rle"))
	for i := 1; i <= 12; i++ {
		r := authLogin(e, a.User.Email, "wrong password", "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
		if i <= 10 {
			requireProblem(t, r, 401, "invalid_credentials")
		} else {
			requireRateLimited(t, r)
		}
	}
	// Another account from a fresh IP is untouched.
	b := e.registerFull(t, "student", uniqueEmail("rle2"))
	require.Equal(t, 200, authLogin(e, b.User.Email, testPassword, "X-Forwarded-For", "198.51.100.200").Status)
}

func TestRateLimitRegisterPerIP(t *testing.T) {
	e := newEnv(t, authWithLimits(300, 3))
	for i := 1; i <= 5; i++ {
		r := e.do("POST", "/api/v1/auth/register", map[string]any{"email": uniqueEmail("reg"), "password": testPassword,
			"full_name": "R", "role": "student"})
		if i <= 3 {
			require.Equal(t, 201, r.Status, "%s", r.Body)
		} else {
			requireRateLimited(t, r)
		}
	}
}

func TestRateLimitSpoofedForwardedForDoesNotEvade(t *testing.T) {
	t.Run("no trusted proxy: the header is ignored", func(t *testing.T) {
		e := newEnv(t, authWithLimits(300, 5))
		for i := 1; i <= 8; i++ {
			r := authLogin(e, uniqueEmail("spoof"), "x-password", "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
			if i <= 5 {
				requireProblem(t, r, 401, "invalid_credentials")
			} else {
				requireRateLimited(t, r)
			}
		}
	})
	t.Run("trusted proxy: only the hop it appended counts", func(t *testing.T) {
		e := newEnv(t, authWithLimits(300, 5), authWithProxies("127.0.0.0/8"))
		// The client forges the left part; the proxy (us, on 127.0.0.1) appended the real peer.
		for i := 1; i <= 8; i++ {
			xff := fmt.Sprintf("203.0.113.%d, 10.9.9.%d, 192.0.2.7", i, i)
			r := authLogin(e, uniqueEmail("spoof"), "x-password", "X-Forwarded-For", xff)
			if i <= 5 {
				requireProblem(t, r, 401, "invalid_credentials")
			} else {
				requireRateLimited(t, r)
			}
		}
		// A different real client behind the same proxy has its own budget: the header is used.
		requireProblem(t, authLogin(e, uniqueEmail("spoof"), "x-password", "X-Forwarded-For", "192.0.2.8"), 401, "invalid_credentials")
		// Chains of trusted proxies are walked from the right.
		requireRateLimited(t, authLogin(e, uniqueEmail("spoof"), "x-password", "X-Forwarded-For", "1.1.1.1, 192.0.2.7, 127.0.0.5"))
	})
}

// TestRateLimitIPv6PerSlash64: an IPv6 client usually holds a whole /64, so one budget covers
// the prefix: addresses of one /64 share it, another /64 has its own. IPv4 stays per address, and
// an IPv4-mapped IPv6 address is the IPv4 client it maps.
func TestRateLimitIPv6PerSlash64(t *testing.T) {
	e := newEnv(t, authWithLimits(300, 3), authWithProxies("127.0.0.0/8"))
	login := func(client string) *resp {
		return authLogin(e, uniqueEmail("v6"), "x-password", "X-Forwarded-For", client)
	}
	for _, client := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"} {
		requireProblem(t, login(client), 401, "invalid_credentials")
	}
	requireRateLimited(t, login("2001:db8:1:2:abcd::7"))
	// The neighbouring /64 is another client.
	requireProblem(t, login("2001:db8:1:3::1"), 401, "invalid_credentials")

	// IPv4: per address, and the mapped form is the same client.
	requireProblem(t, login("192.0.2.9"), 401, "invalid_credentials")
	requireProblem(t, login("::ffff:192.0.2.9"), 401, "invalid_credentials")
	requireProblem(t, login("192.0.2.9"), 401, "invalid_credentials")
	requireRateLimited(t, login("::ffff:192.0.2.9"))
	requireProblem(t, login("192.0.2.10"), 401, "invalid_credentials")
}

func TestRateLimitGeneral(t *testing.T) {
	e := newEnv(t, authWithLimits(5, 10))
	for i := 1; i <= 5; i++ {
		require.Equal(t, 200, e.do("GET", "/api/v1/catalog/categories", nil).Status)
	}
	requireRateLimited(t, e.do("GET", "/api/v1/catalog/categories", nil))
	requireRateLimited(t, e.do("GET", "/api/v1/auth/me", nil))
	// Probes outside /api/v1 are never limited (load balancers poll them).
	for i := 0; i < 10; i++ {
		require.Equal(t, 200, e.do("GET", "/healthz", nil).Status)
	}
}

func TestRateLimitSharedAcrossNodes(t *testing.T) {
	// Two API nodes on one Redis draw on one budget.
	rdb, _ := testenv.Redis(t, 1)
	store := rateStore(t, rdb, "rl:"+persistence.NewID()+":")
	shared := func(_ *api.Config, d *api.Deps) { d.RateLimits = store }
	e1 := newEnv(t, authWithLimits(4, 10), shared)
	e2 := newEnv(t, authWithLimits(4, 10), shared)
	for i := 0; i < 2; i++ {
		require.Equal(t, 200, e1.do("GET", "/api/v1/catalog/categories", nil).Status)
		require.Equal(t, 200, e2.do("GET", "/api/v1/catalog/categories", nil).Status)
	}
	requireRateLimited(t, e1.do("GET", "/api/v1/catalog/categories", nil))
	requireRateLimited(t, e2.do("GET", "/api/v1/catalog/categories", nil))
}

func TestRateLimitFallsBackWhenRedisIsDown(t *testing.T) {
	dead := testenv.ClientAt(t, "127.0.0.1:1")
	e := newEnv(t, authWithLimits(300, 10), func(_ *api.Config, d *api.Deps) {
		d.RateLimits = rateStore(t, dead, "rl:dead:")
	})
	a := e.registerFull(t, "student", uniqueEmail("down"))

	start := time.Now()
	r := authLogin(e, a.User.Email, testPassword)
	require.Equal(t, 200, r.Status, "login works without Redis: %s", r.Body)
	require.Less(t, time.Since(start), 2*time.Second)

	// The local limiter still enforces the budget (register counted on the register budget).
	for i := 2; i <= 12; i++ {
		r = authLogin(e, a.User.Email, "wrong password")
		if i <= 10 {
			requireProblem(t, r, 401, "invalid_credentials")
		} else {
			requireRateLimited(t, r)
		}
	}
}

func TestRateLimitStoreTimeoutIsTight(t *testing.T) {
	// A Redis that accepts connections but never answers must not hold requests up.
	ln := authBlackhole(t)
	slow := testenv.ClientAt(t, ln) // the store's own per-call deadline is what must cut the wait
	e := newEnv(t, authWithLimits(300, 10), func(_ *api.Config, d *api.Deps) {
		d.RateLimits = rateStore(t, slow, "rl:slow:")
	})
	for i := 0; i < 5; i++ {
		start := time.Now()
		require.Equal(t, 200, e.do("GET", "/api/v1/catalog/categories", nil).Status)
		require.Less(t, time.Since(start), time.Second)
	}
}

// blackhole listens on a free port, accepts connections and never answers on them.
func authBlackhole(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

func TestRateLimitSurvivesRedisDyingMidWindow(t *testing.T) {
	srv := testenv.StartRedis(t)
	own := testenv.ClientAt(t, srv.Addr())

	e := newEnv(t, authWithLimits(300, 10), func(_ *api.Config, d *api.Deps) {
		d.RateLimits = rateStore(t, own, "rl:")
	})
	a := e.registerFull(t, "student", uniqueEmail("dies"))
	for i := 0; i < 4; i++ {
		requireProblem(t, authLogin(e, a.User.Email, "wrong password"), 401, "invalid_credentials")
	}
	n, err := own.Get(t.Context(), "rl:login:ip:127.0.0.1").Int()
	require.NoError(t, err)
	require.Equal(t, 4, n, "counted in Redis while it was up")

	srv.Kill()

	start := time.Now()
	require.Equal(t, 200, authLogin(e, a.User.Email, testPassword).Status, "login works once Redis is gone")
	require.Less(t, time.Since(start), 2*time.Second)
	limited := false
	for i := 0; i < 12 && !limited; i++ {
		r := authLogin(e, a.User.Email, "wrong password")
		if r.Status == 429 {
			requireRateLimited(t, r)
			limited = true
		} else {
			requireProblem(t, r, 401, "invalid_credentials")
		}
	}
	require.True(t, limited, "the local limiter took over")
}

// countingStore counts the calls to the shared rate-limit store (our interface, wrapped).
type countingStore struct {
	instainstru.RateLimitStore
	calls, hits atomic.Int64
}

func (c *countingStore) Hit(ctx context.Context, key string, n int64, window time.Duration) (int64, time.Duration, error) {
	c.calls.Add(1)
	c.hits.Add(n)
	return c.RateLimitStore.Hit(ctx, key, n, window)
}

func TestRateLimitGeneralDefersFarFromTheLimit(t *testing.T) {
	rdb, _ := testenv.Redis(t, 1)
	store := &countingStore{RateLimitStore: rateStore(t, rdb, "rl:"+persistence.NewID()+":")}
	e := newEnv(t, authWithLimits(1000, 10), func(_ *api.Config, d *api.Deps) { d.RateLimits = store })
	const n = 200
	for i := 0; i < n; i++ {
		require.Equal(t, 200, e.do("GET", "/api/v1/catalog/categories", nil).Status)
	}
	require.Less(t, store.calls.Load(), int64(n/4), "far from the limit, requests do not wait for Redis")
	// Every hit still reaches the shared store, in the background.
	require.Eventually(t, func() bool { return store.hits.Load() == n }, 3*time.Second, 20*time.Millisecond)
}

// rateStore is the Redis rate-limit store, closed when the test ends.
func rateStore(t testing.TB, rdb *cache.Client, prefix string) *cache.RedisRateLimiter {
	l := cache.NewRedisRateLimiter(rdb, prefix)
	t.Cleanup(func() { _ = l.Close() })
	return l
}
