package cache_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
)

// countKeys counts the cache entries (not the version and epoch counters) under prefix, with SCAN,
// and logs their total size.
func countKeys(t *testing.T, rdb *redis.Client, prefix string) int {
	t.Helper()
	ctx := context.Background()
	n, size := 0, int64(0)
	iter := rdb.Scan(ctx, 0, prefix+"e*", 1000).Iterator()
	for iter.Next(ctx) {
		n++
		l, err := rdb.StrLen(ctx, iter.Val()).Result()
		require.NoError(t, err)
		size += l
	}
	require.NoError(t, iter.Err())
	t.Logf("%d entries, %d bytes of values", n, size)
	return n
}

// Cache keys are canonical and bounded: hundreds of distinct spellings of the same catalog and
// instructor queries (case, spacing, arbitrary prices, limits, cursors, arbitrary text) leave a
// small fixed number of entries in Redis, and every answer is the store's answer to the canonical
// query.
func TestCacheKeysStayBounded(t *testing.T) {
	ctx := context.Background()
	f := db.NewFixture(t)
	// The near cache as in production: the whole-catalog entry and the indexes are decoded once.
	c, rdb := sharedCache(t, cache.Config{NearTTL: time.Second})
	cs := cache.NewStores(c, db.Store)
	prefix := "cachetest:" + t.Name() + ":"
	rng := rand.New(rand.NewPCG(1, 2))
	// Wrong answers are counted and the first few shown, so the key counts are reported either way.
	wrong := 0
	same := func(want, got any, what string, q any) {
		a, err := json.Marshal(want)
		require.NoError(t, err)
		b, err := json.Marshal(got)
		require.NoError(t, err)
		if string(a) != string(b) {
			if wrong++; wrong <= 3 {
				t.Errorf("%s %+v: got %.300s, want %.300s", what, q, b, a)
			}
		}
	}

	// Some more instructors at various rates, so that price filters select among them.
	for i := range 12 {
		id := persistence.NewID()
		db.MustExec(t, `INSERT INTO users (id, email, password_hash, full_name, role) VALUES ($1::uuid, $1::text || '@example.com', 'x', 'Price Tester', 'instructor')`, id)
		db.MustExec(t, `INSERT INTO instructor_profiles (user_id) VALUES ($1)`, id)
		db.MustExec(t, `INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
			VALUES ($1, $2, $3, $4, '{60}', '{online}')`, persistence.NewID(), id, f.Catalog, 2000+i*1500)
	}

	// GET /catalog/services: spellings of catalog terms, categories, limits, and arbitrary text.
	spell := func(s string) string {
		switch rng.IntN(4) {
		case 0:
			return strings.ToUpper(s)
		case 1:
			return "  " + strings.ReplaceAll(s, " ", "   ") + " "
		case 2:
			return strings.ToUpper(s[:1]) + s[1:]
		}
		return s
	}
	terms := []string{"piano", "spanish", "guitar", "sat prep", "python", "watercolor"}
	cats := []string{"", "music", "Music", " MUSIC ", "languages", "no-such-category"}
	const n = 300
	for i := range n {
		text := spell(terms[rng.IntN(len(terms))])
		if i%3 == 0 {
			text = fmt.Sprintf("arbitrary text %d", i)
		}
		q := instainstru.ServiceQuery{CategorySlug: cats[rng.IntN(len(cats))], Text: text, Limit: 1 + rng.IntN(100)}
		got, err := cs.Catalog.CatalogServices(ctx, q)
		require.NoError(t, err)
		canonical := q
		canonical.Text = strings.Join(strings.Fields(strings.ToLower(q.Text)), " ")
		canonical.CategorySlug = strings.ToLower(strings.TrimSpace(q.CategorySlug))
		want, err := db.Store.CatalogServices(ctx, canonical)
		require.NoError(t, err)
		same(want, got, "query", q)
		if want.Next != nil { // the next page, through the cursor, is right too
			canonical.After, q.After = want.Next, want.Next
			got, err := cs.Catalog.CatalogServices(ctx, q)
			require.NoError(t, err)
			want, err := db.Store.CatalogServices(ctx, canonical)
			require.NoError(t, err)
			same(want, got, "next page of", q)
		}
	}
	catalogKeys := countKeys(t, rdb, prefix)
	t.Logf("catalog: %d queries, %d cache keys, %d wrong answers", n, catalogKeys, wrong)
	assert.LessOrEqual(t, catalogKeys, 1+len(terms), "one entry for the whole catalog and one per catalog term")

	// GET /instructors: service by slug in any case or by id, arbitrary prices and limits.
	services := []string{"piano", "PIANO", " Piano ", f.Catalog, strings.ToUpper(f.Catalog), ""}
	for range n {
		q := instainstru.InstructorQuery{Service: services[rng.IntN(len(services))], Limit: 1 + rng.IntN(100)}
		if rng.IntN(3) > 0 {
			v := 1000 + rng.IntN(20000)
			q.MaxPriceCents = &v
		}
		if rng.IntN(3) == 0 {
			v := rng.IntN(8000)
			q.MinPriceCents = &v
		}
		if q.MinPriceCents != nil && q.MaxPriceCents != nil && *q.MinPriceCents > *q.MaxPriceCents {
			q.MinPriceCents, q.MaxPriceCents = q.MaxPriceCents, q.MinPriceCents
		}
		for page := 0; page < 3; page++ {
			got, err := cs.Instructors.PublicInstructors(ctx, q)
			require.NoError(t, err)
			canonical := q
			if !persistence.ValidID(strings.TrimSpace(q.Service)) {
				canonical.Service = strings.ToLower(strings.TrimSpace(q.Service))
			} else {
				canonical.Service = strings.ToLower(q.Service)
			}
			want, err := db.Store.PublicInstructors(ctx, canonical)
			require.NoError(t, err)
			for i := range want.Instructors {
				want.Instructors[i].Email = ""
			}
			same(want, got, "query", q)
			if want.NextAfterID == "" {
				break
			}
			q.AfterID = want.NextAfterID
		}
	}
	instructorKeys := countKeys(t, rdb, prefix) - catalogKeys
	t.Logf("instructors: %d queries, %d cache keys, %d wrong answers in all", n, instructorKeys, wrong)
	var public int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(DISTINCT s.instructor_id) FROM instructor_services s
		JOIN users u ON u.id = s.instructor_id WHERE s.is_active AND u.account_status = 'active'`).Scan(&public))
	// One index per filter (piano, none) and at most one profile per public instructor.
	assert.LessOrEqual(t, instructorKeys, 2+public)
	assert.Zero(t, wrong, "answers are the store's answers to the canonical queries")
}
