package loadgen

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Stats accumulates the outcomes of a run; safe for concurrent use.
type Stats struct {
	mu         sync.Mutex
	start, fin time.Time
	lat        map[Endpoint][]time.Duration // answered requests
	status     map[Endpoint]map[int]int
	codes      map[string]int // "409 booking_conflict" -> count
	transport  map[string]int // transport error kind -> count
	total      int
	answered   int
	maxLatency time.Duration
	// Acknowledged: bookings answered 201 (with their Idempotency-Key, possibly empty) and
	// cancellations answered 200.
	booked    map[string]string
	cancelled map[string]bool
}

// NewStats is an empty record.
func NewStats() *Stats {
	return &Stats{lat: map[Endpoint][]time.Duration{}, status: map[Endpoint]map[int]int{},
		codes: map[string]int{}, transport: map[string]int{}, booked: map[string]string{}, cancelled: map[string]bool{}}
}

func (s *Stats) begin(t time.Time) {
	s.mu.Lock()
	if s.start.IsZero() {
		s.start = t
	}
	s.mu.Unlock()
}

func (s *Stats) end(t time.Time) { s.mu.Lock(); s.fin = t; s.mu.Unlock() }

func (s *Stats) record(r Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	if r.Status == 0 || r.Err != nil {
		s.transport[errorKind(r.Err)]++
		return
	}
	s.answered++
	s.lat[r.Endpoint] = append(s.lat[r.Endpoint], r.Latency)
	if s.status[r.Endpoint] == nil {
		s.status[r.Endpoint] = map[int]int{}
	}
	s.status[r.Endpoint][r.Status]++
	if r.Status >= 400 {
		s.codes[fmt.Sprintf("%d %s", r.Status, r.Code)]++
	}
	if r.Latency > s.maxLatency {
		s.maxLatency = r.Latency
	}
	if r.Endpoint == Book && r.Status == 201 && r.BookingID != "" {
		s.booked[r.BookingID] = r.IdempotencyKey
	}
	if r.Endpoint == Cancel && r.Status == 200 && r.BookingID != "" {
		s.cancelled[r.BookingID] = true
	}
}

// errorKind classifies a transport error for the report.
func errorKind(err error) string {
	if err == nil {
		return "no answer"
	}
	m := err.Error()
	switch {
	case strings.Contains(m, "connection refused"):
		return "connection refused"
	case strings.Contains(m, "connection reset"):
		return "connection reset"
	case strings.Contains(m, "EOF"):
		return "EOF"
	case strings.Contains(m, "Client.Timeout") || strings.Contains(m, "deadline exceeded"):
		return "client timeout"
	}
	return "other: " + m
}

// Snapshot is a copy of the figures at one moment.
type Snapshot struct {
	Elapsed    time.Duration
	Total      int
	Answered   int
	MaxLatency time.Duration
	// Status counts per endpoint; Codes counts error answers by "status code".
	Status map[Endpoint]map[int]int
	Codes  map[string]int
	// Transport counts requests that got no answer, by kind.
	Transport map[string]int
	// Booked maps each acknowledged booking to the Idempotency-Key it was sent with.
	Booked map[string]string
	// Cancelled is every acknowledged cancellation.
	Cancelled map[string]bool
	// P50 and P99 per endpoint (answered requests).
	P50, P99 map[Endpoint]time.Duration
}

