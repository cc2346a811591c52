package cache

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/instainstru/instainstru"
)

// RedisRateLimiter is the shared rate-limit counter store (instainstru.RateLimitStore): fixed
// windows in Redis, so every API node draws on one budget per key.
//
// It must fail fast, because the limiter sits in front of every request: each call has a 50 ms
// budget (through a client that honours context deadlines, as the cache's does), and the first
// failure opens a breaker that skips Redis for 5 s, so a dead or hung Redis costs one timeout
// per 5 s instead of one per request. The caller then counts in process.
type RedisRateLimiter struct {
	rdb     *redis.Client
	own     bool
	prefix  string
	timeout time.Duration
	br      *Breaker
}

// Rate-limit store defaults: per-call budget and how long Redis is skipped after a failure.
const (
	rateLimitCallTimeout = 50 * time.Millisecond
	rateLimitCoolDown    = 5 * time.Second
)

// errRateLimitStoreDown is returned while the breaker skips Redis.
var errRateLimitStoreDown = errors.New("rate limit store skipped after a recent failure")

// NewRedisRateLimiter counts under keys prefix+key (e.g. "rl:"); tests give each server its own
// prefix so their budgets never meet. Close releases the client it may derive from rdb.
func NewRedisRateLimiter(rdb *redis.Client, prefix string) *RedisRateLimiter {
	l := &RedisRateLimiter{rdb: rdb, prefix: prefix, timeout: rateLimitCallTimeout,
		br: NewBreaker(1, rateLimitCoolDown)}
	if !rdb.Options().ContextTimeoutEnabled {
		l.rdb, l.own = redis.NewClient(deadlineOptions(rdb.Options())), true
	}
	return l
}

// Close releases the client the limiter derived, if any.
func (l *RedisRateLimiter) Close() error {
	if l.own {
		return l.rdb.Close()
	}
	return nil
}

// hitScript adds ARGV[2] hits to the window's counter and starts its expiry on the first hits, atomically
// (a crash between a separate INCR and EXPIRE would leave a counter that never resets). A
// counter found without a TTL is given one, for the same reason.
var hitScript = redis.NewScript(`
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return {n, tonumber(ARGV[1])}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`)

// Hit counts n hits on key in a fixed window that starts with the key's first hit.
func (l *RedisRateLimiter) Hit(ctx context.Context, key string, n int64, window time.Duration) (int64, time.Duration, error) {
	if n < 1 {
		n = 1
	}
	if !l.br.Allow() {
		return 0, 0, errRateLimitStoreDown
	}
	cctx, cancel := context.WithTimeout(ctx, l.timeout)
	res, err := hitScript.Run(cctx, l.rdb, []string{l.prefix + key}, window.Milliseconds(), n).Int64Slice()
	cancel()
	switch {
	case err == nil:
		l.br.Success()
	case ctx.Err() != nil:
		l.br.Release() // the caller gave up: says nothing about Redis
	default:
		l.br.Failure()
	}
	if err != nil {
		return 0, 0, err
	}
	if len(res) != 2 {
		return 0, 0, errors.New("rate limit script: unexpected reply")
	}
	return res[0], time.Duration(res[1]) * time.Millisecond, nil
}

var _ instainstru.RateLimitStore = (*RedisRateLimiter)(nil)
