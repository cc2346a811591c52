package persistence_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/testenv"
)

func fixtureBooking(f testenv.Fixture, start time.Time) *instainstru.Booking {
	return &instainstru.Booking{ID: persistence.NewID(), Student: instainstru.Party{ID: f.Student},
		Instructor: instainstru.Party{ID: f.Instructor}, InstructorServiceID: f.Offer, ServiceName: "Piano",
		CategoryName: "Music", Date: instainstru.DateOf(start), StartTime: instainstru.Minute(start.Hour() * 60),
		EndTime: instainstru.Minute(start.Hour()*60 + 60), Timezone: "UTC", StartsAt: start, EndsAt: start.Add(time.Hour),
		BlockedUntil: start.Add(time.Hour), DurationMinutes: 60, HourlyRateCents: 6000, TotalPriceCents: 6000,
		Status: instainstru.BookingConfirmed, LocationType: instainstru.OnlineLocation, CreatedAt: time.Now()}
}

// TestInsertBookingReusesExpiredKey: an expired Idempotency-Key record no longer blocks its key:
// the next booking under it commits and replaces the record, while a live record still refuses
// the whole write.
func TestInsertBookingReusesExpiredKey(t *testing.T) {
	f := db.NewFixture(t)
	ctx := context.Background()
	idem := &instainstru.IdempotencyKey{UserID: f.Student, Key: "expiring", RequestHash: []byte("first")}
	require.NoError(t, errOnly(db.Store.InsertBooking(ctx, fixtureBooking(f, time.Date(2033, 5, 3, 9, 0, 0, 0, time.UTC)), idem, instainstru.AnyVersion)))
	db.MustExec(t, `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND key = 'expiring'`, f.Student)

	again := &instainstru.IdempotencyKey{UserID: f.Student, Key: "expiring", RequestHash: []byte("second")}
	second := fixtureBooking(f, time.Date(2033, 5, 3, 14, 0, 0, 0, time.UTC))
	require.NoError(t, errOnly(db.Store.InsertBooking(ctx, second, again, instainstru.AnyVersion)))
	replay, err := db.Store.IdempotentReplay(ctx, again)
	require.NoError(t, err)
	require.NotNil(t, replay)
	require.Equal(t, second.ID, replay.ID)

	// Live now: a third write under the key fails and leaves nothing behind.
	third := fixtureBooking(f, time.Date(2033, 5, 3, 17, 0, 0, 0, time.UTC))
	err = errOnly(db.Store.InsertBooking(ctx, third, &instainstru.IdempotencyKey{UserID: f.Student, Key: "expiring", RequestHash: []byte("third")}, instainstru.AnyVersion))
	require.Equal(t, instainstru.CodeIdempotencyKeyReused, instainstru.ErrorCode(err), "%v", err)
	var n int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM bookings WHERE id = $1`, third.ID).Scan(&n))
	require.Zero(t, n)
}

// TestPurgeExpiredIdempotencyKeys removes exactly the records expired at or before the cut-off,
// in chunks, and reports how many.
func TestPurgeExpiredIdempotencyKeys(t *testing.T) {
	f := db.NewFixture(t)
	ctx := context.Background()
	cut := time.Now().Add(-time.Hour)
	// 12,000 expired before the cut-off (more than one chunk), 3 expired after it, 2 live.
	db.MustExec(t, `INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response, expires_at)
		SELECT $1, 'old-' || i, '\x00', 201, '{}', $2::timestamptz - make_interval(secs => i) FROM generate_series(0, 11999) i`, f.Student, cut)
	db.MustExec(t, `INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response, expires_at)
		SELECT $1, 'recent-' || i, '\x00', 201, '{}', $2::timestamptz + make_interval(mins => i) FROM generate_series(1, 3) i`, f.Student, cut)
	db.MustExec(t, `INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response, expires_at)
		SELECT $1, 'live-' || i, '\x00', 201, '{}', now() + interval '1 day' FROM generate_series(1, 2) i`, f.Student)

	n, err := db.Store.PurgeExpiredIdempotencyKeys(ctx, cut)
	require.NoError(t, err)
	require.EqualValues(t, 12000, n)
	var left, old int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE key LIKE 'old-%')
		FROM idempotency_keys WHERE user_id = $1`, f.Student).Scan(&left, &old))
	require.Equal(t, 5, left)
	require.Zero(t, old)

	n, err = db.Store.PurgeExpiredIdempotencyKeys(ctx, time.Now())
	require.NoError(t, err)
	require.EqualValues(t, 3, n)
	n, err = db.Store.PurgeExpiredIdempotencyKeys(ctx, time.Now())
	require.NoError(t, err)
	require.Zero(t, n)
}
