package api

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/search"
)

// Natural-language search: GET /search/instructors?q=&limit= (public, optional auth).
//
// Choices the contract leaves open, fixed here and in api/openapi-parts/search.yaml:
//   - q missing or blank is 422 validation_failed (the parameter is well-formed, its value is not
//     acceptable); q longer than 500 characters is 400 (bad query syntax); control characters
//     are 400.
//   - The caller's zone is X-Timezone (an unknown zone is 400), else the logged-in user's
//     timezone when a valid bearer token is sent (an invalid token is ignored: the route is
//     public), else America/New_York.
//   - One result per instructor, with the best matching offer.
//   - match_kind is service, category, open, all (no service words) or none (nothing matched).

// Searcher answers natural-language searches (*search.Engine).
type Searcher interface {
	Search(ctx context.Context, req search.SearchRequest) (*search.Result, error)
}

// SearchCatalogServiceRef is a matched catalog service in `parsed`.
type SearchCatalogServiceRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// SearchParsedDTO is how the query was read; every field can be shown as an editable chip.
type SearchParsedDTO struct {
	ServiceQuery    string                   `json:"service_query"`
	MatchKind       string                   `json:"match_kind"`
	CatalogService  *SearchCatalogServiceRef `json:"catalog_service"`
	Category        *CatalogCategoryRef      `json:"category"`
	MaxPriceCents   *int                     `json:"max_price_cents"`
	MinPriceCents   *int                     `json:"min_price_cents"`
	DateFrom        *string                  `json:"date_from"`
	DateTo          *string                  `json:"date_to"`
	TimeAfter       *string                  `json:"time_after"`
	TimeBefore      *string                  `json:"time_before"`
	DurationMinutes *int                     `json:"duration_minutes"`
	Location        *string                  `json:"location"`
	LocationType    *string                  `json:"location_type"`
	Level           *string                  `json:"level"`
	// Extras beyond API.md: every matched service (several for "piano or guitar" and open
	// matches), every matched category, whether a misspelling was corrected, whether "at 4pm"
	// asked an exact start, and whether "cheap" set max_price_cents.
	CatalogServices []SearchCatalogServiceRef `json:"catalog_services"`
	ServiceIDs      []string                  `json:"service_ids"`
	CategorySlugs   []string                  `json:"category_slugs"`
	Typo            bool                      `json:"typo"`
	ExactStart      bool                      `json:"exact_start"`
	Cheap           bool                      `json:"cheap"`
}

// SearchInstructorDTO is the instructor of a result.
type SearchInstructorDTO struct {
	ID              string   `json:"id"`
	FullName        string   `json:"full_name"`
	Bio             string   `json:"bio"`
	YearsExperience int      `json:"years_experience"`
	AreasOfService  []string `json:"areas_of_service"`
}

// SearchServiceDTO is the matching offer of a result.
type SearchServiceDTO struct {
	ID               string             `json:"id"`
	CatalogServiceID string             `json:"catalog_service_id"`
	Name             string             `json:"name"`
	Category         CatalogCategoryRef `json:"category"`
	HourlyRateCents  int                `json:"hourly_rate_cents"`
	DurationOptions  []int              `json:"duration_options"`
	LocationTypes    []string           `json:"location_types"`
}

// SearchNextAvailableDTO is the earliest bookable lesson, in the instructor's zone.
type SearchNextAvailableDTO struct {
	Date      string `json:"date"`
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
}

// SearchResultDTO is one result.
type SearchResultDTO struct {
	Instructor     SearchInstructorDTO     `json:"instructor"`
	Service        SearchServiceDTO        `json:"service"`
	RelevanceScore float64                 `json:"relevance_score"`
	NextAvailable  *SearchNextAvailableDTO `json:"next_available"`
}

// SearchResponseDTO is GET /search/instructors.
type SearchResponseDTO struct {
	Query      string            `json:"query"`
	Parsed     SearchParsedDTO   `json:"parsed"`
	Results    []SearchResultDTO `json:"results"`
	TotalFound int               `json:"total_found"`
	// TotalFoundExact is false when total_found is partly estimated (a date or time window and
	// more matches than were checked against the calendars; see README, Search).
	TotalFoundExact bool    `json:"total_found_exact"`
	SearchTimeMS    float64 `json:"search_time_ms"`
}

func (s *Server) searchRoutes(r fiber.Router) {
	r.Get("/search/instructors", s.searchInstructors)
}

func (s *Server) searchInstructors(c *fiber.Ctx) error {
	q := c.Query("q")
	if strings.TrimSpace(q) == "" {
		return instainstru.Invalid(instainstru.FieldError{Field: "q", Message: "is required: say what you are looking for"})
	}
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > search.MaxQueryLen {
		return &instainstru.Error{Code: instainstru.CodeMalformed, Message: "q must be valid text of at most 500 characters",
			Fields: []instainstru.FieldError{{Field: "q", Message: "at most 500 characters"}}}
	}
	for _, r := range q {
		if r < 0x20 || r == 0x7f {
			return &instainstru.Error{Code: instainstru.CodeMalformed, Message: "q must not contain control characters",
				Fields: []instainstru.FieldError{{Field: "q", Message: "control characters are not allowed"}}}
		}
	}
	limit, err := queryLimit(c, search.DefaultLimit)
	if err != nil {
		return err
	}
	loc, userID, err := s.searchCaller(c)
	if err != nil {
		return err
	}
	res, err := s.deps.Search.Search(c.UserContext(), search.SearchRequest{Query: q, Limit: limit, Now: time.Now(), Loc: loc, UserID: userID})
	if err != nil {
		return err
	}
	s.metrics.Search.Duration.WithLabelValues(matchKindLabel(res.Kind)).Observe(res.SearchTimeMS / 1000)
	return c.JSON(searchResponse(res))
}

