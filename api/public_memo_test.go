package api_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/api"
)

// stampedCalendars reads calendars from the store, a fresh object on every call, and stamps them
// with a version the test controls, as the cache layer would.
type stampedCalendars struct {
	next    instainstru.PublicAvailabilityReader
	version atomic.Int64
}

func (s *stampedCalendars) PublicCalendar(ctx context.Context, id string, from, to instainstru.Date) (*instainstru.PublicCalendar, error) {
	cal, err := s.next.PublicCalendar(ctx, id, from, to)
	if cal != nil {
		cal.Version = s.version.Load()
	}
	return cal, err
}

// The render memo is keyed by the calendar's version, never by the object that carries it: while
// the version stays, a fresh calendar object reuses the rendered answer (even when, as here, the
// data changed behind the version's back: the memo trusts the version); once the version moves,
// the next answer is rendered afresh; a calendar of unknown version (0) is never memoized.
func TestPublicRenderMemoKeysByVersion(t *testing.T) {
	reader := &stampedCalendars{next: db.Store}
	e := newEnv(t, func(_ *api.Config, d *api.Deps) { d.Public = reader })
	d := dayAhead(2)
	tc := newTeacher(t, e, 6000, 0, 0, map[instainstru.Date][]instainstru.TimeRange{d: spans("09:00", "18:00")})
	s := fastUser(t, "student")
	path := pubPath(tc.ID, "start_date="+d.String(), "end_date="+d.String())
	slots := func() []string {
		t.Helper()
		_, a := getAvailability(t, e, path)
		return slotsOf(t, a.AvailabilityByDate[d.String()])
	}
	book := func(start string) {
		t.Helper()
		r := e.do("POST", "/api/v1/bookings", bookBody(tc.Offer, d, start, 60), bearer(s.Token)...)
		require.Equal(t, 201, r.Status, "%s", r.Body)
	}

	// Nothing changed as far as the version tells: the memo answers. The memo is per minute, so
	// an attempt that straddles a minute boundary proves nothing and is made again.
	hit := false
	for _, start := range []string{"10:00", "12:00", "14:00"} {
		reader.version.Add(1)
		minute := time.Now().Unix() / 60
		before := slots()
		book(start)
		after := slots()
		if time.Now().Unix()/60 != minute {
			continue
		}
		require.Equal(t, before, after, "same version: the memoized answer is served")
		hit = true
		break
	}
	require.True(t, hit, "three attempts straddled a minute boundary")

	// An invalidation (the version moves): the next answer is rendered from the new calendar.
	reader.version.Add(1)
	fresh := slots()
	require.NotContains(t, fresh, "09:00-18:00")
	require.Equal(t, fresh, slots(), "and is memoized in turn")

	// Unknown version: no memo at all, every change shows at once.
	reader.version.Store(0)
	require.Equal(t, fresh, slots())
	book("16:00")
	require.NotEqual(t, fresh, slots(), "a calendar of unknown version is rendered on every read")
}
