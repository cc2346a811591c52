package actors

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/automanaged"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/instainstru/instainstru"
)

// Cluster placement: the same InstructorActor, activated as a protoactor cluster grain (a
// virtual actor keyed by instructor id) on the node that rendezvous hashing of the live members
// picks. Membership is automanaged (every node serves /_health on its membership port and polls
// the others'; no coordinator), identity lookup is disthash. When a member joins or leaves, the
// owner of some instructors changes: the old activation is stopped by the library and the next
// request activates the actor on its new owner, which loads the calendar from the database. For
// the moment between, two activations may meet; the calendar fence (every write checks and
// bumps the version in its own transaction) and the exclusion constraints keep that harmless.

// instructorKind is the grain kind of instructor actors.
const instructorKind = "instructor"

// ClusterConfig places instructor actors as cluster grains (CLUSTER_* settings).
type ClusterConfig struct {
	Name string // CLUSTER_NAME: nodes with another name are not members
	// Addr is host:port of this node's actor remoting (CLUSTER_ADDR). The host is what the
	// other nodes dial; the listener binds it too, unless BindHost is set.
	Addr     string
	BindHost string
	// MembershipPort serves this node's membership health (CLUSTER_MEMBERSHIP_PORT).
	MembershipPort int
	// Members lists every node's membership host:port, this node's included (CLUSTER_MEMBERS).
	Members []string
	// MembershipRefresh is how often membership is polled (default 1s): a node that stops
	// answering leaves the cluster within about this period.
	MembershipRefresh time.Duration
}

// Validate reports a configuration that cannot form a cluster.
func (c *ClusterConfig) Validate() error {
	var errs []string
	if c.Name == "" {
		errs = append(errs, "CLUSTER_NAME is required")
	}
	if _, _, err := splitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Sprintf("CLUSTER_ADDR=%q: %v", c.Addr, err))
	}
	if c.MembershipPort < 1 || c.MembershipPort > 65535 {
		errs = append(errs, "CLUSTER_MEMBERSHIP_PORT must be a port number")
	}
	if len(c.Members) == 0 {
		errs = append(errs, "CLUSTER_MEMBERS must list every node's membership host:port")
	}
	for _, m := range c.Members {
		if _, _, err := splitHostPort(m); err != nil {
			errs = append(errs, fmt.Sprintf("CLUSTER_MEMBERS entry %q: %v", m, err))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func splitHostPort(s string) (string, int, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 || h == "" {
		return "", 0, errors.New("want host:port")
	}
	return h, port, nil
}

// ClusterStatus is what /readyz reports of the cluster.
type ClusterStatus struct {
	Members   int      // live members, this node included
	Self      string   // this node's remoting host:port
	Addresses []string // every live member's remoting host:port, sorted
}

// grainEntry is an instructor actor activated on this node as a grain.
type grainEntry struct {
	pid      *actor.PID
	busy     int // messages being handled (the actor reports start and end)
	lastUsed time.Time
}

// clusterState is the Directory's cluster half.
type clusterState struct {
	c       *cluster.Cluster
	members []string // remoting addresses, from the topology events (guarded by Directory.mu)
	grains  map[string]*grainEntry
}

// NewClusterDirectory starts an actor system that joins the cluster cc and places instructor
// actors as grains across its members. Everything else (in-flight bound, ask timeout, idle
// passivation, the API it serves) is as with NewDirectory.
func NewClusterDirectory(store Store, cfg Config, cc ClusterConfig) (d *Directory, err error) {
	if err := cc.Validate(); err != nil {
		return nil, err
	}
	if cc.MembershipRefresh <= 0 {
		cc.MembershipRefresh = time.Second
	}
	host, port, _ := splitHostPort(cc.Addr)
	bind := host
	if cc.BindHost != "" {
		bind = cc.BindHost
	}
	// The library panics when a port is taken; find out first, with a clear error.
	for _, p := range []int{port, cc.MembershipPort} {
		ln, lerr := net.Listen("tcp", net.JoinHostPort(bind, strconv.Itoa(p)))
		if lerr != nil {
			return nil, fmt.Errorf("cluster port %d: %w", p, lerr)
		}
		_ = ln.Close()
	}
	d = newDirectory(store, cfg)
	d.cl = &clusterState{grains: map[string]*grainEntry{}}
	rcfg := remote.Configure(bind, port, remote.WithAdvertisedHost(net.JoinHostPort(host, strconv.Itoa(port))))
	provider := automanaged.NewWithConfig(cc.MembershipRefresh, cc.MembershipPort, cc.Members...)
	// A grain is the child of the library's placement actor, whose default supervision restarts
	// it after a panic (the library refuses a guardian on a child); handle() has already answered
	// the caller with a definite error, and the restarted actor reloads from the database.
	kind := cluster.NewKind(instructorKind, actor.PropsFromProducer(func() actor.Actor { return &grainActor{dir: d} }))
	ccfg := cluster.Configure(cc.Name, provider, disthash.New(), rcfg, cluster.WithKinds(kind),
		cluster.WithRequestTimeout(d.cfg.AskTimeout))
	d.cl.c = cluster.New(d.system, ccfg)
	d.system.EventStream.Subscribe(func(ev any) {
		if t, ok := ev.(*cluster.ClusterTopology); ok {
			addrs := make([]string, 0, len(t.Members))
			for _, m := range t.Members {
				addrs = append(addrs, m.Address())
			}
			sort.Strings(addrs)
			d.mu.Lock()
			d.cl.members = addrs
			d.mu.Unlock()
		}
	})
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("join cluster %s: %v", cc.Name, r)
		}
	}()
	d.cl.c.StartMember()
	d.cfg.Log.Info("joined the actor cluster", "cluster", cc.Name, "self", d.system.Address(), "members", strings.Join(cc.Members, ","))
	return d, nil
}

