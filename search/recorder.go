package search

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/instainstru/instainstru"
)

// Recorder writes search events off the request path: Record puts the event on a buffered
// channel and returns at once (dropping it, counted, when the buffer is full, so a slow database
// never slows a search); one goroutine inserts them in batches (up to BatchSize, or whatever
// arrived within FlushEvery). Close flushes what is buffered.
type Recorder struct {
	store      instainstru.SearchStore
	log        *slog.Logger
	ch         chan instainstru.SearchEvent
	batchSize  int
	flushEvery time.Duration
	dropped    atomic.Int64
	written    atomic.Int64
	closeOnce  sync.Once
	done       chan struct{}
}

// NewRecorder starts a recorder with a buffer of size events (default 4096).
func NewRecorder(store instainstru.SearchStore, log *slog.Logger, size int) *Recorder {
	if size <= 0 {
		size = 4096
	}
	if log == nil {
		log = slog.Default()
	}
	r := &Recorder{store: store, log: log, ch: make(chan instainstru.SearchEvent, size), batchSize: 200,
		flushEvery: time.Second, done: make(chan struct{})}
	go r.run()
	return r
}

// Record queues ev; it never blocks.
func (r *Recorder) Record(ev instainstru.SearchEvent) {
	defer func() {
		if recover() != nil { // closed: the app is shutting down
			r.dropped.Add(1)
		}
	}()
	select {
	case r.ch <- ev:
	default:
		r.dropped.Add(1)
	}
}

// Dropped is how many events were dropped because the buffer was full (or after Close).
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Written is how many events were inserted.
func (r *Recorder) Written() int64 { return r.written.Load() }

func (r *Recorder) run() {
	defer close(r.done)
	batch := make([]instainstru.SearchEvent, 0, r.batchSize)
	tick := time.NewTicker(r.flushEvery)
	defer tick.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := r.store.InsertSearchEvents(ctx, batch)
		cancel()
		if err != nil {
			r.log.Warn("search events not recorded", "events", len(batch), "err", err)
		} else {
			r.written.Add(int64(len(batch)))
		}
		batch = batch[:0]
	}
	for {
		select {
		case ev, ok := <-r.ch:
			if !ok {
				flush()
				return
			}
			batch = append(batch, ev)
			if len(batch) >= r.batchSize {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// Close stops accepting events, writes the buffered ones and waits for that (or ctx).
func (r *Recorder) Close(ctx context.Context) error {
	r.closeOnce.Do(func() { close(r.ch) })
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
