package seed

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/instainstru/instainstru"
)

// The documented demo accounts. Every demo user, these and the generated ones, logs in with
// DemoPassword; every demo email is at example.com, a domain reserved for examples (RFC 2606).
const (
	DemoPassword        = "demo-password"
	DemoStudentEmail    = "student@example.com"
	DemoInstructorEmail = "instructor@example.com"
	DemoAdminEmail      = "admin@example.com"
)

const (
	demoInstructorCount = 200 // generated instructors, besides DemoInstructorEmail
	demoStudentCount    = 100 // generated students, besides DemoStudentEmail
	demoWindowDays      = 28  // availability is kept for [today, today+28) in each instructor's zone
	demoPastDays        = 56  // past bookings reach back this many days

	// Booking targets: some for the two documented accounts, so whoever logs in as them sees a
	// full calendar, then the rest across everybody. A target that finds no free time is dropped.
	demoFixedStudentFuture    = 6
	demoFixedStudentPast      = 10
	demoFixedInstructorFuture = 8
	demoFixedInstructorPast   = 10
	demoFutureTargets         = 220
	demoPastTargets           = 260
	demoMaxBookings           = demoFixedStudentFuture + demoFixedStudentPast + demoFixedInstructorFuture +
		demoFixedInstructorPast + demoFutureTargets + demoPastTargets

	// demoLockKey serializes concurrent demo seeders (two `instainstru all` starting together).
	demoLockKey int64 = 0x696e737464656d6f
)

// demoNamespace roots every demo id: ids are UUIDv5 of a stable name ("demo-instructor-17"), so a
// second run finds the rows of the first instead of adding new ones.
var demoNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://instainstru.example/demo"))

func demoID(name string) string { return uuid.NewSHA1(demoNamespace, []byte(name)).String() }

// DemoOptions are the inputs of Demo that the caller decides: the password hash every demo
// account gets (hashing belongs to api, which this package does not import) and the clock.
type DemoOptions struct {
	// PasswordHash is stored for every demo account created by this run (existing ones keep theirs).
	PasswordHash string
	// Now anchors the availability window and the bookings; the same Now gives the same data.
	Now time.Time
}

// DemoLogin is a documented demo account that exists after the seed.
type DemoLogin struct {
	Email string
	Role  instainstru.Role
}

// DemoSummary reports what the demo data holds after a run and what this run added.
type DemoSummary struct {
	Instructors       int // demo instructor accounts present
	Students          int // demo student accounts present
	Admins            int // demo admin accounts present
	Offers            int // active demo offers present
	UpcomingSlots     int // demo availability ranges dated today (New York) or later
	Bookings          int // demo bookings present
	UsersCreated      int
	OffersCreated     int
	SlotsCreated      int // availability ranges added (the first run, then top-ups of new dates)
	BookingsCreated   int
	Logins            []DemoLogin
	SkippedEmails     []string // demo emails already used by accounts the demo seed did not create
	BookingsPreserved bool     // demo bookings existed already, so none were generated
}

// Demo loads deterministic demo data through store: about 200 instructors across New York City
// with offers of catalog services and four weeks of availability, about 100 students, the
// documented accounts, and a few hundred past and future bookings. The catalog must have been
// seeded first (Catalog).
//
// It is idempotent and never overwrites: rows are keyed by deterministic ids and inserted with
// ON CONFLICT DO NOTHING, so edits made through the API survive a re-run. A re-run adds only
// availability for dates of the coming four weeks that have none (so the calendar stays filled
// as days pass); bookings are generated only while no demo booking exists. Everything happens in
// one transaction (store.RunDemoTx) under an advisory lock, so two seeders starting together
// (two `instainstru all`) run one after the other and the second finds the first's rows.
func Demo(ctx context.Context, store DemoStore, opt DemoOptions) (DemoSummary, error) {
	if opt.PasswordHash == "" {
		return DemoSummary{}, &instainstru.Error{Code: instainstru.CodeInvalid, Message: "demo seed needs a password hash"}
	}
	if opt.Now.IsZero() {
		return DemoSummary{}, &instainstru.Error{Code: instainstru.CodeInvalid, Message: "demo seed needs the current time"}
	}
	var sum DemoSummary
	err := store.RunDemoTx(ctx, func(tx DemoTx) error {
		sd := &demoSeeder{tx: tx, now: opt.Now, hash: opt.PasswordHash}
		if err := sd.run(ctx); err != nil {
			return err
		}
		sum = sd.sum
		return nil
	})
	if err != nil {
		return DemoSummary{}, fmt.Errorf("seed demo data: %w", err)
	}
	return sum, nil
}

// ---- the catalog as the demo sees it ----

type demoService struct {
	id           string
	slug         string
	name         string
	category     string // category slug
	categoryName string
	durations    []int
	online       bool
	weight       int
}

type demoCatalog struct {
	categories []string                  // slugs that have services, in display order
	services   []*demoService            // in catalog-file order
	byCategory map[string][]*demoService // in catalog-file order
	byID       map[string]*demoService
	bySlug     map[string]*demoService
}

// demoNewCatalog takes the active catalog services as stored (their ids are per database) but
// orders them as the embedded catalog file does, so generation never depends on the order rows
// come back in.
func demoNewCatalog(rows []CatalogServiceRow) (*demoCatalog, error) {
	f, err := LoadCatalogFile()
	if err != nil {
		return nil, err
	}
	inDB := map[string]*demoService{}
	for _, row := range rows {
		inDB[row.Slug] = &demoService{id: row.ID, slug: row.Slug, name: row.Name, category: row.CategorySlug,
			categoryName: row.CategoryName, durations: row.Durations, online: row.Online}
	}
	cat := &demoCatalog{byCategory: map[string][]*demoService{}, byID: map[string]*demoService{}, bySlug: map[string]*demoService{}}
	for _, fs := range f.Services {
		sv := inDB[fs.Slug]
		if sv == nil {
			continue
		}
		sv.durations = slices.DeleteFunc(slices.Clone(sv.durations), func(d int) bool { return !instainstru.ValidDuration(d) })
		if len(sv.durations) == 0 {
			continue
		}
		slices.Sort(sv.durations)
		sv.weight = 1
		if w, ok := demoServiceWeights[sv.slug]; ok {
			sv.weight = w
		}
		cat.services = append(cat.services, sv)
		cat.byCategory[sv.category] = append(cat.byCategory[sv.category], sv)
		cat.byID[sv.id] = sv
		cat.bySlug[sv.slug] = sv
	}
	for _, c := range f.Categories {
		if len(cat.byCategory[c.Slug]) > 0 {
			cat.categories = append(cat.categories, c.Slug)
		}
	}
	if len(cat.services) == 0 {
		return nil, errors.New("the service catalog is empty: run `instainstru seed` first")
	}
	return cat, nil
}

