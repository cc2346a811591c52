package persistence

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/instainstru/instainstru"
)

// Categories lists the catalog's categories in display order with their active service counts.
func (s *Store) Categories(ctx context.Context) ([]instainstru.Category, error) {
	const q = `
		SELECT c.id, c.slug, c.name, c.description, c.display_order, c.aliases,
		       count(sc.id) FILTER (WHERE sc.is_active)
		FROM service_categories c
		LEFT JOIN service_catalog sc ON sc.category_id = c.id
		GROUP BY c.id
		ORDER BY c.display_order, c.name`
	rows, _ := s.pool.Query(ctx, q)
	return collect(rows, "categories", func(row pgx.CollectableRow) (instainstru.Category, error) {
		var c instainstru.Category
		err := row.Scan(&c.ID, &c.Slug, &c.Name, &c.Description, &c.DisplayOrder, &c.Aliases, &c.ServiceCount)
		return c, err
	})
}

// catActiveInstructors is the lateral join counting a service's bookable instructors: active
// offers whose instructor's account is active. The partial unique index allows one active offer
// per instructor and service, so count(*) counts instructors.
const catActiveInstructors = `
		LEFT JOIN LATERAL (
			SELECT count(*)::int AS n
			FROM instructor_services s
			JOIN users u ON u.id = s.instructor_id
			WHERE s.catalog_service_id = sc.id AND s.is_active AND u.account_status = 'active'
		) ai ON true`

// catServiceColumns are the columns scanned by scanCatalogService, in order.
const catServiceColumns = `
		sc.id, sc.slug, sc.name, c.id, c.slug, c.name, sc.description, sc.search_terms,
		sc.typical_durations, sc.online_capable, sc.is_active, sc.display_order, ai.n`

func scanCatalogService(row pgx.Row, extra ...any) (instainstru.CatalogService, error) {
	var s instainstru.CatalogService
	dest := []any{&s.ID, &s.Slug, &s.Name, &s.Category.ID, &s.Category.Slug, &s.Category.Name, &s.Description,
		&s.SearchTerms, &s.TypicalDurations, &s.OnlineCapable, &s.IsActive, &s.DisplayOrder, &s.ActiveInstructors}
	err := row.Scan(append(dest, extra...)...)
	return s, err
}

