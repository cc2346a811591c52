package tasks

import (
	"context"
	"sync"
	"time"
)

// ReclaimInterval is how often RunBookingLoops looks for emails whose sender died mid-send.
const ReclaimInterval = time.Minute

// SweepInterval is how often the scheduler sweeps reminders besides its start-up sweep.
const SweepInterval = time.Hour

// RunBookingLoops is the booking side of `instainstru scheduler`: one reminder sweep at start
// and every SweepInterval (a Redis that was wiped or replaced gets every reminder back), the
// outbox relay loop, and a reclaim of stuck emails every ReclaimInterval, until ctx ends. Run one
// scheduler: a second would be harmless (disjoint relay claims, deterministic task IDs) but does
// nothing useful.
func RunBookingLoops(ctx context.Context, deps Deps) {
	log := deps.log().With("component", "scheduler")
	if res, err := NewSweeper(deps).Sweep(ctx); err != nil {
		log.WarnContext(ctx, "start-up reminder sweep failed", "err", err)
	} else {
		log.InfoContext(ctx, "start-up reminder sweep", "lessons", res.Lessons, "restored", res.Restored,
			"present", res.Present, "reclaimed", res.Reclaimed)
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		_ = NewRelay(deps).Run(ctx)
	}()
	go func() {
		// Hourly, a Redis that lost its data (it keeps nothing on disk here) gets every missing
		// reminder back without waiting for a scheduler restart.
		defer wg.Done()
		sw := NewSweeper(deps)
		every(ctx, SweepInterval, func() {
			if res, err := sw.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "hourly reminder sweep failed", "err", err)
			} else if res.Restored > 0 {
				log.InfoContext(ctx, "hourly reminder sweep restored reminders", "restored", res.Restored)
			}
		})
	}()
	go func() {
		defer wg.Done()
		sw := NewSweeper(deps)
		every(ctx, ReclaimInterval, func() {
			if _, err := sw.ReclaimStuck(ctx); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "reclaim of stuck emails failed", "err", err)
			}
		})
	}()
	wg.Wait()
}

// every runs fn every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
