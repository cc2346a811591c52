package cache_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// cacheRedisDB is the shared Redis DB number of the cache tests.
const cacheRedisDB = 2

// sharedCache is a cache on the shared development Redis. The per-call timeout is generous:
// other packages' tests load the machine, and breaker behaviour is tested on a private server.
func sharedCache(t testing.TB, cfg cache.Config) (*cache.Cache, *redis.Client) {
	t.Helper()
	rdb, _ := testenv.Redis(t, cacheRedisDB)
	if cfg.Prefix == "" {
		cfg.Prefix = "cachetest:" + t.Name() + ":"
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 2 * time.Second
	}
	c := cache.New(rdb, cfg)
	t.Cleanup(func() { _ = c.Close() })
	return c, rdb
}

// profileValue is a struct with a slice, the shape decorators cache.
type profileValue struct {
	Name  string
	Tags  []string
	Since time.Time
}

// counted wraps a loader and counts its calls.
type counted[T any] struct {
	calls atomic.Int64
	fn    func(ctx context.Context, n int64) (T, error)
}

func (c *counted[T]) load(ctx context.Context) (T, error) { return c.fn(ctx, c.calls.Add(1)) }

// waitFor polls cond until it holds or the timeout passes, and reports whether it held.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// entryTTLs returns the remaining TTL of every entry key of the cache whose key ends with suffix.
func entryTTLs(t *testing.T, rdb *redis.Client, prefix, suffix string) map[string]time.Duration {
	t.Helper()
	ctx := context.Background()
	out := map[string]time.Duration{}
	iter := rdb.Scan(ctx, 0, prefix+"e*", 100).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		if !strings.HasSuffix(k, suffix) {
			continue
		}
		ttl, err := rdb.PTTL(ctx, k).Result()
		require.NoError(t, err)
		out[k] = ttl
	}
	require.NoError(t, iter.Err())
	return out
}

func TestCacheHitMissAndTTL(t *testing.T) {
	ctx := context.Background()
	c, rdb := sharedCache(t, cache.Config{Prefix: "cachetest:ttl:"})
	since := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
	src := &counted[profileValue]{fn: func(_ context.Context, n int64) (profileValue, error) {
		return profileValue{Name: fmt.Sprintf("Ada %d", n), Tags: []string{"piano", "theory"}, Since: since}, nil
	}}
	want := profileValue{Name: "Ada 1", Tags: []string{"piano", "theory"}, Since: since}

	got, err := cache.GetOrLoad(ctx, c, "profile:ada", 100*time.Second, src.load)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	got, err = cache.GetOrLoad(ctx, c, "profile:ada", 100*time.Second, src.load)
	require.NoError(t, err)
	assert.Equal(t, want, got, "second read is the cached value, not a second load")
	assert.Equal(t, int64(1), src.calls.Load())
	st := c.Stats()
	assert.Equal(t, int64(1), st.Hits)
	assert.Equal(t, int64(1), st.Misses)
	assert.Equal(t, int64(1), st.Loads)
	assert.Equal(t, "closed", st.BreakerState)

	// A caller mutating its copy does not change what others get.
	got.Tags[0] = "changed"
	again, err := cache.GetOrLoad(ctx, c, "profile:ada", 100*time.Second, src.load)
	require.NoError(t, err)
	assert.Equal(t, "piano", again.Tags[0])

	ttls := entryTTLs(t, rdb, "cachetest:ttl:", ":profile:ada")
	require.Len(t, ttls, 1, "one entry, named after the key")
	for k, ttl := range ttls {
		assert.GreaterOrEqual(t, ttl, 89*time.Second, k)
		assert.LessOrEqual(t, ttl, 110*time.Second, k)
	}

	// Jitter: many keys written together get different TTLs, all within ±10%.
	for i := range 40 {
		_, err := cache.GetOrLoad(ctx, c, fmt.Sprintf("jitter:%02d", i), 100*time.Second,
			func(context.Context) (int, error) { return i, nil })
		require.NoError(t, err)
	}
	lo, hi := time.Hour, time.Duration(0)
	ttls = map[string]time.Duration{}
	for i := range 40 {
		maps := entryTTLs(t, rdb, "cachetest:ttl:", fmt.Sprintf(":jitter:%02d", i))
		require.Len(t, maps, 1)
		for k, v := range maps {
			ttls[k] = v
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	require.Len(t, ttls, 40)
	assert.GreaterOrEqual(t, lo, 89*time.Second)
	assert.LessOrEqual(t, hi, 110*time.Second)
	assert.Greater(t, hi-lo, 2*time.Second, "TTLs are spread, not identical")
}

func TestCacheTTLTiers(t *testing.T) {
	tests := []struct {
		name string
		cfg  cache.Config
		tier cache.Tier
		want time.Duration
	}{
		{"catalog default", cache.Config{}, cache.TierCatalog, 6 * time.Hour},
		{"profile default", cache.Config{}, cache.TierProfile, 5 * time.Minute},
		{"availability default", cache.Config{}, cache.TierAvailability, 300 * time.Second},
		{"availability configured", cache.Config{AvailabilityTTL: 42 * time.Second}, cache.TierAvailability, 42 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
			defer rdb.Close()
			c := cache.New(rdb, tt.cfg)
			defer c.Close()
			assert.Equal(t, tt.want, c.TTL(tt.tier))
		})
	}
}

func TestCacheCoalescesConcurrentMisses(t *testing.T) {
	ctx := context.Background()
	c, _ := sharedCache(t, cache.Config{})
	const callers = 100
	src := &counted[[]string]{fn: func(context.Context, int64) ([]string, error) {
		// Hold the load until every other caller is waiting for it, so none can have been served
		// by a stored entry instead of by coalescing.
		if !waitFor(20*time.Second, func() bool { return c.Stats().CoalescedWaits >= callers-1 }) {
			return nil, errors.New("callers did not coalesce")
		}
		return []string{"mon", "wed"}, nil
	}}
	var wg sync.WaitGroup
	results := make([][]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			results[i], errs[i] = cache.GetOrLoad(ctx, c, "cold", time.Minute, src.load)
		})
	}
	wg.Wait()
	for i := range callers {
		require.NoError(t, errs[i], "caller %d", i)
		assert.Equal(t, []string{"mon", "wed"}, results[i], "caller %d", i)
	}
	assert.Equal(t, int64(1), src.calls.Load(), "one load for all concurrent misses")
	st := c.Stats()
	assert.Equal(t, int64(callers-1), st.CoalescedWaits)
	assert.Equal(t, int64(1), st.Loads)

	// And the shared result was stored: the next read is a hit.
	_, err := cache.GetOrLoad(ctx, c, "cold", time.Minute, src.load)
	require.NoError(t, err)
	assert.Equal(t, int64(1), src.calls.Load())
	assert.Equal(t, int64(1), c.Stats().Hits)
}

