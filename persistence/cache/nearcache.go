package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The near cache: decoded values kept in this process for a short time in front of Redis, for the
// hottest read (public availability), whose Redis round trip and JSON decode otherwise dominate a
// request. It is opt-in per read (GetOrLoadInNear) because its values are shared between callers:
// they must be treated as read-only.
//
// Freshness. Entries belong to a cache namespace and are dropped when the namespace is bumped:
// synchronously on the node that bumps (before Bump returns, so before a write's response is
// sent), and on every other node through a Redis pub/sub message Bump publishes. A subscriber that
// loses its connection may have missed messages, so while it is not subscribed the near cache is
// bypassed, and it is emptied when the subscription is re-established. What is left is a message
// lost on a connection that looks healthy, which NearTTL (1 s by default) bounds. A load that
// started before an invalidation never stores its result: each namespace carries a generation
// that the loader checks before storing.

type nearEntry struct {
	v   any
	ver int64 // the version the value was read under (see getOrLoadIn)
	exp time.Time
}

type nearNS struct {
	gen     uint64
	entries map[string]nearEntry
}

type nearCache struct {
	ttl     time.Duration
	max     int
	channel string

	mu    sync.RWMutex
	ns    map[string]*nearNS
	count int
	gen   uint64 // bumped by clearAll; part of every namespace generation check

	live   atomic.Bool // the invalidation subscription is established
	hits   atomic.Int64
	stop   context.CancelFunc
	done   chan struct{}
	psMu   sync.Mutex
	ps     *redis.PubSub     // the current subscription, closed by close to end a blocked read
	nsGens map[string]uint64 // generations of namespaces with no entries yet (under mu)
}

func newNearCache(ttl time.Duration, max int, channel string) *nearCache {
	return &nearCache{ttl: ttl, max: max, channel: channel, ns: map[string]*nearNS{}, nsGens: map[string]uint64{}}
}

// generation is the token a loader takes before loading and presents when storing.
func (n *nearCache) generation(ns string) (uint64, uint64) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if s := n.ns[ns]; s != nil {
		return n.gen, s.gen
	}
	return n.gen, n.nsGens[ns]
}

func (n *nearCache) get(ns, key string, now time.Time) (any, int64, bool) {
	if !n.live.Load() {
		return nil, 0, false
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	s := n.ns[ns]
	if s == nil {
		return nil, 0, false
	}
	e, ok := s.entries[key]
	if !ok || now.After(e.exp) {
		return nil, 0, false
	}
	n.hits.Add(1)
	return e.v, e.ver, true
}

func (n *nearCache) put(ns, key string, v any, ver int64, gen, nsGen uint64, now time.Time) {
	if !n.live.Load() {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.gen != gen {
		return
	}
	s := n.ns[ns]
	if s == nil {
		if n.nsGens[ns] != nsGen {
			return
		}
		s = &nearNS{gen: nsGen, entries: map[string]nearEntry{}}
		n.ns[ns] = s
		delete(n.nsGens, ns)
	} else if s.gen != nsGen {
		return
	}
	if n.count >= n.max {
		n.evictExpiredLocked(now)
		if n.count >= n.max {
			return // full of live entries: serve from Redis rather than grow without bound
		}
	}
	if _, exists := s.entries[key]; !exists {
		n.count++
	}
	s.entries[key] = nearEntry{v: v, ver: ver, exp: now.Add(n.ttl)}
}

func (n *nearCache) evictExpiredLocked(now time.Time) {
	for name, s := range n.ns {
		for k, e := range s.entries {
			if now.After(e.exp) {
				delete(s.entries, k)
				n.count--
			}
		}
		if len(s.entries) == 0 {
			n.nsGens[name] = s.gen
			delete(n.ns, name)
		}
	}
}

// invalidate drops a namespace's entries and makes loads in flight for it not store.
func (n *nearCache) invalidate(ns string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s := n.ns[ns]; s != nil {
		n.count -= len(s.entries)
		n.nsGens[ns] = s.gen + 1
		delete(n.ns, ns)
		return
	}
	n.nsGens[ns]++
}

// clearAll empties the near cache (epoch flush, lost subscription).
func (n *nearCache) clearAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.gen++
	n.ns = map[string]*nearNS{}
	n.nsGens = map[string]uint64{}
	n.count = 0
}

// subscribe listens for other nodes' invalidations until Close. Messages carry a namespace, or
// "*" for a whole-cache flush.
func (n *nearCache) subscribe(rdb *redis.Client) {
	ctx, cancel := context.WithCancel(context.Background())
	n.stop, n.done = cancel, make(chan struct{})
	go func() {
		defer close(n.done)
		for ctx.Err() == nil {
			ps := rdb.Subscribe(ctx, n.channel)
			n.psMu.Lock()
			n.ps = ps
			n.psMu.Unlock()
			for ctx.Err() == nil {
				msg, err := ps.ReceiveTimeout(ctx, 5*time.Second)
				if err != nil {
					if isTimeout(err) && n.live.Load() {
						continue // idle, still subscribed
					}
					break
				}
				switch m := msg.(type) {
				case *redis.Subscription:
					// (Re)subscribed: anything published while we were away is unknown.
					n.clearAll()
					n.live.Store(true)
				case *redis.Message:
					if m.Payload == "*" {
						n.clearAll()
					} else {
						n.invalidate(m.Payload)
					}
				}
			}
			n.live.Store(false)
			n.clearAll()
			_ = ps.Close()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
}

func isTimeout(err error) bool {
	type timeout interface{ Timeout() bool }
	t, ok := err.(timeout)
	return ok && t.Timeout()
}

func (n *nearCache) close() {
	if n.stop != nil {
		n.stop()
		n.psMu.Lock()
		if n.ps != nil {
			_ = n.ps.Close() // a read blocked in ReceiveTimeout does not watch the context
		}
		n.psMu.Unlock()
		<-n.done
	}
}

// GetOrLoadInNear is GetOrLoadIn with the near cache in front: a hit costs a map lookup, with no
// Redis round trip and no decoding. The value returned may be shared with other callers and must
// not be modified. Without a near cache configured (Config.NearTTL 0) it is GetOrLoadIn.
//
// It also returns the version the value was read under: it grows with every Bump of ns and every
// whole-cache flush, so callers that derive something from the value (a rendered answer) can key
// it by (ns, key, version) instead of by the value's identity. 0 means unknown (the value did not
// go through Redis): nothing derived from it may be reused.
func GetOrLoadInNear[T any](ctx context.Context, c *Cache, ns, key string, ttl time.Duration, load func(context.Context) (T, error)) (T, int64, error) {
	if c == nil || c.near == nil {
		return getOrLoadIn(ctx, c, ns, key, ttl, load)
	}
	now := time.Now()
	if v, ver, ok := c.near.get(ns, key, now); ok {
		if t, ok := v.(T); ok {
			return t, ver, nil
		}
	}
	gen, nsGen := c.near.generation(ns)
	v, ver, err := getOrLoadIn(ctx, c, ns, key, ttl, load)
	if err == nil {
		c.near.put(ns, key, v, ver, gen, nsGen, now)
	}
	return v, ver, err
}
