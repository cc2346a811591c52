package instainstru

import "time"

// Profile limits of API.md.
const (
	MaxMinAdvanceHours = 168
	MaxBufferMinutes   = 120
	MinRateCents       = 1000
	MaxRateCents       = 100000
	MinDuration        = 15
	MaxDuration        = 240
	DurationGrid       = 15
)

// InstructorProfile is an instructor's public profile and booking settings.
type InstructorProfile struct {
	UserID                 string
	FullName               string
	Email                  string
	Timezone               string
	AccountStatus          AccountStatus
	Bio                    string
	YearsExperience        int
	AreasOfService         []string
	MinAdvanceBookingHours int
	BufferMinutes          int
	Services               []InstructorService
	CreatedAt              time.Time
	UpdatedAt              time.Time
}

// LocationType is where an offer can take place.
type LocationType string

// Offer location types.
const (
	LocationInPerson LocationType = "in_person"
	LocationOnline   LocationType = "online"
)

// InstructorService is an instructor's offer of a catalog service at their own rate.
type InstructorService struct {
	ID               string
	InstructorID     string
	CatalogServiceID string
	Name             string
	Category         CategoryRef
	HourlyRateCents  int
	DurationOptions  []int
	Description      string
	LocationTypes    []LocationType
	IsActive         bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// HasDuration reports whether minutes is one of the offer's duration options.
func (s *InstructorService) HasDuration(minutes int) bool {
	for _, d := range s.DurationOptions {
		if d == minutes {
			return true
		}
	}
	return false
}

// PriceCents is the price of a lesson of the given length: rate * minutes / 60, rounded half up
// to the cent. Integer arithmetic, so no float rounding ever reaches money.
func PriceCents(hourlyRateCents, minutes int) int {
	return (hourlyRateCents*minutes + 30) / 60
}

// ValidDuration reports whether minutes is on the 15-minute grid within 15..240.
func ValidDuration(minutes int) bool {
	return minutes >= MinDuration && minutes <= MaxDuration && minutes%DurationGrid == 0
}
