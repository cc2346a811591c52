// Package loadgen drives a realistic mix of InstaInstru traffic against running servers over
// HTTP, as a user population would: natural-language search, public availability, catalog
// browsing, bookings by real logged-in students (random offers, dates and times, so many are
// refused 409 or 422, as in life) and cancellations of the bookings it made.
//
// It is the engine of `instainstru load` (the load harness) and of the fault suite (package
// faults), which injects failures while it runs and then checks what it recorded: every
// acknowledged booking (201) and cancellation, every answer's status and latency, and every
// request that got no answer at all. It speaks only HTTP: what it measures is what a client sees.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Endpoint names the kinds of request the generator sends; reports are grouped by them.
type Endpoint string

// The endpoints of the mix.
const (
	Search        Endpoint = "search"
	Availability  Endpoint = "public_availability"
	NextAvailable Endpoint = "next_available"
	Catalog       Endpoint = "catalog"
	Book          Endpoint = "booking"
	Cancel        Endpoint = "cancellation"
)

// Endpoints lists them in report order.
var Endpoints = []Endpoint{Search, Availability, NextAvailable, Catalog, Book, Cancel}

// Mix is the share of each kind of request, in percent (they need not add up to 100: they are
// weights). Public availability includes next-available (one in five).
type Mix struct {
	Search, Availability, Catalog, Book, Cancel int
}

// DefaultMix is the realistic mix: search 40 %, public availability 30 %, catalog 15 %, bookings
// 10 %, cancellations 5 %.
var DefaultMix = Mix{Search: 40, Availability: 30, Catalog: 15, Book: 10, Cancel: 5}

// Config is one run's setting. Zero values take the defaults documented on each field.
type Config struct {
	// Targets are the servers' base URLs (http://host:port); requests go round-robin over them.
	Targets []string
	// Workers is the number of concurrent virtual users, each with one request in flight (16).
	Workers int
	// Students is how many students the run registers and logs in to book and cancel (40).
	Students int
	// Instructors is how many instructors it samples for availability and bookings (300).
	Instructors int
	// Mix is the request mix (DefaultMix).
	Mix Mix
	// IdempotencyKeys sends an Idempotency-Key with every booking.
	IdempotencyKeys bool
	// Timeout bounds one request on the client side (30 s): a hang shows up as a transport error.
	Timeout time.Duration
	// Progress, when set, gets one line every ProgressEvery (5 s) while the run lasts.
	Progress      io.Writer
	ProgressEvery time.Duration
	// OnResult, when set, sees every request's outcome (from many goroutines at once).
	OnResult func(Result)
	// Seed makes the random choices repeatable (0: from the clock).
	Seed uint64
	// Password is the registered students' password.
	Password string
}

