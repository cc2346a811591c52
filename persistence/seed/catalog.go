// Package seed holds the data InstaInstru starts from and the code that turns it into rows: the
// service catalog (catalog.json, embedded) with its loader, and the deterministic demo data
// generator (instructors, students, offers, availability and bookings).
//
// The package never talks to a database itself. The generator is pure: from the catalog rows and
// what the database already holds (ownership of the demo accounts, stored settings, published
// availability, busy times) it computes plain Go values to write. Reads and writes go through
// small interfaces defined here (CatalogStore, DemoStore and DemoTx) that package persistence
// implements with pgx, so this package stays free of the driver and can be read, and reasoned
// about, without SQL.
package seed

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
)

// catalogJSON is the platform's service catalog, kept as data in the repository.
//
//go:embed catalog.json
var catalogJSON []byte

// CatalogFile is the shape of catalog.json: categories, then services in display order.
type CatalogFile struct {
	Categories []CatalogCategory `json:"categories"`
	Services   []CatalogEntry    `json:"services"`
}

// CatalogCategory is one category of catalog.json; the slug is its stable key.
type CatalogCategory struct {
	Slug         string   `json:"slug"`
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	DisplayOrder int      `json:"display_order"`
	Aliases      []string `json:"aliases"`
}

// CatalogEntry is one service of catalog.json; its position in the file is its display order.
type CatalogEntry struct {
	Slug             string   `json:"slug"`
	Name             string   `json:"name"`
	Category         string   `json:"category"` // category slug
	Description      string   `json:"description"`
	SearchTerms      []string `json:"search_terms"`
	TypicalDurations []int    `json:"typical_durations"`
	OnlineCapable    bool     `json:"online_capable"`
}

// LoadCatalogFile parses the embedded catalog.
func LoadCatalogFile() (*CatalogFile, error) {
	var f CatalogFile
	if err := json.Unmarshal(catalogJSON, &f); err != nil {
		return nil, fmt.Errorf("parse catalog.json: %w", err)
	}
	return &f, nil
}

// CatalogStore writes a catalog file to the database: persistence.(*Store).UpsertCatalog.
type CatalogStore interface {
	// UpsertCatalog upserts every category and service of f by slug in one transaction, keeping
	// the ids of existing rows (so offers stay attached), and returns how many categories and
	// services f holds.
	UpsertCatalog(ctx context.Context, f *CatalogFile) (categories, services int, err error)
}

// Catalog loads the embedded catalog into the database (`instainstru seed`). Running it again
// changes nothing but edited texts. It returns the number of categories and services.
func Catalog(ctx context.Context, s CatalogStore) (categories, services int, err error) {
	f, err := LoadCatalogFile()
	if err != nil {
		return 0, 0, err
	}
	return s.UpsertCatalog(ctx, f)
}
