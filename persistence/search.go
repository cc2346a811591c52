package persistence

import (
	"context"
	"encoding/json"

	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
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

// SearchCandidates runs the hard filters of a search in one statement and returns, per
// instructor, the best matching offer, ordered by the preliminary score (the catalog service's
// base score plus the level boost) then instructor id, one page of them, and the number of
// instructors that pass in all.
//
// Filters: active instructor account, active offer of an active catalog service among
// ServiceScores (and CategorySlugs), price against the hourly rate or, with DurationMinutes, the
// price of that lesson (rate * minutes / 60, rounded as bookings round it), the duration option,
// location type, area (case-insensitive), and with Window an availability row in the window whose
// overlap with the time of day is long enough for the lesson (asked duration, else the offer's
// shortest). The window test is a prefilter: bookings, buffers, notice and the past are the
// caller's exact check (instainstru.PublicCalendar.Bookable).
func (s *Store) SearchCandidates(ctx context.Context, q instainstru.CandidateQuery) (instainstru.CandidatePage, error) {
	// Only narrow columns travel through the filtering, DISTINCT ON and the count; the texts of
	// the one page returned are joined at the end.
	const query = `
		WITH svc AS (
			SELECT * FROM unnest($1::uuid[], $2::float8[]) AS t(id, score)
		), m AS (
			SELECT s.id, s.instructor_id, s.hourly_rate_cents,
			       COALESCE($10::int, (SELECT min(d) FROM unnest(s.duration_options) AS d)) AS need,
			       svc.score + CASE WHEN $11::text <> '' AND (s.description ~* $11::text OR p.bio ~* $11::text)
			                        THEN $15::float8 ELSE 0 END AS prelim
			FROM svc
			JOIN instructor_services s ON s.catalog_service_id = svc.id AND s.is_active
			JOIN service_catalog sc ON sc.id = s.catalog_service_id AND sc.is_active
			JOIN users u ON u.id = s.instructor_id
			JOIN instructor_profiles p ON p.user_id = s.instructor_id
			WHERE u.account_status = 'active' AND u.role = 'instructor'
			  AND (cardinality($3::text[]) = 0
			       OR sc.category_id IN (SELECT id FROM service_categories WHERE slug = ANY($3::text[])))
			  AND ($4::int IS NULL OR (CASE WHEN $10::int IS NULL THEN s.hourly_rate_cents
			                                ELSE (s.hourly_rate_cents * $10::int + 30) / 60 END) >= $4::int)
			  AND ($5::int IS NULL OR (CASE WHEN $10::int IS NULL THEN s.hourly_rate_cents
			                                ELSE (s.hourly_rate_cents * $10::int + 30) / 60 END) <= $5::int)
			  AND ($10::int IS NULL OR $10::int = ANY(s.duration_options))
			  AND ($6::text = '' OR $6::text = ANY(s.location_types))
			  AND ($7::text = '' OR EXISTS (SELECT 1 FROM unnest(p.areas_of_service) AS a WHERE lower(btrim(a)) = $7::text))
		), w AS (
			SELECT m.* FROM m
			WHERE $8::date IS NULL OR EXISTS (
				SELECT 1 FROM availability_slots a
				WHERE a.instructor_id = m.instructor_id AND a.slot_date BETWEEN $8::date AND $9::date
				  AND CASE WHEN $14::bool
				           THEN a.start_time <= $12::time AND a.end_time - $12::time >= make_interval(mins => m.need)
				           ELSE LEAST(a.end_time, $13::time) - GREATEST(a.start_time, $12::time) >= make_interval(mins => m.need)
				      END)
		), best AS (
			SELECT DISTINCT ON (instructor_id) id, instructor_id, prelim,
			       min(need) OVER (PARTITION BY instructor_id) AS shortest
			FROM w
			ORDER BY instructor_id, prelim DESC, hourly_rate_cents, id
		), page AS (
			SELECT best.*, count(*) OVER () AS total FROM best
			ORDER BY prelim DESC, instructor_id
			LIMIT $16 OFFSET $17
		)
		SELECT s.id, s.instructor_id, s.catalog_service_id, s.hourly_rate_cents, s.duration_options,
		       s.description, s.location_types, sc.name, c.id, c.slug, c.name,
		       pg.shortest, $11::text <> '' AND (s.description ~* $11::text OR p.bio ~* $11::text), pg.prelim,
		       u.full_name, p.bio, p.years_experience, p.areas_of_service, pg.total
		FROM page pg
		JOIN instructor_services s ON s.id = pg.id
		JOIN service_catalog sc ON sc.id = s.catalog_service_id
		JOIN service_categories c ON c.id = sc.category_id
		JOIN users u ON u.id = pg.instructor_id
		JOIN instructor_profiles p ON p.user_id = pg.instructor_id
		ORDER BY pg.prelim DESC, pg.instructor_id`
	ids := make([]string, 0, len(q.ServiceScores))
	scores := make([]float64, 0, len(q.ServiceScores))
	for id, sc := range q.ServiceScores {
		if !ValidID(id) {
			continue
		}
		ids = append(ids, id)
		scores = append(scores, sc)
	}
	page := instainstru.CandidatePage{Candidates: []instainstru.SearchCandidate{}}
	if len(ids) == 0 {
		return page, nil
	}
	var from, to *time.Time
	after, before, exact := "00:00", "24:00", false
	if w := q.Window; w != nil {
		f, t := w.From.Time(), w.To.Time()
		from, to = &f, &t
		after, before, exact = w.After.String(), w.Before.String(), w.ExactStart
	}
	cats := q.CategorySlugs
	if cats == nil {
		cats = []string{}
	}
	rows, err := s.pool.Query(ctx, query, ids, scores, cats, q.MinPriceCents, q.MaxPriceCents,
		q.LocationType, q.Area, from, to, q.DurationMinutes, q.LevelPattern, after, before, exact,
		q.LevelBoost, max(q.Limit, 1), max(q.Offset, 0))
	if err != nil {
		return page, translate(err, "search candidates")
	}
	defer rows.Close()
	for rows.Next() {
		var c instainstru.SearchCandidate
		var locs []string
		o := &c.Offer
		if err := rows.Scan(&o.ID, &o.InstructorID, &o.CatalogServiceID, &o.HourlyRateCents, &o.DurationOptions,
			&o.Description, &locs, &o.Name, &o.Category.ID, &o.Category.Slug, &o.Category.Name,
			&c.Shortest, &c.LevelMatch, &c.Prelim,
			&c.FullName, &c.Bio, &c.YearsExperience, &c.AreasOfService, &page.Total); err != nil {
			return page, translate(err, "search candidates")
		}
		o.IsActive = true
		for _, l := range locs {
			o.LocationTypes = append(o.LocationTypes, instainstru.LocationType(l))
		}
		c.InstructorID = o.InstructorID
		if c.AreasOfService == nil {
			c.AreasOfService = []string{}
		}
		page.Candidates = append(page.Candidates, c)
	}
	return page, translate(rows.Err(), "search candidates")
}

// PublicCalendars loads the public calendars of many instructors for the dates [from, to] in one
// round trip: the same four reads as PublicCalendar, each for every id at once. Unknown ids and
// non-instructors are simply absent from the map; suspended and deactivated instructors are
// present with their status (the caller hides them).
func (s *Store) PublicCalendars(ctx context.Context, instructorIDs []string, from, to instainstru.Date) (map[string]*instainstru.PublicCalendar, error) {
	const qInstructors = `
		SELECT u.id, u.full_name, u.timezone, u.account_status, p.min_advance_booking_hours, p.buffer_minutes,
		       COALESCE((SELECT min(d) FROM instructor_services o
		                 JOIN service_catalog sc ON sc.id = o.catalog_service_id
		                 CROSS JOIN LATERAL unnest(o.duration_options) AS d
		                 WHERE o.instructor_id = u.id AND o.is_active AND sc.is_active), 0)
		FROM users u JOIN instructor_profiles p ON p.user_id = u.id
		WHERE u.id = ANY($1::uuid[]) AND u.role = 'instructor'`
	const qAvailability = `
		SELECT instructor_id, slot_date, start_time, end_time FROM availability_slots
		WHERE instructor_id = ANY($1::uuid[]) AND slot_date BETWEEN $2 AND $3
		ORDER BY instructor_id, slot_date, start_time`
	const qBlackouts = `
		SELECT instructor_id, blackout_date FROM blackout_dates
		WHERE instructor_id = ANY($1::uuid[]) AND blackout_date BETWEEN $2 AND $3
		ORDER BY instructor_id, blackout_date`
	const qBookings = `
		SELECT instructor_id, starts_at, ends_at, blocked_until FROM bookings
		WHERE instructor_id = ANY($1::uuid[]) AND status = 'confirmed' AND starts_at < $3 AND blocked_until > $2
		ORDER BY instructor_id, starts_at`
	out := make(map[string]*instainstru.PublicCalendar, len(instructorIDs))
	ids := make([]string, 0, len(instructorIDs))
	for _, id := range instructorIDs {
		if ValidID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	b := &pgx.Batch{}
	b.Queue(qInstructors, ids)
	b.Queue(qAvailability, ids, from.Time(), to.Time())
	b.Queue(qBlackouts, ids, from.Time(), to.Time())
	// A day of margin each side covers every zone offset plus the largest buffer (see PublicCalendar).
	b.Queue(qBookings, ids, from.AddDays(-1).Time(), to.AddDays(2).Time())
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()

	rows, err := br.Query()
	if err != nil {
		return nil, translate(err, "instructors")
	}
	for rows.Next() {
		c := &instainstru.PublicCalendar{From: from, To: to, Availability: []instainstru.DayAvailability{},
			Blackouts: []instainstru.Date{}, Bookings: []instainstru.BookedSpan{}}
		if err := rows.Scan(&c.InstructorID, &c.FullName, &c.Timezone, &c.AccountStatus,
			&c.MinAdvanceBookingHours, &c.BufferMinutes, &c.ShortestDuration); err != nil {
			rows.Close()
			return nil, translate(err, "instructors")
		}
		out[c.InstructorID] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "instructors")
	}

	rows, err = br.Query()
	if err != nil {
		return nil, translate(err, "availability")
	}
	for rows.Next() {
		var id string
		var d time.Time
		var st, en pgtype.Time
		if err := rows.Scan(&id, &d, &st, &en); err != nil {
			rows.Close()
			return nil, translate(err, "availability")
		}
		c := out[id]
		if c == nil {
			continue
		}
		day, r := instainstru.DateOf(d), instainstru.TimeRange{Start: minuteOf(st), End: minuteOf(en)}
		if n := len(c.Availability); n > 0 && c.Availability[n-1].Date == day {
			c.Availability[n-1].Ranges = append(c.Availability[n-1].Ranges, r)
		} else {
			c.Availability = append(c.Availability, instainstru.DayAvailability{Date: day, Ranges: []instainstru.TimeRange{r}})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "availability")
	}

	rows, err = br.Query()
	if err != nil {
		return nil, translate(err, "blackout dates")
	}
	for rows.Next() {
		var id string
		var d time.Time
		if err := rows.Scan(&id, &d); err != nil {
			rows.Close()
			return nil, translate(err, "blackout dates")
		}
		if c := out[id]; c != nil {
			c.Blackouts = append(c.Blackouts, instainstru.DateOf(d))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "blackout dates")
	}

	rows, err = br.Query()
	if err != nil {
		return nil, translate(err, "bookings")
	}
	for rows.Next() {
		var id string
		var sp instainstru.BookedSpan
		if err := rows.Scan(&id, &sp.StartsAt, &sp.EndsAt, &sp.BlockedUntil); err != nil {
			rows.Close()
			return nil, translate(err, "bookings")
		}
		if c := out[id]; c != nil {
			sp.StartsAt, sp.EndsAt, sp.BlockedUntil = sp.StartsAt.UTC(), sp.EndsAt.UTC(), sp.BlockedUntil.UTC()
			c.Bookings = append(c.Bookings, sp)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "bookings")
	}
	return out, nil
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

// PriceQuantile is the q-quantile (0..1, a value of the data) of the hourly rates of the active
// offers of active instructors for the given catalog services (every service when empty); 0 when
// there is no offer.
func (s *Store) PriceQuantile(ctx context.Context, serviceIDs []string, q float64) (int, error) {
	const query = `
		SELECT COALESCE(percentile_disc($2::float8) WITHIN GROUP (ORDER BY s.hourly_rate_cents), 0)
		FROM instructor_services s JOIN users u ON u.id = s.instructor_id
		WHERE s.is_active AND u.account_status = 'active'
		  AND (cardinality($1::uuid[]) = 0 OR s.catalog_service_id = ANY($1::uuid[]))`
	ids := make([]string, 0, len(serviceIDs))
	for _, id := range serviceIDs {
		if ValidID(id) {
			ids = append(ids, id)
		}
	}
	if len(serviceIDs) > 0 && len(ids) == 0 {
		return 0, nil
	}
	var v int
	if err := s.pool.QueryRow(ctx, query, ids, q).Scan(&v); err != nil {
		return 0, translate(err, "prices")
	}
	return v, nil
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