// Without any blocking, bursts of callers still load each key exactly once.
func TestCacheBurstLoadsOncePerKey(t *testing.T) {
	ctx := context.Background()
	c, _ := sharedCache(t, cache.Config{})
	var loads [4]atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			k := i % len(loads)
			v, err := cache.GetOrLoad(ctx, c, fmt.Sprintf("burst:%d", k), time.Minute, func(context.Context) (int, error) {
				loads[k].Add(1)
				return k * 10, nil
			})
			assert.NoError(t, err)
			assert.Equal(t, k*10, v)
		})
	}
	wg.Wait()
	for k := range loads {
		assert.Equal(t, int64(1), loads[k].Load(), "key %d", k)
	}
}

func TestCacheLoaderErrorSharedNotCached(t *testing.T) {
	ctx := context.Background()
	c, _ := sharedCache(t, cache.Config{})
	boom := errors.New("database is on fire")
	const callers = 20
	src := &counted[int]{fn: func(_ context.Context, n int64) (int, error) {
		if n == 1 {
			waitFor(20*time.Second, func() bool { return c.Stats().CoalescedWaits >= callers-1 })
			return 0, boom
		}
		return 7, nil
	}}
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { _, errs[i] = cache.GetOrLoad(ctx, c, "fragile", time.Minute, src.load) })
	}
	wg.Wait()
	for i, err := range errs {
		assert.ErrorIs(t, err, boom, "caller %d shares the loader's error", i)
	}
	assert.Equal(t, int64(1), src.calls.Load())
	assert.Equal(t, int64(1), c.Stats().LoadErrors)

	// The error was not cached: the next read loads again, and its success is cached.
	v, err := cache.GetOrLoad(ctx, c, "fragile", time.Minute, src.load)
	require.NoError(t, err)
	assert.Equal(t, 7, v)
	v, err = cache.GetOrLoad(ctx, c, "fragile", time.Minute, src.load)
	require.NoError(t, err)
	assert.Equal(t, 7, v)
	assert.Equal(t, int64(2), src.calls.Load())
}

