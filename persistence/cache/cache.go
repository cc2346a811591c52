// Redis cache layer: cache-aside reads with request coalescing, namespace versioning for
// invalidation, and a circuit breaker so that Redis can only ever make a read faster, never fail it.
//
// Reads. GetOrLoad and GetOrLoadIn look the key up in Redis; on a miss exactly one caller per key
// runs the loader (PostgreSQL) while concurrent callers of the same key wait for its result, and
// the value is stored as JSON with a jittered TTL (±10% by default, so keys written together do not
// expire together). Loader errors are returned to every waiting caller and never cached, except
// that not_found may be remembered for NotFoundTTL (a tombstone) so that lookups of absent rows do
// not all reach the database. Every caller gets its own copy decoded from the JSON, so a value
// never differs between a hit and a miss, and callers never share (and race on) one slice.
// Coalescing never crosses an invalidation: Bump and Delete detach the loads in flight for what
// they invalidate, so a caller arriving after them never gets a value loaded before them, even
// when Redis is down and the flight key carries no version.
//
// Invalidation. Volatile data lives in namespaces: GetOrLoadIn(ns, key) stores the entry under
// the namespace's current version, and Bump(ns) (one INCR) makes every entry of the namespace
// unreachable at once; the old entries simply expire. Because readers compute the versioned key
// before they load, a slow load that finishes after a Bump writes under the old version and can
// never resurrect stale data. Delete removes individual keys of low-volatility data.
//
// Redis failures. Every Redis call goes through a Breaker with a tight per-call timeout
// (CallTimeout, 50 ms by default). After FailureThreshold consecutive failures the breaker opens
// and Redis is not called at all for CoolDown; then one probe call is let through and its success
// closes the breaker. While Redis fails or the breaker is open, reads go to the loader, writes to
// Redis are skipped, coalescing keeps working (it is in-process), and no caller ever sees a Redis
// error. The per-call timeout is enforced by the context, so the cache talks to Redis through a
// client with ContextTimeoutEnabled (and no retries: the breaker is the retry policy); when the
// client handed to New does not honour context deadlines, the cache derives its own from the
// same options.
//
// Freshness across outages. An invalidation that fails (Redis unreachable, breaker open, timeout
// whose outcome is unknown) leaves entries behind that may be stale once Redis answers again, and
// a Bump lost on one API node cannot be seen by the others. The cache therefore treats any failed
// or skipped invalidation, and any recovery of the breaker from open, as "Redis may hold stale
// entries": before it reads or writes another entry it increments a global epoch (one INCR of
// <prefix>epoch) that is part of every entry's key, which empties the whole cache logically in one
// step. Recovery counts too because the node whose invalidation was lost may not be the node that
// serves the next read: every node that saw the outage flushes when it sees Redis again. The
// epoch is read in the same round trip as each lookup (MGET epoch+entry for plain keys, MGET
// epoch+version+entry for namespaces), so a flush by one node is seen by all others at their next
// read. The price is a cold cache after each outage, which PostgreSQL absorbs (misses coalesce).
// What remains uncovered is a partition that cuts off only the writing node while readers still
// reach Redis; entries then stay stale until that node flushes on recovery, or at most their TTL.
//
// Version and epoch keys carry no TTL so they are never expired out from under live entries; run
// Redis with noeviction or a volatile-* maxmemory policy so they are not evicted either (every
// entry has a TTL, so volatile-lru evicts only entries).
//
// Keys: <prefix>epoch, <prefix>ver:<ns>, <prefix>e<epoch>:k:<key> for plain entries and
// <prefix>e<epoch>:n:<ns>|v<version>|<key> for namespaced ones (hence no '|' in namespaces).

// Package cache is the Redis layer in front of the PostgreSQL stores of package persistence: cache
// decorators with the same interfaces as the stores, an in-process near cache, a circuit breaker and
// the shared rate-limit counter store. Redis can only make a read faster, never fail it.
package cache

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/instainstru/instainstru"
)

// TTL tiers, by how quickly the data changes. Availability is configured
// (PUBLIC_AVAILABILITY_CACHE_TTL) and invalidated by namespace bumps on every write.
const (
	CatalogTTL             = 6 * time.Hour
	ProfileTTL             = 5 * time.Minute
	DefaultAvailabilityTTL = 300 * time.Second
	DefaultNotFoundTTL     = 30 * time.Second
)

