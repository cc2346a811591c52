package cache

import (
	"sync"
	"sync/atomic"
	"time"
)

// BreakerState is the state of a Breaker.
type BreakerState int32

// Breaker states. Closed lets every call through; Open skips the dependency entirely until the
// cool-down has passed; HalfOpen lets exactly one probe through, whose outcome closes or reopens.
const (
	BreakerClosed BreakerState = iota
	BreakerOpen
	BreakerHalfOpen
)

// String names the state for logs and monitoring.
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half_open"
	}
	return "unknown"
}

// Breaker is a consecutive-failure circuit breaker. It exists so that a dead or hung Redis costs
// a request nothing once it has been noticed: after Threshold consecutive failures the breaker
// opens and callers skip Redis without waiting for a timeout, until CoolDown has passed and one
// probe is allowed to find out whether Redis is back.
//
// Every call allowed by Allow must be reported with exactly one of Success, Failure or Release.
// Allow and Success are lock-free while the breaker is closed and healthy, which is the hot path.
type Breaker struct {
	threshold int
	coolDown  time.Duration
	now       func() time.Time

	state    atomic.Int32 // BreakerState; written under mu, read lock-free
	failures atomic.Int32 // consecutive failures while closed; written under mu
	opens    atomic.Int64 // transitions into Open, for monitoring

	mu       sync.Mutex
	openedAt time.Time
	probing  bool // a half-open probe is in flight
}

// NewBreaker returns a closed breaker that opens after threshold consecutive failures (at least 1)
// and stays open for coolDown before probing.
func NewBreaker(threshold int, coolDown time.Duration) *Breaker {
	if threshold < 1 {
		threshold = 1
	}
	return &Breaker{threshold: threshold, coolDown: coolDown, now: time.Now}
}

// State is the current state.
func (b *Breaker) State() BreakerState { return BreakerState(b.state.Load()) }

// Opens counts how many times the breaker has opened (including reopenings after a failed probe).
func (b *Breaker) Opens() int64 { return b.opens.Load() }

// Allow reports whether a call may go to the dependency now. While open it returns false without
// any waiting; once the cool-down has passed the first caller becomes the half-open probe and
// every other caller keeps being refused until that probe has been reported.
func (b *Breaker) Allow() bool {
	if b.State() == BreakerClosed {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.State() {
	case BreakerClosed:
		return true
	case BreakerOpen:
		if b.now().Sub(b.openedAt) < b.coolDown {
			return false
		}
		b.state.Store(int32(BreakerHalfOpen))
		b.probing = true
		return true
	default: // half-open
		if b.probing {
			return false
		}
		b.probing = true
		return true
	}
}

// Success reports a call that reached the dependency and got an answer. It returns true when this
// success closed a breaker that had been open, so the caller can react to the recovery.
func (b *Breaker) Success() (recovered bool) {
	if b.State() == BreakerClosed && b.failures.Load() == 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.State() {
	case BreakerClosed:
		b.failures.Store(0)
		return false
	case BreakerHalfOpen:
		b.failures.Store(0)
		b.probing = false
		b.state.Store(int32(BreakerClosed))
		return true
	default:
		// A call let through before the breaker opened answered late; one late answer does not
		// prove the dependency healthy again, the probe will.
		return false
	}
}

// Failure reports a call that failed because of the dependency (timeout, connection error).
func (b *Breaker) Failure() {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.State() {
	case BreakerClosed:
		n := b.failures.Add(1)
		if int(n) >= b.threshold {
			b.open()
		}
	case BreakerHalfOpen:
		b.open()
	}
	// Already open: a late failure changes nothing.
}

// Release reports a call whose outcome says nothing about the dependency (the caller gave up, for
// example). It frees the half-open probe slot so the next caller can probe.
func (b *Breaker) Release() {
	if b.State() != BreakerHalfOpen {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.State() == BreakerHalfOpen {
		b.probing = false
	}
}

// open moves to Open; b.mu must be held.
func (b *Breaker) open() {
	b.state.Store(int32(BreakerOpen))
	b.failures.Store(0)
	b.probing = false
	b.openedAt = b.now()
	b.opens.Add(1)
}
