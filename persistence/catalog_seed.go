package persistence

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// catalogJSON is the platform's service catalog, kept as data in the repository.
//
//go:embed seeddata/catalog.json
var catalogJSON []byte

// CatalogFile is the shape of seeddata/catalog.json.
type CatalogFile struct {
	Categories []struct {
		Slug         string   `json:"slug"`
		Name         string   `json:"name"`
		Description  string   `json:"description"`
		DisplayOrder int      `json:"display_order"`
		Aliases      []string `json:"aliases"`
	} `json:"categories"`
	Services []struct {
		Slug             string   `json:"slug"`
		Name             string   `json:"name"`
		Category         string   `json:"category"`
		Description      string   `json:"description"`
		SearchTerms      []string `json:"search_terms"`
		TypicalDurations []int    `json:"typical_durations"`
		OnlineCapable    bool     `json:"online_capable"`
	} `json:"services"`
}

// LoadCatalogFile parses the embedded catalog.
func LoadCatalogFile() (*CatalogFile, error) {
	var f CatalogFile
	if err := json.Unmarshal(catalogJSON, &f); err != nil {
		return nil, fmt.Errorf("parse catalog.json: %w", err)
	}
	return &f, nil
}

// SeedCatalog upserts every category and catalog service by slug in one transaction. Running it
// again changes nothing but edited texts; ids of existing rows are kept, so offers stay attached.
// It returns the number of categories and services in the catalog.
func (s *Store) SeedCatalog(ctx context.Context) (int, int, error) {
	f, err := LoadCatalogFile()
	if err != nil {
		return 0, 0, err
	}
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
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
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

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