// ---- the cast: people, profiles, offers, weekly habits (pure, deterministic) ----

type demoPerson struct {
	key      string // stable name the id derives from
	id       string
	email    string
	first    string
	fullName string
	role     instainstru.Role
	timezone string
	borough  *demoBorough // nil for instructors living outside New York
	home     string       // neighbourhood
	ageDays  int          // the account was created this many days before Now
}

type demoInstructor struct {
	demoPerson
	fixed      bool
	remoteCity string
	primary    string // main category slug
	bio        string
	years      int
	neighbours []string // the neighbourhoods served
	areas      []string // neighbourhoods then boroughs, as stored in areas_of_service
	minAdvance int
	buffer     int
	offers     []*demoOffer
	template   [7][]instainstru.TimeRange // usual hours by time.Weekday
}

type demoOffer struct {
	id          string
	svc         *demoService
	rate        int // cents
	durations   []int
	locations   []string
	description string
}

type demoCast struct {
	admin       *demoPerson
	instructors []*demoInstructor // the documented instructor first
	students    []*demoPerson     // the documented student first
}

func (c *demoCast) people() []*demoPerson {
	out := []*demoPerson{c.admin}
	for _, in := range c.instructors {
		out = append(out, &in.demoPerson)
	}
	return append(out, c.students...)
}

// demoRand is a PCG stream seeded from a stable name, so each part of the data (the cast, one
// instructor's day, the bookings) draws from its own stream and changing one leaves the others.
func demoRand(parts ...string) *rand.Rand {
	h := fnv.New128a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:])))
}

// demoPickIndex draws an index in [0, n) with the given weights (at least one positive).
func demoPickIndex(r *rand.Rand, n int, weight func(int) int) int {
	total := 0
	for i := 0; i < n; i++ {
		total += weight(i)
	}
	x := r.IntN(total)
	for i := 0; i < n; i++ {
		if x -= weight(i); x < 0 {
			return i
		}
	}
	return n - 1
}

func demoPickString(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

func demoBuildCast(cat *demoCatalog) *demoCast {
	r := demoRand("cast")
	emails := map[string]bool{DemoStudentEmail: true, DemoInstructorEmail: true, DemoAdminEmail: true}
	c := &demoCast{}
	c.admin = &demoPerson{key: "demo-admin", email: DemoAdminEmail, first: "Morgan", fullName: "Morgan Blake",
		role: instainstru.RoleAdmin, timezone: instainstru.DefaultTimezone, ageDays: 720}
	c.admin.id = demoID(c.admin.key)

	c.instructors = append(c.instructors, demoFixedInstructor(r, cat))
	for i := 1; i <= demoInstructorCount; i++ {
		c.instructors = append(c.instructors, demoNewInstructor(r, cat, i, emails))
	}

	manhattan := &demoBoroughs[0]
	st := &demoPerson{key: "demo-student", email: DemoStudentEmail, first: "Jordan", fullName: "Jordan Lee",
		role: instainstru.RoleStudent, timezone: instainstru.DefaultTimezone, borough: manhattan,
		home: "Upper West Side", ageDays: 200}
	st.id = demoID(st.key)
	c.students = append(c.students, st)
	for i := 1; i <= demoStudentCount; i++ {
		p := &demoPerson{key: fmt.Sprintf("demo-student-%d", i), role: instainstru.RoleStudent,
			timezone: instainstru.DefaultTimezone}
		p.id = demoID(p.key)
		p.first, p.fullName, p.email = demoName(r, emails)
		p.borough, p.home, _, _ = demoAreas(r)
		p.ageDays = 60 + r.IntN(700)
		c.students = append(c.students, p)
	}
	return c
}

// demoName draws a first and last name from one background and a unique example.com email.
func demoName(r *rand.Rand, emails map[string]bool) (first, full, email string) {
	bg := demoBackgrounds[demoPickIndex(r, len(demoBackgrounds), func(i int) int { return demoBackgrounds[i].weight })]
	first = demoPickString(r, bg.first)
	last := demoPickString(r, bg.last)
	base := demoASCII(first) + "." + demoASCII(last)
	email = base + "@example.com"
	for n := 2; emails[email]; n++ {
		email = fmt.Sprintf("%s%d@example.com", base, n)
	}
	emails[email] = true
	return first, first + " " + last, email
}

var demoFold = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o", "ø", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "ñ", "n", "ç", "c", "ß", "ss", "'", "", " ", "",
)

// demoASCII turns a name into the local part of an email: lower case, accents folded.
func demoASCII(s string) string { return demoFold.Replace(strings.ToLower(s)) }

var demoNextBorough = map[string]string{
	"Manhattan": "Brooklyn", "Brooklyn": "Manhattan", "Queens": "Manhattan", "Bronx": "Manhattan", "Staten Island": "Brooklyn",
}

// demoAreas draws where someone lives and, for instructors, the 1–3 neighbourhoods they serve
// (sometimes one across the river) plus the borough names, so "in brooklyn" finds them.
func demoAreas(r *rand.Rand) (b *demoBorough, home string, neighbours, areas []string) {
	b = &demoBoroughs[demoPickIndex(r, len(demoBoroughs), func(i int) int { return demoBoroughs[i].weight })]
	k := 1 + demoPickIndex(r, 3, func(i int) int { return []int{35, 45, 20}[i] })
	perm := r.Perm(len(b.areas))
	for i := 0; i < k; i++ {
		neighbours = append(neighbours, b.areas[perm[i]])
	}
	boroughs := []string{b.name}
	if k < 3 && r.IntN(100) < 12 {
		for i := range demoBoroughs {
			if o := &demoBoroughs[i]; o.name == demoNextBorough[b.name] {
				neighbours = append(neighbours, demoPickString(r, o.areas))
				boroughs = append(boroughs, o.name)
			}
		}
	}
	return b, neighbours[0], neighbours, append(slices.Clone(neighbours), boroughs...)
}