// escapeLike makes s match literally inside a LIKE pattern (backslash is PostgreSQL's default
// LIKE escape character).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// CatalogServices lists active catalog services. Without text they come in catalog display
// order. With text, a service matches when its name, slug or one of its search terms contains
// the text (case-insensitively) or its name is trigram-similar to it (typos: "pianno"); matches
// are ranked exact (0), name prefix (1), contains (2), similar only (3), then display order and
// id. The rank is part of the keyset, so pages are stable and never repeat a service.
func (s *Store) CatalogServices(ctx context.Context, q instainstru.ServiceQuery) (instainstru.ServicePage, error) {
	const query = `
		WITH m AS (
			SELECT sc.id AS sid, sc.display_order AS ord,
			       CASE
			         WHEN $1 = '' THEN 0
			         WHEN lower(sc.name) = $1 OR lower(sc.slug) = $1
			              OR EXISTS (SELECT 1 FROM unnest(sc.search_terms) t WHERE lower(t) = $1) THEN 0
			         WHEN sc.name ILIKE $2 || '%' THEN 1
			         WHEN sc.name ILIKE '%' || $2 || '%' OR sc.slug ILIKE '%' || $2 || '%'
			              OR EXISTS (SELECT 1 FROM unnest(sc.search_terms) t WHERE t ILIKE '%' || $2 || '%') THEN 2
			         WHEN similarity(sc.name, $1) >= 0.3 THEN 3
			       END AS rank
			FROM service_catalog sc
			JOIN service_categories c ON c.id = sc.category_id
			WHERE sc.is_active AND ($3 = '' OR c.slug = $3)
		)
		SELECT ` + catServiceColumns + `, m.rank
		FROM m
		JOIN service_catalog sc ON sc.id = m.sid
		JOIN service_categories c ON c.id = sc.category_id` + catActiveInstructors + `
		WHERE m.rank IS NOT NULL
		  AND ($4::int IS NULL OR (m.rank, m.ord, m.sid) > ($4::int, $5::int, $6::uuid))
		ORDER BY m.rank, m.ord, m.sid
		LIMIT $7`
	text := strings.ToLower(strings.TrimSpace(q.Text))
	var rank, order *int
	var after *string
	if q.After != nil {
		if !ValidID(q.After.ID) {
			return instainstru.ServicePage{}, &instainstru.Error{Code: instainstru.CodeMalformed, Message: "the cursor is not valid"}
		}
		rank, order, after = &q.After.Rank, &q.After.Order, &q.After.ID
	}
	limit := max(q.Limit, 1)
	rows, err := s.pool.Query(ctx, query, text, escapeLike(text), q.CategorySlug, rank, order, after, limit+1)
	if err != nil {
		return instainstru.ServicePage{}, translate(err, "catalog services")
	}
	defer rows.Close()
	page := instainstru.ServicePage{Services: []instainstru.CatalogService{}, Ranks: []int{}}
	for rows.Next() {
		var r int
		sv, err := scanCatalogService(rows, &r)
		if err != nil {
			return instainstru.ServicePage{}, translate(err, "catalog services")
		}
		page.Services = append(page.Services, sv)
		page.Ranks = append(page.Ranks, r)
	}
	if err := rows.Err(); err != nil {
		return instainstru.ServicePage{}, translate(err, "catalog services")
	}
	if len(page.Services) > limit {
		page.Services, page.Ranks = page.Services[:limit], page.Ranks[:limit]
		last := page.Services[limit-1]
		page.Next = &instainstru.ServiceCursor{Rank: page.Ranks[limit-1], Order: last.DisplayOrder, ID: last.ID}
	}
	return page, nil
}

// CatalogServiceDetail finds an active catalog service by UUID or slug, with the most recent
// analytics row of that service.
func (s *Store) CatalogServiceDetail(ctx context.Context, idOrSlug string) (*instainstru.CatalogService, *instainstru.ServiceAnalytics, error) {
	const q = `
		SELECT ` + catServiceColumns + `,
		       sa.catalog_service_id, sa.search_count_7d, sa.search_count_30d, sa.booking_count_7d,
		       sa.booking_count_30d, sa.booking_count_90d, sa.active_instructors, sa.avg_price_cents,
		       sa.price_p25_cents, sa.price_p50_cents, sa.price_p75_cents, sa.demand_score,
		       sa.is_trending, sa.calculated_at
		FROM service_catalog sc
		JOIN service_categories c ON c.id = sc.category_id` + catActiveInstructors + `
		LEFT JOIN LATERAL (
			SELECT * FROM service_analytics x
			WHERE x.catalog_service_id = sc.id
			ORDER BY x.calculated_on DESC
			LIMIT 1
		) sa ON true
		WHERE sc.is_active AND (sc.id = $1::uuid OR sc.slug = $2)`
	var id *string
	if ValidID(idOrSlug) {
		id = &idOrSlug
	}
	var (
		saID                          *string
		s7, s30, b7, b30, b90, active *int
		trending                      *bool
		demand                        *float64
		calculated                    *time.Time
		avgPrice, p25, p50, p75       *int
	)
	sv, err := scanCatalogService(s.pool.QueryRow(ctx, q, id, idOrSlug),
		&saID, &s7, &s30, &b7, &b30, &b90, &active, &avgPrice, &p25, &p50, &p75, &demand, &trending, &calculated)
	if err != nil {
		return nil, nil, translate(err, "catalog service")
	}
	if saID == nil {
		return &sv, nil, nil
	}
	a := &instainstru.ServiceAnalytics{
		CatalogServiceID: *saID, SearchCount7d: *s7, SearchCount30d: *s30, BookingCount7d: *b7,
		BookingCount30d: *b30, BookingCount90d: *b90, ActiveInstructors: *active,
		AvgPriceCents: avgPrice, PriceP25Cents: p25, PriceP50Cents: p50, PriceP75Cents: p75,
		DemandScore: *demand, IsTrending: *trending, CalculatedAt: *calculated,
	}
	return &sv, a, nil
}