// ClusterStatus reports the live members as this node sees them; ok is false without a cluster.
func (d *Directory) ClusterStatus() (s ClusterStatus, ok bool) {
	if d.cl == nil {
		return s, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return ClusterStatus{Members: len(d.cl.members), Self: d.system.Address(),
		Addresses: append([]string(nil), d.cl.members...)}, true
}

// grainActor is an InstructorActor living as a cluster grain: it learns its instructor from the
// cluster identity and reports its activity to the Directory of the node it lives on.
type grainActor struct {
	dir   *Directory
	inner *InstructorActor
}

func (g *grainActor) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *cluster.ClusterInit, *actor.Started, *actor.Restarting, *actor.Stopping:
		g.ensure(ctx)
		return
	case *actor.Stopped:
		if g.inner != nil {
			g.dir.forget(g.inner.id, ctx.Self())
		}
		return
	}
	if g.ensure(ctx) == nil {
		return
	}
	g.dir.grainBusy(g.inner.id, ctx.Self(), +1)
	defer g.dir.grainBusy(g.inner.id, ctx.Self(), -1)
	g.inner.Receive(ctx)
}

// ensure creates the inner actor once the cluster identity is known, and registers the grain.
func (g *grainActor) ensure(ctx actor.Context) *InstructorActor {
	if g.inner != nil {
		return g.inner
	}
	ci := cluster.GetClusterIdentity(ctx)
	if ci == nil || ci.Identity == "" {
		return nil
	}
	g.inner = newInstructorActor(ci.Identity, g.dir)
	g.dir.grainActivated(ci.Identity, ctx.Self())
	return g.inner
}

func (d *Directory) grainActivated(id string, pid *actor.PID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cl.grains[id] = &grainEntry{pid: pid, lastUsed: time.Now()}
	d.spawned++
}

func (d *Directory) grainBusy(id string, pid *actor.PID, delta int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.cl.grains[id]; e != nil && e.pid.Equal(pid) {
		e.busy += delta
		e.lastUsed = time.Now()
	}
}

// idleGrains removes and returns the grains idle since cutoff (called with d.mu held). A
// message that reaches a stopped grain comes back as a dead letter, and the cluster request
// retries it on a fresh activation: passivation never loses a request.
func (d *Directory) idleGrains(cutoff time.Time) []*actor.PID {
	var idle []*actor.PID
	for id, e := range d.cl.grains {
		if e.busy == 0 && e.lastUsed.Before(cutoff) {
			delete(d.cl.grains, id)
			idle = append(idle, e.pid)
		}
	}
	return idle
}

// clusterRetry is the pause between attempts while the cluster finds (or re-activates) the
// owner of an instructor: short at first, never more than 250ms.
func clusterRetry(i int) int {
	i++
	pause := time.Duration(i*i) * 10 * time.Millisecond
	if pause > 250*time.Millisecond {
		pause = 250 * time.Millisecond
	}
	time.Sleep(pause)
	return i
}

// requestGrain asks the instructor's grain, wherever it lives, until the deadline. The library
// already retries a dead letter (the grain stopped: passivated, or moved after a membership
// change) on a fresh lookup; a lookup that finds no owner (no members yet, a member leaving)
// fails with "max retries", and is retried here until the deadline. Retrying is safe because
// a message that reached no actor did nothing, and one that reached an actor is answered by it;
// a reply lost with its node ends at the deadline as 503, like any outcome nobody knows.
func (d *Directory) requestGrain(instructorID string, msg any, deadline time.Time) (any, error) {
	var lastErr error
	for {
		left := time.Until(deadline)
		if left <= 0 {
			if lastErr == nil {
				lastErr = actor.ErrTimeout
			}
			d.askTimeouts.Add(1)
			return nil, &instainstru.Error{Code: instainstru.CodeUnavailable,
				Message: "the instructor's calendar did not answer in time; retry", RetryAfter: time.Second, Cause: lastErr}
		}
		res, err := d.cl.c.Request(instructorID, instructorKind, msg,
			cluster.WithTimeout(left), cluster.WithRetryCount(20), cluster.WithRetryAction(clusterRetry))
		if err == nil && res != nil {
			return res, nil
		}
		if err == nil {
			err = errors.New("empty reply")
		}
		lastErr = err
		if errors.Is(err, actor.ErrTimeout) || errors.Is(err, remote.ErrTimeout) {
			continue // the deadline check above answers
		}
		d.cfg.Log.Debug("cluster request failed; retrying", "instructor", instructorID, "err", err)
		clusterRetry(3)
	}
}

func (d *Directory) shutdownCluster() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				d.cfg.Log.Warn("cluster shutdown", "err", fmt.Sprint(r))
			}
		}()
		d.cl.c.Shutdown(true)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		d.cfg.Log.Warn("cluster shutdown did not finish in 15s; leaving")
	}
}

// liveIDs lists the instructors with an actor on this node (called with d.mu held).
func (d *Directory) liveIDs() []string {
	var ids []string
	if d.cl != nil {
		ids = make([]string, 0, len(d.cl.grains))
		for id := range d.cl.grains {
			ids = append(ids, id)
		}
	} else {
		ids = make([]string, 0, len(d.entries))
		for id := range d.entries {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) > maxListedIDs {
		ids = ids[:maxListedIDs]
	}
	return ids
}

// maxListedIDs bounds the instructor ids monitoring lists.
const maxListedIDs = 1000
