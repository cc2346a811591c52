package persistence

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence/seed"
)

// SeedCatalog upserts the embedded catalog (seed.LoadCatalogFile); it is seed.Catalog(ctx, s),
// kept as a method because tests of several packages prepare their database with it.
func (s *Store) SeedCatalog(ctx context.Context) (int, int, error) { return seed.Catalog(ctx, s) }

// UpsertCatalog upserts every category and catalog service of f by slug in one transaction
// (implementing seed.CatalogStore). Running it again changes nothing but edited texts; ids of
// existing rows are kept, so offers stay attached. It returns the number of categories and
// services in f.
func (s *Store) UpsertCatalog(ctx context.Context, f *seed.CatalogFile) (int, int, error) {
	const upsertCategory = `
		INSERT INTO service_categories (id, slug, name, description, display_order, aliases)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description,
			display_order = EXCLUDED.display_order, aliases = EXCLUDED.aliases, updated_at = now()
		WHERE (service_categories.name, service_categories.description, service_categories.display_order, service_categories.aliases)
		   IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.display_order, EXCLUDED.aliases)`
	const upsertService = `
		INSERT INTO service_catalog (id, category_id, slug, name, description, search_terms,
			typical_durations, online_capable, display_order)
		SELECT $1, c.id, $3, $4, $5, $6, $7, $8, $9 FROM service_categories c WHERE c.slug = $2
		ON CONFLICT (slug) DO UPDATE SET category_id = EXCLUDED.category_id, name = EXCLUDED.name,
			description = EXCLUDED.description, search_terms = EXCLUDED.search_terms,
			typical_durations = EXCLUDED.typical_durations, online_capable = EXCLUDED.online_capable,
			display_order = EXCLUDED.display_order, updated_at = now(),
			-- a changed text invalidates the embedding; the search indexer recomputes NULL ones
			embedding = CASE WHEN (service_catalog.name, service_catalog.description, service_catalog.search_terms)
			                      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.search_terms)
			                 THEN NULL ELSE service_catalog.embedding END
		WHERE (service_catalog.category_id, service_catalog.name, service_catalog.description, service_catalog.search_terms,
		       service_catalog.typical_durations, service_catalog.online_capable, service_catalog.display_order)
		   IS DISTINCT FROM (EXCLUDED.category_id, EXCLUDED.name, EXCLUDED.description, EXCLUDED.search_terms,
		       EXCLUDED.typical_durations, EXCLUDED.online_capable, EXCLUDED.display_order)`
	if f == nil {
		return 0, 0, &instainstru.Error{Code: instainstru.CodeInvalid, Message: "no catalog to seed"}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, c := range f.Categories {
			b.Queue(upsertCategory, NewID(), c.Slug, c.Name, c.Description, c.DisplayOrder, nonNil(c.Aliases))
		}
		for i, sv := range f.Services {
			b.Queue(upsertService, NewID(), sv.Category, sv.Slug, sv.Name, sv.Description,
				nonNil(sv.SearchTerms), sv.TypicalDurations, sv.OnlineCapable, i)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return 0, 0, fmt.Errorf("seed catalog: %w", err)
	}
	return len(f.Categories), len(f.Services), nil
}

// nonNil turns a nil slice into an empty one: the array columns are NOT NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