// Tier names a TTL tier so decorators ask the cache for its configured TTL.
type Tier int

// The tiers of Cache.TTL.
const (
	TierCatalog Tier = iota
	TierProfile
	TierAvailability
)

// Config tunes the cache. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// Prefix starts every key the cache writes, so the cache shares a Redis DB with other users.
	Prefix string
	// CallTimeout bounds each Redis call.
	CallTimeout time.Duration
	// FailureThreshold consecutive failed calls open the breaker for CoolDown.
	FailureThreshold int
	CoolDown         time.Duration
	// TTLs of the tiers.
	CatalogTTL      time.Duration
	ProfileTTL      time.Duration
	AvailabilityTTL time.Duration
	// NotFoundTTL is how long a not_found loader result is remembered; negative disables it.
	NotFoundTTL time.Duration
	// Jitter is the relative spread applied to every TTL (0.1 = ±10%); negative disables it.
	Jitter float64
	// NearTTL > 0 enables the in-process near cache of GetOrLoadInNear (see nearcache.go): how
	// long another node's lost invalidation message can go unnoticed. 0 disables it.
	NearTTL time.Duration
	// NearMaxEntries bounds the near cache (default 10,000 entries).
	NearMaxEntries int
}

// DefaultConfig is the configuration for a Redis on the same host or network.
func DefaultConfig() Config {
	return Config{
		Prefix:           "cache:",
		CallTimeout:      50 * time.Millisecond,
		FailureThreshold: 3,
		CoolDown:         5 * time.Second,
		CatalogTTL:       CatalogTTL,
		ProfileTTL:       ProfileTTL,
		AvailabilityTTL:  DefaultAvailabilityTTL,
		NotFoundTTL:      DefaultNotFoundTTL,
		Jitter:           0.1,
		NearMaxEntries:   10_000,
	}
}

// withDefaults fills the zero fields from DefaultConfig; a negative duration or count means
// nothing either and takes the default too (except NotFoundTTL and Jitter, where it disables).
func (cfg Config) withDefaults() Config {
	d := DefaultConfig()
	cfg.Prefix = cmp.Or(cfg.Prefix, d.Prefix)
	cfg.CallTimeout = cmp.Or(max(cfg.CallTimeout, 0), d.CallTimeout)
	cfg.FailureThreshold = cmp.Or(max(cfg.FailureThreshold, 0), d.FailureThreshold)
	cfg.CoolDown = cmp.Or(max(cfg.CoolDown, 0), d.CoolDown)
	cfg.CatalogTTL = cmp.Or(max(cfg.CatalogTTL, 0), d.CatalogTTL)
	cfg.ProfileTTL = cmp.Or(max(cfg.ProfileTTL, 0), d.ProfileTTL)
	cfg.AvailabilityTTL = cmp.Or(max(cfg.AvailabilityTTL, 0), d.AvailabilityTTL)
	cfg.NotFoundTTL = cmp.Or(cfg.NotFoundTTL, d.NotFoundTTL)
	cfg.Jitter = cmp.Or(cfg.Jitter, d.Jitter)
	cfg.NearMaxEntries = cmp.Or(max(cfg.NearMaxEntries, 0), d.NearMaxEntries)
	return cfg
}

// Stats is a snapshot of the cache counters for monitoring.
type Stats struct {
	Hits                 int64  `json:"hits"`                  // calls answered from the cache (Redis or the near cache)
	NearHits             int64  `json:"near_hits"`             // of which from the in-process near cache
	Misses               int64  `json:"misses"`                // calls answered by a load (theirs or a coalesced one)
	Loads                int64  `json:"loads"`                 // loader invocations
	LoadErrors           int64  `json:"load_errors"`           // loader invocations that returned an error
	CoalescedWaits       int64  `json:"coalesced_waits"`       // calls that waited for another caller's load
	Errors               int64  `json:"errors"`                // Redis calls that failed (timeout, connection, server error)
	Skipped              int64  `json:"skipped"`               // Redis calls not made because the breaker was open
	DecodeErrors         int64  `json:"decode_errors"`         // entries that could not be decoded (treated as misses)
	EncodeErrors         int64  `json:"encode_errors"`         // loaded values that could not be encoded (not cached)
	InvalidationFailures int64  `json:"invalidation_failures"` // Bump or Delete calls that did not reach Redis
	Flushes              int64  `json:"flushes"`               // epoch increments after failed invalidations or outages
	Epoch                int64  `json:"epoch"`                 // last epoch seen
	BreakerState         string `json:"breaker_state"`         // closed, open or half_open
	BreakerOpens         int64  `json:"breaker_opens"`         // times the breaker opened
}

