package persistence

import (
	"context"
	"encoding/json"

	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/instainstru/instainstru"
)

// The SQL of natural-language search (package search decides what to ask; this file asks it).

// SearchCatalog loads what the query reader needs: active catalog services with their category,
// description and search terms; categories with their aliases; and the distinct areas of
// service of active instructors, lower-cased.
func (s *Store) SearchCatalog(ctx context.Context) (*instainstru.SearchCatalog, error) {
	const qServices = `
		SELECT sc.id, sc.slug, sc.name, c.id, c.slug, c.name, sc.description, sc.search_terms,
		       sc.typical_durations, sc.online_capable, sc.display_order
		FROM service_catalog sc JOIN service_categories c ON c.id = sc.category_id
		WHERE sc.is_active
		ORDER BY c.display_order, sc.display_order, sc.id`
	const qCategories = `
		SELECT id, slug, name, description, display_order, aliases
		FROM service_categories ORDER BY display_order, name`
	const qAreas = `
		SELECT DISTINCT lower(btrim(a))
		FROM instructor_profiles p JOIN users u ON u.id = p.user_id
		CROSS JOIN LATERAL unnest(p.areas_of_service) AS a
		WHERE u.account_status = 'active' AND u.role = 'instructor' AND btrim(a) <> ''
		ORDER BY 1`
	b := &pgx.Batch{}
	b.Queue(qServices)
	b.Queue(qCategories)
	b.Queue(qAreas)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	out := &instainstru.SearchCatalog{Services: []instainstru.CatalogService{}, Categories: []instainstru.Category{}, Areas: []string{}}

	rows, err := br.Query()
	if err != nil {
		return nil, translate(err, "catalog")
	}
	for rows.Next() {
		var sv instainstru.CatalogService
		if err := rows.Scan(&sv.ID, &sv.Slug, &sv.Name, &sv.Category.ID, &sv.Category.Slug, &sv.Category.Name,
			&sv.Description, &sv.SearchTerms, &sv.TypicalDurations, &sv.OnlineCapable, &sv.DisplayOrder); err != nil {
			rows.Close()
			return nil, translate(err, "catalog")
		}
		sv.IsActive = true
		out.Services = append(out.Services, sv)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "catalog")
	}

	rows, err = br.Query()
	if err != nil {
		return nil, translate(err, "categories")
	}
	for rows.Next() {
		var c instainstru.Category
		if err := rows.Scan(&c.ID, &c.Slug, &c.Name, &c.Description, &c.DisplayOrder, &c.Aliases); err != nil {
			rows.Close()
			return nil, translate(err, "categories")
		}
		out.Categories = append(out.Categories, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "categories")
	}

	rows, err = br.Query()
	if err != nil {
		return nil, translate(err, "areas")
	}
	areas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(err, "areas")
	}
	out.Areas = append(out.Areas, areas...)
	return out, nil
}

// CatalogEmbeddings returns the stored embeddings of active catalog services (services without
// one are left out: the search indexer computes them).
func (s *Store) CatalogEmbeddings(ctx context.Context) ([]instainstru.CatalogEmbedding, error) {
	const q = `SELECT id, embedding, COALESCE(embedding_model, '') FROM service_catalog
		WHERE is_active AND embedding IS NOT NULL ORDER BY id`
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, translate(err, "catalog embeddings")
	}
	defer rows.Close()
	out := []instainstru.CatalogEmbedding{}
	for rows.Next() {
		var e instainstru.CatalogEmbedding
		var v pgvector.Vector
		if err := rows.Scan(&e.ServiceID, &v, &e.Model); err != nil {
			return nil, translate(err, "catalog embeddings")
		}
		e.Vector = v.Slice()
		out = append(out, e)
	}
	return out, translate(rows.Err(), "catalog embeddings")
}

