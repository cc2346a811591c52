package instainstru

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on instructor profiles and offers beyond those in instructor.go. The schema's CHECK
// constraints repeat the ones it can express, so a bug here still cannot store a bad row.
const (
	MaxBioLen              = 5000
	MaxYearsExperience     = 80
	MaxAreasOfService      = 20
	MaxAreaLen             = 100
	MaxOfferDescriptionLen = 2000
	MaxDurationOptions     = 8
	DefaultMinAdvanceHours = 2
	DefaultBufferMinutes   = 0
)

// ProfileUpdate replaces an instructor's profile and booking settings (PUT semantics: a field
// the client leaves out takes its default).
type ProfileUpdate struct {
	Bio                    string
	YearsExperience        int
	AreasOfService         []string
	MinAdvanceBookingHours int
	BufferMinutes          int
}

// Normalize trims the texts, drops duplicate areas (case-insensitively, keeping the first
// spelling) and validates every field, reporting all failures at once.
func (p *ProfileUpdate) Normalize() error {
	var v Validator
	p.Bio = strings.TrimSpace(p.Bio)
	v.Check(utf8.RuneCountInString(p.Bio) <= MaxBioLen, "bio", "must be at most 5000 characters")
	v.Check(textSafe(p.Bio, true), "bio", "must not contain control characters")
	v.Check(p.YearsExperience >= 0 && p.YearsExperience <= MaxYearsExperience, "years_experience", "must be between 0 and 80")
	v.Check(p.MinAdvanceBookingHours >= 0 && p.MinAdvanceBookingHours <= MaxMinAdvanceHours,
		"min_advance_booking_hours", "must be between 0 and 168")
	v.Check(p.BufferMinutes >= 0 && p.BufferMinutes <= MaxBufferMinutes, "buffer_minutes", "must be between 0 and 120")

	areas := make([]string, 0, len(p.AreasOfService))
	seen := map[string]bool{}
	for i, a := range p.AreasOfService {
		a = strings.TrimSpace(a)
		field := "areas_of_service[" + strconv.Itoa(i) + "]"
		switch {
		case a == "":
			v.Add(field, "must not be empty")
			continue
		case utf8.RuneCountInString(a) > MaxAreaLen:
			v.Add(field, "must be at most 100 characters")
			continue
		case !textSafe(a, false):
			v.Add(field, "must not contain control characters")
			continue
		}
		key := strings.ToLower(a)
		if seen[key] {
			continue
		}
		seen[key] = true
		areas = append(areas, a)
	}
	v.Check(len(areas) <= MaxAreasOfService, "areas_of_service", "must have at most 20 entries")
	p.AreasOfService = areas
	return v.Err()
}

// OfferInput is a new offer of a catalog service.
type OfferInput struct {
	CatalogServiceID string
	HourlyRateCents  int
	DurationOptions  []int
	Description      string
	LocationTypes    []LocationType
}

// Normalize validates the offer's own fields and puts durations and location types in a
// canonical order. Whether the catalog service exists and can be taught online is the store's
// check, since only the database knows.
func (o *OfferInput) Normalize() error {
	var v Validator
	v.Check(LooksLikeUUID(o.CatalogServiceID), "catalog_service_id", "must be the id of a catalog service")
	checkRate(&v, o.HourlyRateCents)
	o.DurationOptions = checkDurations(&v, o.DurationOptions)
	o.Description = strings.TrimSpace(o.Description)
	checkDescription(&v, o.Description)
	o.LocationTypes = checkLocations(&v, o.LocationTypes)
	return v.Err()
}

// OfferPatch changes some fields of an offer; nil fields stay as they are.
type OfferPatch struct {
	HourlyRateCents *int
	DurationOptions *[]int
	Description     *string
	LocationTypes   *[]LocationType
}

// Normalize validates the fields present, like OfferInput.Normalize.
func (p *OfferPatch) Normalize() error {
	var v Validator
	if p.HourlyRateCents != nil {
		checkRate(&v, *p.HourlyRateCents)
	}
	if p.DurationOptions != nil {
		d := checkDurations(&v, *p.DurationOptions)
		p.DurationOptions = &d
	}
	if p.Description != nil {
		d := strings.TrimSpace(*p.Description)
		checkDescription(&v, d)
		p.Description = &d
	}
	if p.LocationTypes != nil {
		l := checkLocations(&v, *p.LocationTypes)
		p.LocationTypes = &l
	}
	return v.Err()
}

// WantsOnline reports whether the patch asks for online lessons.
func (p *OfferPatch) WantsOnline() bool {
	return p.LocationTypes != nil && slices.Contains(*p.LocationTypes, LocationOnline)
}

func checkRate(v *Validator, rate int) {
	v.Check(rate >= MinRateCents && rate <= MaxRateCents, "hourly_rate_cents", "must be between 1000 and 100000")
}

func checkDescription(v *Validator, d string) {
	v.Check(utf8.RuneCountInString(d) <= MaxOfferDescriptionLen, "description", "must be at most 2000 characters")
	v.Check(textSafe(d, true), "description", "must not contain control characters")
}

