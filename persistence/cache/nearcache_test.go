package cache_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// nearNode is one API node's cache with a near cache whose TTL is long enough that only
// invalidation, never expiry, can explain a reload.
func nearNode(t *testing.T, addrPrefix string, rdbDB int) *cache.Cache {
	t.Helper()
	rdb, _ := testenv.Redis(t, rdbDB)
	c := cache.New(rdb, cache.Config{Prefix: addrPrefix, CallTimeout: 2 * time.Second, NearTTL: time.Hour})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// counter is a loader whose result counts its calls.
type counter struct{ n atomic.Int64 }

func (c *counter) load(context.Context) (int64, error) { return c.n.Add(1), nil }

func nearRead(t *testing.T, c *cache.Cache, ld *counter) int64 {
	t.Helper()
	v, _ := nearReadVersion(t, c, ld)
	return v
}

// nearReadVersion is nearRead with the version the value was read under.
func nearReadVersion(t *testing.T, c *cache.Cache, ld *counter) (v, version int64) {
	t.Helper()
	v, version, err := cache.GetOrLoadInNear(context.Background(), c, "avail:x", "k", time.Hour, ld.load)
	require.NoError(t, err)
	return v, version
}

// waitLive waits until a node's invalidation subscription is established (reads before that
// bypass the near cache by design).
func waitLive(t *testing.T, c *cache.Cache, ld *counter) {
	t.Helper()
	require.Eventually(t, func() bool {
		before := c.Stats().NearHits
		nearRead(t, c, ld)
		nearRead(t, c, ld)
		return c.Stats().NearHits > before
	}, 5*time.Second, 20*time.Millisecond)
}

func TestNearCacheInvalidatesAcrossNodes(t *testing.T) {
	prefix := "near:" + persistence.NewID() + ":"
	a, b := nearNode(t, prefix, 3), nearNode(t, prefix, 3)
	ld := &counter{}
	waitLive(t, a, ld)
	waitLive(t, b, &counter{})
	v := nearRead(t, a, ld)
	require.Equal(t, v, nearRead(t, a, ld), "served from A's near cache")

	// B invalidates (a write on another node): A drops its copy when the message arrives.
	b.Bump(context.Background(), "avail:x")
	require.Eventually(t, func() bool { return nearRead(t, a, ld) > v }, 3*time.Second, 10*time.Millisecond,
		"A reloads after B's invalidation")
}

func TestNearCacheLocalBumpIsImmediate(t *testing.T) {
	c := nearNode(t, "near:"+persistence.NewID()+":", 3)
	ld := &counter{}
	waitLive(t, c, ld)
	v := nearRead(t, c, ld)
	c.Bump(context.Background(), "avail:x")
	require.Greater(t, nearRead(t, c, ld), v, "the very next read after a local Bump reloads")
}

// Values come with the version they were read under: the same from the near cache and from Redis
// until the namespace is bumped, larger after, on this node and on the others.
func TestNearCacheVersions(t *testing.T) {
	prefix := "near:" + persistence.NewID() + ":"
	a, b := nearNode(t, prefix, 3), nearNode(t, prefix, 3)
	ld := &counter{}
	waitLive(t, a, ld)
	v, ver := nearReadVersion(t, a, ld)
	require.Positive(t, ver, "a value read through Redis has a known version")
	hits := a.Stats().NearHits
	v2, ver2 := nearReadVersion(t, a, ld)
	require.Equal(t, [2]int64{v, ver}, [2]int64{v2, ver2}, "a near hit keeps the version")
	require.Greater(t, a.Stats().NearHits, hits)
	bv, bver := nearReadVersion(t, b, &counter{})
	require.Equal(t, [2]int64{v, ver}, [2]int64{bv, bver}, "another node reads the same entry and version from Redis")

	a.Bump(context.Background(), "avail:x")
	_, ver3 := nearReadVersion(t, a, ld)
	require.Greater(t, ver3, ver, "a Bump moves the version")
	_, bver3 := nearReadVersion(t, b, &counter{})
	require.Equal(t, ver3, bver3)
}

func TestNearCacheLoadInFlightDuringBumpIsNotStored(t *testing.T) {
	c := nearNode(t, "near:"+persistence.NewID()+":", 3)
	waitLive(t, c, &counter{})
	release := make(chan struct{})
	started := make(chan struct{})
	var calls atomic.Int64
	slow := func(context.Context) (int64, error) {
		n := calls.Add(1)
		if n == 1 {
			close(started)
			<-release // the write and its Bump happen while this load runs
		}
		return n, nil
	}
	done := make(chan int64)
	go func() {
		v, _, _ := cache.GetOrLoadInNear(context.Background(), c, "avail:y", "k", time.Hour, slow)
		done <- v
	}()
	<-started
	c.Bump(context.Background(), "avail:y")
	close(release)
	require.EqualValues(t, 1, <-done)
	v, _, err := cache.GetOrLoadInNear(context.Background(), c, "avail:y", "k", time.Hour, slow)
	require.NoError(t, err)
	require.EqualValues(t, 2, v, "the value loaded before the Bump was not kept")
}

func TestNearCacheBypassedWhileUnsubscribed(t *testing.T) {
	p := testenv.StartRedis(t)
	rdb := p.Client()
	c := cache.New(rdb, cache.Config{Prefix: "near:", CallTimeout: 100 * time.Millisecond,
		CoolDown: 200 * time.Millisecond, NearTTL: time.Hour})
	t.Cleanup(func() { _ = c.Close() })
	ld := &counter{}
	waitLive(t, c, ld)

	// With Redis gone the subscription is lost, so invalidations from other nodes could be
	// missed: reads stop using the near cache and go to the loader.
	p.Kill()
	require.Eventually(t, func() bool {
		a := nearRead(t, c, ld)
		return nearRead(t, c, ld) > a
	}, 10*time.Second, 50*time.Millisecond, "near cache bypassed without a subscription")

	p.Start()
	waitLive(t, c, ld) // subscribed again: near hits resume
}