// Snapshot copies the current figures.
func (s *Stats) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	end := s.fin
	if end.IsZero() {
		end = time.Now()
	}
	sn := Snapshot{Total: s.total, Answered: s.answered, MaxLatency: s.maxLatency,
		Status: map[Endpoint]map[int]int{}, Codes: map[string]int{}, Transport: map[string]int{},
		Booked: map[string]string{}, Cancelled: map[string]bool{},
		P50: map[Endpoint]time.Duration{}, P99: map[Endpoint]time.Duration{}}
	if !s.start.IsZero() {
		sn.Elapsed = end.Sub(s.start)
	}
	for ep, m := range s.status {
		sn.Status[ep] = map[int]int{}
		for k, v := range m {
			sn.Status[ep][k] = v
		}
	}
	for k, v := range s.codes {
		sn.Codes[k] = v
	}
	for k, v := range s.transport {
		sn.Transport[k] = v
	}
	for k, v := range s.booked {
		sn.Booked[k] = v
	}
	for k := range s.cancelled {
		sn.Cancelled[k] = true
	}
	for ep, l := range s.lat {
		c := append([]time.Duration(nil), l...)
		sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
		sn.P50[ep] = percentile(c, 50)
		sn.P99[ep] = percentile(c, 99)
	}
	return sn
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	if i > 0 {
		i--
	}
	return sorted[i]
}

// Count is how many answers of endpoint ep had status code (ep "" means every endpoint).
func (sn Snapshot) Count(ep Endpoint, status int) int {
	n := 0
	for e, m := range sn.Status {
		if ep == "" || e == ep {
			n += m[status]
		}
	}
	return n
}

// ProgressLine is one line of the live progress: elapsed, requests, rate, answers by class,
// bookings made and refused, transport errors.
func (s *Stats) ProgressLine() string {
	sn := s.Snapshot()
	classes := map[int]int{}
	for _, m := range sn.Status {
		for st, n := range m {
			classes[st/100] += n
		}
	}
	noAnswer := 0
	for _, n := range sn.Transport {
		noAnswer += n
	}
	rate := 0.0
	if sn.Elapsed > 0 {
		rate = float64(sn.Total) / sn.Elapsed.Seconds()
	}
	return fmt.Sprintf("[%5.1fs] %7d requests %7.0f req/s  2xx %d 4xx %d 5xx %d no-answer %d  bookings 201 %d 409 %d  cancelled %d",
		sn.Elapsed.Seconds(), sn.Total, rate, classes[2], classes[4], classes[5], noAnswer,
		sn.Count(Book, 201), sn.Count(Book, 409), len(sn.Cancelled))
}

// Print writes the final report: throughput, p50/p99 per endpoint, answers by status, error
// codes, transport errors.
func (sn Snapshot) Print(w io.Writer) {
	rate := 0.0
	if sn.Elapsed > 0 {
		rate = float64(sn.Total) / sn.Elapsed.Seconds()
	}
	fmt.Fprintf(w, "\n%d requests in %.1f s: %.0f req/s (%d answered)\n\n", sn.Total, sn.Elapsed.Seconds(), rate, sn.Answered)
	fmt.Fprintf(w, "%-20s %9s %8s %10s %10s   %s\n", "endpoint", "requests", "share", "p50", "p99", "statuses")
	for _, ep := range Endpoints {
		m := sn.Status[ep]
		n := 0
		var keys []int
		for st, c := range m {
			n += c
			keys = append(keys, st)
		}
		if n == 0 {
			continue
		}
		sort.Ints(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%d:%d", k, m[k]))
		}
		fmt.Fprintf(w, "%-20s %9d %7.1f%% %10s %10s   %s\n", ep, n, 100*float64(n)/float64(max(sn.Answered, 1)),
			fmtDur(sn.P50[ep]), fmtDur(sn.P99[ep]), strings.Join(parts, " "))
	}
	fmt.Fprintf(w, "\nerror answers by status and code:\n")
	var keys []string
	for k := range sn.Codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, k := range keys {
		fmt.Fprintf(w, "  %-40s %d\n", k, sn.Codes[k])
	}
	fmt.Fprintf(w, "requests without an answer: ")
	if len(sn.Transport) == 0 {
		fmt.Fprintln(w, "none")
	} else {
		fmt.Fprintln(w)
		for k, v := range sn.Transport {
			fmt.Fprintf(w, "  %-40s %d\n", k, v)
		}
	}
	fmt.Fprintf(w, "bookings acknowledged (201): %d, cancellations acknowledged (200): %d\n", len(sn.Booked), len(sn.Cancelled))
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	}
}