// Cache is the Redis cache-aside layer used by the store decorators. See the comment at the top of
// cache.go for the design; in short: reads never fail because of Redis, concurrent misses of one
// key load once, namespaces are invalidated with one INCR, and entries that may have missed an
// invalidation during an outage are flushed by a global epoch when Redis comes back.
//
// A nil *Cache is valid and caches nothing: GetOrLoad then just calls the loader.
type Cache struct {
	rdb      *redis.Client
	own      bool // rdb was derived by New and is closed by Close
	cfg      Config
	br       *Breaker
	epochKey string

	epoch atomic.Int64 // last epoch seen, the guess the one-round-trip lookups start from
	// Invalidations outstanding: dirtyGen counts failed invalidations and recoveries; cleanGen is
	// the dirtyGen value covered by the last successful flush. Dirty while they differ.
	dirtyGen atomic.Int64
	cleanGen atomic.Int64
	flushMu  sync.Mutex

	fmu     sync.Mutex
	flights map[string]*flight

	versions     sync.Map // namespace → last version seen, see lookupIn
	versionCount atomic.Int64

	hits, misses, loads, loadErrors, coalesced     atomic.Int64
	redisErrors, skipped, decodeErrors, encodeErrs atomic.Int64
	invalidationFailures, flushes                  atomic.Int64

	near *nearCache // nil unless Config.NearTTL > 0 (see nearcache.go)
}

// New builds a cache over rdb. When rdb does not honour context deadlines (the go-redis
// default), the cache uses its own client built from rdb's options with ContextTimeoutEnabled and
// no retries, so CallTimeout really bounds each call; Close releases it.
func New(rdb *redis.Client, cfg Config) *Cache {
	cfg = cfg.withDefaults()
	c := &Cache{
		rdb:      rdb,
		cfg:      cfg,
		br:       NewBreaker(cfg.FailureThreshold, cfg.CoolDown),
		epochKey: cfg.Prefix + "epoch",
		flights:  make(map[string]*flight),
	}
	if !rdb.Options().ContextTimeoutEnabled {
		c.rdb = redis.NewClient(deadlineOptions(rdb.Options()))
		c.own = true
	}
	if cfg.NearTTL > 0 {
		c.near = newNearCache(cfg.NearTTL, cfg.NearMaxEntries, cfg.Prefix+"invalidate")
		// The subscription uses the caller's client: a pub/sub connection blocks on reads, which
		// the per-call deadlines of the cache's own client are not meant for.
		c.near.subscribe(rdb)
	}
	return c
}

// deadlineOptions derives options for the same server and credentials whose calls honour context
// deadlines and are not retried. Only connection settings are copied: the client's runtime
// attachments (push processor, client-side cache) belong to that client and cannot be shared.
func deadlineOptions(src *redis.Options) *redis.Options {
	return &redis.Options{
		Network:                      src.Network,
		Addr:                         src.Addr,
		ClientName:                   src.ClientName,
		Dialer:                       src.Dialer,
		OnConnect:                    src.OnConnect,
		Protocol:                     src.Protocol,
		Username:                     src.Username,
		Password:                     src.Password,
		CredentialsProvider:          src.CredentialsProvider,
		CredentialsProviderContext:   src.CredentialsProviderContext,
		StreamingCredentialsProvider: src.StreamingCredentialsProvider,
		DB:                           src.DB,
		TLSConfig:                    src.TLSConfig,
		PoolSize:                     src.PoolSize,
		MinIdleConns:                 src.MinIdleConns,
		MaxIdleConns:                 src.MaxIdleConns,
		MaxActiveConns:               src.MaxActiveConns,
		ConnMaxIdleTime:              src.ConnMaxIdleTime,
		ConnMaxLifetime:              src.ConnMaxLifetime,
		DisableIdentity:              src.DisableIdentity,
		IdentitySuffix:               src.IdentitySuffix,
		ContextTimeoutEnabled:        true,
		MaxRetries:                   -1,
		DialerRetries:                1, // a dial retry cannot fit in CallTimeout; the breaker retries
	}
}

