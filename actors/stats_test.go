package actors_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/persistence"
)

// TestStatsCountLifecycleAndRefusals checks the monitoring counters of Stats (served as
// instainstru_actors_*): each counts exactly the events it names.
func TestStatsCountLifecycleAndRefusals(t *testing.T) {
	ctx := context.Background()

	t.Run("rejected and activated", func(t *testing.T) {
		f := newFixture(t)
		dir := actors.NewDirectory(slowStore{db.Store}, actors.Config{Log: quiet, MaxInFlight: 2, AskTimeout: 10 * time.Second})
		defer dir.Shutdown()
		s := student(t)
		var wg sync.WaitGroup
		var limited atomic.Int64
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				idem := &instainstru.IdempotencyKey{UserID: s, Key: persistence.NewID(), RequestHash: []byte{byte(i)}}
				_, _, err := dir.Book(ctx, f.req(s, instainstru.Minute(8*60+15*i)), idem)
				if instainstru.ErrorCode(err) == instainstru.CodeRateLimited {
					limited.Add(1)
				}
			}(i)
		}
		wg.Wait()
		st := dir.Stats()
		require.Positive(t, limited.Load())
		require.Equal(t, limited.Load(), st.Rejected, "one count per 429")
		require.EqualValues(t, 1, st.Spawned)
		require.Zero(t, st.AskTimeouts)
		require.Zero(t, st.Restarted)
	})

	t.Run("ask timeout", func(t *testing.T) {
		f := newFixture(t)
		dir := actors.NewDirectory(blockingStore{db.Store, 300 * time.Millisecond}, actors.Config{Log: quiet, AskTimeout: 50 * time.Millisecond})
		defer dir.Shutdown()
		idem := &instainstru.IdempotencyKey{UserID: student(t), Key: "k", RequestHash: []byte("h")}
		_, _, err := dir.Book(ctx, f.req(idem.UserID, 9*60), idem)
		require.Equal(t, instainstru.CodeUnavailable, instainstru.ErrorCode(err))
		st := dir.Stats()
		require.EqualValues(t, 1, st.AskTimeouts)
		require.Zero(t, st.Rejected)
	})

	t.Run("restart", func(t *testing.T) {
		f := newFixture(t)
		ps := &panickyStore{Store: db.Store}
		dir := actors.NewDirectory(ps, actors.Config{Log: quiet, AskTimeout: 3 * time.Second})
		defer dir.Shutdown()
		_, _, err := dir.Book(ctx, f.req(student(t), 10*60), nil)
		require.NoError(t, err)
		require.Zero(t, dir.Stats().Restarted)
		ps.armed.Store(true)
		_, _, err = dir.Book(ctx, f.req(student(t), 14*60), nil)
		require.Error(t, err)
		require.Eventually(t, func() bool { return dir.Stats().Restarted == 1 }, 2*time.Second, 5*time.Millisecond)
	})

	t.Run("passivated", func(t *testing.T) {
		f := newFixture(t)
		dir := actors.NewDirectory(db.Store, actors.Config{Log: quiet, IdleTimeout: 10 * time.Millisecond})
		defer dir.Shutdown()
		_, _, err := dir.Book(ctx, f.req(student(t), 11*60), nil)
		require.NoError(t, err)
		require.Eventually(t, func() bool { st := dir.Stats(); return st.Passivated == 1 && st.Live == 0 },
			2*time.Second, 5*time.Millisecond)
	})
}
