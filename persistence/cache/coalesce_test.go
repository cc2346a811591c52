package cache_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/persistence/testenv"
)

// gatedBackend is the package store whose first calendar load takes its snapshot of the database
// and then waits at a gate before answering: a slow load that read the calendar before a booking
// and answers after it. Later loads answer at once.
type gatedBackend struct {
	*persistence.Store
	loads   atomic.Int64
	read    chan struct{} // closed once the first load has read the database
	release chan struct{} // closed by the test to let the first load answer
}

func (g *gatedBackend) PublicCalendar(ctx context.Context, id string, from, to instainstru.Date) (*instainstru.PublicCalendar, error) {
	n := g.loads.Add(1)
	cal, err := g.Store.PublicCalendar(ctx, id, from, to)
	if n == 1 {
		close(g.read)
		<-g.release
	}
	return cal, err
}

// With Redis down, a read that arrives after a booking's invalidation must not join a load that
// started before the booking: it starts its own load and sees the booking.
func TestCoalescedLoadNeverAnswersAReadAfterAnInvalidation(t *testing.T) {
	ctx := context.Background()
	f := db.NewFixture(t)
	day := instainstru.DateOf(time.Now().UTC()).AddDays(3)
	from, to := day.AddDays(-1), day.AddDays(1)
	require.NoError(t, errOnly(db.Store.ReplaceAvailability(ctx, f.Instructor2,
		map[instainstru.Date][]instainstru.TimeRange{day: {{Start: 9 * 60, End: 17 * 60}}}, instainstru.AnyVersion)))

	p := testenv.StartRedis(t)
	c := privateCache(t, p, time.Minute)
	backend := &gatedBackend{Store: db.Store, read: make(chan struct{}), release: make(chan struct{})}
	released := false
	release := func() {
		if !released {
			released = true
			close(backend.release)
		}
	}
	t.Cleanup(release)
	stores := cache.NewStores(c, backend)

	p.Kill()
	for range 3 { // three failed calls open the breaker
		_, err := cache.GetOrLoad(ctx, c, "probe", time.Minute, func(context.Context) (int, error) { return 1, nil })
		require.NoError(t, err)
	}
	require.Equal(t, "open", c.Stats().BreakerState)

	type result struct {
		cal *instainstru.PublicCalendar
		err error
	}
	read := func() <-chan result {
		out := make(chan result, 1)
		go func() {
			cal, err := stores.Public.PublicCalendar(ctx, f.Instructor2, from, to)
			out <- result{cal, err}
		}()
		return out
	}

	first := read()
	<-backend.read // the first load has its snapshot: no booking yet

	start := time.Date(day.Year, day.Month, day.Day, 15, 0, 0, 0, time.UTC)
	require.NoError(t, db.InsertBooking(f.Student, f.Instructor2, f.Offer2, start, 60, 0))
	stores.AvailabilityChanged(ctx, f.Instructor2) // what the actor does after the commit

	second := read()
	var got result
	select {
	case got = <-second:
	case <-time.After(3 * time.Second):
		release()
		got = <-second
		t.Errorf("the read after the invalidation waited for the load that started before it")
	}
	release()
	old := <-first

	require.NoError(t, got.err)
	require.NoError(t, old.err)
	require.Empty(t, old.cal.Bookings, "the first load read before the booking")
	require.Len(t, got.cal.Bookings, 1, "the read after the invalidation sees the booking")
	require.Equal(t, int64(2), backend.loads.Load(), "the second read started its own load")
}