// Close releases the client the cache derived, if any. The client passed to New stays open.
func (c *Cache) Close() error {
	if c == nil {
		return nil
	}
	if c.near != nil {
		c.near.close()
	}
	if !c.own {
		return nil
	}
	return c.rdb.Close()
}

// TTL is the configured TTL of a tier (before jitter).
func (c *Cache) TTL(t Tier) time.Duration {
	if c == nil {
		return 0
	}
	switch t {
	case TierCatalog:
		return c.cfg.CatalogTTL
	case TierProfile:
		return c.cfg.ProfileTTL
	default:
		return c.cfg.AvailabilityTTL
	}
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	if c == nil {
		return Stats{BreakerState: "disabled"}
	}
	var near int64
	if c.near != nil {
		near = c.near.hits.Load()
	}
	return Stats{
		Hits:                 c.hits.Load() + near,
		NearHits:             near,
		Misses:               c.misses.Load(),
		Loads:                c.loads.Load(),
		LoadErrors:           c.loadErrors.Load(),
		CoalescedWaits:       c.coalesced.Load(),
		Errors:               c.redisErrors.Load(),
		Skipped:              c.skipped.Load(),
		DecodeErrors:         c.decodeErrors.Load(),
		EncodeErrors:         c.encodeErrs.Load(),
		InvalidationFailures: c.invalidationFailures.Load(),
		Flushes:              c.flushes.Load(),
		Epoch:                c.epoch.Load(),
		BreakerState:         c.br.State().String(),
		BreakerOpens:         c.br.Opens(),
	}
}

// GetOrLoad returns the value cached under key, or calls load, caches its result for ttl (with
// jitter) and returns it. Concurrent misses of one key share one load. Redis problems never reach
// the caller: the value is then loaded (and not cached). Values are stored as JSON, so T must
// round-trip through encoding/json (exported fields).
func GetOrLoad[T any](ctx context.Context, c *Cache, key string, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	if c == nil {
		return load(ctx)
	}
	return getOrLoad(ctx, c, c.lookupPlain(ctx, key), ttl, load)
}

// GetOrLoadIn is GetOrLoad for a key inside namespace ns (for example "avail:<instructor>"):
// Bump(ns) invalidates every key of the namespace at once. ns must not contain '|'; a namespace
// that does is served by the loader alone.
func GetOrLoadIn[T any](ctx context.Context, c *Cache, ns, key string, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	v, _, err := getOrLoadIn(ctx, c, ns, key, ttl, load)
	return v, err
}

// getOrLoadIn is GetOrLoadIn that also reports the version the value was read under: the
// namespace's version plus the global epoch, plus one. It grows with every Bump of ns and every
// whole-cache flush, so a value read after an invalidation never carries the version of a value
// read before it (while Redis keeps its counters). It is 0, "unknown", when the value did not go
// through Redis (no cache, Redis unreachable or an invalidation outstanding).
func getOrLoadIn[T any](ctx context.Context, c *Cache, ns, key string, ttl time.Duration, load func(context.Context) (T, error)) (T, int64, error) {
	if c == nil {
		v, err := load(ctx)
		return v, 0, err
	}
	lk := c.lookupIn(ctx, ns, key)
	v, err := getOrLoad(ctx, c, lk, ttl, load)
	// A hit was stored under lk's version, and a load joined the flight of lk's key, which the
	// version is part of: either way the value belongs to that version.
	return v, lk.version, err
}

// Version returns the current version of namespace ns; ok is false when Redis could not tell.
func (c *Cache) Version(ctx context.Context, ns string) (v int64, ok bool) {
	if c == nil {
		return 0, false
	}
	var raw any
	err := c.call(ctx, func(ctx context.Context) error {
		s, err := c.rdb.Get(ctx, c.verKey(ns)).Result()
		raw = s
		if errors.Is(err, redis.Nil) {
			raw = nil
			return nil
		}
		return err
	})
	if err != nil {
		return 0, false
	}
	return c.parseCounter(raw)
}

