package tasks_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
	"github.com/instainstru/instainstru/persistence/testenv"
	"github.com/instainstru/instainstru/tasks"
	"github.com/instainstru/instainstru/tasks/mail"
)

// reminderIDs are the expected reminder task IDs of booking b with their due instants.
func reminderIDs(b *instainstru.Booking) map[string]time.Time {
	out := map[string]time.Time{}
	for _, to := range []string{"student", "instructor"} {
		out[fmt.Sprintf("reminder:%s:%s:24h:%d", b.ID, to, b.StartsAt.Unix())] = b.StartsAt.Add(-24 * time.Hour)
		out[fmt.Sprintf("reminder:%s:%s:1h:%d", b.ID, to, b.StartsAt.Unix())] = b.StartsAt.Add(-time.Hour)
	}
	return out
}

// scheduledReminders maps the scheduled reminder tasks' IDs to their process time.
func (e *env) scheduledReminders() map[string]time.Time {
	out := map[string]time.Time{}
	for _, ti := range e.tasksOf(tasks.QueueDefault, "scheduled", tasks.TypeReminder) {
		out[ti.ID] = ti.NextProcessAt
	}
	return out
}

// runReminders runs every scheduled reminder task at its own due instant, in time order.
func (e *env) runReminders() {
	e.t.Helper()
	list := e.tasksOf(tasks.QueueDefault, "scheduled", tasks.TypeReminder)
	sort.Slice(list, func(i, j int) bool { return list[i].NextProcessAt.Before(list[j].NextProcessAt) })
	for _, ti := range list {
		e.clock.set(ti.NextProcessAt.Add(2 * time.Second))
		require.NoError(e.t, e.run(ti))
	}
}

// runPending runs every pending task of type typ in queue q.
func (e *env) runPending(q, typ string) int {
	e.t.Helper()
	list := e.tasksOf(q, "pending", typ)
	for _, ti := range list {
		require.NoError(e.t, e.run(ti))
	}
	return len(list)
}

func requireSameInstants(t *testing.T, want, got map[string]time.Time) {
	t.Helper()
	require.Len(t, got, len(want))
	for id, at := range want {
		g, ok := got[id]
		require.True(t, ok, "missing task %s", id)
		require.Equal(t, at.Unix(), g.Unix(), "task %s runs at %s, want %s", id, g, at)
	}
}

func TestBookingMakesTwoRemindersPerRecipientAtTheRightInstants(t *testing.T) {
	e := newEnv(t)
	b := e.book(e.openDay(3), 15)
	e.relay()

	requireSameInstants(t, reminderIDs(b), e.scheduledReminders())
	require.Len(t, e.tasksOf(tasks.QueueCritical, "pending", tasks.TypeBookingEmail), 2)
	// One invalidation per event: the availability change and the booking.
	require.Equal(t, 2, e.runPending(tasks.QueueDefault, tasks.TypeInvalidateCache))
	require.Equal(t, []string{e.fx.Instructor2, e.fx.Instructor2}, e.inval.ids)

	require.Equal(t, 2, e.runPending(tasks.QueueCritical, tasks.TypeBookingEmail))
	require.Equal(t, 1, e.smtp.Count(emailOf(e.fx.Student), "Booking confirmed"))
	require.Equal(t, 1, e.smtp.Count(emailOf(e.fx.Instructor2), "Booking confirmed"))

	e.runReminders()
	for _, who := range []string{e.fx.Student, e.fx.Instructor2} {
		require.Equal(t, 2, e.smtp.Count(emailOf(who), "Reminder:"), who)
	}
	require.Len(t, e.smtp.Messages(), 6)
	var sent int
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM notification_log WHERE booking_id = $1 AND status = 'sent' AND sent_at IS NOT NULL AND attempts = 1`, b.ID).Scan(&sent))
	require.Equal(t, 6, sent)
}

func TestCancelledBookingGetsNoReminders(t *testing.T) {
	e := newEnv(t)
	b := e.book(e.openDay(3), 15)
	e.relay()
	_, err := e.dir.Cancel(context.Background(), b.ID, e.fx.Student, "sick")
	require.NoError(t, err)
	e.relay()

	require.Len(t, e.scheduledReminders(), 4) // still queued: they decide when they run
	e.runReminders()
	require.Zero(t, e.smtp.Count("", "Reminder:"))
	e.runPending(tasks.QueueCritical, tasks.TypeBookingEmail)
	require.Equal(t, 1, e.smtp.Count(emailOf(e.fx.Student), "Lesson cancelled"))
	require.Equal(t, 1, e.smtp.Count(emailOf(e.fx.Instructor2), "Lesson cancelled"))
	require.Zero(t, e.smtp.Count("", "Booking confirmed"), "a confirmation of a cancelled booking")
	var n int
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM notification_log WHERE booking_id = $1 AND kind LIKE 'reminder%'`, b.ID).Scan(&n))
	require.Zero(t, n)
}

