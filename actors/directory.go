// Package actors serializes every availability and booking write of one instructor through that
// instructor's actor (protoactor-go), so no two writes for one instructor ever race, and gives
// them ordering, clear error codes and back-pressure. PostgreSQL's exclusion constraints remain
// the final guard (several API nodes, or a bug here, still cannot double-book).
//
// Directory is the only thing the API sees: a typed façade implementing
// instainstru.BookingService and the availability writes. It spawns an InstructorActor on first
// use and passivates it when idle, bounds the requests in flight per instructor (a flooded instructor gets fast 429s, not an
// unbounded queue), maps ask timeouts to 503 unavailable, and coordinates passivation so a request
// never races an actor that is stopping.
package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/instainstru/instainstru"
)

// Store is the persistence an instructor's actor needs, in the domain's types (*persistence.Store
// implements it; actors never imports persistence).
type Store interface {
	InstructorClock(ctx context.Context, instructorID string) (*instainstru.InstructorClock, error)
	AvailabilityBetween(ctx context.Context, instructorID string, from, to instainstru.Date) (map[instainstru.Date][]instainstru.TimeRange, error)
	Blackouts(ctx context.Context, instructorID string, from instainstru.Date) ([]instainstru.BlackoutDate, error)
	// The writes are fenced: each commits only while the instructor's calendar version equals
	// expected (else calendar_changed), and returns the version it bumped it to.
	ReplaceAvailability(ctx context.Context, instructorID string, days map[instainstru.Date][]instainstru.TimeRange, expected int64) (int64, error)
	AddBlackout(ctx context.Context, instructorID string, b instainstru.BlackoutDate, expected int64) (int64, error)
	RemoveBlackout(ctx context.Context, instructorID string, d instainstru.Date, expected int64) (int64, error)
	BookingContext(ctx context.Context, offerID, studentID string) (*instainstru.BookingContext, error)
	ConfirmedBookingsFrom(ctx context.Context, instructorID string, from time.Time) ([]instainstru.BookingSpan, error)
	IdempotentReplay(ctx context.Context, idem *instainstru.IdempotencyKey) (*instainstru.Booking, error)
	InsertBooking(ctx context.Context, b *instainstru.Booking, idem *instainstru.IdempotencyKey, expected int64) (int64, error)
	RescheduleBooking(ctx context.Context, old, replacement *instainstru.Booking, expected int64) (int64, error)
	CancelBooking(ctx context.Context, b *instainstru.Booking, expected int64) (int64, error)
	FinishBooking(ctx context.Context, instructorID, id string, status instainstru.BookingStatus, at time.Time, expected int64) (int64, error)
	BookingByID(ctx context.Context, id string) (*instainstru.Booking, error)
	BookingInstructor(ctx context.Context, bookingID string) (string, error)
}

// Config tunes the actors.
type Config struct {
	IdleTimeout time.Duration // passivate an actor idle this long (ACTOR_IDLE_TIMEOUT)
	AskTimeout  time.Duration // a request unanswered this long is 503 (ACTOR_ASK_TIMEOUT)
	MaxInFlight int           // requests queued per instructor before 429
	// HorizonDays: availability and bookings further ahead are refused (AVAILABILITY_HORIZON_DAYS;
	// 0 means the default 365, negative means none). It also bounds what an actor loads, so no
	// instructor can pin memory at will.
	HorizonDays int
	Now         func() time.Time
	Log         *slog.Logger
	// OnChange is called after an instructor's bookable time changed (booking, cancellation,
	// availability), before the write's response is sent: the cache invalidates there.
	OnChange func(ctx context.Context, instructorID string)
}

type entry struct {
	pid      *actor.PID
	pending  int
	lastUsed time.Time
}