func TestCacheNotFound(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		notFound  time.Duration
		wantLoads int64
	}{
		{"remembered briefly", time.Minute, 1},
		{"not remembered when disabled", -1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := sharedCache(t, cache.Config{NotFoundTTL: tt.notFound})
			src := &counted[profileValue]{fn: func(context.Context, int64) (profileValue, error) {
				return profileValue{}, instainstru.Errorf(instainstru.CodeNotFound, "instructor not found")
			}}
			for range 2 {
				_, err := cache.GetOrLoad(ctx, c, "profile:ghost", time.Hour, src.load)
				require.Error(t, err)
				assert.True(t, instainstru.IsCode(err, instainstru.CodeNotFound), "%v", err)
				assert.Contains(t, err.Error(), "instructor not found")
			}
			assert.Equal(t, tt.wantLoads, src.calls.Load())
		})
	}
}

func TestCacheNamespaceBump(t *testing.T) {
	ctx := context.Background()
	c, _ := sharedCache(t, cache.Config{})
	slots := map[string]*counted[[]string]{}
	for _, inst := range []string{"i1", "i2"} {
		slots[inst] = &counted[[]string]{fn: func(_ context.Context, n int64) ([]string, error) {
			return []string{fmt.Sprintf("%s-v%d", inst, n)}, nil
		}}
	}
	read := func(inst string) []string {
		t.Helper()
		v, err := cache.GetOrLoadIn(ctx, c, "avail:"+inst, "2030-01-07:2030-01-14", time.Minute, slots[inst].load)
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, []string{"i1-v1"}, read("i1"))
	assert.Equal(t, []string{"i1-v1"}, read("i1"))
	assert.Equal(t, []string{"i2-v1"}, read("i2"))
	v, ok := c.Version(ctx, "avail:i1")
	require.True(t, ok)
	assert.Equal(t, int64(0), v)

	c.Bump(ctx, "avail:i1")
	v, ok = c.Version(ctx, "avail:i1")
	require.True(t, ok)
	assert.Equal(t, int64(1), v)
	assert.Equal(t, []string{"i1-v2"}, read("i1"), "bump makes the next read miss")
	assert.Equal(t, []string{"i1-v2"}, read("i1"))
	assert.Equal(t, []string{"i2-v1"}, read("i2"), "other namespaces keep their entries")
	assert.Equal(t, int64(2), slots["i1"].calls.Load())
	assert.Equal(t, int64(1), slots["i2"].calls.Load())
	assert.Equal(t, int64(0), c.Stats().InvalidationFailures)
	assert.Equal(t, int64(0), c.Stats().Flushes)

	// A namespace the key scheme cannot represent is served, uncached.
	for range 2 {
		got, err := cache.GetOrLoadIn(ctx, c, "bad|ns", "k", time.Minute, slots["i2"].load)
		require.NoError(t, err)
		assert.NotEmpty(t, got)
	}
	assert.Equal(t, int64(3), slots["i2"].calls.Load())
}

func TestCacheDelete(t *testing.T) {
	ctx := context.Background()
	c, _ := sharedCache(t, cache.Config{})
	src := &counted[int64]{fn: func(_ context.Context, n int64) (int64, error) { return n, nil }}
	read := func(key string) int64 {
		v, err := cache.GetOrLoad(ctx, c, key, time.Minute, src.load)
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, int64(1), read("catalog:services"))
	assert.Equal(t, int64(2), read("catalog:categories"))
	assert.Equal(t, int64(1), read("catalog:services"))
	c.Delete(ctx, "catalog:services")
	assert.Equal(t, int64(3), read("catalog:services"))
	assert.Equal(t, int64(2), read("catalog:categories"))
	c.Delete(ctx) // nothing to do
	assert.Equal(t, int64(0), c.Stats().InvalidationFailures)
}

