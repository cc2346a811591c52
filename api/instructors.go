package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// InstructorOfferDTO is an instructor service (an offer of a catalog service) as the API shows it.
type InstructorOfferDTO struct {
	ID               string             `json:"id"`
	CatalogServiceID string             `json:"catalog_service_id"`
	Name             string             `json:"name"`
	Category         CatalogCategoryRef `json:"category"`
	HourlyRateCents  int                `json:"hourly_rate_cents"`
	DurationOptions  []int              `json:"duration_options"`
	Description      string             `json:"description"`
	LocationTypes    []string           `json:"location_types"`
	IsActive         bool               `json:"is_active"`
}

func instructorOfferDTO(o instainstru.InstructorService) InstructorOfferDTO {
	locs := make([]string, len(o.LocationTypes))
	for i, l := range o.LocationTypes {
		locs[i] = string(l)
	}
	durations := o.DurationOptions
	if durations == nil {
		durations = []int{}
	}
	return InstructorOfferDTO{ID: o.ID, CatalogServiceID: o.CatalogServiceID, Name: o.Name,
		Category: catalogCategoryRef(o.Category), HourlyRateCents: o.HourlyRateCents, DurationOptions: durations,
		Description: o.Description, LocationTypes: locs, IsActive: o.IsActive}
}

func instructorOfferDTOs(os []instainstru.InstructorService) []InstructorOfferDTO {
	out := make([]InstructorOfferDTO, 0, len(os))
	for _, o := range os {
		out = append(out, instructorOfferDTO(o))
	}
	return out
}

// InstructorProfileDTO is an instructor's public profile: never an email, phone or setting.
type InstructorProfileDTO struct {
	ID              string               `json:"id"`
	FullName        string               `json:"full_name"`
	Bio             string               `json:"bio"`
	YearsExperience int                  `json:"years_experience"`
	AreasOfService  []string             `json:"areas_of_service"`
	Timezone        string               `json:"timezone"`
	Services        []InstructorOfferDTO `json:"services"`
}

func instructorProfileDTO(p *instainstru.InstructorProfile) InstructorProfileDTO {
	areas := p.AreasOfService
	if areas == nil {
		areas = []string{}
	}
	return InstructorProfileDTO{ID: p.UserID, FullName: p.FullName, Bio: p.Bio, YearsExperience: p.YearsExperience,
		AreasOfService: areas, Timezone: p.Timezone, Services: instructorOfferDTOs(p.Services)}
}

// InstructorOwnProfileDTO is what an instructor sees of themselves: the public profile plus email,
// account status, booking settings, and every offer including soft-deleted ones.
type InstructorOwnProfileDTO struct {
	InstructorProfileDTO
	Email                  string    `json:"email"`
	AccountStatus          string    `json:"account_status"`
	MinAdvanceBookingHours int       `json:"min_advance_booking_hours"`
	BufferMinutes          int       `json:"buffer_minutes"`
	CreatedAt              time.Time `json:"created_at"`
	UpdatedAt              time.Time `json:"updated_at"`
}