// Directory spawns, finds and passivates instructor actors, and is the typed façade over them.
type Directory struct {
	cfg    Config
	store  Store
	system *actor.ActorSystem
	props  func(id string) *actor.Props
	// supervisor restarts a crashed instructor actor (local or grain).
	supervisor actor.SupervisorStrategy
	// cl is the cluster placement; nil places every actor in this process.
	cl      *clusterState
	mu      sync.Mutex
	entries map[string]*entry
	closed  bool
	spawned int64
	stop    chan struct{}
	janitor sync.WaitGroup

	// Monitoring counters (Stats): actors passivated and restarted, asks timed out, requests
	// refused by the in-flight bound.
	passivated, restarted, askTimeouts, rejected atomic.Int64
}

// NewDirectory starts an actor system for the instructors, all placed in this process.
func NewDirectory(store Store, cfg Config) *Directory {
	d := newDirectory(store, cfg)
	d.props = func(id string) *actor.Props {
		return actor.PropsFromProducer(func() actor.Actor { return newInstructorActor(id, d) },
			actor.WithGuardian(d.supervisor))
	}
	return d
}

// newDirectory is what local and cluster placement share: the actor system, the supervisor and
// the passivation janitor.
func newDirectory(store Store, cfg Config) *Directory {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	if cfg.AskTimeout <= 0 {
		cfg.AskTimeout = 5 * time.Second
	}
	if cfg.HorizonDays == 0 {
		cfg.HorizonDays = 365
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 256
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	log := cfg.Log
	// Actor crashes are logged by the library at INFO through this logger: keep them visible.
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return log.With("component", "actors")
	}))
	d := &Directory{cfg: cfg, store: store, system: system, entries: map[string]*entry{}, stop: make(chan struct{})}
	// The explicit supervisor: restart a crashed instructor actor (its state reloads from the
	// database) up to 10 times a minute; past that it stops and the next request spawns afresh.
	d.supervisor = actor.NewOneForOneStrategy(10, time.Minute, func(reason any) actor.Directive {
		log.Error("instructor actor crashed; restarting it", "reason", fmt.Sprint(reason))
		return actor.RestartDirective
	})
	d.janitor.Add(1)
	go d.passivateIdle()
	return d
}

// passivateIdle stops actors idle for IdleTimeout. It runs here rather than through the actor's
// own ReceiveTimeout, whose timer races with message processing inside the library (seen with
// -race); deciding under d.mu also makes passivation and new requests mutually exclusive.
func (d *Directory) passivateIdle() {
	defer d.janitor.Done()
	tick := d.cfg.IdleTimeout / 2
	if tick < time.Millisecond {
		tick = time.Millisecond
	} else if tick > 30*time.Second {
		tick = 30 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
		}
		cutoff := time.Now().Add(-d.cfg.IdleTimeout)
		var idle []*actor.PID
		d.mu.Lock()
		if d.cl != nil {
			// Grains living here are passivated by the node they live on, from the activity the
			// actors report themselves (requests may come from any node).
			idle = d.idleGrains(cutoff)
		} else {
			for id, e := range d.entries {
				if e.pending == 0 && e.lastUsed.Before(cutoff) {
					delete(d.entries, id)
					idle = append(idle, e.pid)
				}
			}
		}
		d.mu.Unlock()
		d.passivated.Add(int64(len(idle)))
		// Nothing can reach these actors any more: the next request for the instructor spawns a
		// fresh one, which reloads the calendar from the database.
		for _, pid := range idle {
			d.system.Root.Stop(pid)
		}
	}
}

// Stats is a snapshot for monitoring. With a cluster, every figure is this node's: Live and
// Instructors are the actors living here, InFlight the requests this node's clients wait for
// (wherever their actor lives).
type Stats struct {
	Placement   string   `json:"placement"` // "local" or "cluster"
	Live        int      `json:"live"`
	InFlight    int      `json:"in_flight"`
	Spawned     int64    `json:"spawned_total"`
	Instructors []string `json:"instructors"` // ids of the live actors, sorted, at most 1000
	// Passivated, Restarted, AskTimeouts and Rejected count since start: actors stopped when
	// idle, supervisor restarts after a panic, asks unanswered in time (503), requests refused by
	// the in-flight bound (429).
	Passivated  int64 `json:"passivated_total"`
	Restarted   int64 `json:"restarted_total"`
	AskTimeouts int64 `json:"ask_timeouts_total"`
	Rejected    int64 `json:"rejected_total"`
}