// checkDurations validates 1–8 distinct durations on the 15-minute grid and returns them sorted.
func checkDurations(v *Validator, ds []int) []int {
	if len(ds) == 0 || len(ds) > MaxDurationOptions {
		v.Add("duration_options", "must list 1 to 8 durations")
	}
	seen := map[int]bool{}
	for i, d := range ds {
		field := "duration_options[" + strconv.Itoa(i) + "]"
		if !ValidDuration(d) {
			v.Add(field, "must be a multiple of 15 minutes between 15 and 240")
		} else if seen[d] {
			v.Add(field, "is listed twice")
		}
		seen[d] = true
	}
	out := slices.Clone(ds)
	slices.Sort(out)
	return out
}

// checkLocations validates a non-empty set of distinct known location types and returns them in
// canonical order (in_person before online).
func checkLocations(v *Validator, ls []LocationType) []LocationType {
	if len(ls) == 0 {
		v.Add("location_types", "must list at least one of in_person, online")
	}
	seen := map[LocationType]bool{}
	for i, l := range ls {
		field := "location_types[" + strconv.Itoa(i) + "]"
		switch {
		case l != LocationInPerson && l != LocationOnline:
			v.Add(field, "must be in_person or online")
		case seen[l]:
			v.Add(field, "is listed twice")
		}
		seen[l] = true
	}
	out := make([]LocationType, 0, 2)
	for _, l := range []LocationType{LocationInPerson, LocationOnline} {
		if seen[l] {
			out = append(out, l)
		}
	}
	return out
}

// textSafe reports whether s is valid UTF-8 without control characters (PostgreSQL refuses NUL
// outright); multiline allows newlines and tabs, as a bio or description may have paragraphs.
func textSafe(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// LooksLikeUUID reports whether s is a UUID in canonical 8-4-4-4-12 hex form. Checking it at the
// edge keeps a malformed id from ever reaching the database as a driver error.
func LooksLikeUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// PrintableText reports whether s is valid UTF-8 without control characters, so that it can be
// handed to the database (which refuses NUL and invalid UTF-8 with an error, not a mismatch).
func PrintableText(s string) bool { return textSafe(s, false) }

// MultilineText is PrintableText that also allows newlines and tabs (notes, descriptions).
func MultilineText(s string) bool { return textSafe(s, true) }

// InstructorQuery filters and pages the public instructor listing. Service is a catalog service
// UUID or slug; empty strings and nil prices do not filter. AfterID is the keyset cursor: the
// last instructor id of the previous page.
type InstructorQuery struct {
	Service       string
	CategorySlug  string
	MinPriceCents *int
	MaxPriceCents *int
	Limit         int
	AfterID       string
}

// InstructorPage is one page of public profiles; NextAfterID is empty on the last page.
type InstructorPage struct {
	Instructors []InstructorProfile
	NextAfterID string
}

// InstructorRates is one public instructor with the hourly rates of their active offers that match
// a listing's service or category filter: what it takes to apply the listing's price filter
// (an instructor matches when one of these rates is within the bounds) without the profiles.
type InstructorRates struct {
	InstructorID string
	RatesCents   []int
}

// InstructorStore reads and writes instructor profiles. Public reads only ever return active
// instructors and their active offers; an instructor's own view returns everything.
type InstructorStore interface {
	// PublicInstructors lists active instructors with at least one active offer matching every
	// filter, by id, each with all of their active offers.
	PublicInstructors(ctx context.Context, q InstructorQuery) (InstructorPage, error)
	// PublicInstructor is one active instructor's public profile; CodeNotFound for anyone else.
	PublicInstructor(ctx context.Context, id string) (*InstructorProfile, error)
	// OwnInstructorProfile is an instructor's full profile, settings and every offer (inactive
	// ones too), whatever the account status.
	OwnInstructorProfile(ctx context.Context, id string) (*InstructorProfile, error)
	// UpdateInstructorProfile replaces the profile (creating it if needed) and returns the own view.
	UpdateInstructorProfile(ctx context.Context, id string, p ProfileUpdate) (*InstructorProfile, error)
}

// OfferDeletion says how an offer was removed.
type OfferDeletion string

// An offer that a booking references is only deactivated (bookings keep pointing at it);
// otherwise its row is removed.
const (
	OfferSoftDeleted OfferDeletion = "soft"
	OfferHardDeleted OfferDeletion = "hard"
)

// OfferStore manages an instructor's own offers. Every method is scoped to instructorID: another
// instructor's offer is CodeNotFound, as if it did not exist.
type OfferStore interface {
	// CreateOffer adds an active offer. CodeServiceAlreadyOffer while an active offer of the same
	// catalog service exists; CodeInvalid for an unknown catalog service or online lessons of a
	// service that cannot be taught online.
	CreateOffer(ctx context.Context, instructorID string, in OfferInput) (*InstructorService, error)
	// UpdateOffer applies a patch to an active offer; a soft-deleted offer is CodeConflict.
	// Bookings keep their own snapshot of the rate, so they are never touched.
	UpdateOffer(ctx context.Context, instructorID, offerID string, p OfferPatch) (*InstructorService, error)
	// DeleteOffer removes an offer: soft when any booking references it, hard otherwise. Deleting
	// a soft-deleted offer again answers soft.
	DeleteOffer(ctx context.Context, instructorID, offerID string) (OfferDeletion, error)
}

// SafeQueryText reports whether a query-string value can be handed to the database: valid UTF-8,
// no control characters, at most max characters.
func SafeQueryText(s string, max int) bool {
	return textSafe(s, false) && utf8.RuneCountInString(s) <= max
}
