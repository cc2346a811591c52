package api

import (
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// CategoryDTO is a catalog category as the API shows it.
type CategoryDTO struct {
	ID           string `json:"id"`
	Slug         string `json:"slug"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	DisplayOrder int    `json:"display_order"`
	ServiceCount int    `json:"service_count"`
}

func categoryDTO(c instainstru.Category) CategoryDTO {
	return CategoryDTO{ID: c.ID, Slug: c.Slug, Name: c.Name, Description: c.Description,
		DisplayOrder: c.DisplayOrder, ServiceCount: c.ServiceCount}
}

func (s *Server) catalogRoutes(r fiber.Router) {
	r.Get("/catalog/categories", s.listCategories)
	r.Get("/catalog/services", s.listCatalogServices)
	r.Get("/catalog/services/:ref", s.getCatalogService)
	r.Get("/catalog/top-per-category", s.topPerCategory)
	r.Get("/catalog/popular", s.popularServices)
}

func (s *Server) listCategories(c *fiber.Ctx) error {
	cats, err := s.deps.Catalog.Categories(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]CategoryDTO, 0, len(cats))
	for _, cat := range cats {
		out = append(out, categoryDTO(cat))
	}
	return c.JSON(out)
}

// CatalogCategoryRef is the short form of a category embedded in services and offers.
type CatalogCategoryRef struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func catalogCategoryRef(c instainstru.CategoryRef) CatalogCategoryRef {
	return CatalogCategoryRef{ID: c.ID, Slug: c.Slug, Name: c.Name}
}

// CatalogServiceDTO is a catalog service as the API shows it.
type CatalogServiceDTO struct {
	ID                string             `json:"id"`
	Slug              string             `json:"slug"`
	Name              string             `json:"name"`
	Category          CatalogCategoryRef `json:"category"`
	Description       string             `json:"description"`
	SearchTerms       []string           `json:"search_terms"`
	TypicalDurations  []int              `json:"typical_durations"`
	OnlineCapable     bool               `json:"online_capable"`
	ActiveInstructors int                `json:"active_instructors"`
}

func catalogServiceDTO(sv instainstru.CatalogService) CatalogServiceDTO {
	terms, durations := sv.SearchTerms, sv.TypicalDurations
	if terms == nil {
		terms = []string{}
	}
	if durations == nil {
		durations = []int{}
	}
	return CatalogServiceDTO{ID: sv.ID, Slug: sv.Slug, Name: sv.Name, Category: catalogCategoryRef(sv.Category),
		Description: sv.Description, SearchTerms: terms, TypicalDurations: durations,
		OnlineCapable: sv.OnlineCapable, ActiveInstructors: sv.ActiveInstructors}
}

func catalogServiceDTOs(svs []instainstru.CatalogService) []CatalogServiceDTO {
	out := make([]CatalogServiceDTO, 0, len(svs))
	for _, sv := range svs {
		out = append(out, catalogServiceDTO(sv))
	}
	return out
}

// CatalogAnalyticsDTO is a service's latest daily popularity figures in its catalog detail:
// GET /analytics/services/{id}'s shape (calculated_at is always set here: the detail has no
// analytics object at all before the first run).
type CatalogAnalyticsDTO = ServiceAnalyticsDTO

// CatalogServiceDetailDTO is one catalog service with its analytics summary, null until the
// analytics job has covered the service.
type CatalogServiceDetailDTO struct {
	CatalogServiceDTO
	Analytics *CatalogAnalyticsDTO `json:"analytics"`
}

// CatalogTopRowDTO is one homepage row of GET /catalog/top-per-category.
type CatalogTopRowDTO struct {
	Category CatalogCategoryRef  `json:"category"`
	Services []CatalogServiceDTO `json:"services"`
}

// serviceCursor is the JSON inside the opaque cursor of GET /catalog/services.
type serviceCursor struct {
	Rank  int    `json:"r"`
	Order int    `json:"o"`
	ID    string `json:"i"`
}

func encodeServiceCursor(c *instainstru.ServiceCursor) string {
	if c == nil {
		return ""
	}
	return encodeCursor(serviceCursor{Rank: c.Rank, Order: c.Order, ID: c.ID})
}

// decodeServiceCursor reads a cursor of encodeServiceCursor; anything else is 400.
func decodeServiceCursor(raw string) (*instainstru.ServiceCursor, error) {
	if raw == "" {
		return nil, nil
	}
	var c serviceCursor
	if err := decodeCursor(raw, &c); err != nil {
		return nil, err
	}
	if !instainstru.LooksLikeUUID(c.ID) || c.Rank < 0 || c.Rank > 3 {
		return nil, errBadCursor()
	}
	return &instainstru.ServiceCursor{Rank: c.Rank, Order: c.Order, ID: c.ID}, nil
}

// queryText reads a free-text query parameter that will reach the database: control characters
// and invalid UTF-8 are malformed (400), more than max characters is invalid (422).
func queryText(c *fiber.Ctx, name string, max int) (string, error) {
	v := strings.TrimSpace(c.Query(name))
	if !instainstru.PrintableText(v) {
		return "", malformedQuery(name, "must be printable UTF-8 text")
	}
	if utf8.RuneCountInString(v) > max {
		return "", instainstru.Invalid(instainstru.FieldError{Field: name, Message: "is too long"})
	}
	return v, nil
}

// listCatalogServices is GET /catalog/services: filtered by category slug (an unknown slug lists
// nothing) and free text, paged with an opaque keyset cursor.
func (s *Server) listCatalogServices(c *fiber.Ctx) error {
	limit, err := queryLimit(c, defaultLimit)
	if err != nil {
		return err
	}
	cursor, err := decodeServiceCursor(c.Query("cursor"))
	if err != nil {
		return err
	}
	category, err := queryText(c, "category", 1000)
	if err != nil {
		return err
	}
	text, err := queryText(c, "q", instainstru.MaxCatalogQueryLen)
	if err != nil {
		return err
	}
	page, err := s.deps.Catalog.CatalogServices(c.UserContext(), instainstru.ServiceQuery{
		CategorySlug: category, Text: text, Limit: limit, After: cursor})
	if err != nil {
		return err
	}
	return c.JSON(newPage(catalogServiceDTOs(page.Services), encodeServiceCursor(page.Next)))
}

// getCatalogService is GET /catalog/services/{id-or-slug}.
func (s *Server) getCatalogService(c *fiber.Ctx) error {
	ref := c.Params("ref")
	if len(ref) > 100 || !instainstru.PrintableText(ref) {
		return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "catalog service not found"}
	}
	sv, a, err := s.deps.Catalog.CatalogServiceDetail(c.UserContext(), ref)
	if err != nil {
		return err
	}
	out := CatalogServiceDetailDTO{CatalogServiceDTO: catalogServiceDTO(*sv)}
	if a != nil {
		dto := serviceAnalyticsDTO(a)
		out.Analytics = &dto
	}
	return c.JSON(out)
}

// topPerCategory is GET /catalog/top-per-category: the homepage rows, limit services each
// (default 7). Categories where no service has a bookable instructor are left out.
func (s *Server) topPerCategory(c *fiber.Ctx) error {
	limit, err := queryLimit(c, 7)
	if err != nil {
		return err
	}
	rows, err := s.deps.Catalog.TopServicesPerCategory(c.UserContext(), limit)
	if err != nil {
		return err
	}
	out := make([]CatalogTopRowDTO, 0, len(rows))
	for _, r := range rows {
		out = append(out, CatalogTopRowDTO{Category: catalogCategoryRef(r.Category), Services: catalogServiceDTOs(r.Services)})
	}
	return c.JSON(out)
}

// Bounds of ?days= on GET /catalog/popular.
const (
	defaultPopularDays = 30
	maxPopularDays     = 365
)

// popularServices is GET /catalog/popular: the limit (default 10) most popular services. See
// CatalogReader.PopularServices for the ranking and its fallback before any analytics run.
func (s *Server) popularServices(c *fiber.Ctx) error {
	limit, err := queryLimit(c, 10)
	if err != nil {
		return err
	}
	days, err := queryInt(c, "days")
	if err != nil {
		return err
	}
	d := defaultPopularDays
	if days != nil {
		d = *days
	}
	if d < 1 || d > maxPopularDays {
		return instainstru.Invalid(instainstru.FieldError{Field: "days", Message: "must be between 1 and 365"})
	}
	svcs, err := s.deps.Catalog.PopularServices(c.UserContext(), limit, d)
	if err != nil {
		return err
	}
	return c.JSON(catalogServiceDTOs(svcs))
}