func TestRescheduleMovesReminders(t *testing.T) {
	e := newEnv(t)
	day := e.openDay(3)
	old := e.book(day, 15)
	e.relay()
	nb, err := e.dir.Reschedule(context.Background(), old.ID, e.fx.Student, day.AddDays(0), 18*60, 0)
	require.NoError(t, err)
	e.relay()

	want := reminderIDs(old)
	for id, at := range reminderIDs(nb) {
		want[id] = at
	}
	requireSameInstants(t, want, e.scheduledReminders())

	e.runReminders()
	require.Equal(t, 4, e.smtp.Count("", "Reminder:"))
	var onNew, onOld int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE booking_id = $1),
		count(*) FILTER (WHERE booking_id = $2) FROM notification_log WHERE kind LIKE 'reminder%'`, nb.ID, old.ID).Scan(&onNew, &onOld))
	require.Equal(t, 4, onNew)
	require.Zero(t, onOld)

	e.runPending(tasks.QueueCritical, tasks.TypeBookingEmail) // 2 confirmations of old, 2 reschedule emails
	require.Equal(t, 1, e.smtp.Count(emailOf(e.fx.Student), "Lesson rescheduled"))
	require.Equal(t, 1, e.smtp.Count(emailOf(e.fx.Instructor2), "Lesson rescheduled"))
	require.Zero(t, e.smtp.Count("", "Lesson cancelled"))
}

func TestSweepRestoresRemindersAfterRedisIsWiped(t *testing.T) {
	e := newEnv(t)
	var want = map[string]time.Time{}
	for i, d := range []int{2, 3, 4} {
		b := e.book(e.openDay(d), 9+i)
		for id, at := range reminderIDs(b) {
			want[id] = at
		}
	}
	e.relay()
	requireSameInstants(t, want, e.scheduledReminders())

	testenv.Redis(t, redisDB) // flushes the DB: the queue is gone
	require.Empty(t, e.scheduledReminders())

	// A scheduler starting against the wiped Redis (its own client: asynq clients remember which
	// queues they registered, and the registry went with the wipe).
	fresh := asynq.NewClient(e.redis)
	defer fresh.Close()
	deps := e.deps
	deps.Client = fresh
	sw := tasks.NewSweeper(deps)
	res, err := sw.Sweep(context.Background())
	require.NoError(t, err)
	require.Equal(t, 12, res.Restored)
	requireSameInstants(t, want, e.scheduledReminders())

	res, err = sw.Sweep(context.Background())
	require.NoError(t, err)
	require.Zero(t, res.Restored)
	require.Equal(t, 12, res.Present)
	requireSameInstants(t, want, e.scheduledReminders())
}

func TestSameReminderTwiceOrConcurrentlySendsOnce(t *testing.T) {
	e := newEnv(t)
	b := e.book(e.openDay(3), 15)
	e.relay()
	byID := map[string]*asynq.TaskInfo{}
	for _, ti := range e.tasksOf(tasks.QueueDefault, "scheduled", tasks.TypeReminder) {
		byID[ti.ID] = ti
	}

	// Twice in a row.
	ti := byID[fmt.Sprintf("reminder:%s:student:24h:%d", b.ID, b.StartsAt.Unix())]
	require.NotNil(t, ti)
	e.clock.set(b.StartsAt.Add(-24 * time.Hour))
	task := asynq.NewTask(ti.Type, ti.Payload)
	require.NoError(t, e.mux.ProcessTask(context.Background(), task))
	require.NoError(t, e.mux.ProcessTask(context.Background(), task))
	require.Equal(t, 1, e.smtp.Count(emailOf(e.fx.Student), "Reminder:"))

	// Eight workers at once, each with its own handlers.
	ti = byID[fmt.Sprintf("reminder:%s:instructor:1h:%d", b.ID, b.StartsAt.Unix())]
	require.NotNil(t, ti)
	e.clock.set(b.StartsAt.Add(-time.Hour))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 8; i++ {
		mux := tasks.NewMux(e.deps)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			require.NoError(t, mux.ProcessTask(context.Background(), asynq.NewTask(ti.Type, ti.Payload)))
		}()
	}
	close(start)
	wg.Wait()
	require.Equal(t, 1, e.smtp.Count(emailOf(e.fx.Instructor2), "Reminder:"))
	require.Len(t, e.smtp.Messages(), 2)
}

// countingStore counts how often each outbox event is handed to the relay's deliver.
type countingStore struct {
	*persistence.Store
	mu    sync.Mutex
	times map[int64]int
}

func (c *countingStore) RelayOutbox(ctx context.Context, limit int, deliver func(context.Context, instainstru.Event) error) (int, int, error) {
	return c.Store.RelayOutbox(ctx, limit, func(ctx context.Context, e instainstru.Event) error {
		c.mu.Lock()
		c.times[e.Seq]++
		c.mu.Unlock()
		time.Sleep(2 * time.Millisecond) // keep the claim open so the relays overlap
		return deliver(ctx, e)
	})
}

func TestTwoRelaysAtOnceEnqueueEachTaskOnce(t *testing.T) {
	e := newEnv(t)
	var bookings []*instainstru.Booking
	for d := 2; d <= 4; d++ {
		day := e.openDay(d)
		for h := 8; h < 18; h++ {
			bookings = append(bookings, e.book(day, h))
		}
	}
	cs := &countingStore{Store: db.Store, times: map[int64]int{}}
	deps := e.deps
	deps.Store = cs
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		r := tasks.NewRelay(deps)
		r.Batch = 7
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, failed, err := r.Once(context.Background())
				require.NoError(t, err)
				require.Zero(t, failed)
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()

	pending, err := db.Store.OutboxPending(context.Background(), "")
	require.NoError(t, err)
	require.Empty(t, pending)
	var events int
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM outbox WHERE aggregate_id = ANY($1) AND attempts = 1 AND dispatched_at IS NOT NULL`,
		idsOf(bookings)).Scan(&events))
	require.Equal(t, len(bookings), events)
	for seq, n := range cs.times {
		require.Equal(t, 1, n, "event %d delivered %d times", seq, n)
	}
	require.Len(t, e.scheduledReminders(), 4*len(bookings))
	require.Len(t, e.tasksOf(tasks.QueueCritical, "pending", tasks.TypeBookingEmail), 2*len(bookings))
}

