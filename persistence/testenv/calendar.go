package testenv

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/instainstru/instainstru"
)

// CountingCalendar is a public calendar reader at the store's edge that counts the loads reaching
// it; Delay holds each load open so that concurrent callers pile up behind it (what coalescing
// tests need).
type CountingCalendar struct {
	Next  instainstru.PublicAvailabilityReader
	Delay time.Duration
	loads atomic.Int64
}

// Loads is how many loads reached the store so far.
func (c *CountingCalendar) Loads() int64 { return c.loads.Load() }

// PublicCalendar implements instainstru.PublicAvailabilityReader.
func (c *CountingCalendar) PublicCalendar(ctx context.Context, id string, from, to instainstru.Date) (*instainstru.PublicCalendar, error) {
	c.loads.Add(1)
	time.Sleep(c.Delay)
	return c.Next.PublicCalendar(ctx, id, from, to)
}