func instructorOwnProfileDTO(p *instainstru.InstructorProfile) InstructorOwnProfileDTO {
	return InstructorOwnProfileDTO{InstructorProfileDTO: instructorProfileDTO(p), Email: p.Email,
		AccountStatus: string(p.AccountStatus), MinAdvanceBookingHours: p.MinAdvanceBookingHours,
		BufferMinutes: p.BufferMinutes, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

// InstructorProfileRequest is the body of PUT /instructors/me. It replaces the whole profile: a
// field left out (or null) takes its default (empty texts, 0 years, 2 hours advance, no buffer).
type InstructorProfileRequest struct {
	Bio                    *string   `json:"bio"`
	YearsExperience        *int      `json:"years_experience"`
	AreasOfService         *[]string `json:"areas_of_service"`
	MinAdvanceBookingHours *int      `json:"min_advance_booking_hours"`
	BufferMinutes          *int      `json:"buffer_minutes"`
}

// OfferCreateRequest is the body of POST /instructors/me/services.
type OfferCreateRequest struct {
	CatalogServiceID string   `json:"catalog_service_id"`
	HourlyRateCents  int      `json:"hourly_rate_cents"`
	DurationOptions  []int    `json:"duration_options"`
	Description      string   `json:"description"`
	LocationTypes    []string `json:"location_types"`
}

// OfferPatchRequest is the body of PATCH /instructors/me/services/{id}: fields left out (or null)
// keep their value. The catalog service of an offer never changes; create a new offer instead.
type OfferPatchRequest struct {
	HourlyRateCents *int      `json:"hourly_rate_cents"`
	DurationOptions *[]int    `json:"duration_options"`
	Description     *string   `json:"description"`
	LocationTypes   *[]string `json:"location_types"`
}

// OfferDeletedDTO says how DELETE /instructors/me/services/{id} removed the offer.
type OfferDeletedDTO struct {
	Deleted string `json:"deleted"`
}

func locationTypes(in []string) []instainstru.LocationType {
	out := make([]instainstru.LocationType, len(in))
	for i, l := range in {
		out[i] = instainstru.LocationType(l)
	}
	return out
}

// instructorRoutes registers the instructor endpoints. The "me" routes come first so that
// /instructors/me is never read as an instructor id.
func (s *Server) instructorRoutes(r fiber.Router) {
	if s.deps.Tokens != nil {
		auth := []fiber.Handler{s.requireUser(), requireRole(instainstru.RoleInstructor)}
		r.Get("/instructors/me", append(auth, s.getOwnInstructorProfile)...)
		r.Put("/instructors/me", append(auth, s.putOwnInstructorProfile)...)
		if s.deps.Offers != nil {
			r.Post("/instructors/me/services", append(auth, s.createOffer)...)
			r.Patch("/instructors/me/services/:id", append(auth, s.patchOffer)...)
			r.Delete("/instructors/me/services/:id", append(auth, s.deleteOffer)...)
		}
	}
	r.Get("/instructors", s.listInstructors)
	r.Get("/instructors/:id", s.getInstructor)
}

// instructorCursor is the JSON inside the cursor of GET /instructors: the last instructor id.
type instructorCursor struct {
	ID string `json:"i"`
}

func encodeInstructorCursor(afterID string) string {
	if afterID == "" {
		return ""
	}
	return encodeCursor(instructorCursor{ID: afterID})
}

func decodeInstructorCursor(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	var c instructorCursor
	if err := decodeCursor(raw, &c); err != nil {
		return "", err
	}
	if !instainstru.LooksLikeUUID(c.ID) {
		return "", errBadCursor()
	}
	return c.ID, nil
}

// listInstructors is GET /instructors: active instructors with an active offer matching every
// filter, paged by instructor id.
func (s *Server) listInstructors(c *fiber.Ctx) error {
	limit, err := queryLimit(c, defaultLimit)
	if err != nil {
		return err
	}
	after, err := decodeInstructorCursor(c.Query("cursor"))
	if err != nil {
		return err
	}
	service, err := queryText(c, "service", 1000)
	if err != nil {
		return err
	}
	category, err := queryText(c, "category", 1000)
	if err != nil {
		return err
	}
	minPrice, err := queryInt(c, "min_price_cents")
	if err != nil {
		return err
	}
	maxPrice, err := queryInt(c, "max_price_cents")
	if err != nil {
		return err
	}
	var v instainstru.Validator
	v.Check(minPrice == nil || *minPrice >= 0, "min_price_cents", "must not be negative")
	v.Check(maxPrice == nil || *maxPrice >= 0, "max_price_cents", "must not be negative")
	v.Check(minPrice == nil || maxPrice == nil || *minPrice <= *maxPrice, "min_price_cents", "must not exceed max_price_cents")
	if err := v.Err(); err != nil {
		return err
	}
	page, err := s.deps.Instructors.PublicInstructors(c.UserContext(), instainstru.InstructorQuery{
		Service: service, CategorySlug: category, MinPriceCents: minPrice, MaxPriceCents: maxPrice,
		Limit: limit, AfterID: after})
	if err != nil {
		return err
	}
	items := make([]InstructorProfileDTO, 0, len(page.Instructors))
	for i := range page.Instructors {
		items = append(items, instructorProfileDTO(&page.Instructors[i]))
	}
	return c.JSON(newPage(items, encodeInstructorCursor(page.NextAfterID)))
}

// getInstructor is GET /instructors/{id}: 404 alike for malformed ids, unknown users,
// non-instructors and instructors who are not active.
func (s *Server) getInstructor(c *fiber.Ctx) error {
	id := c.Params("id")
	if !instainstru.LooksLikeUUID(id) {
		return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "instructor not found"}
	}
	p, err := s.deps.Instructors.PublicInstructor(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(instructorProfileDTO(p))
}

func (s *Server) getOwnInstructorProfile(c *fiber.Ctx) error {
	p, err := s.deps.Instructors.OwnInstructorProfile(c.UserContext(), principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(instructorOwnProfileDTO(p))
}

// putOwnInstructorProfile is PUT /instructors/me: the whole profile is validated (all field
// errors at once, 422) and replaced.
func (s *Server) putOwnInstructorProfile(c *fiber.Ctx) error {
	var req InstructorProfileRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u := instainstru.ProfileUpdate{MinAdvanceBookingHours: instainstru.DefaultMinAdvanceHours,
		BufferMinutes: instainstru.DefaultBufferMinutes, AreasOfService: []string{}}
	if req.Bio != nil {
		u.Bio = *req.Bio
	}
	if req.YearsExperience != nil {
		u.YearsExperience = *req.YearsExperience
	}
	if req.AreasOfService != nil {
		u.AreasOfService = *req.AreasOfService
	}
	if req.MinAdvanceBookingHours != nil {
		u.MinAdvanceBookingHours = *req.MinAdvanceBookingHours
	}
	if req.BufferMinutes != nil {
		u.BufferMinutes = *req.BufferMinutes
	}
	if err := u.Normalize(); err != nil {
		return err
	}
	p, err := s.deps.Instructors.UpdateInstructorProfile(c.UserContext(), principal(c).UserID, u)
	if err != nil {
		return err
	}
	return c.JSON(instructorOwnProfileDTO(p))
}

// createOffer is POST /instructors/me/services → 201 with the offer and its Location.
func (s *Server) createOffer(c *fiber.Ctx) error {
	var req OfferCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	in := instainstru.OfferInput{CatalogServiceID: req.CatalogServiceID, HourlyRateCents: req.HourlyRateCents,
		DurationOptions: req.DurationOptions, Description: req.Description, LocationTypes: locationTypes(req.LocationTypes)}
	if err := in.Normalize(); err != nil {
		return err
	}
	o, err := s.deps.Offers.CreateOffer(c.UserContext(), principal(c).UserID, in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/instructors/me/services/" + o.ID)
	return c.Status(fiber.StatusCreated).JSON(instructorOfferDTO(*o))
}

// patchOffer is PATCH /instructors/me/services/{id}. Another instructor's offer is 404; a
// soft-deleted one is 409 (its owner still sees it in GET /instructors/me, it just cannot change).
func (s *Server) patchOffer(c *fiber.Ctx) error {
	id := c.Params("id")
	if !instainstru.LooksLikeUUID(id) {
		return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "instructor service not found"}
	}
	var req OfferPatchRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p := instainstru.OfferPatch{HourlyRateCents: req.HourlyRateCents, DurationOptions: req.DurationOptions,
		Description: req.Description}
	if req.LocationTypes != nil {
		l := locationTypes(*req.LocationTypes)
		p.LocationTypes = &l
	}
	if err := p.Normalize(); err != nil {
		return err
	}
	o, err := s.deps.Offers.UpdateOffer(c.UserContext(), principal(c).UserID, id, p)
	if err != nil {
		return err
	}
	return c.JSON(instructorOfferDTO(*o))
}

// deleteOffer is DELETE /instructors/me/services/{id}: soft when bookings reference the offer.
func (s *Server) deleteOffer(c *fiber.Ctx) error {
	id := c.Params("id")
	if !instainstru.LooksLikeUUID(id) {
		return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "instructor service not found"}
	}
	how, err := s.deps.Offers.DeleteOffer(c.UserContext(), principal(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(OfferDeletedDTO{Deleted: string(how)})
}
