package cache

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock for the breaker.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestBreaker(threshold int, coolDown time.Duration) (*Breaker, *fakeClock) {
	clk := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := NewBreaker(threshold, coolDown)
	b.now = clk.now
	return b, clk
}

func TestBreakerTransitions(t *testing.T) {
	const coolDown = 5 * time.Second
	// Each step acts on the breaker and states what must hold afterwards.
	type step struct {
		do        string // allow, success, failure, release, wait (advance the clock)
		wait      time.Duration
		allowed   bool // for allow
		recovered bool // for success
		state     BreakerState
		opens     int64
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"failures below the threshold keep it closed", []step{
			{do: "failure", state: BreakerClosed},
			{do: "failure", state: BreakerClosed},
			{do: "allow", allowed: true, state: BreakerClosed},
		}},
		{"a success resets the consecutive count", []step{
			{do: "failure", state: BreakerClosed},
			{do: "failure", state: BreakerClosed},
			{do: "success", state: BreakerClosed},
			{do: "failure", state: BreakerClosed},
			{do: "failure", state: BreakerClosed},
			{do: "failure", state: BreakerOpen, opens: 1},
		}},
		{"threshold failures open it and calls are refused during the cool-down", []step{
			{do: "failure"}, {do: "failure"},
			{do: "failure", state: BreakerOpen, opens: 1},
			{do: "allow", allowed: false, state: BreakerOpen, opens: 1},
			{do: "wait", wait: coolDown - time.Millisecond, state: BreakerOpen, opens: 1},
			{do: "allow", allowed: false, state: BreakerOpen, opens: 1},
		}},
		{"after the cool-down one probe goes through and its success closes it", []step{
			{do: "failure"}, {do: "failure"}, {do: "failure", state: BreakerOpen, opens: 1},
			{do: "wait", wait: coolDown, state: BreakerOpen, opens: 1},
			{do: "allow", allowed: true, state: BreakerHalfOpen, opens: 1},
			{do: "allow", allowed: false, state: BreakerHalfOpen, opens: 1},
			{do: "success", recovered: true, state: BreakerClosed, opens: 1},
			{do: "allow", allowed: true, state: BreakerClosed, opens: 1},
			{do: "success", recovered: false, state: BreakerClosed, opens: 1},
		}},
		{"a failed probe reopens it for a full cool-down", []step{
			{do: "failure"}, {do: "failure"}, {do: "failure", state: BreakerOpen, opens: 1},
			{do: "wait", wait: coolDown, state: BreakerOpen, opens: 1},
			{do: "allow", allowed: true, state: BreakerHalfOpen, opens: 1},
			{do: "failure", state: BreakerOpen, opens: 2},
			{do: "wait", wait: coolDown / 2, state: BreakerOpen, opens: 2},
			{do: "allow", allowed: false, state: BreakerOpen, opens: 2},
			{do: "wait", wait: coolDown / 2, state: BreakerOpen, opens: 2},
			{do: "allow", allowed: true, state: BreakerHalfOpen, opens: 2},
		}},
		{"a released probe lets the next caller probe", []step{
			{do: "failure"}, {do: "failure"}, {do: "failure", state: BreakerOpen, opens: 1},
			{do: "wait", wait: coolDown, state: BreakerOpen, opens: 1},
			{do: "allow", allowed: true, state: BreakerHalfOpen, opens: 1},
			{do: "release", state: BreakerHalfOpen, opens: 1},
			{do: "allow", allowed: true, state: BreakerHalfOpen, opens: 1},
			{do: "allow", allowed: false, state: BreakerHalfOpen, opens: 1},
		}},
		{"late answers of calls let through before it opened change nothing", []step{
			{do: "failure"}, {do: "failure"}, {do: "failure", state: BreakerOpen, opens: 1},
			{do: "success", recovered: false, state: BreakerOpen, opens: 1},
			{do: "failure", state: BreakerOpen, opens: 1},
			{do: "release", state: BreakerOpen, opens: 1},
			{do: "allow", allowed: false, state: BreakerOpen, opens: 1},
		}},
		{"closing resets the failure count", []step{
			{do: "failure"}, {do: "failure"}, {do: "failure", state: BreakerOpen, opens: 1},
			{do: "wait", wait: coolDown, state: BreakerOpen, opens: 1},
			{do: "allow", allowed: true, state: BreakerHalfOpen, opens: 1},
			{do: "success", recovered: true, state: BreakerClosed, opens: 1},
			{do: "failure", state: BreakerClosed, opens: 1},
			{do: "failure", state: BreakerClosed, opens: 1},
			{do: "failure", state: BreakerOpen, opens: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, clk := newTestBreaker(3, coolDown)
			for i, s := range tt.steps {
				switch s.do {
				case "allow":
					assert.Equal(t, s.allowed, b.Allow(), "step %d: allow", i)
				case "success":
					assert.Equal(t, s.recovered, b.Success(), "step %d: recovered", i)
				case "failure":
					b.Failure()
				case "release":
					b.Release()
				case "wait":
					clk.advance(s.wait)
				default:
					t.Fatalf("unknown step %q", s.do)
				}
				require.Equal(t, s.state, b.State(), "step %d (%s): state", i, s.do)
				require.Equal(t, s.opens, b.Opens(), "step %d (%s): opens", i, s.do)
			}
		})
	}
}

func TestBreakerStateNames(t *testing.T) {
	for s, want := range map[BreakerState]string{
		BreakerClosed: "closed", BreakerOpen: "open", BreakerHalfOpen: "half_open", BreakerState(9): "unknown",
	} {
		assert.Equal(t, want, s.String())
	}
}

func TestBreakerThresholdAtLeastOne(t *testing.T) {
	b, _ := newTestBreaker(0, time.Second)
	b.Failure()
	assert.Equal(t, BreakerOpen, b.State())
}

// Under concurrency exactly one caller becomes the half-open probe.
func TestBreakerSingleProbe(t *testing.T) {
	b, clk := newTestBreaker(1, time.Second)
	b.Failure()
	require.Equal(t, BreakerOpen, b.State())
	clk.advance(time.Second)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if b.Allow() {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), allowed.Load())
	assert.Equal(t, BreakerHalfOpen, b.State())
	assert.True(t, b.Success())
	assert.Equal(t, BreakerClosed, b.State())
}
