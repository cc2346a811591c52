package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/search"
)

// cmdBenchSearch measures natural-language search server side. It (re)creates the database
// <DATABASE_URL's name>_bench_search (with _<n> appended for other sizes than 10000) on the same server (never the configured database itself),
// migrates and seeds the catalog, bulk-loads -n instructors with about three offers each, four
// weeks of availability and some bookings (COPY, indexes and statistics after the load), then
// runs 50 mixed queries (a third with a date or time constraint) -runs times through the engine
// with the result cache off and prints p50/p99 of search_time_ms.
//
// Every query goes through the whole engine as a request would: the real query reader, the
// service resolution (embeddings for words the reader could not place), the in-memory index and
// its change-feed read, the window prefilter and the exact availability check.
func cmdBenchSearch(ctx context.Context, cfg *Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("bench-search", flag.ContinueOnError)
	n := fs.Int("n", 10000, "instructors to generate")
	runs := fs.Int("runs", 10, "times each query runs")
	verbose := fs.Bool("v", false, "print each query's median time and result count")
	keep := fs.Bool("reuse", false, "reuse the bench database if it already holds -n instructors")
	only := fs.String("q", "", "run only this query (with -runs) instead of the fixed list")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured runs to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/") + "_bench_search"
	if *n != 10000 { // each size keeps its own database, so -reuse works for both
		name += fmt.Sprintf("_%d", *n)
	}
	admin, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	bu := *u
	bu.Path = "/" + name
	benchURL := bu.String()
	var exists bool
	_ = admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	reuse := false
	if exists && *keep {
		if pool, err := persistence.Open(ctx, benchURL, 2); err == nil {
			var have int
			_ = pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE role = 'instructor'`).Scan(&have)
			pool.Close()
			reuse = have == *n
		}
	}
	if !reuse {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return err
		}
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return err
		}
	}
	admin.Close(ctx)
	if _, err := persistence.Migrate(ctx, benchURL); err != nil {
		return err
	}
	pool, err := persistence.Open(ctx, benchURL, 8)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := persistence.NewStore(pool)
	if _, _, err := store.SeedCatalog(ctx); err != nil {
		return err
	}
	today := instainstru.DateOf(time.Now().In(mustZone("America/New_York")))
	if !reuse {
		start := time.Now()
		if err := loadBenchData(ctx, pool, *n, today); err != nil {
			return err
		}
		fmt.Printf("loaded %d instructors in %s into %s\n", *n, time.Since(start).Round(time.Millisecond), name)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	emb, err := newEmbedder(ctx, cfg, log)
	if err != nil {
		return err
	}
	eng, err := search.New(ctx, search.Config{Store: store, Embedder: emb, Log: quiet, ResultTTL: -1})
	if err != nil {
		return err
	}
	qs := benchQueries
	if *only != "" {
		qs = []string{*only}
	}
	loc := mustZone("America/New_York")
	var all, windowed []float64
	per := make([][]float64, len(qs))
	found := make([]int, len(qs))
	for r := 0; r <= *runs; r++ { // run 0 warms up
		if r == 1 && *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
		}
		for qi, q := range qs {
			res, err := eng.Search(ctx, search.SearchRequest{Query: q, Limit: 20, Now: time.Now(), Loc: loc})
			if err != nil {
				return fmt.Errorf("%q: %w", q, err)
			}
			if r == 0 {
				continue
			}
			all = append(all, res.SearchTimeMS)
			per[qi] = append(per[qi], res.SearchTimeMS)
			found[qi] = res.TotalFound
			if res.Parsed.DateFrom != nil || res.Parsed.TimeAfter != nil || res.Parsed.TimeBefore != nil {
				windowed = append(windowed, res.SearchTimeMS)
			}
		}
	}
	if *verbose {
		for qi, q := range qs {
			fmt.Printf("  %-40s p50 %7.2f ms  max %7.2f ms  total_found %d\n", q, pct(per[qi], 50), pct(per[qi], 100), found[qi])
		}
	}
	fmt.Printf("bench-search: %d instructors, %d queries x %d runs\n", *n, len(qs), *runs)
	fmt.Printf("  all queries         p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", pct(all, 50), pct(all, 99), pct(all, 100))
	fmt.Printf("  with date or time   p50 %.2f ms  p99 %.2f ms\n", pct(windowed, 50), pct(windowed, 99))
	return nil
}

func mustZone(name string) *time.Location {
	l, err := instainstru.LoadZone(name)
	if err != nil {
		panic(err)
	}
	return l
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// benchQueries is the fixed list: 50 queries mixing services, categories, everything, typos,
// unknown words, price, duration, location, level, and (17 of them) dates and times.
var benchQueries = []string{
	"piano under $80", "music lessons", "spanish tomorrow", "keyboard lessons for kids", "guitar or ukulele",
	"math tutor this weekend", "lessons under $50", "pianno", "yoga in the evening", "online french between $40 and $60",
	"30 minute violin lesson under $40", "sat prep in brooklyn", "xqzv", "pianos", "watercolour painting",
	"cheap guitar", "lessons", "languages", "fitness", "coding", "tutoring", "drums", "python", "boxing", "chess",
	"singing", "photography online", "beginner cello", "german over $60", "in person tennis in manhattan",
	"90 minute chemistry", "music under $60 for adults", "affordable lessons online", "chess for beginners",
	"spanish for adults under $70", "online guitar lessons",
	// With a date or time (with "spanish tomorrow", "math tutor this weekend" and "yoga in the
	// evening" above: 17 of 50).
	"piano today", "guitar tonight", "lessons tomorrow", "music this weekend", "math after 5pm",
	"yoga in the morning", "spanish next week", "violin at 4pm tomorrow", "languages before noon",
	"sat prep tomorrow afternoon", "fitness tomorrow morning under $70", "lessons this week online",
	"coding between 3 and 5pm", "piano for kids tomorrow after 5pm",
}

var benchAreas = []string{"Manhattan", "Brooklyn", "Queens", "Bronx", "Staten Island", "Upper West Side", "Upper East Side",
	"Harlem", "Park Slope", "Williamsburg", "Astoria", "Long Island City", "Chelsea", "Tribeca", "Bushwick", "Flushing"}

var benchBios = []string{"Patient teacher who loves working with kids and beginners.", "Conservatory trained, I prepare advanced students for competitions.",
	"Friendly lessons for adults returning to learning.", "Ten years of teaching teens and high school students.", "All levels welcome."}

// loadBenchData writes n instructors (and one student each, for bookings) with COPY, in chunks
// of 5,000 instructors so memory stays bounded at any n: users, profiles, exactly three offers
// each (of distinct services, popular ones more often), availability on about 60% of the next 28
// days, and up to two bookings each; then ANALYZE. Everyone is in America/New_York.
func loadBenchData(ctx context.Context, pool *pgxpool.Pool, n int, today instainstru.Date) error {
	r := rand.New(rand.NewPCG(42, uint64(n)))
	rows, err := pool.Query(ctx, `SELECT id FROM service_catalog WHERE is_active ORDER BY display_order`)
	if err != nil {
		return err
	}
	svcIDs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	loc := mustZone("America/New_York")
	durSets := [][]int{{30, 60}, {60}, {45, 60, 90}, {30, 45, 60}, {60, 90}}
	locSets := [][]string{{"in_person", "online"}, {"online"}, {"in_person"}}
	const chunk = 5000
	for base := 0; base < n; base += chunk {
		var users, profiles, offers, slots, bookings [][]any
		for k := base; k < min(base+chunk, n); k++ {
			ins, stu := persistence.NewID(), persistence.NewID()
			users = append(users,
				[]any{ins, fmt.Sprintf("bench-i%d@bench.test", k), "x", fmt.Sprintf("Bench Instructor %d", k), "instructor", "active", "America/New_York"},
				[]any{stu, fmt.Sprintf("bench-s%d@bench.test", k), "x", fmt.Sprintf("Bench Student %d", k), "student", "active", "America/New_York"})
			areas := []string{benchAreas[r.IntN(len(benchAreas))], benchAreas[r.IntN(len(benchAreas))]}
			profiles = append(profiles, []any{ins, benchBios[r.IntN(len(benchBios))], r.IntN(20), areas, 2, []int{0, 0, 15}[r.IntN(3)]})
			used := map[int]bool{}
			var first string
			var firstRate int
			for len(used) < 3 {
				// Popular services (the first of the catalog) are offered more often.
				si := int(float64(len(svcIDs)) * r.Float64() * r.Float64())
				if used[si] {
					continue
				}
				used[si] = true
				id, rate := persistence.NewID(), 2500+r.IntN(100)*100
				offers = append(offers, []any{id, ins, svcIDs[si], rate, durSets[r.IntN(len(durSets))], "", locSets[r.IntN(len(locSets))]})
				if first == "" {
					first, firstRate = id, rate
				}
			}
			booked := 0
			for day := 0; day < 28; day++ {
				if r.Float64() > 0.6 {
					continue
				}
				d := today.AddDays(day)
				startH := 7 + r.IntN(8)
				endH := startH + 2 + r.IntN(6)
				slots = append(slots, []any{ins, d.Time(), pgtypeTime(startH * 60), pgtypeTime(endH * 60)})
				if r.IntN(3) == 0 && endH < 21 {
					slots = append(slots, []any{ins, d.Time(), pgtypeTime((endH + 1) * 60), pgtypeTime((endH + 3) * 60)})
				}
				if booked < 2 && day > 0 && r.IntN(3) == 0 {
					booked++
					at, err := instainstru.ResolveLocal(d, instainstru.Minute(startH*60), loc)
					if err != nil {
						continue
					}
					bookings = append(bookings, []any{persistence.NewID(), stu, ins, first, d.Time(), pgtypeTime(startH * 60),
						pgtypeTime(startH*60 + 60), "America/New_York", at, at.Add(time.Hour), at.Add(time.Hour), 60, "Bench", "Bench",
						firstRate, firstRate, "online"})
				}
			}
		}
		copies := []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"users", []string{"id", "email", "password_hash", "full_name", "role", "account_status", "timezone"}, users},
			{"instructor_profiles", []string{"user_id", "bio", "years_experience", "areas_of_service", "min_advance_booking_hours", "buffer_minutes"}, profiles},
			{"instructor_services", []string{"id", "instructor_id", "catalog_service_id", "hourly_rate_cents", "duration_options", "description", "location_types"}, offers},
			{"availability_slots", []string{"instructor_id", "slot_date", "start_time", "end_time"}, slots},
			{"bookings", []string{"id", "student_id", "instructor_id", "instructor_service_id", "booking_date", "start_time", "end_time",
				"timezone", "starts_at", "ends_at", "blocked_until", "duration_minutes", "service_name", "category_name",
				"hourly_rate_cents", "total_price_cents", "location_type"}, bookings},
		}
		for _, c := range copies {
			if _, err := pool.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
				return fmt.Errorf("load %s: %w", c.table, err)
			}
		}
	}
	// The catalog's HNSW index is rebuilt after the load (pgvector builds it far faster in one go),
	// then statistics are refreshed so the planner sees the real sizes.
	for _, q := range []string{
		`DROP INDEX IF EXISTS service_catalog_embedding_idx`,
		`CREATE INDEX service_catalog_embedding_idx ON service_catalog USING hnsw (embedding vector_cosine_ops)`,
		`VACUUM ANALYZE`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func pgtypeTime(min int) pgtype.Time {
	return pgtype.Time{Microseconds: int64(min) * 60_000_000, Valid: true}
}
