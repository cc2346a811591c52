package persistence

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/instainstru/instainstru"
)

// RedisRateLimiter is the shared rate-limit counter store (instainstru.RateLimitStore): fixed
// windows in Redis, so every API node draws on one budget per key.
type RedisRateLimiter struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisRateLimiter counts under keys prefix+key (e.g. "rl:"); tests give each server its own
// prefix so their budgets never meet.
func NewRedisRateLimiter(rdb redis.UniversalClient, prefix string) *RedisRateLimiter {
	return &RedisRateLimiter{rdb: rdb, prefix: prefix}
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
	res, err := hitScript.Run(ctx, l.rdb, []string{l.prefix + key}, window.Milliseconds(), n).Int64Slice()
	if err != nil {
		return 0, 0, err
	}
	if len(res) != 2 {
		return 0, 0, errors.New("rate limit script: unexpected reply")
	}
	return res[0], time.Duration(res[1]) * time.Millisecond, nil
}

var _ instainstru.RateLimitStore = (*RedisRateLimiter)(nil)
