package embed

import (
	"container/list"
	"context"
	"sync"
)

// Cache is an Embedder that remembers the vectors of the last Size texts (LRU), so a repeated
// query costs no embedding call. Only answers in the inner embedder's own space are kept: a
// fallback answer is not, so quality returns as soon as the provider does. Safe for concurrent use.
type Cache struct {
	inner Embedder
	size  int

	mu    sync.Mutex
	ll    *list.List // front = most recent; values are *cacheEntry
	items map[string]*list.Element
	hits  int64
	miss  int64
}

type cacheEntry struct {
	key string
	vec []float32
}

// NewCache wraps inner with an LRU of size entries (at least 1).
func NewCache(inner Embedder, size int) *Cache {
	if size < 1 {
		size = 1
	}
	return &Cache{inner: inner, size: size, ll: list.New(), items: map[string]*list.Element{}}
}

// Dimensions is the inner embedder's.
func (c *Cache) Dimensions() int { return c.inner.Dimensions() }

// Name is the inner embedder's.
func (c *Cache) Name() string { return c.inner.Name() }

// Embed is EmbedSpace without the space.
func (c *Cache) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	v, _, err := c.EmbedSpace(ctx, texts)
	return v, err
}

// EmbedSpace answers cached texts from memory and embeds the rest in one call. Callers must not
// modify the returned vectors: they are shared with the cache.
func (c *Cache) EmbedSpace(ctx context.Context, texts []string) ([][]float32, string, error) {
	out := make([][]float32, len(texts))
	var missing []string
	var at []int
	c.mu.Lock()
	for i, t := range texts {
		if el, ok := c.items[t]; ok {
			c.ll.MoveToFront(el)
			out[i] = el.Value.(*cacheEntry).vec
			c.hits++
			continue
		}
		c.miss++
		missing = append(missing, t)
		at = append(at, i)
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, c.inner.Name(), nil
	}
	vecs, space, err := EmbedSpace(ctx, c.inner, missing)
	if err != nil {
		return nil, "", err
	}
	if space != c.inner.Name() {
		// A fallback answered: its vectors live in another space, so the whole answer must come
		// from it (cached vectors are in the primary's space and cannot be mixed in).
		if len(missing) == len(texts) {
			return vecs, space, nil
		}
		all, sp, err := EmbedSpace(ctx, c.inner, texts)
		return all, sp, err
	}
	c.mu.Lock()
	for j, v := range vecs {
		out[at[j]] = v
		c.put(missing[j], v)
	}
	c.mu.Unlock()
	return out, space, nil
}

func (c *Cache) put(key string, v []float32) {
	if el, ok := c.items[key]; ok {
		el.Value.(*cacheEntry).vec = v
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, vec: v})
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

// Stats returns hits, misses and the current number of entries.
func (c *Cache) Stats() (hits, misses int64, entries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.miss, c.ll.Len()
}
