package tasks_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/tasks"
)

func calendarVersion(t *testing.T, instructor string) int64 {
	t.Helper()
	var v int64
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		`SELECT calendar_version FROM instructor_profiles WHERE user_id = $1`, instructor).Scan(&v))
	return v
}

func bookingEnding(t *testing.T, student, instructor, offer string, end time.Time) string {
	t.Helper()
	start := end.Add(-time.Hour)
	require.NoError(t, db.InsertBooking(student, instructor, offer, start, 60, 15))
	var id string
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		`SELECT id FROM bookings WHERE instructor_id = $1 AND starts_at = $2`, instructor, start).Scan(&id))
	return id
}

func TestAutoCompleteAfterThreshold(t *testing.T) {
	_, c, _ := queue(t)
	ctx := context.Background()
	f := db.NewFixture(t)
	now := time.Now().Truncate(time.Microsecond)
	h := time.Hour
	old := bookingEnding(t, f.Student, f.Instructor, f.Offer, now.Add(-73*h))
	recent := bookingEnding(t, f.Student2, f.Instructor, f.Offer, now.Add(-71*h))
	other := bookingEnding(t, f.Student, f.Instructor2, f.Offer2, now.Add(-100*h))

	// A warm actor for the instructor: its own write loaded the calendar at the current version.
	dir := actors.NewDirectory(db.Store, actors.Config{Log: quiet})
	t.Cleanup(dir.Shutdown)
	today := instainstru.DateOf(now.UTC())
	_, err := dir.AddBlackout(ctx, f.Instructor, instainstru.BlackoutDate{Date: today.AddDays(20), Reason: "warm"})
	require.NoError(t, err)
	v0, v0other := calendarVersion(t, f.Instructor), calendarVersion(t, f.Instructor2)

	mux := asynq.NewServeMux()
	tasks.RegisterDaily(mux, deps(c, func() time.Time { return now })) // AUTO_COMPLETE_AFTER default 72h
	require.NoError(t, process(t, mux, tasks.TypeAutoComplete, nil))

	status := func(id string) (string, *time.Time) {
		var s string
		var at *time.Time
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT status, completed_at FROM bookings WHERE id = $1`, id).Scan(&s, &at))
		return s, at
	}
	for _, id := range []string{old, other} {
		s, at := status(id)
		require.Equal(t, "completed", s)
		require.NotNil(t, at)
		require.True(t, at.Equal(now))
	}
	s, at := status(recent)
	require.Equal(t, "confirmed", s, "ended 71 h ago: still confirmed")
	require.Nil(t, at)

	// Every booking this run completed has exactly one booking.completed event.
	var completed, withEvent int
	require.NoError(t, db.Pool.QueryRow(ctx, `
		SELECT count(*), count(*) FILTER (WHERE (SELECT count(*) FROM outbox o
			WHERE o.task_type = 'booking.completed' AND o.aggregate_id = b.id AND o.task_id = 'booking.completed:' || b.id) = 1)
		FROM bookings b WHERE b.completed_at = $1`, now).Scan(&completed, &withEvent))
	require.GreaterOrEqual(t, completed, 2)
	require.Equal(t, completed, withEvent)
	events, err := db.Store.OutboxPending(ctx, old)
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, instainstru.EventBookingCompleted, events[0].Type)
	require.Equal(t, f.Instructor, events[0].InstructorID)
	require.True(t, events[0].OccurredAt.Equal(now))
	none, err := db.Store.OutboxPending(ctx, recent)
	require.NoError(t, err)
	require.Empty(t, none)

	// Each instructor's calendar moved once, so the warm actor's next write reloads and succeeds.
	require.Equal(t, v0+1, calendarVersion(t, f.Instructor))
	require.Equal(t, v0other+1, calendarVersion(t, f.Instructor2))
	_, err = dir.AddBlackout(ctx, f.Instructor, instainstru.BlackoutDate{Date: today.AddDays(21), Reason: "after"})
	require.NoError(t, err)
	require.Equal(t, v0+2, calendarVersion(t, f.Instructor))

	// Again: nothing left to do, no calendar touched.
	got, err := db.Store.AutoCompleteBookings(ctx, now.Add(-72*h), now)
	require.NoError(t, err)
	require.Equal(t, instainstru.AutoCompleted{}, got)
	require.Equal(t, v0+2, calendarVersion(t, f.Instructor))

	// A shorter AUTO_COMPLETE_AFTER reaches the 71-hour lesson.
	d := deps(c, func() time.Time { return now })
	d.Policy.AutoCompleteAfter = 70 * h
	mux = asynq.NewServeMux()
	tasks.RegisterDaily(mux, d)
	require.NoError(t, process(t, mux, tasks.TypeAutoComplete, nil))
	s, _ = status(recent)
	require.Equal(t, "completed", s)
}

// outboxPurges records the calls of the relayed-outbox purge (its SQL belongs to the relay).
type outboxPurges struct{ before []time.Time }

func (o *outboxPurges) PurgeRelayedOutbox(_ context.Context, before time.Time) (int64, error) {
	o.before = append(o.before, before)
	return 0, nil
}

func exists(t *testing.T, q string, args ...any) bool {
	t.Helper()
	var ok bool
	require.NoError(t, db.Pool.QueryRow(context.Background(), "SELECT EXISTS ("+q+")", args...).Scan(&ok))
	return ok
}

func TestPurgesDeleteExactlyWhatTheyShould(t *testing.T) {
	_, c, _ := queue(t)
	ctx := context.Background()
	f := db.NewFixture(t)
	now := time.Now().Truncate(time.Microsecond)
	h, ttl := time.Hour, 720*time.Hour

	// Idempotency keys: expired and live.
	db.MustExec(t, `INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response, expires_at)
		VALUES ($1, 'expired', '\x00', 201, '\x00', $2), ($1, 'live', '\x00', 201, '\x00', $3)`,
		f.Student, now.Add(-time.Minute), now.Add(h))

	// Refresh tokens, by session (family).
	token := func(family string, expires time.Time, revoked *time.Time) string {
		id := persistence.NewID()
		hash := make([]byte, 32)
		_, _ = rand.Read(hash)
		db.MustExec(t, `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, f.Student, family, hash, expires, revoked)
		return id
	}
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	live, ended, revokedOld, mixed, revokedNew := persistence.NewID(), persistence.NewID(), persistence.NewID(),
		persistence.NewID(), persistence.NewID()
	keep := []string{
		token(live, now.Add(h), nil),              // the session's current token
		token(live, now.Add(-24*h), nil),          // spent a day ago: reuse still recognised
		token(mixed, now.Add(-790*h), ago(800*h)), // revoked marker of a session with a live token
		token(mixed, now.Add(10*h), nil),          // rotated in while the revocation ran
		token(revokedNew, now.Add(-2*h), ago(h)),  // revoked an hour ago
		token(revokedNew, now.Add(100*h), ago(h)), //
		token(ended, now.Add(-700*h), nil),        // session ended 700 h ago: within the TTL
	}
	gone := []string{
		token(live, now.Add(-800*h), nil),              // expired longer than the TTL ago
		token(revokedOld, now.Add(-750*h), ago(800*h)), // session revoked and expired long ago
		token(revokedOld, now.Add(-730*h), ago(800*h)),
	}

	// Search events at, and just inside, the retention.
	var oldEvent, newEvent int64
	require.NoError(t, db.Pool.QueryRow(ctx, `INSERT INTO search_events (query, created_at) VALUES ('old', $1) RETURNING id`,
		now.Add(-tasks.DefaultSearchEventRetention-time.Minute)).Scan(&oldEvent))
	require.NoError(t, db.Pool.QueryRow(ctx, `INSERT INTO search_events (query, created_at) VALUES ('new', $1) RETURNING id`,
		now.Add(-tasks.DefaultSearchEventRetention+time.Minute)).Scan(&newEvent))

	n, err := db.Store.PurgeSpentRefreshTokens(ctx, now, ttl)
	require.NoError(t, err)
	require.EqualValues(t, len(gone), n)
	for _, id := range keep {
		require.True(t, exists(t, `SELECT 1 FROM refresh_tokens WHERE id = $1`, id), "kept %s", id)
	}
	for _, id := range gone {
		require.False(t, exists(t, `SELECT 1 FROM refresh_tokens WHERE id = $1`, id), "deleted %s", id)
	}
	// The session with a revoked marker still reads as revoked.
	st, err := db.Store.SessionState(ctx, f.Student, mixed)
	require.NoError(t, err)
	require.True(t, st.FamilyRevoked)

	// The handlers: purge and trim.
	d := deps(c, func() time.Time { return now })
	ob := &outboxPurges{}
	d.Outbox = ob
	mux := asynq.NewServeMux()
	tasks.RegisterDaily(mux, d)
	require.NoError(t, process(t, mux, tasks.TypePurge, nil))
	require.False(t, exists(t, `SELECT 1 FROM idempotency_keys WHERE user_id = $1 AND key = 'expired'`, f.Student))
	require.True(t, exists(t, `SELECT 1 FROM idempotency_keys WHERE user_id = $1 AND key = 'live'`, f.Student))
	require.Len(t, ob.before, 1)
	require.True(t, ob.before[0].Equal(now.Add(-tasks.DefaultOutboxRetention)))

	require.NoError(t, process(t, mux, tasks.TypeSearchEventsTrim, nil))
	require.False(t, exists(t, `SELECT 1 FROM search_events WHERE id = $1`, oldEvent))
	require.True(t, exists(t, `SELECT 1 FROM search_events WHERE id = $1`, newEvent))
	require.False(t, exists(t, `SELECT 1 FROM search_events WHERE created_at < $1`, now.Add(-tasks.DefaultSearchEventRetention)))
}