// TopServicesPerCategory is the homepage in one query: every active service that at least one
// active instructor offers, ranked inside its category by the demand score of its latest
// analytics row (none ranks last), then by its number of active instructors, then by catalog
// display order; row_number() keeps the first perCategory of each category.
func (s *Store) TopServicesPerCategory(ctx context.Context, perCategory int) ([]instainstru.CategoryServices, error) {
	const q = `
		WITH ranked AS (
			SELECT sc.id AS sid, c.display_order AS cat_order,
			       row_number() OVER (
			           PARTITION BY sc.category_id
			           ORDER BY la.demand_score DESC NULLS LAST, ai.n DESC, sc.display_order, sc.id
			       ) AS pos
			FROM service_catalog sc
			JOIN service_categories c ON c.id = sc.category_id` + catActiveInstructors + `
			LEFT JOIN LATERAL (
				SELECT x.demand_score FROM service_analytics x
				WHERE x.catalog_service_id = sc.id
				ORDER BY x.calculated_on DESC
				LIMIT 1
			) la ON true
			WHERE sc.is_active AND ai.n > 0
		)
		SELECT ` + catServiceColumns + `
		FROM ranked r
		JOIN service_catalog sc ON sc.id = r.sid
		JOIN service_categories c ON c.id = sc.category_id` + catActiveInstructors + `
		WHERE r.pos <= $1
		ORDER BY r.cat_order, c.name, c.id, r.pos`
	rows, err := s.pool.Query(ctx, q, max(perCategory, 1))
	if err != nil {
		return nil, translate(err, "catalog services")
	}
	defer rows.Close()
	out := []instainstru.CategoryServices{}
	for rows.Next() {
		sv, err := scanCatalogService(rows)
		if err != nil {
			return nil, translate(err, "catalog services")
		}
		if n := len(out); n == 0 || out[n-1].Category.ID != sv.Category.ID {
			out = append(out, instainstru.CategoryServices{Category: sv.Category})
		}
		out[len(out)-1].Services = append(out[len(out)-1].Services, sv)
	}
	return out, translate(rows.Err(), "catalog services")
}

// PopularServices ranks active catalog services by the demand score of the latest analytics run
// (the most recent calculated_on of any service; services missing from that run rank after the
// ones in it). Before the analytics job has ever run every score is missing, so the ranking
// falls back to the number of confirmed or completed bookings made in the last days days, then
// to the number of active instructors, then to catalog display order, which also break ties
// between equal scores.
func (s *Store) PopularServices(ctx context.Context, limit, days int) ([]instainstru.CatalogService, error) {
	const q = `
		WITH latest AS (
			SELECT x.catalog_service_id, x.demand_score
			FROM service_analytics x
			WHERE x.calculated_on = (SELECT max(calculated_on) FROM service_analytics)
		), recent AS (
			SELECT s.catalog_service_id, count(*) AS n
			FROM bookings b
			JOIN instructor_services s ON s.id = b.instructor_service_id
			WHERE b.status IN ('confirmed', 'completed')
			  AND b.created_at >= now() - make_interval(days => $2)
			GROUP BY s.catalog_service_id
		)
		SELECT ` + catServiceColumns + `
		FROM service_catalog sc
		JOIN service_categories c ON c.id = sc.category_id` + catActiveInstructors + `
		LEFT JOIN latest la ON la.catalog_service_id = sc.id
		LEFT JOIN recent rb ON rb.catalog_service_id = sc.id
		WHERE sc.is_active
		ORDER BY la.demand_score DESC NULLS LAST, coalesce(rb.n, 0) DESC, ai.n DESC, sc.display_order, sc.id
		LIMIT $1`
	rows, _ := s.pool.Query(ctx, q, max(limit, 1), days)
	return collect(rows, "catalog services", func(row pgx.CollectableRow) (instainstru.CatalogService, error) {
		return scanCatalogService(row)
	})
}
