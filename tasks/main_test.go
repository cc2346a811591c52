package tasks_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/persistence/testenv"
	"github.com/instainstru/instainstru/tasks"
	"github.com/instainstru/instainstru/tasks/mail"
)

var db *testenv.DB

func TestMain(m *testing.M) { testenv.Main(m, "tasks", &db) }

// redisDB is this package's Redis DB number (shifted by TEST_REDIS_DB_OFFSET).
const redisDB = 10

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a settable clock for Deps.Now.
type clock struct{ t atomic.Int64 }

func (c *clock) set(t time.Time)  { c.t.Store(t.UnixNano()) }
func (c *clock) now() time.Time   { return time.Unix(0, c.t.Load()) }
func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }

// invalidations records the cache invalidations handlers ask for.
type invalidations struct {
	mu  sync.Mutex
	ids []string
}

func (i *invalidations) AvailabilityChanged(_ context.Context, id string) {
	i.mu.Lock()
	i.ids = append(i.ids, id)
	i.mu.Unlock()
}

// env is one test's wiring: real PostgreSQL, real Redis (this package's DB), a real SMTP server,
// the actors' booking path.
type env struct {
	t        *testing.T
	redis    asynq.RedisConnOpt
	redisURL string
	client   *asynq.Client
	insp     *asynq.Inspector
	smtp     *testenv.SMTPServer
	clock    *clock
	inval    *invalidations
	deps     tasks.Deps
	mux      *asynq.ServeMux
	dir      *actors.Directory
	fx       testenv.Fixture
}

func newEnv(t *testing.T) *env {
	t.Helper()
	_, url := testenv.Redis(t, redisDB)
	ropt, err := asynq.ParseRedisURI(url)
	require.NoError(t, err)
	e := &env{t: t, redis: ropt, redisURL: url, client: asynq.NewClient(ropt), insp: asynq.NewInspector(ropt),
		smtp: testenv.StartSMTP(t), clock: newClock(time.Now()), inval: &invalidations{}}
	t.Cleanup(func() { _ = e.client.Close(); _ = e.insp.Close() })
	mailer, err := mail.NewSMTPMailer(mail.SMTPConfig{Host: "127.0.0.1", Port: e.smtp.Port(),
		From: "InstaInstru <no-reply@instainstru.local>", Timeout: 5 * time.Second})
	require.NoError(t, err)
	e.deps = tasks.Deps{Store: db.Store, Mailer: mailer, Cache: e.inval, Client: e.client, Log: quiet, Now: e.clock.now}
	e.mux = tasks.NewMux(e.deps)
	e.dir = actors.NewDirectory(db.Store, actors.Config{Log: quiet})
	t.Cleanup(e.dir.Shutdown)
	// Tests share the package's database: each starts without bookings, events or notifications.
	db.MustExec(t, `TRUNCATE bookings, outbox, notification_log CASCADE`)
	e.fx = db.NewFixture(t)
	db.MustExec(t, `UPDATE users SET timezone = 'Europe/Berlin' WHERE id = $1`, e.fx.Student)
	return e
}

// lessonDay is a date d days ahead with the whole day available for Instructor2 (online offer).
func (e *env) openDay(d int) instainstru.Date {
	e.t.Helper()
	day := instainstru.DateOf(time.Now().UTC()).AddDays(d)
	_, err := db.Store.ReplaceAvailability(context.Background(), e.fx.Instructor2,
		map[instainstru.Date][]instainstru.TimeRange{day: {{Start: 0, End: instainstru.EndOfDay}}}, instainstru.AnyVersion)
	require.NoError(e.t, err)
	return day
}

// book books Instructor2's online hour at hh:00 of day for Student, through the actors.
func (e *env) book(day instainstru.Date, hh int) *instainstru.Booking {
	e.t.Helper()
	b, _, err := e.dir.Book(context.Background(), &instainstru.BookLessonRequest{StudentID: e.fx.Student,
		InstructorServiceID: e.fx.Offer2, Date: day, StartTime: instainstru.Minute(hh * 60), DurationMinutes: 60,
		LocationType: instainstru.OnlineLocation}, nil)
	require.NoError(e.t, err)
	return b
}

// relay drains the outbox into the queue.
func (e *env) relay() {
	e.t.Helper()
	for {
		n, failed, err := tasks.NewRelay(e.deps).Once(context.Background())
		require.NoError(e.t, err)
		require.Zero(e.t, failed)
		if n == 0 {
			return
		}
	}
}

// tasksOf lists the tasks of type typ in queue q in the given state (scheduled or pending).
func (e *env) tasksOf(q, state, typ string) []*asynq.TaskInfo {
	e.t.Helper()
	var list []*asynq.TaskInfo
	var err error
	switch state {
	case "scheduled":
		list, err = e.insp.ListScheduledTasks(q, asynq.PageSize(1000))
	case "pending":
		list, err = e.insp.ListPendingTasks(q, asynq.PageSize(1000))
	}
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	require.NoError(e.t, err)
	var out []*asynq.TaskInfo
	for _, ti := range list {
		if ti.Type == typ {
			out = append(out, ti)
		}
	}
	return out
}

// run processes one queued task with this package's handlers (as a worker would) and deletes it
// from the queue.
func (e *env) run(ti *asynq.TaskInfo) error {
	err := e.mux.ProcessTask(context.Background(), asynq.NewTask(ti.Type, ti.Payload))
	_ = e.insp.DeleteTask(ti.Queue, ti.ID)
	return err
}

// emailOf is a user's address in the fixture (id@example.com).
func emailOf(id string) string { return id + "@example.com" }