func idsOf(bs []*instainstru.Booking) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.ID
	}
	return out
}

func TestRelayReplayIsHarmlessAndPurgeKeepsPending(t *testing.T) {
	e := newEnv(t)
	b := e.book(e.openDay(3), 15)
	e.relay()
	// A relay that died before its commit: the event is pending again and relayed again.
	db.MustExec(t, `UPDATE outbox SET dispatched_at = NULL WHERE aggregate_id = $1`, b.ID)
	e.relay()
	require.Len(t, e.scheduledReminders(), 4)
	require.Len(t, e.tasksOf(tasks.QueueCritical, "pending", tasks.TypeBookingEmail), 2)

	// Purge: relayed rows older than the cut go, pending rows stay whatever their age.
	other := e.book(e.openDay(4), 10) // pending (not relayed)
	db.MustExec(t, `UPDATE outbox SET dispatched_at = now() - interval '8 days', created_at = now() - interval '8 days' WHERE aggregate_id = $1`, b.ID)
	db.MustExec(t, `UPDATE outbox SET created_at = now() - interval '30 days' WHERE aggregate_id = $1`, other.ID)
	n, err := db.Store.PurgeRelayedOutbox(context.Background(), time.Now().Add(-7*24*time.Hour))
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, int64(1))
	var left, pending int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE aggregate_id = $1),
		count(*) FILTER (WHERE aggregate_id = $2 AND dispatched_at IS NULL) FROM outbox`, b.ID, other.ID).Scan(&left, &pending))
	require.Zero(t, left)
	require.Equal(t, 1, pending)
}

func TestRelayKeepsEventsWhenRedisIsDown(t *testing.T) {
	e := newEnv(t)
	b := e.book(e.openDay(3), 15)
	down := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond})
	defer down.Close()
	deps := e.deps
	deps.Client = down
	_, failed, err := tasks.NewRelay(deps).Once(context.Background())
	require.NoError(t, err)
	require.GreaterOrEqual(t, failed, 1)
	var attempts int
	var lastErr string
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		`SELECT attempts, last_error FROM outbox WHERE aggregate_id = $1 AND dispatched_at IS NULL AND retry_at > now()`, b.ID).Scan(&attempts, &lastErr))
	require.Equal(t, 1, attempts)
	require.NotEmpty(t, lastErr)
}

// A dead worker's claim on an email that is no longer owed (a confirmation of a booking cancelled
// meanwhile) is released when the re-queued email finds nothing to send, instead of staying
// "sending" forever (and being re-queued every minute).
func TestStaleClaimOfAnEmailNoLongerOwedIsReleased(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.book(e.openDay(3), 15)
	e.relay()
	key := mail.DedupeKey(mail.KindBookingConfirmed, b.ID, e.fx.Student)
	// The worker that claimed the student's confirmation died before sending it.
	_, err := db.Pool.Exec(ctx, `INSERT INTO notification_log (dedupe_key, user_id, booking_id, kind, recipient, status, claimed_at)
		VALUES ($1, $2, $3, 'booking_confirmed', $4, 'sending', now() - interval '1 hour')`, key, e.fx.Student, b.ID, emailOf(e.fx.Student))
	require.NoError(t, err)
	_, err = e.dir.Cancel(ctx, b.ID, e.fx.Student, "sick")
	require.NoError(t, err)

	n, err := tasks.NewSweeper(e.deps).ReclaimStuck(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the stale claim is re-queued")
	for _, ti := range e.tasksOf(tasks.QueueCritical, "pending", tasks.TypeBookingEmail) {
		require.NoError(t, e.run(ti))
	}
	var open int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM notification_log WHERE status = 'sending'`).Scan(&open))
	require.Zero(t, open, "no claim is left open")
	require.Zero(t, e.smtp.Count(emailOf(e.fx.Student), "Booking confirmed"))
	n, err = tasks.NewSweeper(e.deps).ReclaimStuck(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to reclaim")
}