func demoFixedInstructor(r *rand.Rand, cat *demoCatalog) *demoInstructor {
	in := &demoInstructor{fixed: true, primary: "music", years: 12, minAdvance: 2, buffer: 15}
	in.demoPerson = demoPerson{key: "demo-instructor", email: DemoInstructorEmail, first: "Elena",
		fullName: "Elena Marquez", role: instainstru.RoleInstructor, timezone: instainstru.DefaultTimezone,
		borough: &demoBoroughs[0], home: "Upper West Side", ageDays: 500}
	in.id = demoID(in.key)
	in.neighbours = []string{"Upper West Side", "Morningside Heights"}
	in.areas = []string{"Upper West Side", "Morningside Heights", "Manhattan"}
	for _, o := range []struct {
		slug string
		rate int
	}{{"piano", 8500}, {"music-theory", 7000}, {"spanish", 6500}} {
		sv := cat.bySlug[o.slug]
		if sv == nil {
			continue
		}
		off := demoMakeOffer(r, in, sv)
		off.rate = o.rate
		off.durations = slices.Clone(sv.durations)
		if sv.online {
			off.locations = []string{"in_person", "online"}
		}
		in.offers = append(in.offers, off)
	}
	if len(in.offers) == 0 { // a trimmed catalog: still give the documented account something to book
		in.offers = append(in.offers, demoMakeOffer(r, in, cat.services[0]))
	}
	m := func(h, min int) instainstru.Minute { return instainstru.Minute(h*60 + min) }
	for d := time.Monday; d <= time.Friday; d++ {
		in.template[d] = []instainstru.TimeRange{{Start: m(16, 0), End: m(21, 0)}}
	}
	for _, d := range []time.Weekday{time.Tuesday, time.Thursday} {
		in.template[d] = []instainstru.TimeRange{{Start: m(9, 0), End: m(12, 0)}, {Start: m(16, 0), End: m(21, 0)}}
	}
	in.template[time.Saturday] = []instainstru.TimeRange{{Start: m(9, 0), End: m(13, 0)}}
	in.template[time.Sunday] = []instainstru.TimeRange{{Start: m(10, 0), End: m(15, 0)}}
	in.bio = demoBio(r, in)
	return in
}

func demoNewInstructor(r *rand.Rand, cat *demoCatalog, i int, emails map[string]bool) *demoInstructor {
	in := &demoInstructor{}
	in.key = fmt.Sprintf("demo-instructor-%d", i)
	in.id = demoID(in.key)
	in.role = instainstru.RoleInstructor
	in.first, in.fullName, in.email = demoName(r, emails)
	in.timezone = instainstru.DefaultTimezone
	if ri := slices.Index(demoRemoteIndexes, i); ri >= 0 {
		in.timezone, in.remoteCity = demoRemoteZones[ri].zone, demoRemoteZones[ri].city
	} else {
		in.borough, in.home, in.neighbours, in.areas = demoAreas(r)
	}
	// The smaller of two uniform draws: many instructors with a few years, fewer veterans.
	in.years = 1 + min(r.IntN(30), r.IntN(30))
	in.minAdvance = []int{1, 2, 2, 4, 12, 24}[r.IntN(6)]
	in.buffer = []int{0, 0, 0, 10, 15, 30}[r.IntN(6)]
	in.ageDays = 90 + r.IntN(900)
	if i <= len(cat.categories) { // the first few cover every category, whatever the draws
		in.primary = cat.categories[i-1]
	} else {
		in.primary = cat.categories[demoPickIndex(r, len(cat.categories), func(k int) int {
			return max(1, demoCategoryWeights[cat.categories[k]])
		})]
	}
	n := 1 + demoPickIndex(r, 4, func(k int) int { return []int{30, 35, 23, 12}[k] })
	for _, sv := range demoChooseServices(r, cat, in.primary, n, in.remoteCity != "") {
		in.offers = append(in.offers, demoMakeOffer(r, in, sv))
	}
	in.template = demoTemplate(r, in.primary)
	in.bio = demoBio(r, in)
	return in
}

// demoChooseServices draws n distinct services, mostly from the instructor's main category and
// weighted by popularity; online-only instructors get only online-capable services.
func demoChooseServices(r *rand.Rand, cat *demoCatalog, primary string, n int, onlineOnly bool) []*demoService {
	var out []*demoService
	usable := func(pool []*demoService) []*demoService {
		return slices.DeleteFunc(slices.Clone(pool), func(sv *demoService) bool {
			return (onlineOnly && !sv.online) || slices.Contains(out, sv)
		})
	}
	for attempt := 0; len(out) < n && attempt < 40; attempt++ {
		pool := cat.services
		if len(out) == 0 || r.IntN(100) < 85 {
			pool = cat.byCategory[primary]
		}
		if pool = usable(pool); len(pool) == 0 {
			continue
		}
		out = append(out, pool[demoPickIndex(r, len(pool), func(k int) int { return pool[k].weight })])
	}
	if len(out) == 0 {
		if pool := usable(cat.services); len(pool) > 0 {
			out = append(out, pool[0])
		} else {
			out = append(out, cat.services[0])
		}
	}
	return out
}

func demoMakeOffer(r *rand.Rand, in *demoInstructor, sv *demoService) *demoOffer {
	lo, hi := demoRateRange(sv.slug, sv.category)
	steps := (hi - lo) / 5
	// Integer arithmetic only (no floats), so every platform computes the same rate: a random
	// share plus a share growing with experience, on the $5 grid.
	share := (60*r.IntN(steps+1) + 40*((in.years-1)*steps/29)) / 100
	off := &demoOffer{id: demoID("demo-offer/" + in.key + "/" + sv.slug), svc: sv, rate: (lo + 5*share) * 100}
	off.durations = slices.Clone(sv.durations)
	if len(off.durations) > 1 && r.IntN(100) < 40 {
		i := r.IntN(len(off.durations))
		off.durations = slices.Delete(off.durations, i, i+1)
	}
	switch p := r.IntN(100); {
	case in.remoteCity != "":
		off.locations = []string{"online"}
	case !sv.online || p < 30:
		off.locations = []string{"in_person"}
	case p < 85:
		off.locations = []string{"in_person", "online"}
	default:
		off.locations = []string{"online"}
	}
	where := "online over video"
	switch {
	case len(off.locations) == 2:
		where = "in person around " + demoPlace(in.home) + " or online"
	case off.locations[0] == "in_person":
		where = "in person around " + demoPlace(in.home)
	}
	off.description = fmt.Sprintf("%s lessons for %s, %s.", sv.name, demoPickString(r, demoLevels), where)
	return off
}

