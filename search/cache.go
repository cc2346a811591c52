package search

import (
	"container/list"
	"sync"
	"time"
)

// resultCache keeps recent answers for a short time. The key holds the caller's current minute,
// so no answer outlives the minute it was computed in (bookable time changes only on minute
// boundaries: the past and the minimum notice); the TTL (15 s by default) bounds staleness from
// writes this node does not hear of (another node's bookings), and Invalidate, called on every
// calendar change this node makes, drops everything at once. A burst of identical queries (a
// homepage suggestion, a retry) costs one search.
type resultCache struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	gen   uint64
	ll    *list.List
	items map[string]*list.Element
}

type resultEntry struct {
	key string
	gen uint64
	at  time.Time
	res *Result
}

func newResultCache(size int, ttl time.Duration) *resultCache {
	return &resultCache{size: size, ttl: ttl, ll: list.New(), items: map[string]*list.Element{}}
}

func (c *resultCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *resultCache) get(key string) (*Result, bool) {
	if c.ttl < 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	en := el.Value.(*resultEntry)
	if en.gen != c.gen || time.Since(en.at) > c.ttl {
		c.ll.Remove(el)
		delete(c.items, key)
		return nil, false
	}
	c.ll.MoveToFront(el)
	return en.res, true
}

// put stores r unless an invalidation happened since the search began (gen is the generation
// read before it): an answer computed from data a write has since changed is never cached.
func (c *resultCache) put(key string, gen uint64, r *Result) {
	if c.ttl < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if el, ok := c.items[key]; ok {
		c.ll.Remove(el)
	}
	c.items[key] = c.ll.PushFront(&resultEntry{key: key, gen: gen, at: time.Now(), res: r})
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*resultEntry).key)
	}
}

func (c *resultCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.ll.Init()
	c.items = map[string]*list.Element{}
}
