package instainstru

import (
	"context"
	"time"
)

// Category groups catalog services (Music, Languages, ...).
type Category struct {
	ID           string
	Slug         string
	Name         string
	Description  string
	DisplayOrder int
	Aliases      []string
	ServiceCount int
}

// CategoryRef is the short form of a category embedded in other shapes.
type CategoryRef struct {
	ID   string
	Slug string
	Name string
}

// CatalogService is a platform-defined service that instructors offer at their own rates.
type CatalogService struct {
	ID                string
	Slug              string
	Name              string
	Category          CategoryRef
	Description       string
	SearchTerms       []string
	TypicalDurations  []int
	OnlineCapable     bool
	IsActive          bool
	DisplayOrder      int
	ActiveInstructors int
}

// ServiceAnalytics is the latest daily popularity figures of one catalog service.
type ServiceAnalytics struct {
	CatalogServiceID  string
	SearchCount7d     int
	SearchCount30d    int
	BookingCount7d    int
	BookingCount30d   int
	BookingCount90d   int
	ActiveInstructors int
	AvgPriceCents     *int
	PriceP25Cents     *int
	PriceP50Cents     *int
	PriceP75Cents     *int
	DemandScore       float64
	IsTrending        bool
	CalculatedAt      time.Time
}

// MaxCatalogQueryLen bounds the free-text filter of the catalog listing: a longer string is no
// service name, only a way to make the database work harder.
const MaxCatalogQueryLen = 200

// ServiceQuery filters and pages the catalog listing. An empty CategorySlug or Text does not
// filter; an unknown category slug simply matches nothing.
type ServiceQuery struct {
	CategorySlug string
	Text         string
	Limit        int
	After        *ServiceCursor
}

// ServiceCursor is the keyset position after the last service of a page. Rank is how well the
// service matched the text filter (0 best, always 0 without one), so pages keep the same order
// as a single long list would.
type ServiceCursor struct {
	Rank  int
	Order int
	ID    string
}

// ServicePage is one page of catalog services; Next is nil on the last page.
type ServicePage struct {
	Services []CatalogService
	// Ranks is each service's match rank (ServiceCursor.Rank), parallel to Services, so that a
	// caller holding a whole result list can page it as the store would.
	Ranks []int
	Next  *ServiceCursor
}

// CategoryServices is one homepage row: a category and its most popular bookable services.
type CategoryServices struct {
	Category CategoryRef
	Services []CatalogService
}

// CatalogReader is every catalog read the API makes. persistence.Store implements it and the
// Redis cache decorator wraps it with the same interface.
type CatalogReader interface {
	Categories(ctx context.Context) ([]Category, error)
	// CatalogServices lists active catalog services matching q, in a stable order.
	CatalogServices(ctx context.Context, q ServiceQuery) (ServicePage, error)
	// CatalogServiceDetail finds one active service by UUID or slug, with its latest analytics
	// row (nil when the analytics job has not covered it yet). Anything else is CodeNotFound.
	CatalogServiceDetail(ctx context.Context, idOrSlug string) (*CatalogService, *ServiceAnalytics, error)
	// TopServicesPerCategory returns, per category in display order, up to perCategory services
	// that at least one active instructor offers, most popular first. Categories without such a
	// service are left out.
	TopServicesPerCategory(ctx context.Context, perCategory int) ([]CategoryServices, error)
	// PopularServices ranks active catalog services by the latest analytics run, falling back to
	// recent bookings (over the last days) while no analytics exist.
	PopularServices(ctx context.Context, limit, days int) ([]CatalogService, error)
}