// demoTemplate draws an instructor's usual week: a persona (evening teacher, weekend teacher,
// full days, early bird, after-school tutor) and its hours, on the 15-minute grid.
func demoTemplate(r *rand.Rand, primary string) [7][]instainstru.TimeRange {
	var t [7][]instainstru.TimeRange
	m := func(h, min int) instainstru.Minute { return instainstru.Minute(h*60 + min) }
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	someOf := func(k int) []time.Weekday {
		perm := r.Perm(len(weekdays))
		out := make([]time.Weekday, 0, k)
		for _, p := range perm[:k] {
			out = append(out, weekdays[p])
		}
		return out
	}
	names := []string{"evenings", "weekends", "full days", "early bird", "afternoons"}
	weights := map[string][]int{
		"tutoring-test-prep": {30, 20, 0, 0, 50},
		"sports-fitness":     {25, 10, 15, 50, 0},
	}[primary]
	if weights == nil {
		weights = []int{40, 20, 25, 0, 15}
	}
	persona := demoPickIndex(r, len(names), func(i int) int { return weights[i] })
	switch persona {
	case 0:
		start := m(16, 30*r.IntN(5))
		end := min(start+instainstru.Minute(180+30*r.IntN(4)), m(22, 0))
		for _, d := range someOf(3 + r.IntN(3)) {
			t[d] = []instainstru.TimeRange{{Start: start, End: end}}
		}
		if r.IntN(2) == 0 {
			t[time.Saturday] = []instainstru.TimeRange{{Start: m(10, 0), End: m(14, 0)}}
		}
	case 1:
		morning := m(9, 30*r.IntN(3))
		t[time.Saturday] = []instainstru.TimeRange{{Start: morning, End: m(13, 0)}, {Start: m(14, 0), End: m(17, 30*r.IntN(3))}}
		t[time.Sunday] = []instainstru.TimeRange{{Start: morning + 60, End: m(13, 0)}, {Start: m(14, 0), End: m(17, 0)}}
		for _, d := range someOf(1 + r.IntN(2)) {
			t[d] = []instainstru.TimeRange{{Start: m(18, 0), End: m(21, 0)}}
		}
	case 2:
		from, lunch, end := m(9, 30*r.IntN(3)), m(12, 30*r.IntN(2)), m(17, 30*r.IntN(3))
		for _, d := range someOf(4 + r.IntN(2)) {
			t[d] = []instainstru.TimeRange{{Start: from, End: lunch}, {Start: lunch + 60, End: end}}
		}
		if r.IntN(100) < 30 {
			t[time.Saturday] = []instainstru.TimeRange{{Start: m(10, 0), End: m(14, 0)}}
		}
	case 3:
		early, evening := m(6, 30+30*r.IntN(2)), m(17, 30*r.IntN(2))
		for _, d := range someOf(4 + r.IntN(2)) {
			t[d] = []instainstru.TimeRange{{Start: early, End: early + 180}, {Start: evening, End: evening + instainstru.Minute(150+30*r.IntN(2))}}
		}
		if r.IntN(100) < 60 {
			t[time.Saturday] = []instainstru.TimeRange{{Start: m(8, 0), End: m(12, 0)}}
		}
	default:
		start, end := m(15, 30*r.IntN(2)), m(19, 30*r.IntN(2))
		for _, d := range someOf(3 + r.IntN(2)) {
			t[d] = []instainstru.TimeRange{{Start: start, End: end}}
		}
		if r.IntN(100) < 60 {
			t[time.Sunday] = []instainstru.TimeRange{{Start: m(10, 0), End: m(16, 0)}}
		}
	}
	return t
}

// demoDayRanges is the availability an instructor publishes for one date: the usual hours of that
// weekday, with an occasional day off or a shortened range. It draws from a stream named after
// the instructor and the date, so a top-up on a later day generates exactly what a first run
// would have generated for that date.
func demoDayRanges(in *demoInstructor, d instainstru.Date) []instainstru.TimeRange {
	base := in.template[d.Weekday()]
	if len(base) == 0 {
		return nil
	}
	r := demoRand("availability", in.key, d.String())
	if !in.fixed && r.IntN(100) < 12 {
		return nil
	}
	out := make([]instainstru.TimeRange, 0, len(base))
	for _, tr := range base {
		if !in.fixed && r.IntN(100) < 15 {
			shift := instainstru.Minute(30 * (1 + r.IntN(2)))
			if r.IntN(2) == 0 {
				tr.Start += shift
			} else {
				tr.End -= shift
			}
		}
		if tr.Len() >= 60 {
			out = append(out, tr)
		}
	}
	return instainstru.NormalizeRanges(out)
}

func demoBioFill(in *demoInstructor, role, services, years, area string) *strings.Replacer {
	return strings.NewReplacer("{role}", role, "{services}", services, "{years}", years, "{area}", area, "{first}", in.first)
}

// demoBio composes a bio from templates: an opening naming the real services, a sentence or two
// about the category, how they teach, and where.
func demoBio(r *rand.Rand, in *demoInstructor) string {
	var names, cats []string
	online, inPerson := false, false
	for _, o := range in.offers {
		names = append(names, o.svc.name)
		if !slices.Contains(cats, o.svc.category) {
			cats = append(cats, o.svc.category)
		}
		online = online || slices.Contains(o.locations, "online")
		inPerson = inPerson || slices.Contains(o.locations, "in_person")
	}
	if !slices.Contains(cats, in.primary) {
		cats = append([]string{in.primary}, cats...)
	}
	years := fmt.Sprintf("%d years", in.years)
	if in.years == 1 {
		years = "a year"
	}
	area := demoPlace(in.home)
	if in.remoteCity != "" {
		area = in.remoteCity
	}
	roles := demoRoles[in.primary]
	if len(roles) == 0 {
		roles = []string{"teacher"}
	}
	fill := demoBioFill(in, demoPickString(r, roles), demoJoin(names), years, area)
	around := make([]string, len(in.neighbours))
	for i, n := range in.neighbours {
		around[i] = demoPlace(n)
	}
	parts := []string{fill.Replace(demoPickString(r, demoOpenings))}
	if ss := demoCategorySentences[cats[0]]; len(ss) > 0 {
		perm := r.Perm(len(ss))
		parts = append(parts, ss[perm[0]])
		if len(cats) == 1 && len(ss) > 1 && r.IntN(2) == 0 {
			parts = append(parts, ss[perm[1]])
		}
	}
	if len(cats) > 1 {
		if ss := demoCategorySentences[cats[1]]; len(ss) > 0 {
			parts = append(parts, demoPickString(r, ss))
		}
	}
	parts = append(parts, demoPickString(r, demoApproaches))
	switch {
	case in.remoteCity != "":
		parts = append(parts, "I teach online from "+in.remoteCity+", so students anywhere in New York (or beyond) can work with me.")
	case online && inPerson:
		parts = append(parts, "I teach in person around "+demoJoin(around)+" and online over video.")
	case inPerson:
		parts = append(parts, "Lessons take place in person around "+demoJoin(around)+": at your home, my studio or a nearby park.")
	default:
		parts = append(parts, "I teach online, so wherever you are in the city we can work together.")
	}
	return strings.Join(parts, " ")
}