func (c *Config) defaults() {
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.Students <= 0 {
		c.Students = 40
	}
	if c.Instructors <= 0 {
		c.Instructors = 300
	}
	if c.Mix == (Mix{}) {
		c.Mix = DefaultMix
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 5 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.Password == "" {
		c.Password = "load-password-1"
	}
}

// Result is one request's outcome.
type Result struct {
	Endpoint Endpoint
	Target   string
	Start    time.Time
	Latency  time.Duration
	// Status is the HTTP status, 0 when no answer came (Err says why).
	Status     int
	RetryAfter string
	Code       string // problem+json code of an error answer
	Err        error
	// BookingID is the booking a 201 created or a 200 cancellation cancelled.
	BookingID string
	// IdempotencyKey is the key a booking request carried.
	IdempotencyKey string
}

// Refused reports whether a transport error means the request never reached a server (nothing
// was listening): unlike a reset or an EOF, it cannot have been accepted.
func (r Result) Refused() bool {
	return r.Err != nil && errors.Is(r.Err, syscall.ECONNREFUSED)
}

type offer struct {
	id        string
	durations []int
	locations []string
}

type instructor struct {
	id     string
	offers []offer
}

type student struct {
	id, email, token string
	mu               sync.Mutex
	booked           []string // confirmed bookings this run made for the student
}

// Runner holds what a run needs: logged-in students, sampled instructors and catalog slugs.
type Runner struct {
	cfg         Config
	client      *http.Client
	students    []*student
	instructors []instructor
	slugs       []string
	categories  []string
	targets     atomic.Pointer[[]string]
	next        atomic.Uint64
	stats       *Stats
	// zone is the instructors' zone the dates are picked in; bookings outside an instructor's
	// hours are refused, as they would be for a real user.
	zone *time.Location
}

// Prepare registers and logs in the students, samples instructors with their offers and reads
// the catalog, all through the API of the first target.
func Prepare(ctx context.Context, cfg Config) (*Runner, error) {
	cfg.defaults()
	if len(cfg.Targets) == 0 {
		return nil, errors.New("loadgen: no target")
	}
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Workers + 8, MaxConnsPerHost: 0, IdleConnTimeout: 30 * time.Second,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	r := &Runner{cfg: cfg, client: &http.Client{Timeout: cfg.Timeout, Transport: tr}, stats: NewStats()}
	r.SetTargets(cfg.Targets)
	zone, err := time.LoadLocation("America/New_York")
	if err != nil {
		zone = time.UTC
	}
	r.zone = zone
	base := cfg.Targets[0] + "/api/v1"

	// Catalog: service slugs and category slugs for browsing and search.
	var svcs struct {
		Items []struct {
			Slug     string `json:"slug"`
			Category struct {
				Slug string `json:"slug"`
			} `json:"category"`
		} `json:"items"`
	}
	if err := r.getJSON(ctx, base+"/catalog/services?limit=100", &svcs); err != nil {
		return nil, fmt.Errorf("loadgen: catalog: %w", err)
	}
	seen := map[string]bool{}
	for _, s := range svcs.Items {
		r.slugs = append(r.slugs, s.Slug)
		if !seen[s.Category.Slug] {
			seen[s.Category.Slug] = true
			r.categories = append(r.categories, s.Category.Slug)
		}
	}
	if len(r.slugs) == 0 {
		return nil, errors.New("loadgen: the catalog is empty (seed it first)")
	}

	// Instructors: pages of the public list, then each one's offers.
	var ids []string
	cursor := ""
	for len(ids) < cfg.Instructors {
		u := base + "/instructors?limit=100"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		if err := r.getJSON(ctx, u, &page); err != nil {
			return nil, fmt.Errorf("loadgen: instructors: %w", err)
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if page.NextCursor == nil || *page.NextCursor == "" || len(page.Items) == 0 {
			break
		}
		cursor = *page.NextCursor
	}
	if len(ids) > cfg.Instructors {
		ids = ids[:cfg.Instructors]
	}
	ins := make([]instructor, len(ids))
	if err := parallel(ctx, len(ids), 8, func(i int) error {
		var p struct {
			ID       string `json:"id"`
			Services []struct {
				ID              string   `json:"id"`
				DurationOptions []int    `json:"duration_options"`
				LocationTypes   []string `json:"location_types"`
				IsActive        bool     `json:"is_active"`
			} `json:"services"`
		}
		if err := r.getJSON(ctx, base+"/instructors/"+ids[i], &p); err != nil {
			return err
		}
		ins[i].id = p.ID
		for _, s := range p.Services {
			if s.IsActive && len(s.DurationOptions) > 0 {
				ins[i].offers = append(ins[i].offers, offer{id: s.ID, durations: s.DurationOptions, locations: s.LocationTypes})
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("loadgen: instructor profiles: %w", err)
	}
	for _, in := range ins {
		if len(in.offers) > 0 {
			r.instructors = append(r.instructors, in)
		}
	}
	if len(r.instructors) == 0 {
		return nil, errors.New("loadgen: no instructor with an offer (seed demo data first)")
	}

	// Students: registered by this run (a fresh prefix, so runs never collide), then logged in.
	prefix := fmt.Sprintf("load-%d-%04x", time.Now().Unix(), rand.IntN(1<<16))
	r.students = make([]*student, cfg.Students)
	if err := parallel(ctx, cfg.Students, 4, func(i int) error {
		email := fmt.Sprintf("%s-%d@load.test", prefix, i)
		body := map[string]any{"email": email, "password": cfg.Password, "full_name": fmt.Sprintf("Load Student %d", i), "role": "student"}
		var out struct {
			AccessToken string `json:"access_token"`
			User        struct {
				ID string `json:"id"`
			} `json:"user"`
		}
		if err := r.postJSON(ctx, base+"/auth/register", body, http.StatusCreated, &out); err != nil {
			return err
		}
		r.students[i] = &student{id: out.User.ID, email: email, token: out.AccessToken}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("loadgen: register students: %w", err)
	}
	return r, nil
}

// SetTargets changes the servers later requests go to (a fault test drops a killed node).
func (r *Runner) SetTargets(t []string) {
	cp := append([]string(nil), t...)
	r.targets.Store(&cp)
}

// Stats is what the run has recorded so far.
func (r *Runner) Stats() *Stats { return r.stats }

// Instructors is the ids of the sampled instructors.
func (r *Runner) Instructors() []string {
	out := make([]string, len(r.instructors))
	for i, in := range r.instructors {
		out[i] = in.id
	}
	return out
}

// StudentIDs is the ids of the students the run registered.
func (r *Runner) StudentIDs() []string {
	out := make([]string, len(r.students))
	for i, s := range r.students {
		out[i] = s.id
	}
	return out
}

// Run sends the mix from cfg.Workers goroutines until ctx ends or d has passed, and returns
// the statistics (also available live through Stats).
func (r *Runner) Run(ctx context.Context, d time.Duration) *Stats {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	r.stats.begin(start)
	var wg sync.WaitGroup
	for w := 0; w < r.cfg.Workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(w)+1))
			for ctx.Err() == nil {
				r.one(ctx, rng)
			}
		}(w)
	}
	done := make(chan struct{})
	if r.cfg.Progress != nil {
		go func() {
			t := time.NewTicker(r.cfg.ProgressEvery)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					fmt.Fprintln(r.cfg.Progress, r.stats.ProgressLine())
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	r.stats.end(time.Now())
	return r.stats
}

// searchQueries are what users type: services, categories, prices, times, places, typos.
var searchQueries = []string{
	"piano lessons", "piano under $80", "spanish tomorrow", "guitar for kids", "math tutor this weekend",
	"yoga in the evening", "online french", "sat prep in brooklyn", "music lessons", "lessons under $50",
	"pianno", "violin at 4pm tomorrow", "boxing", "python", "chess for beginners", "singing lessons",
	"drums on saturday", "watercolor painting", "coding after 5pm", "tennis in manhattan", "cheap guitar",
	"languages", "fitness tomorrow morning", "german over $60", "90 minute chemistry", "photography online",
	"lessons this week online", "tutoring in queens", "beginner cello", "swimming", "xqzv",
}

func (r *Runner) pick(rng *rand.Rand) Endpoint {
	m := r.cfg.Mix
	total := m.Search + m.Availability + m.Catalog + m.Book + m.Cancel
	x := rng.IntN(total)
	switch {
	case x < m.Search:
		return Search
	case x < m.Search+m.Availability:
		if rng.IntN(5) == 0 {
			return NextAvailable
		}
		return Availability
	case x < m.Search+m.Availability+m.Catalog:
		return Catalog
	case x < m.Search+m.Availability+m.Catalog+m.Book:
		return Book
	default:
		return Cancel
	}
}

// one sends one request of the mix.
func (r *Runner) one(ctx context.Context, rng *rand.Rand) {
	targets := *r.targets.Load()
	target := targets[int(r.next.Add(1))%len(targets)]
	base := target + "/api/v1"
	ep := r.pick(rng)
	in := r.instructors[rng.IntN(len(r.instructors))]
	today := time.Now().In(r.zone)
	var res Result
	switch ep {
	case Search:
		q := searchQueries[rng.IntN(len(searchQueries))]
		res = r.do(ctx, ep, http.MethodGet, base+"/search/instructors?limit=20&q="+url.QueryEscape(q), "", "", nil)
	case Availability:
		from := today.AddDate(0, 0, rng.IntN(14))
		u := fmt.Sprintf("%s/public/instructors/%s/availability?start_date=%s&end_date=%s", base, in.id,
			from.Format(time.DateOnly), from.AddDate(0, 0, 6).Format(time.DateOnly))
		res = r.do(ctx, ep, http.MethodGet, u, "", "", nil)
	case NextAvailable:
		res = r.do(ctx, ep, http.MethodGet, base+"/public/instructors/"+in.id+"/next-available?duration_minutes=60", "", "", nil)
	case Catalog:
		var u string
		switch rng.IntN(5) {
		case 0:
			u = base + "/catalog/categories"
		case 1:
			u = base + "/catalog/top-per-category?limit=7"
		case 2:
			u = base + "/catalog/services/" + r.slugs[rng.IntN(len(r.slugs))]
		case 3:
			u = base + "/catalog/services?category=" + r.categories[rng.IntN(len(r.categories))]
		default:
			u = base + "/instructors/" + in.id
		}
		res = r.do(ctx, ep, http.MethodGet, u, "", "", nil)
	case Book:
		res = r.book(ctx, rng, base, in, today)
	case Cancel:
		res = r.cancel(ctx, rng, base)
		if res.Endpoint == "" {
			res = r.book(ctx, rng, base, in, today) // nothing to cancel yet: book instead
		}
	}
	if ctx.Err() != nil && (res.Status == 0 || res.Err != nil) {
		return // cut short by the end of the run, not by the server
	}
	res.Target = target
	r.stats.record(res)
	if r.cfg.OnResult != nil {
		r.cfg.OnResult(res)
	}
}

func (r *Runner) book(ctx context.Context, rng *rand.Rand, base string, in instructor, today time.Time) Result {
	st := r.students[rng.IntN(len(r.students))]
	of := in.offers[rng.IntN(len(in.offers))]
	loc := "online"
	body := map[string]any{}
	if len(of.locations) > 0 && of.locations[rng.IntN(len(of.locations))] == "in_person" {
		loc = []string{"student_home", "instructor_location", "neutral"}[rng.IntN(3)]
		body["meeting_location"] = "12 Example Street"
	}
	day := today.AddDate(0, 0, 1+rng.IntN(14))
	minute := (7*60 + rng.IntN(13*4)*15)
	body["instructor_service_id"] = of.id
	body["date"] = day.Format(time.DateOnly)
	body["start_time"] = fmt.Sprintf("%02d:%02d", minute/60, minute%60)
	body["duration_minutes"] = of.durations[rng.IntN(len(of.durations))]
	body["location_type"] = loc
	key := ""
	if r.cfg.IdempotencyKeys {
		key = fmt.Sprintf("load-%016x", rng.Uint64())
	}
	res := r.do(ctx, Book, http.MethodPost, base+"/bookings", st.token, key, body)
	if res.Status == http.StatusCreated && res.BookingID != "" {
		st.mu.Lock()
		st.booked = append(st.booked, res.BookingID)
		st.mu.Unlock()
	}
	return res
}

// cancel cancels one of a student's confirmed bookings made by this run (Endpoint is empty when
// the student has none).
func (r *Runner) cancel(ctx context.Context, rng *rand.Rand, base string) Result {
	st := r.students[rng.IntN(len(r.students))]
	st.mu.Lock()
	if len(st.booked) == 0 {
		st.mu.Unlock()
		return Result{}
	}
	i := rng.IntN(len(st.booked))
	id := st.booked[i]
	st.booked = append(st.booked[:i], st.booked[i+1:]...)
	st.mu.Unlock()
	// A key on a cancellation is ignored by the server; it marks the request as safe to replay,
	// so the HTTP client resends it if the server closed the idle connection it was written on.
	key := ""
	if r.cfg.IdempotencyKeys {
		key = fmt.Sprintf("load-cancel-%016x", rng.Uint64())
	}
	res := r.do(ctx, Cancel, http.MethodPost, base+"/bookings/"+id+"/cancel", st.token, key, map[string]string{"reason": "plans changed"})
	if res.Status == http.StatusOK {
		res.BookingID = id
	} else if res.Status == 0 || res.Status >= 500 {
		// The outcome is unknown: it stays a candidate for a later cancellation.
		st.mu.Lock()
		st.booked = append(st.booked, id)
		st.mu.Unlock()
	}
	return res
}

// do sends one request and reads its answer.
func (r *Runner) do(ctx context.Context, ep Endpoint, method, u, token, key string, body any) Result {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	res := Result{Endpoint: ep, Start: time.Now(), IdempotencyKey: key}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		res.Err = err
		return res
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		res.Latency = time.Since(res.Start)
		res.Err = err
		return res
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	res.RetryAfter = resp.Header.Get("Retry-After")
	b, err := io.ReadAll(resp.Body)
	res.Latency = time.Since(res.Start)
	if err != nil {
		res.Err = err // the answer began but was cut: counted as a transport error
		return res
	}
	if resp.StatusCode >= 400 || ep == Book {
		var out struct {
			ID   string `json:"id"`
			Code string `json:"code"`
		}
		_ = json.Unmarshal(b, &out)
		res.Code = out.Code
		if resp.StatusCode == http.StatusCreated {
			res.BookingID = out.ID
		}
	}
	return res
}

func (r *Runner) getJSON(ctx context.Context, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (r *Runner) postJSON(ctx context.Context, u string, body any, want int, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("POST %s: %d %s", u, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// parallel runs f(0..n-1) on at most k goroutines and returns the first error.
func parallel(ctx context.Context, n, k int, f func(i int) error) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	sem := make(chan struct{}, k)
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(i); err != nil {
				once.Do(func() { first = err })
			}
		}(i)
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