// Stats counts live actors and requests in flight.
func (d *Directory) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := Stats{Placement: "local", Live: len(d.entries), Spawned: d.spawned, Instructors: d.liveIDs(),
		Passivated: d.passivated.Load(), Restarted: d.restarted.Load(), AskTimeouts: d.askTimeouts.Load(), Rejected: d.rejected.Load()}
	if d.cl != nil {
		s.Placement, s.Live = "cluster", len(d.cl.grains)
	}
	for _, e := range d.entries {
		s.InFlight += e.pending
	}
	return s
}

// Shutdown stops every actor, waiting for each to finish its current message.
func (d *Directory) Shutdown() {
	d.mu.Lock()
	d.closed = true
	pids := make([]*actor.PID, 0, len(d.entries))
	for _, e := range d.entries {
		if e.pid != nil {
			pids = append(pids, e.pid)
		}
	}
	d.entries = map[string]*entry{}
	d.mu.Unlock()
	close(d.stop)
	d.janitor.Wait()
	if d.cl != nil {
		// Leave the cluster: the library stops the grains living here, the members learn that
		// this node left, and the next request for its instructors activates them elsewhere.
		d.shutdownCluster()
		return
	}
	for _, pid := range pids {
		_ = d.system.Root.StopFuture(pid).Wait()
	}
	d.system.Shutdown()
}

var errShuttingDown = &instainstru.Error{Code: instainstru.CodeUnavailable, Message: "the server is shutting down", RetryAfter: time.Second}

// ask sends msg to instructorID's actor and waits for the answer, bounded by the ask timeout and
// by the per-instructor in-flight limit.
func (d *Directory) ask(instructorID string, msg any) (any, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, errShuttingDown
	}
	e := d.entries[instructorID]
	if e == nil {
		e = &entry{}
		if d.cl == nil {
			e.pid = d.system.Root.Spawn(d.props(instructorID))
			d.spawned++
		}
		d.entries[instructorID] = e
	}
	if e.pending >= d.cfg.MaxInFlight {
		d.mu.Unlock()
		d.rejected.Add(1)
		return nil, &instainstru.Error{Code: instainstru.CodeRateLimited,
			Message: "too many requests for this instructor right now; retry shortly", RetryAfter: time.Second}
	}
	e.pending++
	e.lastUsed = time.Now()
	pid := e.pid
	d.mu.Unlock()

	if d.cl != nil {
		// With a cluster the entry only counts this node's requests for the instructor (the
		// in-flight bound is per node and instructor); the actor may live on any node.
		res, err := d.requestGrain(instructorID, msg, msg.(deadlined).when())
		d.mu.Lock()
		if e.pending--; e.pending == 0 && d.entries[instructorID] == e {
			delete(d.entries, instructorID)
		}
		d.mu.Unlock()
		return res, err
	}

	res, err := d.system.Root.RequestFuture(pid, msg, d.cfg.AskTimeout).Result()

	d.mu.Lock()
	e.pending--
	e.lastUsed = time.Now()
	d.mu.Unlock()
	if err != nil {
		if errors.Is(err, actor.ErrTimeout) {
			d.askTimeouts.Add(1)
			return nil, &instainstru.Error{Code: instainstru.CodeUnavailable,
				Message: "the instructor's calendar did not answer in time; retry", RetryAfter: time.Second, Cause: err}
		}
		return nil, &instainstru.Error{Code: instainstru.CodeUnavailable, Message: "the instructor's calendar is unavailable", Cause: err}
	}
	return res, nil
}

// forget drops a stopped actor's entry (e.g. stopped by its supervisor after too many crashes).
func (d *Directory) forget(instructorID string, pid *actor.PID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cl != nil {
		if g := d.cl.grains[instructorID]; g != nil && g.pid.Equal(pid) {
			delete(d.cl.grains, instructorID)
		}
		return
	}
	if e := d.entries[instructorID]; e != nil && e.pid.Equal(pid) {
		delete(d.entries, instructorID)
	}
}

