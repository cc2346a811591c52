package actors_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/testenv"
)

var db *testenv.DB

func TestMain(m *testing.M) { testenv.Main(m, "actors", &db) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fixture: an instructor (New York, no advance window) with an offer and availability on day.
type fixture struct {
	instructor, offer string
	day               instainstru.Date
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	_, _, err := db.Store.SeedCatalog(ctx)
	require.NoError(t, err)
	f := fixture{instructor: persistence.NewID(), offer: persistence.NewID()}
	ny, _ := time.LoadLocation("America/New_York")
	f.day = instainstru.DateOf(time.Now().In(ny)).AddDays(3)
	exec(t, `INSERT INTO users (id, email, password_hash, full_name, role) VALUES ($1::uuid, $1::text || '@example.com', 'x', 'Ada Teacher', 'instructor')`, f.instructor)
	exec(t, `INSERT INTO instructor_profiles (user_id, min_advance_booking_hours) VALUES ($1, 0)`, f.instructor)
	exec(t, `INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
		SELECT $1, $2, id, 6000, '{60}', '{online}' FROM service_catalog WHERE slug='guitar'`, f.offer, f.instructor)
	require.NoError(t, errOnly(db.Store.ReplaceAvailability(ctx, f.instructor, map[instainstru.Date][]instainstru.TimeRange{
		f.day: {{Start: 8 * 60, End: 20 * 60}}}, instainstru.AnyVersion)))
	return f
}

func exec(t *testing.T, q string, args ...any) {
	t.Helper()
	_, err := db.Pool.Exec(context.Background(), q, args...)
	require.NoError(t, err)
}

func student(t *testing.T) string {
	id := persistence.NewID()
	exec(t, `INSERT INTO users (id, email, password_hash, full_name, role) VALUES ($1::uuid, $1::text || '@example.com', 'x', 'Stu', 'student')`, id)
	return id
}

func (f fixture) req(studentID string, start instainstru.Minute) *instainstru.BookLessonRequest {
	return &instainstru.BookLessonRequest{StudentID: studentID, InstructorServiceID: f.offer, Date: f.day,
		StartTime: start, DurationMinutes: 60, LocationType: instainstru.OnlineLocation}
}

// panickyStore panics inside the actor while armed: a store edge we own, wrapped for the test.
type panickyStore struct {
	actors.Store
	armed atomic.Bool
}

func (p *panickyStore) InsertBooking(ctx context.Context, b *instainstru.Booking, idem *instainstru.IdempotencyKey, expected int64) (int64, error) {
	if p.armed.CompareAndSwap(true, false) {
		panic("simulated crash while writing a booking")
	}
	return p.Store.InsertBooking(ctx, b, idem, expected)
}

func TestPanicGivesDefiniteErrorAndRestartReloadsState(t *testing.T) {
	f := newFixture(t)
	ps := &panickyStore{Store: db.Store}
	dir := actors.NewDirectory(ps, actors.Config{Log: quiet, AskTimeout: 3 * time.Second})
	defer dir.Shutdown()
	ctx := context.Background()

	// A first booking so the actor has state worth reloading.
	first, _, err := dir.Book(ctx, f.req(student(t), 10*60), nil)
	require.NoError(t, err)

	ps.armed.Store(true)
	start := time.Now()
	_, _, err = dir.Book(ctx, f.req(student(t), 14*60), nil)
	require.Error(t, err)
	require.Equal(t, instainstru.CodeInternal, instainstru.ErrorCode(err))
	require.Less(t, time.Since(start), 3*time.Second, "answered before the ask timeout")

	// The restarted actor reloaded its calendar: the first booking still blocks its hour, and a
	// free hour can be booked.
	_, _, err = dir.Book(ctx, f.req(student(t), 10*60), nil)
	require.Equal(t, instainstru.CodeBookingConflict, instainstru.ErrorCode(err))
	_, _, err = dir.Book(ctx, f.req(student(t), 14*60), nil)
	require.NoError(t, err)
	require.NotEmpty(t, first.ID)
}

func TestRequestsRacingPassivationAllGetAnswers(t *testing.T) {
	f := newFixture(t)
	dir := actors.NewDirectory(db.Store, actors.Config{Log: quiet, IdleTimeout: 5 * time.Millisecond, AskTimeout: 5 * time.Second})
	defer dir.Shutdown()
	ctx := context.Background()
	var wg sync.WaitGroup
	var ok, conflict, other atomic.Int32
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				// Sleep around the idle timeout so requests land just as the actor passivates, and
				// now and then well past it so it certainly does.
				pause := time.Duration(i%7) * time.Millisecond
				if i%10 == 9 {
					pause = 40 * time.Millisecond
				}
				time.Sleep(pause)
				_, _, err := dir.Book(ctx, f.req(student(t), instainstru.Minute(9*60)), nil)
				switch instainstru.ErrorCode(err) {
				case "":
					ok.Add(1)
				case instainstru.CodeBookingConflict:
					conflict.Add(1)
				default:
					other.Add(1)
					t.Errorf("unexpected: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, 1, ok.Load(), "one booking of the 09:00 hour")
	require.EqualValues(t, 8*30-1, conflict.Load())
	require.Zero(t, other.Load())
	require.Greater(t, dir.Stats().Spawned, int64(1), "the actor was passivated and respawned along the way")
}

// slowStore makes each booking context read slow, so requests pile up in front of the actor.
type slowStore struct {
	actors.Store
}

func (s slowStore) IdempotentReplay(ctx context.Context, idem *instainstru.IdempotencyKey) (*instainstru.Booking, error) {
	time.Sleep(20 * time.Millisecond)
	return s.Store.IdempotentReplay(ctx, idem)
}

func TestFloodedInstructorGetsFastRejections(t *testing.T) {
	f := newFixture(t)
	dir := actors.NewDirectory(slowStore{db.Store}, actors.Config{Log: quiet, MaxInFlight: 4, AskTimeout: 10 * time.Second})
	defer dir.Shutdown()
	ctx := context.Background()
	s := student(t)
	var wg sync.WaitGroup
	var limited atomic.Int32
	var slowest atomic.Int64
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t0 := time.Now()
			idem := &instainstru.IdempotencyKey{UserID: s, Key: persistence.NewID(), RequestHash: []byte{byte(i)}}
			_, _, err := dir.Book(ctx, f.req(s, instainstru.Minute(8*60+15*(i%40))), idem)
			if instainstru.ErrorCode(err) == instainstru.CodeRateLimited {
				limited.Add(1)
				if d := time.Since(t0).Nanoseconds(); d > slowest.Load() {
					slowest.Store(d)
				}
			}
		}(i)
	}
	wg.Wait()
	require.Greater(t, limited.Load(), int32(0), "beyond 4 queued requests the instructor answers 429")
	require.Less(t, time.Duration(slowest.Load()), time.Second, "rejections are immediate, not queued")
}

func TestAskTimeoutIsUnavailable(t *testing.T) {
	f := newFixture(t)
	const ask = 100 * time.Millisecond
	dir := actors.NewDirectory(blockingStore{db.Store, 3 * ask}, actors.Config{Log: quiet, AskTimeout: ask})
	defer dir.Shutdown()
	idem := &instainstru.IdempotencyKey{UserID: student(t), Key: "k", RequestHash: []byte("h")}
	t0 := time.Now()
	_, _, err := dir.Book(context.Background(), f.req(idem.UserID, 9*60), idem)
	require.Equal(t, instainstru.CodeUnavailable, instainstru.ErrorCode(err))
	require.Less(t, time.Since(t0), 3*ask, "answered at the ask timeout, not when the store returned")
}

// blockingStore holds the actor longer than the ask timeout, whatever its context says (a store
// stuck in a call), so the caller's answer can only come from the directory's own timeout.
type blockingStore struct {
	actors.Store
	hold time.Duration
}

func (b blockingStore) IdempotentReplay(ctx context.Context, idem *instainstru.IdempotencyKey) (*instainstru.Booking, error) {
	time.Sleep(b.hold)
	return b.Store.IdempotentReplay(ctx, idem)
}

func actorsDirectory(now func() time.Time) *actors.Directory {
	return actors.NewDirectory(db.Store, actors.Config{Log: quiet, Now: now})
}

// errOnly drops a fenced write's new calendar version, for fixtures that only care it worked.
func errOnly(_ int64, err error) error { return err }