// Bump invalidates every entry of namespace ns (one INCR of its version). It never fails from the
// caller's point of view: when Redis cannot be reached, the cache is marked dirty and flushed as a
// whole before it serves another entry (see the comment at the top of cache.go). The caller's
// cancellation is ignored, because the write being invalidated has already happened.
func (c *Cache) Bump(ctx context.Context, ns string) {
	if c == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if c.near != nil {
		c.near.invalidate(ns) // this node: before Bump returns
	}
	// Loads of ns in flight on this node may have read the database before the write: no read
	// that arrives from now on may join them (see abandonFlights).
	c.abandonFlights(func(f *flight) bool { return f.ns == ns })
	if err := c.call(ctx, func(ctx context.Context) error { return c.rdb.Incr(ctx, c.verKey(ns)).Err() }); err != nil {
		c.invalidationFailed()
		return
	}
	if c.near != nil {
		// Other nodes: best effort; a lost message is bounded by NearTTL (see nearcache.go).
		_ = c.call(ctx, func(ctx context.Context) error { return c.rdb.Publish(ctx, c.near.channel, ns).Err() })
	}
}

// Delete removes the plain keys (those of GetOrLoad). Like Bump it never fails from the caller's
// point of view and a failure leads to a flush. Volatile data should use namespaces instead: a
// load that started before the write can store its stale result after a Delete, not after a Bump.
func (c *Cache) Delete(ctx context.Context, keys ...string) {
	if c == nil || len(keys) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	deleted := make(map[string]bool, len(keys))
	for _, k := range keys {
		deleted[k] = true
	}
	c.abandonFlights(func(f *flight) bool { return f.ns == "" && deleted[f.key] })
	var raw any
	err := c.call(ctx, func(ctx context.Context) error {
		s, err := c.rdb.Get(ctx, c.epochKey).Result()
		raw = s
		if errors.Is(err, redis.Nil) {
			raw = nil
			return nil
		}
		return err
	})
	if err != nil {
		c.invalidationFailed()
		return
	}
	epoch, ok := c.parseCounter(raw)
	if !ok {
		c.invalidationFailed()
		return
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = c.plainKey(epoch, k)
	}
	if err := c.call(ctx, func(ctx context.Context) error { return c.rdb.Del(ctx, full...).Err() }); err != nil {
		c.invalidationFailed()
	}
}

// abandonFlights detaches the loads in flight that match from the coalescing map, so that every
// caller arriving after an invalidation starts (or joins) a load that began after it. Their
// current waiters still get their result: they asked before the invalidation returned, so
// either answer is right for them. Without this, a flight whose key does not carry the namespace
// version (Redis unreachable or an invalidation outstanding: the "?n:" and "?k:" keys) could hand
// a calendar read before a booking to a read that arrived after the booking's response. A
// detached flight still writes its entry when it can, under the version it read: one that a
// Bump has made unreachable. Flights are few (one per key being loaded), so the scan is cheap.
func (c *Cache) abandonFlights(match func(*flight) bool) {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	for k, f := range c.flights {
		if match(f) {
			delete(c.flights, k)
		}
	}
}

// errSkipped is what a call returns when the breaker refused it.
var errSkipped = errors.New("cache: redis skipped while the circuit breaker is open")

// call runs one Redis operation under the breaker and the per-call timeout, and reports its
// outcome: redis.Nil is a healthy answer, a failure after the caller gave up says nothing about
// Redis, anything else counts against it. A call that closes the breaker after an outage marks
// the cache dirty: some node's invalidations may have been lost meanwhile.
func (c *Cache) call(ctx context.Context, fn func(context.Context) error) error {
	recovered, err := c.callRecovering(ctx, fn)
	if recovered {
		c.markDirty()
	}
	return err
}

// callRecovering is call without the reaction to a recovery, which it reports instead.
func (c *Cache) callRecovering(ctx context.Context, fn func(context.Context) error) (recovered bool, err error) {
	if !c.br.Allow() {
		c.skipped.Add(1)
		return false, errSkipped
	}
	cctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	err = fn(cctx)
	cancel()
	switch {
	case err == nil || errors.Is(err, redis.Nil):
		recovered = c.br.Success()
	case ctx.Err() != nil:
		c.br.Release()
	default:
		c.redisErrors.Add(1)
		c.br.Failure()
	}
	return recovered, err
}