// deadline is when a request's caller stops waiting. It is real time, never cfg.Now: that clock
// decides business rules (what is "too soon", what is past), not how long a caller waits.
func (d *Directory) deadline() time.Time { return time.Now().Add(d.cfg.AskTimeout) }

func bookingResult(res any, err error) (*instainstru.Booking, bool, error) {
	if err != nil {
		return nil, false, err
	}
	r, ok := res.(*bookingResponse)
	if !ok {
		return nil, false, instainstru.Internal(fmt.Errorf("unexpected actor reply %T", res))
	}
	return r.booking, r.replayed, r.err
}

func availabilityResult(res any, err error) (*availabilityResponse, error) {
	if err != nil {
		return nil, err
	}
	r, ok := res.(*availabilityResponse)
	if !ok {
		return nil, instainstru.Internal(fmt.Errorf("unexpected actor reply %T", res))
	}
	return r, r.err
}

// Book creates a booking. With idem set, a repeated request replays the first answer
// (replayed=true) and a different request under the same key is idempotency_key_reused.
func (d *Directory) Book(ctx context.Context, req *instainstru.BookLessonRequest, idem *instainstru.IdempotencyKey) (*instainstru.Booking, bool, error) {
	bc, err := d.store.BookingContext(ctx, req.InstructorServiceID, req.StudentID)
	if err != nil {
		if instainstru.IsCode(err, instainstru.CodeNotFound) {
			if idem != nil { // a replay must still answer even if the offer is gone since
				if b, rerr := d.store.IdempotentReplay(ctx, idem); rerr != nil || b != nil {
					return b, b != nil, rerr
				}
			}
			return nil, false, instainstru.Invalid(instainstru.FieldError{Field: "instructor_service_id", Message: "no such instructor service"})
		}
		return nil, false, err
	}
	return bookingResult(d.ask(bc.Offer.InstructorID, &bookRequest{deadline: d.deadline(), req: req, bc: bc, idem: idem}))
}

func (d *Directory) routeBooking(ctx context.Context, bookingID string) (string, error) {
	return d.store.BookingInstructor(ctx, bookingID)
}

// Cancel cancels a confirmed booking before it starts; userID must be a participant.
func (d *Directory) Cancel(ctx context.Context, bookingID, userID, reason string) (*instainstru.Booking, error) {
	ins, err := d.routeBooking(ctx, bookingID)
	if err != nil {
		return nil, err
	}
	b, _, err := bookingResult(d.ask(ins, &cancelRequest{deadline: d.deadline(), bookingID: bookingID, userID: userID, reason: reason}))
	return b, err
}

// Reschedule moves a booking atomically: the new booking is confirmed and the old one cancelled
// in one transaction, or nothing changes. duration 0 keeps the old duration.
func (d *Directory) Reschedule(ctx context.Context, bookingID, userID string, date instainstru.Date, start instainstru.Minute, duration int) (*instainstru.Booking, error) {
	ins, err := d.routeBooking(ctx, bookingID)
	if err != nil {
		return nil, err
	}
	b, _, err := bookingResult(d.ask(ins, &rescheduleRequest{deadline: d.deadline(), bookingID: bookingID, userID: userID,
		date: date, start: start, duration: duration}))
	return b, err
}

// Complete marks a booking completed (its instructor, after it ended).
func (d *Directory) Complete(ctx context.Context, bookingID, instructorID string) (*instainstru.Booking, error) {
	return d.finish(ctx, bookingID, instructorID, instainstru.BookingCompleted)
}

// MarkNoShow marks a booking no_show (its instructor, after it started).
func (d *Directory) MarkNoShow(ctx context.Context, bookingID, instructorID string) (*instainstru.Booking, error) {
	return d.finish(ctx, bookingID, instructorID, instainstru.BookingNoShow)
}

func (d *Directory) finish(ctx context.Context, bookingID, userID string, st instainstru.BookingStatus) (*instainstru.Booking, error) {
	ins, err := d.routeBooking(ctx, bookingID)
	if err != nil {
		return nil, err
	}
	b, _, err := bookingResult(d.ask(ins, &finishRequest{deadline: d.deadline(), bookingID: bookingID, userID: userID, status: st}))
	return b, err
}

