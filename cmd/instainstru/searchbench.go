package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/search"
	"github.com/instainstru/instainstru/search/query"
)

// cmdBenchSearch measures natural-language search server side. It (re)creates the database
// <DATABASE_URL's name>_bench_search on the same server (never the configured database itself),
// migrates and seeds the catalog, bulk-loads -n instructors with about three offers each, four
// weeks of availability and some bookings (COPY, indexes and statistics after the load), then
// runs 50 mixed queries (a third with a date or time constraint) -runs times through the engine
// with the result cache off and prints p50/p99 of search_time_ms.
//
// Queries are given with their reading (query.Parsed) so the figures measure the engine; -parse
// reads the texts with the query reader instead.
func cmdBenchSearch(ctx context.Context, cfg *Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("bench-search", flag.ContinueOnError)
	n := fs.Int("n", 10000, "instructors to generate")
	runs := fs.Int("runs", 5, "times each query runs")
	parse := fs.Bool("parse", false, "read the query texts with the query reader instead of the given readings")
	verbose := fs.Bool("v", false, "print each query's median time and result count")
	keep := fs.Bool("reuse", false, "reuse the bench database if it already holds -n instructors")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/") + "_bench_search"
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
	cat, err := store.SearchCatalog(ctx)
	if err != nil {
		return err
	}
	qs := benchQueries(cat, today)
	loc := mustZone("America/New_York")
	var all, windowed []float64
	per := make([][]float64, len(qs))
	found := make([]int, len(qs))
	for r := 0; r <= *runs; r++ { // run 0 warms up
		for qi, q := range qs {
			req := search.SearchRequest{Query: q.text, Limit: 20, Now: time.Now(), Loc: loc}
			var res *search.Result
			if *parse {
				res, err = eng.Search(ctx, req)
			} else {
				res, err = eng.SearchParsed(ctx, req, q.parsed)
			}
			if err != nil {
				return fmt.Errorf("%q: %w", q.text, err)
			}
			if r == 0 {
				continue
			}
			all = append(all, res.SearchTimeMS)
			per[qi] = append(per[qi], res.SearchTimeMS)
			found[qi] = res.TotalFound
			if q.parsed.DateFrom != nil || q.parsed.TimeAfter != nil || q.parsed.TimeBefore != nil {
				windowed = append(windowed, res.SearchTimeMS)
			}
		}
	}
	if *verbose {
		for qi, q := range qs {
			fmt.Printf("  %-40s p50 %7.2f ms  total_found %d\n", q.text, pct(per[qi], 50), found[qi])
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

type benchQuery struct {
	text   string
	parsed query.Parsed
}

// benchQueries is the fixed list: 50 queries mixing services, categories, everything, typos,
// unknown words, price, duration, location, level, and (a third of them) dates and times.
func benchQueries(cat *instainstru.SearchCatalog, today instainstru.Date) []benchQuery {
	ids := map[string]string{}
	for _, s := range cat.Services {
		ids[s.Slug] = s.ID
	}
	svc := func(slugs ...string) query.Parsed {
		p := query.Parsed{MatchKind: query.MatchService}
		for _, s := range slugs {
			p.ServiceIDs = append(p.ServiceIDs, ids[s])
		}
		return p
	}
	catg := func(slug string) query.Parsed {
		return query.Parsed{MatchKind: query.MatchCategory, CategorySlugs: []string{slug}}
	}
	allp := query.Parsed{MatchKind: query.MatchAll}
	i := func(v int) *int { return &v }
	m := func(h int) *instainstru.Minute { v := instainstru.Minute(h * 60); return &v }
	d := func(off int) *instainstru.Date { v := today.AddDays(off); return &v }
	with := func(p query.Parsed, f func(*query.Parsed)) query.Parsed { f(&p); return p }
	sat := int((time.Saturday - today.Weekday() + 7) % 7)
	return []benchQuery{
		{"piano under $80", with(svc("piano"), func(p *query.Parsed) { p.MaxPriceCents = i(8000) })},
		{"music lessons", catg("music")},
		{"spanish tomorrow", with(svc("spanish"), func(p *query.Parsed) { p.DateFrom, p.DateTo = d(1), d(1) })},
		{"keyboard lessons for kids", with(svc("piano"), func(p *query.Parsed) { p.Level = "kids" })},
		{"guitar or ukulele", svc("guitar", "ukulele")},
		{"math tutor this weekend", with(svc("math"), func(p *query.Parsed) { p.DateFrom, p.DateTo = d(sat), d(sat+1) })},
		{"lessons under $50", with(allp, func(p *query.Parsed) { p.MaxPriceCents = i(5000) })},
		{"pianno", with(svc("piano"), func(p *query.Parsed) { p.Typo = true })},
		{"yoga in the evening", with(svc("yoga"), func(p *query.Parsed) { p.TimeAfter, p.TimeBefore = m(17), m(22) })},
		{"online french between $40 and $60", with(svc("french"), func(p *query.Parsed) {
			p.LocationType, p.MinPriceCents, p.MaxPriceCents = "online", i(4000), i(6000)
		})},
		{"30 minute violin lesson under $40", with(svc("violin"), func(p *query.Parsed) { p.DurationMinutes, p.MaxPriceCents = i(30), i(4000) })},
		{"sat prep in brooklyn", with(svc("sat-prep"), func(p *query.Parsed) { p.Location = "brooklyn" })},
		{"xqzv", query.Parsed{ServiceQuery: "xqzv"}},
		{"pianos", query.Parsed{ServiceQuery: "pianos"}},
		{"watercolour painting", query.Parsed{ServiceQuery: "watercolour painting"}},
		{"cheap guitar", with(svc("guitar"), func(p *query.Parsed) { p.Cheap = true })},
		{"lessons", allp},
		{"languages", catg("languages")},
		{"fitness", catg("sports-fitness")},
		{"coding", catg("technology-coding")},
		{"tutoring", catg("tutoring-test-prep")},
		{"drums", svc("drums")},
		{"python", svc("python")},
		{"boxing", svc("boxing")},
		{"chess", svc("chess")},
		{"singing", svc("voice")},
		{"photography online", with(svc("photography"), func(p *query.Parsed) { p.LocationType = "online" })},
		{"beginner cello", with(svc("cello"), func(p *query.Parsed) { p.Level = "beginner" })},
		{"german over $60", with(svc("german"), func(p *query.Parsed) { p.MinPriceCents = i(6000) })},
		{"in person tennis in manhattan", with(svc("tennis"), func(p *query.Parsed) { p.LocationType, p.Location = "in_person", "manhattan" })},
		{"90 minute chemistry", with(svc("chemistry"), func(p *query.Parsed) { p.DurationMinutes = i(90) })},
		{"music under $60 for adults", with(catg("music"), func(p *query.Parsed) { p.MaxPriceCents, p.Level = i(6000), "adult" })},
		{"affordable lessons online", with(allp, func(p *query.Parsed) { p.Cheap, p.LocationType = true, "online" })},
		// With a date or time: 17 of 50.
		{"piano today", with(svc("piano"), func(p *query.Parsed) { p.DateFrom, p.DateTo = d(0), d(0) })},
		{"guitar tonight", with(svc("guitar"), func(p *query.Parsed) { p.DateFrom, p.DateTo, p.TimeAfter = d(0), d(0), m(17) })},
		{"lessons tomorrow", with(allp, func(p *query.Parsed) { p.DateFrom, p.DateTo = d(1), d(1) })},
		{"music this weekend", with(catg("music"), func(p *query.Parsed) { p.DateFrom, p.DateTo = d(sat), d(sat+1) })},
		{"math after 5pm", with(svc("math"), func(p *query.Parsed) { p.TimeAfter = m(17) })},
		{"yoga in the morning", with(svc("yoga"), func(p *query.Parsed) { p.TimeAfter, p.TimeBefore = m(6), m(12) })},
		{"spanish next week", with(svc("spanish"), func(p *query.Parsed) { p.DateFrom, p.DateTo = d(7), d(13) })},
		{"violin at 4pm tomorrow", with(svc("violin"), func(p *query.Parsed) { p.DateFrom, p.DateTo, p.TimeAfter, p.ExactStart = d(1), d(1), m(16), true })},
		{"languages before noon", with(catg("languages"), func(p *query.Parsed) { p.TimeBefore = m(12) })},
		{"sat prep tomorrow afternoon", with(svc("sat-prep"), func(p *query.Parsed) { p.DateFrom, p.DateTo, p.TimeAfter, p.TimeBefore = d(1), d(1), m(12), m(17) })},
		{"fitness tomorrow morning under $70", with(catg("sports-fitness"), func(p *query.Parsed) {
			p.DateFrom, p.DateTo, p.TimeAfter, p.TimeBefore, p.MaxPriceCents = d(1), d(1), m(6), m(12), i(7000)
		})},
		{"lessons this week online", with(allp, func(p *query.Parsed) { p.DateFrom, p.DateTo, p.LocationType = d(0), d(6), "online" })},
		{"drums on saturday", with(svc("drums"), func(p *query.Parsed) { p.DateFrom, p.DateTo = d(sat), d(sat) })},
		{"coding between 3 and 5pm", with(catg("technology-coding"), func(p *query.Parsed) { p.TimeAfter, p.TimeBefore = m(15), m(17) })},
		{"piano for kids tomorrow after 5pm", with(svc("piano"), func(p *query.Parsed) { p.DateFrom, p.DateTo, p.TimeAfter, p.Level = d(1), d(1), m(17), "kids" })},
		{"lessons under $40 tomorrow evening", with(allp, func(p *query.Parsed) {
			p.DateFrom, p.DateTo, p.TimeAfter, p.TimeBefore, p.MaxPriceCents = d(1), d(1), m(17), m(22), i(4000)
		})},
		{"tutoring in brooklyn this weekend", with(catg("tutoring-test-prep"), func(p *query.Parsed) { p.DateFrom, p.DateTo, p.Location = d(sat), d(sat+1), "brooklyn" })},
	}
}

var benchAreas = []string{"Manhattan", "Brooklyn", "Queens", "Bronx", "Staten Island", "Upper West Side", "Upper East Side",
	"Harlem", "Park Slope", "Williamsburg", "Astoria", "Long Island City", "Chelsea", "Tribeca", "Bushwick", "Flushing"}

var benchBios = []string{"Patient teacher who loves working with kids and beginners.", "Conservatory trained, I prepare advanced students for competitions.",
	"Friendly lessons for adults returning to learning.", "Ten years of teaching teens and high school students.", "All levels welcome."}

// loadBenchData writes n instructors (and one student each, for bookings) with COPY: users,
// profiles, about three offers each, availability on about 60% of the next 28 days, and two
// bookings each; then ANALYZE. Everyone is in America/New_York.
func loadBenchData(ctx context.Context, pool *pgxpool.Pool, n int, today instainstru.Date) error {
	r := rand.New(rand.NewPCG(42, uint64(n)))
	var svcIDs []string
	rows, err := pool.Query(ctx, `SELECT id FROM service_catalog WHERE is_active ORDER BY display_order`)
	if err != nil {
		return err
	}
	svcIDs, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	loc := mustZone("America/New_York")
	var users, profiles, offers, slots, bookings [][]any
	durSets := [][]int{{30, 60}, {60}, {45, 60, 90}, {30, 45, 60}, {60, 90}}
	locSets := [][]string{{"in_person", "online"}, {"online"}, {"in_person"}}
	for k := 0; k < n; k++ {
		ins, stu := persistence.NewID(), persistence.NewID()
		users = append(users,
			[]any{ins, fmt.Sprintf("bench-i%d@bench.test", k), "x", fmt.Sprintf("Bench Instructor %d", k), "instructor", "active", "America/New_York"},
			[]any{stu, fmt.Sprintf("bench-s%d@bench.test", k), "x", fmt.Sprintf("Bench Student %d", k), "student", "active", "America/New_York"})
		areas := []string{benchAreas[r.IntN(len(benchAreas))], benchAreas[r.IntN(len(benchAreas))]}
		profiles = append(profiles, []any{ins, benchBios[r.IntN(len(benchBios))], r.IntN(20), areas, 2, []int{0, 0, 15}[r.IntN(3)]})
		nOffers := 1 + r.IntN(5) // 1..5, three on average
		used := map[int]bool{}
		var first string
		var firstRate int
		for o := 0; o < nOffers; o++ {
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
