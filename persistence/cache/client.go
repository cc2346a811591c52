package cache

import "github.com/redis/go-redis/v9"

// Client is the Redis client the cache, its near cache and the rate-limit store talk through. It
// is named here so that the rest of the program wires Redis without importing the driver: this
// package is the only one that does.
type Client = redis.Client

// Dial returns a client for a Redis URL (REDIS_URL: redis://[user:password@]host:port/db, or
// rediss:// for TLS) with the driver's default options. It connects lazily, so a Redis that is
// down is not an error here: everything built on the client fails open. Close the client after
// the caches and rate-limit stores built on it.
func Dial(url string) (*Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opt), nil
}