// demoPlace is a neighbourhood as it reads in a sentence: "the Upper West Side", "Astoria".
func demoPlace(area string) string {
	if demoTheAreas[area] {
		return "the " + area
	}
	return area
}

// demoJoin lists words as English does: "a", "a and b", "a, b and c".
func demoJoin(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// ---- the run: reads and writes through DemoTx, everything else computed here ----

type demoSeeder struct {
	tx   DemoTx
	now  time.Time
	hash string
	sum  DemoSummary

	cat  *demoCatalog
	cast *demoCast

	owned      map[string]bool // ids of demo people whose rows are the seed's own
	activeUser map[string]bool // of those, the active accounts
	settings   map[string]*demoSettings
	liveOffers map[string]*demoLiveOffer // active demo offers as stored, by id
	avail      map[string]map[instainstru.Date][]instainstru.TimeRange
}

// demoSettings are an instructor's booking settings as stored (the API may have changed them).
type demoSettings struct {
	loc        *time.Location
	zone       string
	buffer     int
	minAdvance int
	active     bool
	today      instainstru.Date
}

type demoLiveOffer struct {
	id        string
	svc       *demoService
	rate      int
	durations []int
	locations []string
}

func (sd *demoSeeder) run(ctx context.Context) error {
	if err := sd.tx.AdvisoryLock(ctx, demoLockKey); err != nil {
		return err
	}
	services, err := sd.tx.CatalogServices(ctx)
	if err != nil {
		return err
	}
	if sd.cat, err = demoNewCatalog(services); err != nil {
		return err
	}
	sd.cast = demoBuildCast(sd.cat)
	steps := []func(context.Context) error{
		sd.insertUsers, sd.resolveOwnership, sd.insertProfilesAndOffers, sd.loadSettings,
		sd.topUpAvailability, sd.insertBookings, sd.summarize,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func demoDaysAgo(now time.Time, n int) time.Time {
	return now.Add(-time.Duration(n) * 24 * time.Hour).Truncate(time.Minute)
}

// demoUserRows are the accounts of the cast, every one with the given password hash.
func demoUserRows(c *demoCast, hash string, now time.Time) []UserRow {
	people := c.people()
	rows := make([]UserRow, len(people))
	for i, p := range people {
		rows[i] = UserRow{ID: p.id, Email: p.email, PasswordHash: hash, FullName: p.fullName, Role: p.role,
			Timezone: p.timezone, CreatedAt: demoDaysAgo(now, p.ageDays)}
	}
	return rows
}

func (sd *demoSeeder) insertUsers(ctx context.Context) error {
	n, err := sd.tx.InsertUsers(ctx, demoUserRows(sd.cast, sd.hash, sd.now))
	sd.sum.UsersCreated = n
	return err
}

// demoOwnership tells which demo people the database holds under the seed's own ids (and which
// of those are active), and the emails of the others: a demo email already taken by another
// account (registered by hand before the first seed) is left alone, that person is skipped,
// never merged or overwritten.
func demoOwnership(people []*demoPerson, statuses map[string]instainstru.AccountStatus) (owned, active map[string]bool, skipped []string) {
	owned, active = map[string]bool{}, map[string]bool{}
	for id, status := range statuses {
		owned[id] = true
		active[id] = status == instainstru.StatusActive
	}
	for _, p := range people {
		if !owned[p.id] {
			skipped = append(skipped, p.email)
		}
	}
	return owned, active, skipped
}

func (sd *demoSeeder) resolveOwnership(ctx context.Context) error {
	people := sd.cast.people()
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.id
	}
	statuses, err := sd.tx.UserStatuses(ctx, ids)
	if err != nil {
		return err
	}
	var skipped []string
	sd.owned, sd.activeUser, skipped = demoOwnership(people, statuses)
	sd.sum.SkippedEmails = append(sd.sum.SkippedEmails, skipped...)
	return nil
}

// demoProfileRows are the profiles and offers of the instructors whose accounts are the seed's.
func demoProfileRows(c *demoCast, owned map[string]bool, now time.Time) ([]ProfileRow, []OfferRow) {
	var profiles []ProfileRow
	var offers []OfferRow
	for _, in := range c.instructors {
		if !owned[in.id] {
			continue
		}
		created := demoDaysAgo(now, in.ageDays)
		profiles = append(profiles, ProfileRow{UserID: in.id, Bio: in.bio, YearsExperience: in.years, Areas: in.areas,
			MinAdvanceHours: in.minAdvance, BufferMinutes: in.buffer, CreatedAt: created})
		for _, o := range in.offers {
			offers = append(offers, OfferRow{ID: o.id, InstructorID: in.id, CatalogServiceID: o.svc.id,
				HourlyRateCents: o.rate, Durations: o.durations, Description: o.description,
				Locations: o.locations, CreatedAt: created})
		}
	}
	return profiles, offers
}

func (sd *demoSeeder) insertProfilesAndOffers(ctx context.Context) error {
	profiles, offers := demoProfileRows(sd.cast, sd.owned, sd.now)
	if _, err := sd.tx.InsertProfiles(ctx, profiles); err != nil {
		return err
	}
	n, err := sd.tx.InsertOffers(ctx, offers)
	sd.sum.OffersCreated = n
	return err
}

// demoSettingsOf turns stored settings into what the generator uses; an instructor whose zone
// is unusable is left out, so that instructor's calendar is left alone.
func demoSettingsOf(rows []SettingsRow, now time.Time) map[string]*demoSettings {
	out := map[string]*demoSettings{}
	for _, row := range rows {
		st := &demoSettings{zone: row.Timezone, buffer: row.BufferMinutes, minAdvance: row.MinAdvanceHours}
		loc, lerr := time.LoadLocation(st.zone)
		if lerr != nil || !instainstru.ValidTimezone(st.zone) {
			continue
		}
		st.loc, st.active = loc, row.Status == instainstru.StatusActive
		st.today = instainstru.DateOf(now.In(loc))
		out[row.InstructorID] = st
	}
	return out
}

// demoLiveOffersOf keeps the stored offers that are still bookable: a known catalog service, a
// duration and a location.
func demoLiveOffersOf(rows []StoredOfferRow, cat *demoCatalog) map[string]*demoLiveOffer {
	out := map[string]*demoLiveOffer{}
	for _, row := range rows {
		o := &demoLiveOffer{id: row.ID, rate: row.HourlyRateCents, durations: row.Durations, locations: row.Locations}
		if o.svc = cat.byID[row.CatalogServiceID]; o.svc != nil && len(o.durations) > 0 && len(o.locations) > 0 {
			out[o.id] = o
		}
	}
	return out
}

// demoAvailOf indexes stored availability by instructor and date, in the order given. A
// blackout date is decided: it is present with no range, so nothing is added to it and nothing
// is booked on it.
func demoAvailOf(slots []AvailabilityRow, blackouts []BlackoutRow) map[string]map[instainstru.Date][]instainstru.TimeRange {
	avail := map[string]map[instainstru.Date][]instainstru.TimeRange{}
	for _, s := range slots {
		if avail[s.InstructorID] == nil {
			avail[s.InstructorID] = map[instainstru.Date][]instainstru.TimeRange{}
		}
		avail[s.InstructorID][s.Date] = append(avail[s.InstructorID][s.Date], s.Range)
	}
	for _, b := range blackouts {
		if avail[b.InstructorID] == nil {
			avail[b.InstructorID] = map[instainstru.Date][]instainstru.TimeRange{}
		}
		avail[b.InstructorID][b.Date] = []instainstru.TimeRange{}
	}
	return avail
}

// loadSettings reads back what bookings and availability must respect, as stored: the
// instructors' zones and settings, their active demo offers, availability already published in
// the window and blackout dates.
func (sd *demoSeeder) loadSettings(ctx context.Context) error {
	var ids, offerIDs []string
	for _, in := range sd.cast.instructors {
		if sd.owned[in.id] {
			ids = append(ids, in.id)
			for _, o := range in.offers {
				offerIDs = append(offerIDs, o.id)
			}
		}
	}
	settings, err := sd.tx.InstructorSettings(ctx, ids)
	if err != nil {
		return err
	}
	sd.settings = demoSettingsOf(settings, sd.now)
	offers, err := sd.tx.ActiveOffers(ctx, offerIDs)
	if err != nil {
		return err
	}
	sd.liveOffers = demoLiveOffersOf(offers, sd.cat)

	// Every instructor's today lies within a day of UTC's, so this covers every window.
	utcToday := instainstru.DateOf(sd.now.UTC())
	from, to := utcToday.AddDays(-1), utcToday.AddDays(demoWindowDays+1)
	slots, err := sd.tx.Availability(ctx, ids, from, to)
	if err != nil {
		return err
	}
	blackouts, err := sd.tx.Blackouts(ctx, ids, from, to)
	if err != nil {
		return err
	}
	sd.avail = demoAvailOf(slots, blackouts)
	return nil
}

// demoTopUp computes the usual hours on every date of [today, today+28) that has no
// availability (and no blackout) for the instructor, in the instructor's own zone, and records
// them in avail so bookings can be placed in them.
func demoTopUp(c *demoCast, settings map[string]*demoSettings, avail map[string]map[instainstru.Date][]instainstru.TimeRange) []AvailabilityRow {
	var rows []AvailabilityRow
	for _, in := range c.instructors {
		st := settings[in.id]
		if st == nil {
			continue
		}
		if avail[in.id] == nil {
			avail[in.id] = map[instainstru.Date][]instainstru.TimeRange{}
		}
		for k := 0; k < demoWindowDays; k++ {
			d := st.today.AddDays(k)
			if _, decided := avail[in.id][d]; decided {
				continue
			}
			ranges := demoDayRanges(in, d)
			for _, tr := range ranges {
				rows = append(rows, AvailabilityRow{InstructorID: in.id, Date: d, Range: tr})
			}
			if len(ranges) > 0 {
				avail[in.id][d] = ranges
			}
		}
	}
	return rows
}

// topUpAvailability publishes the usual hours on every undecided date of the window.
func (sd *demoSeeder) topUpAvailability(ctx context.Context) error {
	rows := demoTopUp(sd.cast, sd.settings, sd.avail)
	if len(rows) == 0 {
		return nil
	}
	n, err := sd.tx.CopyAvailability(ctx, rows)
	sd.sum.SlotsCreated = n
	return err
}

// ---- bookings ----

type demoBookable struct {
	in     *demoInstructor
	st     *demoSettings
	offers []*demoLiveOffer
}

type demoBooking struct {
	id, studentID, instructorID, offerID string
	date                                 instainstru.Date
	start, end                           instainstru.Minute
	zone                                 string
	startsAt, endsAt, blockedUntil       time.Time
	duration, buffer                     int
	serviceName, categoryName            string
	rate, total                          int
	status                               instainstru.BookingStatus
	locationType                         instainstru.BookingLocation
	meeting, note                        string
	late                                 bool
	reason, cancelledBy                  *string
	cancelledAt, completedAt             *time.Time
	createdAt, updatedAt                 time.Time
}

type demoBooker struct {
	sd        *demoSeeder
	r         *rand.Rand
	bookable  []*demoBookable
	students  []*demoPerson
	instBusy  map[string][]instainstru.BookedSpan // an instructor's lessons (with their stored buffers)
	studBusy  map[string][]instainstru.BookedSpan // a student's lessons
	out       []*demoBooking
	fixedInst *demoBookable
	fixedStud *demoPerson
}

// insertBookings generates past and future bookings, but only while no demo booking exists: the
// calendar the first run created is then the app's to change, and is never added to.
func (sd *demoSeeder) insertBookings(ctx context.Context) error {
	exists, err := sd.tx.AnyBooking(ctx, demoBookingIDs())
	if err != nil {
		return err
	}
	if exists {
		sd.sum.BookingsPreserved = true
		return nil
	}
	g := sd.newBooker()
	if len(g.bookable) == 0 || len(g.students) == 0 {
		return nil
	}
	var studentIDs, instructorIDs []string
	for _, p := range g.students {
		studentIDs = append(studentIDs, p.id)
	}
	for _, b := range g.bookable {
		instructorIDs = append(instructorIDs, b.in.id)
	}
	// Lessons booked through the app since (or left from earlier data) are occupied time too.
	busy, err := sd.tx.BusyBookings(ctx, instructorIDs, studentIDs, sd.now.Add(-(demoPastDays+2)*24*time.Hour))
	if err != nil {
		return err
	}
	rows := g.plan(busy)
	if len(rows) == 0 {
		return nil
	}
	n, err := sd.tx.CopyBookings(ctx, rows)
	sd.sum.BookingsCreated = n
	return err
}

// newBooker gathers who can be booked: active instructors of the seed with stored settings and
// at least one live offer, and the seed's active students.
func (sd *demoSeeder) newBooker() *demoBooker {
	g := &demoBooker{sd: sd, r: demoRand("bookings"), instBusy: map[string][]instainstru.BookedSpan{}, studBusy: map[string][]instainstru.BookedSpan{}}
	for _, in := range sd.cast.instructors {
		st := sd.settings[in.id]
		if st == nil || !st.active || !sd.activeUser[in.id] {
			continue
		}
		b := &demoBookable{in: in, st: st}
		for _, o := range in.offers {
			if lo := sd.liveOffers[o.id]; lo != nil {
				b.offers = append(b.offers, lo)
			}
		}
		if len(b.offers) > 0 {
			g.bookable = append(g.bookable, b)
			if in.fixed {
				g.fixedInst = b
			}
		}
	}
	for _, p := range sd.cast.students {
		if sd.owned[p.id] && sd.activeUser[p.id] {
			g.students = append(g.students, p)
			if p.email == DemoStudentEmail {
				g.fixedStud = p
			}
		}
	}
	return g
}

// plan places the bookings around the lessons already busy and returns them as rows.
func (g *demoBooker) plan(busy []BusyRow) []BookingRow {
	for _, b := range busy {
		span := instainstru.BookedSpan{StartsAt: b.StartsAt, EndsAt: b.EndsAt, BlockedUntil: b.BlockedUntil}
		g.instBusy[b.InstructorID] = append(g.instBusy[b.InstructorID], span)
		g.studBusy[b.StudentID] = append(g.studBusy[b.StudentID], span)
	}
	plan := []struct {
		n             int
		future, fixed bool
		inst          *demoBookable
		stud          *demoPerson
	}{
		{demoFixedStudentFuture, true, true, nil, g.fixedStud},
		{demoFixedStudentPast, false, true, nil, g.fixedStud},
		{demoFixedInstructorFuture, true, true, g.fixedInst, nil},
		{demoFixedInstructorPast, false, true, g.fixedInst, nil},
		{demoFutureTargets, true, false, nil, nil},
		{demoPastTargets, false, false, nil, nil},
	}
	for _, p := range plan {
		if p.fixed && p.inst == nil && p.stud == nil {
			continue // that documented account is not the seed's (its email was taken)
		}
		for i := 0; i < p.n; i++ {
			g.place(p.future, p.inst, p.stud)
		}
	}
	rows := make([]BookingRow, len(g.out))
	for i, b := range g.out {
		rows[i] = BookingRow{ID: b.id, StudentID: b.studentID, InstructorID: b.instructorID, OfferID: b.offerID,
			Date: b.date, Start: b.start, End: b.end, Timezone: b.zone,
			StartsAt: b.startsAt, EndsAt: b.endsAt, BlockedUntil: b.blockedUntil,
			DurationMinutes: b.duration, BufferMinutes: b.buffer, ServiceName: b.serviceName, CategoryName: b.categoryName,
			HourlyRateCents: b.rate, TotalPriceCents: b.total, Status: b.status, LocationType: b.locationType,
			MeetingLocation: b.meeting, StudentNote: b.note, LateCancellation: b.late,
			CancellationReason: b.reason, CancelledBy: b.cancelledBy, CancelledAt: b.cancelledAt, CompletedAt: b.completedAt,
			CreatedAt: b.createdAt, UpdatedAt: b.updatedAt}
	}
	return rows
}

// demoBookingIDs are every id a demo booking can have: bookings are numbered as they are placed.
func demoBookingIDs() []string {
	ids := make([]string, demoMaxBookings)
	for i := range ids {
		ids[i] = demoID(fmt.Sprintf("demo-booking-%d", i))
	}
	return ids
}

// place tries a few times to fit one booking (future: inside published availability, outside
// the minimum-advance window; past: within the instructor's usual hours, ended before Now), never
// overlapping the instructor's lessons widened by buffers nor the student's lessons.
func (g *demoBooker) place(future bool, inst *demoBookable, stud *demoPerson) {
	r, now := g.r, g.sd.now
	for attempt := 0; attempt < 40; attempt++ {
		b := inst
		if b == nil {
			b = g.bookable[r.IntN(len(g.bookable))]
		}
		st := stud
		if st == nil {
			st = g.students[r.IntN(len(g.students))]
		}
		off := b.offers[r.IntN(len(b.offers))]
		dur := off.durations[r.IntN(len(off.durations))]
		var d instainstru.Date
		var ranges []instainstru.TimeRange
		if future {
			d = b.st.today.AddDays(r.IntN(demoWindowDays))
			ranges = g.sd.avail[b.in.id][d]
		} else {
			d = b.st.today.AddDays(-1 - r.IntN(demoPastDays))
			ranges = b.in.template[d.Weekday()]
		}
		var fits []instainstru.TimeRange
		for _, tr := range ranges {
			first := (tr.Start + instainstru.DurationGrid - 1) / instainstru.DurationGrid * instainstru.DurationGrid
			if int(tr.End-first) >= dur {
				fits = append(fits, instainstru.TimeRange{Start: first, End: tr.End})
			}
		}
		if len(fits) == 0 {
			continue
		}
		tr := fits[r.IntN(len(fits))]
		slots := (tr.Len()-dur)/instainstru.DurationGrid + 1
		start := tr.Start + instainstru.Minute(instainstru.DurationGrid*r.IntN(slots))
		// The domain's rulebook decides, as for a real booking: the wall clock (DST), the advance
		// window, availability and the instructor's and the student's other lessons. A past
		// lesson is judged as booked two weeks before it, against its weekday template.
		l, err := instainstru.ResolveLesson(d, start, dur, b.st.loc)
		if err != nil || (!future && l.EndsAt.After(now)) {
			continue
		}
		rules := instainstru.BookingRules{Now: now, MinAdvance: time.Duration(b.st.minAdvance) * time.Hour,
			Buffer: time.Duration(b.st.buffer) * time.Minute}
		if !future {
			rules.Now, rules.MinAdvance = l.StartsAt.Add(-14*24*time.Hour), 0
		}
		cal := instainstru.Calendar{Loc: b.st.loc, Availability: map[instainstru.Date][]instainstru.TimeRange{d: ranges},
			Bookings: g.instBusy[b.in.id]}
		if cal.CheckLesson(l, rules) != nil || instainstru.CheckStudentFree(l, g.studBusy[st.id]) != nil {
			continue
		}
		end, startsAt, endsAt := l.End, l.StartsAt, l.EndsAt
		blocked := endsAt.Add(rules.Buffer)
		bk := &demoBooking{
			id: demoID(fmt.Sprintf("demo-booking-%d", len(g.out))), studentID: st.id, instructorID: b.in.id,
			offerID: off.id, date: d, start: start, end: end, zone: b.st.zone,
			startsAt: startsAt, endsAt: endsAt, blockedUntil: blocked, duration: dur, buffer: b.st.buffer,
			serviceName: off.svc.name, categoryName: off.svc.categoryName,
			rate: off.rate, total: instainstru.PriceCents(off.rate, dur),
		}
		g.where(bk, b, st, off)
		if future {
			g.confirmed(bk)
		} else {
			g.settle(bk, b, st)
		}
		span := instainstru.BookedSpan{StartsAt: startsAt, EndsAt: endsAt, BlockedUntil: blocked}
		g.instBusy[b.in.id] = append(g.instBusy[b.in.id], span)
		g.studBusy[st.id] = append(g.studBusy[st.id], span)
		g.out = append(g.out, bk)
		return
	}
}

func (g *demoBooker) where(bk *demoBooking, b *demoBookable, st *demoPerson, off *demoLiveOffer) {
	r := g.r
	online, inPerson := slices.Contains(off.locations, "online"), slices.Contains(off.locations, "in_person")
	p := r.IntN(100)
	if !off.svc.online && off.svc.category == "sports-fitness" {
		p = 60 + p*40/100 // courts, pools, gyms and parks: never the student's living room
	}
	switch {
	case online && (!inPerson || p < 35):
		bk.locationType = instainstru.OnlineLocation
	case p < 60:
		bk.locationType = instainstru.AtStudentHome
		bk.meeting = "Student's home, " + st.home + ", " + st.borough.name
	case p < 82 && b.in.borough != nil:
		bk.locationType = instainstru.AtInstructorLocation
		bk.meeting = "Instructor's studio, " + b.in.home + ", " + b.in.borough.name
	default:
		bk.locationType = instainstru.AtNeutralLocation
		borough := st.borough
		if b.in.borough != nil {
			borough = b.in.borough
		}
		bk.meeting = demoPickString(r, borough.public)
	}
	if r.IntN(100) < 40 {
		notes := demoNotes[off.svc.category]
		if len(notes) == 0 || r.IntN(3) == 0 {
			notes = demoNotes[""]
		}
		if bk.locationType == instainstru.AtStudentHome && r.IntN(4) == 0 {
			notes = demoHomeNotes
		}
		bk.note = demoPickString(r, notes)
	}
}

func (g *demoBooker) confirmed(bk *demoBooking) {
	bk.status = instainstru.BookingConfirmed
	bk.createdAt = g.sd.now.Add(-time.Duration(g.r.IntN(10*24*60)) * time.Minute).Truncate(time.Second)
	bk.updatedAt = bk.createdAt
}

// settle gives a past lesson its outcome: mostly completed, some cancelled (a quarter of them
// late, within 24 hours of the start), some no-shows.
func (g *demoBooker) settle(bk *demoBooking, b *demoBookable, st *demoPerson) {
	r, now := g.r, g.sd.now
	lead := time.Duration(b.st.minAdvance)*time.Hour + time.Duration(24*(2+r.IntN(20))+r.IntN(24))*time.Hour +
		time.Duration(r.IntN(60))*time.Minute
	bk.createdAt = bk.startsAt.Add(-lead).Truncate(time.Second)
	clamp := func(t time.Time) time.Time {
		if t.After(now) {
			return now
		}
		return t
	}
	switch p := r.IntN(100); {
	case p < 74:
		bk.status = instainstru.BookingCompleted
		at := clamp(bk.endsAt.Add(time.Duration(5+r.IntN(240)) * time.Minute))
		bk.completedAt, bk.updatedAt = &at, at
	case p < 90:
		bk.status = instainstru.BookingCancelled
		var at time.Time
		if r.IntN(100) < 25 {
			at = bk.startsAt.Add(-time.Duration(30+r.IntN(22*60)) * time.Minute)
		} else {
			window := bk.startsAt.Add(-instainstru.LateCancellationWindow).Sub(bk.createdAt)
			at = bk.createdAt.Add(time.Duration(r.Int64N(int64(window/time.Minute)+1)) * time.Minute)
		}
		by, reason := st.id, demoPickString(r, demoStudentReasons)
		if r.IntN(100) < 35 {
			by, reason = b.in.id, demoPickString(r, demoInstructorReasons)
		}
		bk.cancelledAt, bk.updatedAt = &at, at
		bk.cancelledBy, bk.reason = &by, &reason
		bk.late = bk.startsAt.Sub(at) < instainstru.LateCancellationWindow
	default:
		bk.status = instainstru.BookingNoShow
		bk.updatedAt = clamp(bk.endsAt.Add(time.Duration(10+r.IntN(180)) * time.Minute))
	}
}

// summarize counts what the demo data holds now.
func (sd *demoSeeder) summarize(ctx context.Context) error {
	var q CountsQuery
	for _, p := range sd.cast.people() {
		q.UserIDs = append(q.UserIDs, p.id)
	}
	for _, in := range sd.cast.instructors {
		q.InstructorIDs = append(q.InstructorIDs, in.id)
		for _, o := range in.offers {
			q.OfferIDs = append(q.OfferIDs, o.id)
		}
	}
	q.From = instainstru.DateOf(sd.now.In(demoNewYork()))
	q.BookingIDs = demoBookingIDs()
	c, err := sd.tx.Counts(ctx, q)
	if err != nil {
		return err
	}
	sd.sum.Instructors, sd.sum.Students, sd.sum.Admins = c.Instructors, c.Students, c.Admins
	sd.sum.Offers, sd.sum.UpcomingSlots, sd.sum.Bookings = c.Offers, c.UpcomingSlots, c.Bookings
	for _, p := range []*demoPerson{sd.cast.admin, &sd.cast.instructors[0].demoPerson, sd.cast.students[0]} {
		if sd.owned[p.id] {
			sd.sum.Logins = append(sd.sum.Logins, DemoLogin{Email: p.email, Role: p.role})
		}
	}
	sort.Strings(sd.sum.SkippedEmails)
	return nil
}

func demoNewYork() *time.Location {
	loc, err := time.LoadLocation(instainstru.DefaultTimezone)
	if err != nil {
		return time.UTC
	}
	return loc
}