// matchKindLabel bounds the match_kind label of instainstru_search_duration_seconds to the kinds
// the engine defines.
func matchKindLabel(kind string) string {
	switch kind {
	case search.KindService, search.KindCategory, search.KindOpen, search.KindAll, search.KindNone:
		return kind
	}
	return "other"
}

// searchCaller finds the caller's zone and, with a valid token, the user.
func (s *Server) searchCaller(c *fiber.Ctx) (*time.Location, string, error) {
	userID, tz := "", ""
	if raw, ok := bearerToken(c.Get(fiber.HeaderAuthorization)); ok && len(s.deps.Auth.JWTSecret) > 0 && s.deps.Users != nil {
		if claims, err := s.deps.Auth.withDefaults().parseAccessToken(raw, time.Now()); err == nil {
			if u, err := s.deps.Users.UserByID(c.UserContext(), claims.Subject); err == nil && u.AccountStatus != instainstru.StatusDeactivated {
				userID, tz = u.ID, u.Timezone
			}
		}
	}
	if h := strings.TrimSpace(c.Get("X-Timezone")); h != "" {
		if !instainstru.ValidTimezone(h) {
			return nil, "", &instainstru.Error{Code: instainstru.CodeMalformed, Message: "X-Timezone must be an IANA time zone such as America/Chicago",
				Fields: []instainstru.FieldError{{Field: "X-Timezone", Message: "unknown time zone"}}}
		}
		tz = h
	}
	if tz == "" || !instainstru.ValidTimezone(tz) {
		tz = search.DefaultZone
	}
	loc, err := instainstru.LoadZone(tz)
	if err != nil {
		return nil, "", err
	}
	return loc, userID, nil
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func searchResponse(r *search.Result) SearchResponseDTO {
	p := r.Parsed
	out := SearchResponseDTO{Query: r.Query, TotalFound: r.TotalFound, TotalFoundExact: r.TotalExact, SearchTimeMS: r.SearchTimeMS, Results: make([]SearchResultDTO, 0, len(r.Hits))}
	d := SearchParsedDTO{ServiceQuery: p.ServiceQuery, MatchKind: r.Kind, MaxPriceCents: r.MaxPriceCents, MinPriceCents: p.MinPriceCents,
		DurationMinutes: p.DurationMinutes, Location: strPtr(p.Location), LocationType: strPtr(p.LocationType), Level: strPtr(p.Level),
		Typo: p.Typo, ExactStart: p.ExactStart, Cheap: p.Cheap,
		CatalogServices: []SearchCatalogServiceRef{}, ServiceIDs: []string{}, CategorySlugs: []string{}}
	for _, sv := range r.Services {
		d.CatalogServices = append(d.CatalogServices, SearchCatalogServiceRef{ID: sv.ID, Name: sv.Name, Slug: sv.Slug})
		d.ServiceIDs = append(d.ServiceIDs, sv.ID)
	}
	if len(d.CatalogServices) > 0 {
		d.CatalogService = &d.CatalogServices[0]
	}
	for _, cat := range r.Categories {
		d.CategorySlugs = append(d.CategorySlugs, cat.Slug)
	}
	if len(r.Categories) > 0 {
		d.Category = &CatalogCategoryRef{ID: r.Categories[0].ID, Slug: r.Categories[0].Slug, Name: r.Categories[0].Name}
	}
	if p.DateFrom != nil {
		d.DateFrom = strPtr(p.DateFrom.String())
	}
	if p.DateTo != nil {
		d.DateTo = strPtr(p.DateTo.String())
	}
	if p.TimeAfter != nil {
		d.TimeAfter = strPtr(p.TimeAfter.String())
	}
	if p.TimeBefore != nil {
		d.TimeBefore = strPtr(p.TimeBefore.String())
	}
	out.Parsed = d
	for _, h := range r.Hits {
		c := h.Candidate
		locs := make([]string, 0, len(c.Offer.LocationTypes))
		for _, l := range c.Offer.LocationTypes {
			locs = append(locs, string(l))
		}
		areas := c.AreasOfService
		if areas == nil {
			areas = []string{}
		}
		res := SearchResultDTO{
			Instructor: SearchInstructorDTO{ID: c.InstructorID, FullName: c.FullName, Bio: c.Bio, YearsExperience: c.YearsExperience, AreasOfService: areas},
			Service: SearchServiceDTO{ID: c.Offer.ID, CatalogServiceID: c.Offer.CatalogServiceID, Name: c.Offer.Name,
				Category: catalogCategoryRef(c.Offer.Category), HourlyRateCents: c.Offer.HourlyRateCents,
				DurationOptions: c.Offer.DurationOptions, LocationTypes: locs},
			RelevanceScore: h.Score,
		}
		if h.Next != nil {
			res.NextAvailable = &SearchNextAvailableDTO{Date: h.Next.Date.String(), StartTime: h.Next.Start.String(), EndTime: h.Next.End.String()}
		}
		out.Results = append(out.Results, res)
	}
	return out
}
