package persistence

import (
	"context"

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
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, translate(err, "categories")
	}
	defer rows.Close()
	out := []instainstru.Category{}
	for rows.Next() {
		var c instainstru.Category
		if err := rows.Scan(&c.ID, &c.Slug, &c.Name, &c.Description, &c.DisplayOrder, &c.Aliases, &c.ServiceCount); err != nil {
			return nil, translate(err, "categories")
		}
		out = append(out, c)
	}
	return out, translate(rows.Err(), "categories")
}