// GetWeek reads a week straight from the database: reads never queue behind writes.
func (d *Directory) GetWeek(ctx context.Context, instructorID string, anyDay instainstru.Date) (*instainstru.Week, error) {
	clock, err := d.store.InstructorClock(ctx, instructorID)
	if err != nil {
		return nil, err
	}
	start := anyDay.WeekStart()
	days, err := d.store.AvailabilityBetween(ctx, instructorID, start, start.AddDays(6))
	if err != nil {
		return nil, err
	}
	return weekOf(start, clock.Timezone, days), nil
}

// PutWeek replaces a week's availability (through the actor).
func (d *Directory) PutWeek(ctx context.Context, instructorID string, week *instainstru.Week) (*instainstru.Week, error) {
	r, err := availabilityResult(d.ask(instructorID, &putWeekRequest{deadline: d.deadline(), week: week}))
	if err != nil {
		return nil, err
	}
	return r.week, nil
}

// CopyWeek replaces the target week with the source week's ranges, weekday by weekday.
func (d *Directory) CopyWeek(ctx context.Context, instructorID string, from, to instainstru.Date) (*instainstru.Week, error) {
	r, err := availabilityResult(d.ask(instructorID, &copyWeekRequest{deadline: d.deadline(), from: from.WeekStart(), to: to.WeekStart()}))
	if err != nil {
		return nil, err
	}
	return r.week, nil
}

// ApplyPattern repeats a week's weekday pattern over [start, end], skipping blackout and past dates.
func (d *Directory) ApplyPattern(ctx context.Context, instructorID string, fromWeek, start, end instainstru.Date) (int, error) {
	r, err := availabilityResult(d.ask(instructorID, &applyPatternRequest{deadline: d.deadline(), from: fromWeek.WeekStart(), start: start, end: end}))
	if err != nil {
		return 0, err
	}
	return r.datesUpdated, nil
}

// AddBlackout records a blackout date (clearing that date's availability).
func (d *Directory) AddBlackout(ctx context.Context, instructorID string, b instainstru.BlackoutDate) (*instainstru.BlackoutDate, error) {
	if _, err := availabilityResult(d.ask(instructorID, &blackoutRequest{deadline: d.deadline(), add: true, blackout: b})); err != nil {
		return nil, err
	}
	return &b, nil
}

// ListBlackouts lists blackout dates from today on (a read: straight to the database).
func (d *Directory) ListBlackouts(ctx context.Context, instructorID string) ([]instainstru.BlackoutDate, error) {
	clock, err := d.store.InstructorClock(ctx, instructorID)
	if err != nil {
		return nil, err
	}
	loc, err := instainstru.LoadZone(clock.Timezone)
	if err != nil {
		return nil, instainstru.Internal(err)
	}
	return d.store.Blackouts(ctx, instructorID, instainstru.DateOf(d.cfg.Now().In(loc)))
}

// RemoveBlackout deletes a blackout date.
func (d *Directory) RemoveBlackout(ctx context.Context, instructorID string, date instainstru.Date) error {
	_, err := availabilityResult(d.ask(instructorID, &blackoutRequest{deadline: d.deadline(), blackout: instainstru.BlackoutDate{Date: date}}))
	return err
}

func weekOf(start instainstru.Date, tz string, days map[instainstru.Date][]instainstru.TimeRange) *instainstru.Week {
	w := &instainstru.Week{Start: start, Timezone: tz}
	for i := 0; i < 7; i++ {
		d := start.AddDays(i)
		rs := days[d]
		if rs == nil {
			rs = []instainstru.TimeRange{}
		}
		w.Days = append(w.Days, instainstru.DayAvailability{Date: d, Ranges: rs})
	}
	return w
}

var (
	_ instainstru.BookingService      = (*Directory)(nil)
	_ instainstru.AvailabilityService = (*Directory)(nil)
)