// SaveCatalogEmbeddings stores embeddings of catalog services, in one transaction.
func (s *Store) SaveCatalogEmbeddings(ctx context.Context, es []instainstru.CatalogEmbedding) error {
	const q = `UPDATE service_catalog SET embedding = $2, embedding_model = $3 WHERE id = $1`
	if len(es) == 0 {
		return nil
	}
	return s.inTx(ctx, "catalog embeddings", func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, e := range es {
			b.Queue(q, e.ServiceID, pgvector.NewVector(e.Vector), e.Model)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// NearestCatalogServices returns the k active catalog services whose embeddings (of the given
// model) are closest to vec
// by cosine, nearest first, with their cosine similarity. The catalog is a few hundred rows, so
// the HNSW index (or a scan) answers in well under a millisecond.
func (s *Store) NearestCatalogServices(ctx context.Context, model string, vec []float32, k int) ([]instainstru.ServiceSimilarity, error) {
	const q = `
		SELECT id, 1 - (embedding <=> $1) FROM service_catalog
		WHERE is_active AND embedding IS NOT NULL AND embedding_model = $3
		ORDER BY embedding <=> $1, id
		LIMIT $2`
	rows, err := s.pool.Query(ctx, q, pgvector.NewVector(vec), max(k, 1), model)
	if err != nil {
		return nil, translate(err, "catalog embeddings")
	}
	defer rows.Close()
	out := []instainstru.ServiceSimilarity{}
	for rows.Next() {
		var r instainstru.ServiceSimilarity
		if err := rows.Scan(&r.ServiceID, &r.Similarity); err != nil {
			return nil, translate(err, "catalog embeddings")
		}
		out = append(out, r)
	}
	return out, translate(rows.Err(), "catalog embeddings")
}

// SearchIndex reads the search index's change feed (migration 00007). With cursor "" it reads
// every instructor profile in one REPEATABLE READ snapshot; otherwise it first finds, in one
// statement, the profiles touched by transactions not visible to the read that returned cursor
// (search_xid >= that read's oldest running transaction) together with this read's own oldest
// running transaction (the next cursor), then loads their current state. Loading later than the
// cursor was taken only ever reads newer data; what changes in between is read again next time.
func (s *Store) SearchIndex(ctx context.Context, cursor string) (*instainstru.SearchIndexDelta, error) {
	const qChanged = `
		SELECT pg_snapshot_xmin(pg_current_snapshot())::text, COALESCE(array_agg(user_id), '{}')
		FROM instructor_profiles WHERE search_xid >= $1::text::xid8`
	const qCursor = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text`
	const qEntries = `
		SELECT u.id, u.full_name, p.bio, p.years_experience, p.areas_of_service,
		       u.account_status = 'active' AND u.role = 'instructor'
		FROM instructor_profiles p JOIN users u ON u.id = p.user_id
		WHERE $1::uuid[] IS NULL OR p.user_id = ANY($1::uuid[])
		ORDER BY u.id`
	const qOffers = `
		SELECT id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, description, location_types
		FROM instructor_services
		WHERE is_active AND ($1::uuid[] IS NULL OR instructor_id = ANY($1::uuid[]))
		ORDER BY instructor_id, id`
	out := &instainstru.SearchIndexDelta{Entries: []instainstru.SearchIndexEntry{}}
	var ids []string // nil: everyone
	load := func(q pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(qEntries, ids)
		b.Queue(qOffers, ids)
		br := q.SendBatch(ctx, b)
		defer br.Close()
		rows, err := br.Query()
		if err != nil {
			return err
		}
		byID := map[string]int{}
		for rows.Next() {
			var e instainstru.SearchIndexEntry
			if err := rows.Scan(&e.InstructorID, &e.FullName, &e.Bio, &e.YearsExperience, &e.AreasOfService, &e.Searchable); err != nil {
				rows.Close()
				return err
			}
			byID[e.InstructorID] = len(out.Entries)
			out.Entries = append(out.Entries, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o instainstru.InstructorService
			var locs []string
			if err := rows.Scan(&o.ID, &o.InstructorID, &o.CatalogServiceID, &o.HourlyRateCents, &o.DurationOptions,
				&o.Description, &locs); err != nil {
				return err
			}
			o.IsActive = true
			for _, l := range locs {
				o.LocationTypes = append(o.LocationTypes, instainstru.LocationType(l))
			}
			if i, ok := byID[o.InstructorID]; ok {
				out.Entries[i].Offers = append(out.Entries[i].Offers, o)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if _, ok := byID[id]; !ok {
				out.Gone = append(out.Gone, id)
			}
		}
		return nil
	}
	if cursor == "" {
		err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			if err := tx.QueryRow(ctx, qCursor).Scan(&out.Cursor); err != nil {
				return err
			}
			return load(tx)
		})
		return out, translate(err, "search index")
	}
	if err := s.pool.QueryRow(ctx, qChanged, cursor).Scan(&out.Cursor, &ids); err != nil {
		return nil, translate(err, "search index")
	}
	if len(ids) == 0 {
		return out, nil
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, load)
	return out, translate(err, "search index")
}

// WindowCandidates keeps the instructors with an availability row in [w.From, w.To] whose
// overlap with the time of day [w.After, w.Before] is long enough for their lesson (with
// ExactStart: a row that holds the lesson from w.After). It is the cheap prefilter of a search
// window: bookings, buffers, blackouts, notice and the past are the caller's exact check
// (instainstru.PublicCalendar.Bookable), so it may keep too many, never too few.
func (s *Store) WindowCandidates(ctx context.Context, needs []instainstru.WindowNeed, w instainstru.CandidateWindow) (map[string]bool, error) {
	const q = `
		SELECT c.id FROM unnest($1::uuid[], $2::int[]) AS c(id, need)
		WHERE EXISTS (
			SELECT 1 FROM availability_slots a
			WHERE a.instructor_id = c.id AND a.slot_date BETWEEN $3::date AND $4::date
			  AND CASE WHEN $7::bool
			           THEN a.start_time <= $5::time AND a.end_time - $5::time >= make_interval(mins => c.need)
			                AND $5::time + make_interval(mins => c.need) <= $6::time
			           ELSE LEAST(a.end_time, $6::time) - GREATEST(a.start_time, $5::time) >= make_interval(mins => c.need)
			      END)`
	out := make(map[string]bool, len(needs))
	ids := make([]string, 0, len(needs))
	mins := make([]int, 0, len(needs))
	for _, n := range needs {
		if ValidID(n.InstructorID) {
			ids = append(ids, n.InstructorID)
			mins = append(mins, n.Minutes)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, q, ids, mins, w.From.Time(), w.To.Time(), w.After.String(), w.Before.String(), w.ExactStart)
	if err != nil {
		return nil, translate(err, "search window")
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err, "search window")
		}
		out[id] = true
	}
	return out, translate(rows.Err(), "search window")
}

// ServicePopularity reads the latest analytics row of every catalog service: its demand score,
// or, when the job left it at zero, bookings of the last 30 days plus a tenth of the searches.
// Services never covered by the job are absent.
func (s *Store) ServicePopularity(ctx context.Context) (map[string]float64, error) {
	const q = `
		SELECT DISTINCT ON (catalog_service_id) catalog_service_id,
		       CASE WHEN demand_score > 0 THEN demand_score
		            ELSE booking_count_30d + search_count_30d / 10.0 END
		FROM service_analytics
		ORDER BY catalog_service_id, calculated_on DESC`
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, translate(err, "service analytics")
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var id string
		var v float64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, translate(err, "service analytics")
		}
		out[id] = v
	}
	return out, translate(rows.Err(), "service analytics")
}

// InsertSearchEvents writes recorded searches in one round trip. A user id that no longer exists
// is stored as NULL rather than failing the batch.
func (s *Store) InsertSearchEvents(ctx context.Context, evs []instainstru.SearchEvent) error {
	const q = `
		INSERT INTO search_events (query, parsed, matched_service_ids, result_count, user_id, created_at)
		VALUES ($1, $2::jsonb, $3::uuid[], $4, (SELECT id FROM users WHERE id = $5::uuid), $6)`
	if len(evs) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, e := range evs {
		parsed := e.Parsed
		if len(parsed) == 0 || !json.Valid(parsed) {
			parsed = []byte("{}")
		}
		ids := make([]string, 0, len(e.MatchedServiceIDs))
		for _, id := range e.MatchedServiceIDs {
			if ValidID(id) {
				ids = append(ids, id)
			}
		}
		var uid *string
		if ValidID(e.UserID) {
			uid = &e.UserID
		}
		at := e.CreatedAt
		if at.IsZero() {
			at = time.Now()
		}
		query := e.Query
		if len([]rune(query)) > 500 {
			query = string([]rune(query)[:500])
		}
		b.Queue(q, query, string(parsed), ids, e.ResultCount, uid, at)
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return translate(err, "search events")
	}
	return nil
}
