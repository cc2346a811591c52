package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/instainstru/instainstru"
)

// What WarmCache loads. The catalog arguments are the API's defaults (GET /catalog/top-per-category
// and GET /catalog/popular without a query), so the warmed entries are the ones the homepage reads.
const (
	warmInstructors    = 100 // public profiles and calendars warmed
	warmBookedDays     = 30  // the booking window of the "most viewed" proxy
	warmTopPerCategory = 7
	warmPopularLimit   = 10
	warmPopularDays    = 30
)

// WarmStats counts what WarmCache made sure is in the cache (loaded, or found already there).
type WarmStats struct {
	Catalog   int // catalog entries: categories, top-per-category, popular
	Profiles  int // public instructor profiles
	Calendars int // public calendars of the next 7 days
	// Instructors are the instructors whose profile and calendar were warmed, most viewed first.
	Instructors []string
}

// WarmCache fills the cache with what visitors read first: the categories, the homepage's
// top services per category, the popular services, and the public profile and next 7 days of
// public calendar of the most viewed instructors. It is meant to run right after the daily
// analytics job, so it first starts a new catalog generation (the popularity figures just changed)
// and then loads the catalog entries afresh; profiles and calendars are kept fresh by
// invalidation, so those already cached are left as they are.
//
// Views are not tracked yet, so "most viewed" is approximated by the most bookings made in the
// last 30 days (any status: a cancelled booking was still a visit), then the most active offers;
// only instructors who appear publicly (active, with an active offer) are ranked.
//
// The calendar window is the one GET /public/instructors/{id}/availability loads for a request
// without dates: from yesterday to 7 days after today in UTC, which covers today and the next six
// days in every timezone (see publicAvailability in api/public.go).
//
// A failure of one entry does not stop the others: the counts say what was warmed and the error
// joins every failure. An instructor who became hidden since the ranking is skipped.
func (s *Stores) WarmCache(ctx context.Context) (WarmStats, error) {
	var st WarmStats
	var errs []error
	fail := func(what string, err error) { errs = append(errs, fmt.Errorf("warm %s: %w", what, err)) }

	s.cache.Bump(ctx, nsCatalog)
	if _, err := s.Catalog.Categories(ctx); err != nil {
		fail("categories", err)
	} else {
		st.Catalog++
	}
	if _, err := s.Catalog.TopServicesPerCategory(ctx, warmTopPerCategory); err != nil {
		fail("top services per category", err)
	} else {
		st.Catalog++
	}
	if _, err := s.Catalog.PopularServices(ctx, warmPopularLimit, warmPopularDays); err != nil {
		fail("popular services", err)
	} else {
		st.Catalog++
	}

	ids, err := s.backend.MostBookedInstructors(ctx, warmBookedDays, warmInstructors)
	if err != nil {
		fail("instructor ranking", err)
		return st, errors.Join(errs...)
	}
	from, to := warmCalendarWindow(time.Now())
	for _, id := range ids {
		if ctx.Err() != nil {
			fail("instructors", ctx.Err())
			break
		}
		warmed := false
		switch _, err := s.Instructors.PublicInstructor(ctx, id); {
		case err == nil:
			st.Profiles++
			warmed = true
		case !instainstru.IsCode(err, instainstru.CodeNotFound):
			fail("profile "+id, err)
		}
		switch cal, err := s.Public.PublicCalendar(ctx, id, from, to); {
		case err == nil && cal.Visible():
			st.Calendars++
			warmed = true
		case err != nil && !instainstru.IsCode(err, instainstru.CodeNotFound):
			fail("calendar "+id, err)
		}
		if warmed {
			st.Instructors = append(st.Instructors, id)
		}
	}
	return st, errors.Join(errs...)
}

// warmCalendarWindow is the window of dates the public availability endpoint loads for a request
// without dates at instant now.
func warmCalendarWindow(now time.Time) (from, to instainstru.Date) {
	today := instainstru.DateOf(now.UTC())
	return instainstru.CalendarWindow(today.AddDays(-1), today.AddDays(7))
}