// A flush (epoch increment) by any node hides every entry from every node at its next read,
// even though each node guesses the epoch it saw last.
func TestCacheEpochFlushSeenByOtherNodes(t *testing.T) {
	ctx := context.Background()
	rdb, _ := testenv.Redis(t, cacheRedisDB)
	cfg := cache.Config{Prefix: "cachetest:epoch:", CallTimeout: 2 * time.Second}
	nodeA, nodeB := cache.New(rdb, cfg), cache.New(rdb, cfg)
	t.Cleanup(func() { _ = nodeA.Close(); _ = nodeB.Close() })
	src := &counted[int64]{fn: func(_ context.Context, n int64) (int64, error) { return n, nil }}
	readPlain := func(c *cache.Cache) int64 {
		v, err := cache.GetOrLoad(ctx, c, "catalog:all", time.Hour, src.load)
		require.NoError(t, err)
		return v
	}
	readNS := func(c *cache.Cache) int64 {
		v, err := cache.GetOrLoadIn(ctx, c, "avail:inst", "week", time.Hour, src.load)
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, int64(1), readPlain(nodeA))
	assert.Equal(t, int64(1), readPlain(nodeB))
	assert.Equal(t, int64(2), readNS(nodeA))
	assert.Equal(t, int64(2), readNS(nodeB))

	// Another node flushes: what nodeA and nodeB knew of the epoch is now out of date.
	require.NoError(t, rdb.Incr(ctx, "cachetest:epoch:epoch").Err())
	assert.Equal(t, int64(3), readPlain(nodeB))
	assert.Equal(t, int64(3), readPlain(nodeA))
	assert.Equal(t, int64(4), readNS(nodeA))
	assert.Equal(t, int64(4), readNS(nodeB))
	assert.Equal(t, int64(1), nodeA.Stats().Epoch)
	assert.Equal(t, int64(4), src.calls.Load())
}

// A caller that gives up stops waiting at once; the load it started goes on for the others.
func TestCacheWaiterCancellation(t *testing.T) {
	c, _ := sharedCache(t, cache.Config{})
	release := make(chan struct{})
	var loadCtxErr atomic.Value
	load := func(ctx context.Context) (string, error) {
		<-release
		loadCtxErr.Store(fmt.Sprint(ctx.Err()))
		return "done", nil
	}
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := cache.GetOrLoad(leaderCtx, c, "slow", time.Minute, load)
		leaderErr <- err
	}()
	require.True(t, waitFor(10*time.Second, func() bool { return c.Stats().Loads == 1 }))
	otherVal := make(chan string, 1)
	go func() {
		v, err := cache.GetOrLoad(context.Background(), c, "slow", time.Minute, load)
		assert.NoError(t, err)
		otherVal <- v
	}()
	require.True(t, waitFor(10*time.Second, func() bool { return c.Stats().CoalescedWaits == 1 }))

	cancelLeader()
	select {
	case err := <-leaderErr:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("the cancelled caller kept waiting")
	}
	close(release)
	select {
	case v := <-otherVal:
		assert.Equal(t, "done", v)
	case <-time.After(5 * time.Second):
		t.Fatal("the remaining caller got nothing")
	}
	assert.Equal(t, "<nil>", loadCtxErr.Load(), "the load was not cancelled with its starter")
	assert.Equal(t, int64(1), c.Stats().Loads)
}

func TestCacheLoaderPanic(t *testing.T) {
	c, _ := sharedCache(t, cache.Config{})
	_, err := cache.GetOrLoad(context.Background(), c, "panics", time.Minute, func(context.Context) (int, error) {
		panic("bug in a store")
	})
	require.Error(t, err)
	assert.Equal(t, instainstru.CodeInternal, instainstru.ErrorCode(err))
	assert.Contains(t, err.Error(), "bug in a store")
}

func TestCacheNilCacheLoads(t *testing.T) {
	var c *cache.Cache
	for range 2 {
		v, err := cache.GetOrLoadIn(context.Background(), c, "ns", "k", time.Minute, func(context.Context) (int, error) { return 5, nil })
		require.NoError(t, err)
		assert.Equal(t, 5, v)
	}
	c.Bump(context.Background(), "ns")
	c.Delete(context.Background(), "k")
	assert.Equal(t, "disabled", c.Stats().BreakerState)
	assert.NoError(t, c.Close())
}

// With Redis unreachable the breaker opens, reads go to the loader without errors, and
// concurrent misses still share one load.
func TestCacheRedisDownStillCoalesces(t *testing.T) {
	ctx := context.Background()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = dead.Close() })
	c := cache.New(dead, cache.Config{CoolDown: time.Minute})
	t.Cleanup(func() { _ = c.Close() })

	for i := range 3 {
		v, err := cache.GetOrLoad(ctx, c, "k", time.Minute, func(context.Context) (int, error) { return i, nil })
		require.NoError(t, err)
		assert.Equal(t, i, v)
	}
	st := c.Stats()
	require.Equal(t, "open", st.BreakerState)
	assert.Equal(t, int64(1), st.BreakerOpens)
	assert.Equal(t, int64(3), st.Errors)

	const callers = 100
	src := &counted[string]{fn: func(context.Context, int64) (string, error) {
		waitFor(20*time.Second, func() bool { return c.Stats().CoalescedWaits >= callers-1 })
		return "from postgres", nil
	}}
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			v, err := cache.GetOrLoad(ctx, c, "k", time.Minute, src.load)
			assert.NoError(t, err)
			assert.Equal(t, "from postgres", v)
		})
	}
	wg.Wait()
	assert.Equal(t, int64(1), src.calls.Load())
	assert.Equal(t, int64(3), c.Stats().Errors, "no Redis call was attempted while open")
	c.Bump(ctx, "ns")
	assert.Equal(t, int64(1), c.Stats().InvalidationFailures)
}