func (c *Cache) markDirty()    { c.dirtyGen.Add(1) }
func (c *Cache) isDirty() bool { return c.dirtyGen.Load() != c.cleanGen.Load() }

func (c *Cache) invalidationFailed() {
	c.invalidationFailures.Add(1)
	c.markDirty()
}

// ready reports whether entries may be read and written now: no invalidation is outstanding, or
// the outstanding ones have just been covered by an epoch increment. A caller that finds another
// goroutine flushing does not wait for it; it goes to the loader.
func (c *Cache) ready(ctx context.Context) bool {
	if !c.isDirty() {
		return true
	}
	if !c.flushMu.TryLock() {
		return false
	}
	defer c.flushMu.Unlock()
	gen := c.dirtyGen.Load()
	if gen == c.cleanGen.Load() {
		return true
	}
	var epoch int64
	// When this INCR is the probe that closes the breaker, the recovery it reports is covered by
	// the INCR itself. Invalidations failing after gen was read are not: they keep the cache dirty.
	if _, err := c.callRecovering(ctx, func(ctx context.Context) error {
		var err error
		epoch, err = c.rdb.Incr(ctx, c.epochKey).Result()
		return err
	}); err != nil {
		return false
	}
	c.epoch.Store(epoch)
	c.flushes.Add(1)
	if c.near != nil {
		c.near.clearAll()
		_ = c.call(ctx, func(ctx context.Context) error { return c.rdb.Publish(ctx, c.near.channel, "*").Err() })
	}
	c.cleanGen.Store(gen)
	return gen == c.dirtyGen.Load()
}

// lookup is the outcome of looking a key up in Redis.
type lookup struct {
	full      string // the Redis key of the entry (valid when cacheable)
	flight    string // the coalescing key
	ns        string // the namespace of a namespaced key, "" for a plain one
	key       string // the caller's key (inside ns when namespaced)
	data      []byte
	found     bool
	cacheable bool  // Redis answered and no invalidation is outstanding: the entry may be written
	version   int64 // namespaced and cacheable: epoch + namespace version + 1 (see getOrLoadIn)
}

func (c *Cache) plainKey(epoch int64, key string) string {
	return c.cfg.Prefix + "e" + strconv.FormatInt(epoch, 10) + ":k:" + key
}

func (c *Cache) nsKey(epoch, version int64, ns, key string) string {
	return c.cfg.Prefix + "e" + strconv.FormatInt(epoch, 10) + ":n:" + ns + "|v" + strconv.FormatInt(version, 10) + "|" + key
}

func (c *Cache) verKey(ns string) string { return c.cfg.Prefix + "ver:" + ns }

// parseCounter reads an epoch or version value as MGET/GET return it (nil when absent).
func (c *Cache) parseCounter(v any) (int64, bool) {
	switch s := v.(type) {
	case nil:
		return 0, true
	case string:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			c.decodeErrors.Add(1)
			return 0, false
		}
		return n, true
	}
	c.decodeErrors.Add(1)
	return 0, false
}

// lookupPlain fetches the epoch and the entry under the epoch last seen in one round trip; only
// when the epoch has moved does it need a second one.
func (c *Cache) lookupPlain(ctx context.Context, key string) lookup {
	lk := lookup{flight: "?k:" + key, key: key}
	if !c.ready(ctx) {
		return lk
	}
	guess := c.epoch.Load()
	var vals []any
	if err := c.call(ctx, func(ctx context.Context) error {
		var err error
		vals, err = c.rdb.MGet(ctx, c.epochKey, c.plainKey(guess, key)).Result()
		return err
	}); err != nil || len(vals) != 2 {
		return lk
	}
	epoch, ok := c.parseCounter(vals[0])
	if !ok || c.isDirty() {
		return lk
	}
	c.epoch.Store(epoch)
	lk.full = c.plainKey(epoch, key)
	lk.flight = lk.full
	lk.cacheable = true
	if epoch == guess {
		if s, ok := vals[1].(string); ok {
			lk.data, lk.found = []byte(s), true
		}
		return lk
	}
	data, found, err := c.get(ctx, lk.full)
	if err != nil {
		return lookup{flight: "?k:" + key, key: key}
	}
	lk.data, lk.found = data, found
	return lk
}

