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

// CatalogReader is every catalog read the API makes. persistence.Store implements it and the
// Redis cache decorator wraps it with the same interface.
type CatalogReader interface {
	Categories(ctx context.Context) ([]Category, error)
}