// privateCache is a cache on a private redis-server with a short cool-down.
func privateCache(t *testing.T, p *testenv.RedisServer, coolDown time.Duration) *cache.Cache {
	c := cache.New(p.Client(), cache.Config{
		Prefix:      "cache:",
		CallTimeout: 100 * time.Millisecond,
		CoolDown:    coolDown,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// An outage: GetOrLoad keeps answering from the loader without errors, fast once the breaker is
// open; when Redis is back the breaker closes after the cool-down and hits resume.
func TestCacheOutage(t *testing.T) {
	tests := []struct {
		name   string
		outage func(p *testenv.RedisServer)
		mend   func(p *testenv.RedisServer)
	}{
		{"killed and restarted", (*testenv.RedisServer).Kill, (*testenv.RedisServer).Start},
		{"hung and resumed", (*testenv.RedisServer).Pause, (*testenv.RedisServer).Resume},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			p := testenv.StartRedis(t)
			const coolDown = 700 * time.Millisecond
			c := privateCache(t, p, coolDown)
			var truth atomic.Int64
			truth.Store(100)
			src := &counted[int64]{fn: func(context.Context, int64) (int64, error) { return truth.Load(), nil }}
			read := func() int64 {
				t.Helper()
				v, err := cache.GetOrLoad(ctx, c, "profile:x", time.Minute, src.load)
				require.NoError(t, err, "a Redis outage never reaches the caller")
				return v
			}
			assert.Equal(t, int64(100), read())
			assert.Equal(t, int64(100), read())
			require.Equal(t, int64(1), src.calls.Load(), "warm")

			tt.outage(p)
			truth.Store(200)
			for i := range 3 {
				start := time.Now()
				assert.Equal(t, int64(200), read(), "call %d during the outage", i)
				assert.Less(t, time.Since(start), 600*time.Millisecond, "call %d is bounded by the call timeout", i)
			}
			st := c.Stats()
			require.Equal(t, "open", st.BreakerState, "three failures open the breaker")
			require.Equal(t, int64(1), st.BreakerOpens)

			loadsBefore := src.calls.Load()
			start := time.Now()
			for i := range 100 {
				truth.Store(int64(300 + i))
				assert.Equal(t, int64(300+i), read())
			}
			elapsed := time.Since(start)
			assert.Less(t, elapsed, time.Second, "100 calls while open wait for no timeout")
			assert.Equal(t, loadsBefore+100, src.calls.Load(), "every call was answered by the loader")
			assert.Equal(t, int64(1), c.Stats().BreakerOpens)

			tt.mend(p)
			truth.Store(400)
			require.True(t, waitFor(10*time.Second, func() bool {
				assert.Equal(t, int64(400), read())
				return c.Stats().BreakerState == "closed"
			}), "breaker closes once Redis is back")
			// The first read after recovery flushes the cache and stores the value again.
			assert.Equal(t, int64(400), read())
			loads := src.calls.Load()
			hits := c.Stats().Hits
			assert.Equal(t, int64(400), read())
			assert.Equal(t, int64(400), read())
			assert.Equal(t, loads, src.calls.Load(), "hits resume")
			assert.Equal(t, hits+2, c.Stats().Hits)
			assert.GreaterOrEqual(t, c.Stats().Flushes, int64(1))
		})
	}
}

// A Bump lost while Redis is unreachable must not let entries written before the outage be served
// after it, neither by the node that lost the Bump nor by another node that saw the outage.
func TestCacheFreshAfterLostInvalidation(t *testing.T) {
	ctx := context.Background()
	p := testenv.StartRedis(t)
	const coolDown = 500 * time.Millisecond
	writer := privateCache(t, p, coolDown) // the node whose actor writes and bumps
	reader := privateCache(t, p, coolDown) // another API node serving reads
	var truth atomic.Value
	truth.Store("slot free")
	load := func(context.Context) (string, error) { return truth.Load().(string), nil }
	read := func(c *cache.Cache) string {
		t.Helper()
		v, err := cache.GetOrLoadIn(ctx, c, "avail:inst", "week", time.Hour, load)
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, "slot free", read(writer))
	assert.Equal(t, "slot free", read(reader))
	require.Equal(t, int64(1), reader.Stats().Hits, "both nodes share the entry")

	p.Pause()
	for range 3 {
		read(writer)
		read(reader)
	}
	require.Equal(t, "open", writer.Stats().BreakerState)
	require.Equal(t, "open", reader.Stats().BreakerState)
	truth.Store("slot booked") // committed in PostgreSQL ...
	writer.Bump(ctx, "avail:inst")
	require.Equal(t, int64(1), writer.Stats().InvalidationFailures, "... but the Bump is lost")
	assert.Equal(t, "slot booked", read(reader))

	p.Resume()
	// Only the reader talks to Redis after the outage: it must not serve the old entry.
	require.True(t, waitFor(10*time.Second, func() bool {
		assert.Equal(t, "slot booked", read(reader))
		return reader.Stats().BreakerState == "closed"
	}))
	for range 3 {
		assert.Equal(t, "slot booked", read(reader))
	}
	assert.GreaterOrEqual(t, reader.Stats().Flushes, int64(1))
	assert.Equal(t, "slot booked", read(writer))
	v, ok := writer.Version(ctx, "avail:inst")
	require.True(t, ok)
	assert.Equal(t, int64(0), v, "the lost Bump really was lost; the epoch did the work")
}

// An invalidation that times out while the breaker stays closed is treated as lost too.
func TestCacheFailedBumpWhileClosedFlushes(t *testing.T) {
	ctx := context.Background()
	p := testenv.StartRedis(t)
	c := privateCache(t, p, time.Second)
	src := &counted[int64]{fn: func(_ context.Context, n int64) (int64, error) { return n, nil }}
	read := func() int64 {
		v, err := cache.GetOrLoadIn(ctx, c, "avail:inst", "day", time.Hour, src.load)
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, int64(1), read())
	assert.Equal(t, int64(1), read())
	p.Pause()
	start := time.Now()
	c.Bump(ctx, "avail:inst")
	assert.Less(t, time.Since(start), 600*time.Millisecond)
	p.Resume()
	st := c.Stats()
	require.Equal(t, "closed", st.BreakerState, "one failure does not open the breaker")
	require.Equal(t, int64(1), st.InvalidationFailures)
	assert.Equal(t, int64(2), read(), "the next read does not trust the entry")
	assert.Equal(t, int64(2), read())
	st = c.Stats()
	assert.Equal(t, int64(1), st.Flushes)
	assert.Equal(t, int64(0), st.BreakerOpens)
}

// BenchmarkCacheHit is the cost of a cache hit on the development Redis: a plain key (one round
// trip) and a namespaced key (two), decoding a week of availability.
func BenchmarkCacheHit(b *testing.B) {
	ctx := context.Background()
	c, _ := sharedCache(b, cache.Config{Prefix: "cachebench:", CallTimeout: time.Second})
	type slot struct {
		Start, End time.Time
		Offer      string
	}
	week := make([]slot, 20)
	base := time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)
	for i := range week {
		week[i] = slot{Start: base.Add(time.Duration(i) * 3 * time.Hour), End: base.Add(time.Duration(i)*3*time.Hour + time.Hour), Offer: "0190a0b2-7c1e-7d4b-9a2f-3c4d5e6f7a8b"}
	}
	var loads atomic.Int64
	load := func(context.Context) ([]slot, error) { loads.Add(1); return week, nil }
	run := func(b *testing.B, get func() ([]slot, error)) {
		if _, err := get(); err != nil {
			b.Fatal(err)
		}
		before := loads.Load()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if v, err := get(); err != nil || len(v) != len(week) {
				b.Fatalf("%v %d", err, len(v))
			}
		}
		b.StopTimer()
		if loads.Load() != before {
			b.Fatalf("%d loads during the benchmark: not measuring hits", loads.Load()-before)
		}
	}
	b.Run("plain", func(b *testing.B) {
		run(b, func() ([]slot, error) { return cache.GetOrLoad(ctx, c, "bench:week", time.Hour, load) })
	})
	b.Run("namespace", func(b *testing.B) {
		run(b, func() ([]slot, error) {
			return cache.GetOrLoadIn(ctx, c, "avail:bench", "week", time.Hour, load)
		})
	})
}
