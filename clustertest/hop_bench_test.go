package clustertest

import (
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/instainstru/instainstru"
)

// BenchmarkBookingRemoteHop measures booking latency through the node that owns the
// instructor's actor ("owner") and through a node that forwards the request to it over actor
// remoting ("forwarded"), on two real nodes, one client, one booking at a time: the difference is
// the cost of a remote hop (encode, gRPC stream, decode, and back). Each booking takes its own
// 15-minute slot. Reports p50 and p99 in milliseconds.
//
//	go test -run '^$' -bench RemoteHop -benchtime 400x ./clustertest/
func BenchmarkBookingRemoteHop(b *testing.B) {
	c := startCluster(b, 2)
	w := makeWorld(b, c.nodes, 1, 1, "{15}")
	ins, offer, token := w.instructors[0], w.offers[0], w.stuTokens[0]
	first := nextMonday()
	var days []instainstru.Date
	for i := 0; i < 300; i++ {
		days = append(days, first.AddDays(i))
	}
	setAvailability(b, []string{ins}, days, 0, instainstru.EndOfDay)
	slot := 0
	book := func(nd *node) time.Duration {
		d, start := days[slot/96], instainstru.Minute(15*(slot%96))
		slot++
		t0 := time.Now()
		a := call(http.MethodPost, nd.base()+"/api/v1/bookings", token, "", bookBody(offer, d, start, 15))
		took := time.Since(t0)
		if a.err != nil || a.status != http.StatusCreated {
			b.Fatalf("booking through %s: %+v", nd.name, a)
		}
		return took
	}
	// Activate the actor, then find the node it lives on.
	book(c.nodes[0])
	var owner, other *node
	for _, nd := range c.nodes {
		ids, err := nd.liveInstructors()
		if err != nil {
			b.Fatal(err)
		}
		if len(ids) == 1 && ids[0] == ins {
			owner = nd
		} else {
			other = nd
		}
	}
	if owner == nil || other == nil {
		b.Fatal("could not tell the owner node from the forwarding one")
	}
	for _, bc := range []struct {
		name string
		nd   *node
	}{{"owner", owner}, {"forwarded", other}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < 20; i++ { // warm connections and caches
				book(bc.nd)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lat = append(lat, book(bc.nd))
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
			b.ReportMetric(ms(lat[(len(lat)-1)*99/100]), "p99_ms")
		})
	}
}