// lookupIn fetches the epoch, the namespace version and the entry under the epoch and version
// last seen, in one round trip (MGET is atomic, so the three agree); only when one of them has
// moved does it need a second round trip for the entry under the current ones.
func (c *Cache) lookupIn(ctx context.Context, ns, key string) lookup {
	lk := lookup{flight: "?n:" + ns + "|" + key, ns: ns, key: key}
	if strings.ContainsRune(ns, '|') || !c.ready(ctx) {
		return lk
	}
	guessEpoch, guessVersion := c.epoch.Load(), c.versionGuess(ns)
	var vals []any
	if err := c.call(ctx, func(ctx context.Context) error {
		var err error
		vals, err = c.rdb.MGet(ctx, c.epochKey, c.verKey(ns), c.nsKey(guessEpoch, guessVersion, ns, key)).Result()
		return err
	}); err != nil || len(vals) != 3 {
		return lk
	}
	epoch, ok1 := c.parseCounter(vals[0])
	version, ok2 := c.parseCounter(vals[1])
	if !ok1 || !ok2 || c.isDirty() {
		return lk
	}
	c.epoch.Store(epoch)
	full := c.nsKey(epoch, version, ns, key)
	if epoch == guessEpoch && version == guessVersion {
		lk = lookup{full: full, flight: full, ns: ns, key: key, cacheable: true, version: epoch + version + 1}
		if s, ok := vals[2].(string); ok {
			lk.data, lk.found = []byte(s), true
		}
		return lk
	}
	c.rememberVersion(ns, version)
	data, found, err := c.get(ctx, full)
	if err != nil {
		return lk
	}
	return lookup{full: full, flight: full, ns: ns, key: key, data: data, found: found, cacheable: true, version: epoch + version + 1}
}

// maxVersionGuesses bounds the namespace versions remembered for one-round-trip lookups; past it
// the memory is dropped and rebuilt by the next lookups.
const maxVersionGuesses = 1 << 16

// versionGuess is the version of ns last seen (0 when none); only a guess, checked by the MGET.
func (c *Cache) versionGuess(ns string) int64 {
	if v, ok := c.versions.Load(ns); ok {
		return v.(int64)
	}
	return 0
}

func (c *Cache) rememberVersion(ns string, v int64) {
	if _, loaded := c.versions.Swap(ns, v); !loaded && c.versionCount.Add(1) > maxVersionGuesses {
		c.versions.Clear()
		c.versionCount.Store(0)
	}
}

