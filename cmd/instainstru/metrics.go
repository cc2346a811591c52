package main

import (
	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/metrics"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/cache"
	"github.com/instainstru/instainstru/search"
)

// watchComponents points the metrics Set's scrape-time collectors at the components that keep
// their own counters: the Redis cache, the actor directory, the database pool and the search
// event recorder. A nil component is not watched (its metrics are absent). GET /metrics and
// GET /api/v1/monitoring/stats then read the same figures.
func watchComponents(set *metrics.Set, rc *cache.Cache, dir *actors.Directory, store *persistence.Store, rec *search.Recorder) {
	if rc != nil {
		set.Cache.Watch(func() metrics.CacheFigures {
			st := rc.Stats()
			return metrics.CacheFigures{Hits: st.Hits, Misses: st.Misses, Errors: st.Errors, Skipped: st.Skipped,
				LoadErrors: st.LoadErrors, Breaker: metrics.BreakerStateOf(st.BreakerState), BreakerOpens: st.BreakerOpens}
		})
	}
	if dir != nil {
		set.Actors.Watch(func() metrics.ActorFigures {
			st := dir.Stats()
			return metrics.ActorFigures{Live: st.Live, InFlight: st.InFlight, Activated: st.Spawned, Passivated: st.Passivated,
				Restarted: st.Restarted, AskTimeouts: st.AskTimeouts, Rejected: st.Rejected}
		})
	}
	if store != nil {
		set.Pool.Watch(func() metrics.PoolFigures {
			st := store.PoolStats()
			return metrics.PoolFigures{Acquired: st.Acquired, Idle: st.Idle, Total: st.Total, Max: st.Max, Acquires: st.Acquires,
				EmptyAcquires: st.EmptyAcquires, CanceledAcquires: st.CanceledAcquires, AcquireDuration: st.AcquireDuration}
		})
	}
	if rec != nil {
		set.SearchEvents.Watch(func() metrics.SearchEventFigures {
			return metrics.SearchEventFigures{Written: rec.Written(), Dropped: rec.Dropped()}
		})
	}
}
