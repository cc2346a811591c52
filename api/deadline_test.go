package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
)

// TestRequestDeadlineWithRowLockHeld holds a row lock on a user's row in another transaction and
// sends 100 concurrent requests that must update that row, through a server with a 1 s
// REQUEST_TIMEOUT on a pool of 10 connections. Every request must end within the deadline plus
// a second with 503 and Retry-After (never a hang, never an exhausted pool); the server must not
// leave queries waiting on the lock in PostgreSQL (the driver cancels them); and once the lock is
// released the same request answers 200.
func TestRequestDeadlineWithRowLockHeld(t *testing.T) {
	const timeout = time.Second
	pool, err := persistence.Open(t.Context(), db.URL, 10)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	small := persistence.NewStore(pool)
	e := newEnv(t, func(c *api.Config, d *api.Deps) {
		c.RequestTimeout = timeout
		d.Users, d.Tokens, d.Accounts = small, small, small
	})
	a := e.registerFull(t, "student", uniqueEmail("deadline"))

	// Hold the user's row lock in another transaction (another pool: the test's own).
	tx, err := db.Pool.Begin(t.Context())
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	var locked string
	require.NoError(t, tx.QueryRow(t.Context(), `SELECT id FROM users WHERE id = $1 FOR UPDATE`, a.User.ID).Scan(&locked))

	body := []byte(`{"full_name": "Renamed While Locked"}`)
	hc := &http.Client{Timeout: 10 * time.Second}
	type result struct {
		status     int
		retryAfter string
		code       string
		took       time.Duration
		err        error
	}
	results := make([]result, 100)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest("PATCH", e.base+"/api/v1/auth/me", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+a.AccessToken)
			t0 := time.Now()
			res, err := hc.Do(req)
			results[i].took = time.Since(t0)
			if err != nil {
				results[i].err = err
				return
			}
			defer res.Body.Close()
			var p struct{ Code string }
			_ = json.NewDecoder(res.Body).Decode(&p)
			results[i].status, results[i].retryAfter, results[i].code = res.StatusCode, res.Header.Get("Retry-After"), p.Code
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		require.NoError(t, r.err, "request %d", i)
		require.Equal(t, 503, r.status, "request %d took %s", i, r.took)
		require.Equal(t, "unavailable", r.code, "request %d", i)
		require.LessOrEqual(t, r.took, timeout+time.Second, "request %d", i)
		secs, err := strconv.Atoi(r.retryAfter)
		require.NoError(t, err, "request %d: Retry-After %q", i, r.retryAfter)
		require.GreaterOrEqual(t, secs, 1)
	}
	// The queries were cancelled in the server, not just abandoned by the client: nothing of the
	// test database is left waiting on the lock while the lock is still held.
	require.Eventually(t, func() bool {
		var waiting int
		err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		return err == nil && waiting == 0
	}, 2*time.Second, 50*time.Millisecond, "queries still waiting on the row lock")

	require.NoError(t, tx.Rollback(t.Context()))
	r := e.do("PATCH", "/api/v1/auth/me", body, bearer(a.AccessToken)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, "Renamed While Locked", r.Map(t)["full_name"])
	require.Equal(t, 200, e.do("GET", "/api/v1/auth/me", nil, bearer(a.AccessToken)...).Status)
}
