package instainstru

import "time"

// DailyReport is what the daily report job found about one day (a calendar day of the analytics
// zone, America/New_York): it is stored with the day and logged as a summary.
type DailyReport struct {
	Day Date
	// Bookings made that day (any status now), those cancelled that day (LateCancellations of
	// them inside the cancellation window), lessons completed and marked no-show that day.
	BookingsCreated   int
	BookingsCancelled int
	LateCancellations int
	LessonsCompleted  int
	NoShows           int
	// BookedCents is the total price of the bookings made that day that are not cancelled.
	BookedCents int64
	// Accounts created that day.
	NewStudents    int
	NewInstructors int
	// Searches made that day, and those that found nobody.
	Searches           int
	ZeroResultSearches int
	// AnalyticsDay is the calculation day of the analytics run the service lists come from (the
	// latest one when the report ran; nil before any run). TopServices are its five highest
	// demand scores (names), TrendingServices every service it flags trending.
	AnalyticsDay     *Date
	TopServices      []string
	TrendingServices []string
	CreatedAt        time.Time
}

// AutoCompleted is what one auto-complete pass did: lessons moved from confirmed to completed
// and the instructors whose calendars it fenced.
type AutoCompleted struct {
	Bookings    int
	Instructors int
}