// get reads one entry; found is false for an absent key.
func (c *Cache) get(ctx context.Context, key string) (data []byte, found bool, err error) {
	err = c.call(ctx, func(ctx context.Context) error {
		var err error
		data, err = c.rdb.Get(ctx, key).Bytes()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	return data, err == nil, err
}

// set writes one entry with a jittered TTL; failures only count (the value was served anyway).
func (c *Cache) set(ctx context.Context, key string, data []byte, ttl time.Duration) {
	_ = c.call(ctx, func(ctx context.Context) error { return c.rdb.Set(ctx, key, data, c.jitter(ttl)).Err() })
}

// jitter spreads ttl by ±Jitter so entries written together do not expire together.
func (c *Cache) jitter(ttl time.Duration) time.Duration {
	if c.cfg.Jitter > 0 {
		ttl = time.Duration(float64(ttl) * (1 + c.cfg.Jitter*(2*rand.Float64()-1)))
	}
	return max(ttl, time.Millisecond)
}

// tombstonePrefix marks a remembered not_found; JSON never starts with '!'.
const tombstonePrefix = "!not_found:"

// decodeEntry decodes a stored entry. ok is false when the entry is unreadable; loadErr is the
// not_found a tombstone stands for.
func decodeEntry[T any](data []byte) (v T, ok bool, loadErr error) {
	if msg, isTomb := strings.CutPrefix(string(data), tombstonePrefix); isTomb {
		return v, true, &instainstru.Error{Code: instainstru.CodeNotFound, Message: msg}
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, false, nil
	}
	return v, true, nil
}

// flight is one load shared by every concurrent caller of a key.
type flight struct {
	done    chan struct{}
	waiters int // callers still waiting; guarded by Cache.fmu
	cancel  context.CancelFunc
	ns, key string // what the flight loads (lookup.ns, lookup.key), for abandonFlights

	// Written before done is closed.
	data []byte // the entry (JSON or tombstone); nil when there is none
	val  any    // the loaded value, used when data cannot be decoded back
	hit  bool   // the leader found the entry in Redis after all
	err  error
}

func getOrLoad[T any](ctx context.Context, c *Cache, lk lookup, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	if lk.found {
		v, ok, loadErr := decodeEntry[T](lk.data)
		if ok {
			c.hits.Add(1)
			return v, loadErr
		}
		c.decodeErrors.Add(1) // reloaded and overwritten below
		lk.found = false
	}
	f, err := join(ctx, c, lk, ttl, load)
	if err != nil {
		var zero T
		c.misses.Add(1)
		return zero, err
	}
	if f.hit {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	if f.err != nil {
		var zero T
		return zero, f.err
	}
	if f.data != nil {
		if v, ok, loadErr := decodeEntry[T](f.data); ok {
			return v, loadErr
		}
	}
	if v, ok := f.val.(T); ok {
		return v, nil
	}
	var zero T
	return zero, instainstru.Internal(fmt.Errorf("cache: undecodable entry %q", lk.flight))
}

// join waits for the flight of lk, starting it when there is none. A caller whose context ends
// stops waiting at once; when the last waiter has left, the load is cancelled.
func join[T any](ctx context.Context, c *Cache, lk lookup, ttl time.Duration, load func(context.Context) (T, error)) (*flight, error) {
	c.fmu.Lock()
	f, ok := c.flights[lk.flight]
	if ok {
		f.waiters++
		c.fmu.Unlock()
		c.coalesced.Add(1)
	} else {
		// The load belongs to every waiter, not to the caller that happened to start it: it keeps
		// the starter's values but not its cancellation.
		lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), waiters: 1, cancel: cancel, ns: lk.ns, key: lk.key}
		c.flights[lk.flight] = f
		c.fmu.Unlock()
		go runFlight(lctx, c, f, lk, ttl, load)
	}
	select {
	case <-f.done:
		return f, nil
	case <-ctx.Done():
		c.fmu.Lock()
		f.waiters--
		if f.waiters == 0 {
			f.cancel()
			if c.flights[lk.flight] == f {
				delete(c.flights, lk.flight)
			}
		}
		c.fmu.Unlock()
		return nil, ctx.Err()
	}
}

// runFlight loads and stores the value of one flight. The entry is written before the flight is
// removed, and the leader looks Redis up once more before loading, so a caller that missed just
// before another flight stored the value finds it instead of loading again.
func runFlight[T any](ctx context.Context, c *Cache, f *flight, lk lookup, ttl time.Duration, load func(context.Context) (T, error)) {
	defer func() {
		c.fmu.Lock()
		if c.flights[lk.flight] == f {
			delete(c.flights, lk.flight)
		}
		c.fmu.Unlock()
		f.cancel()
		close(f.done)
	}()
	if lk.cacheable {
		if data, found, err := c.get(ctx, lk.full); err == nil && found {
			if _, ok, _ := decodeEntry[T](data); ok {
				f.data, f.hit = data, true
				return
			}
		}
	}
	c.loads.Add(1)
	v, err := safeLoad(ctx, load)
	if err != nil {
		c.loadErrors.Add(1)
		f.err = err
		var e *instainstru.Error
		if lk.cacheable && c.cfg.NotFoundTTL > 0 && errors.As(err, &e) && e.Code == instainstru.CodeNotFound {
			c.set(ctx, lk.full, []byte(tombstonePrefix+e.Message), c.cfg.NotFoundTTL)
		}
		return
	}
	f.val = v
	data, err := json.Marshal(v)
	if err != nil {
		c.encodeErrs.Add(1)
		return
	}
	f.data = data
	if lk.cacheable {
		c.set(ctx, lk.full, data, ttl)
	}
}

// safeLoad runs the loader, turning a panic into an internal error: the loader runs on its own
// goroutine, where a panic would otherwise take the whole process down.
func safeLoad[T any](ctx context.Context, load func(context.Context) (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = instainstru.Internal(fmt.Errorf("cache loader panic: %v", r))
		}
	}()
	return load(ctx)
}
