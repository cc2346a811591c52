package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// Public availability (no auth): what a visitor may book of an instructor's time.
//
// Choices the contract leaves open, fixed here and in the OpenAPI fragment:
//   - start_date defaults to today in the instructor's zone; end_date defaults to 6 days after the
//     effective start (fewer when PUBLIC_AVAILABILITY_DAYS is smaller).
//   - A start_date before today (instructor's zone) is clamped to today: past dates have no
//     bookable time, and a visitor in another zone may well still be on "yesterday". An end_date
//     before today is 422.
//   - Malformed dates or a non-integer duration_minutes are 400 (bad query syntax); well-formed
//     but unacceptable values (end before start, a window wider than PUBLIC_AVAILABILITY_DAYS, a
//     duration off the 15..240 grid) are 422. Both name the parameter in `errors`.
//   - next-available searches today through today + PUBLIC_AVAILABILITY_DAYS, the widest window
//     the availability endpoint shows.
//   - Answers carry a strong ETag (a hash of the body) and Cache-Control: public, max-age=30;
//     If-None-Match with a matching tag is answered 304 with an empty body. 30 seconds bounds how
//     long a shared cache may show a slot that has since been booked or become too soon.

// PublicAvailabilityConfig shapes the public availability endpoints (PUBLIC_AVAILABILITY_*).
// The zero value means the defaults of DefaultPublicAvailabilityConfig.
type PublicAvailabilityConfig struct {
	// Days caps end_date - start_date (1..90) and is the horizon of next-available.
	Days int
	// DetailLevel is "full", "summary" or "minimal".
	DetailLevel string
	// ShowInstructorName shows "Sarah C." (first name, last initial); otherwise no name at all.
	ShowInstructorName bool
	// HorizonDays (AVAILABILITY_HORIZON_DAYS): dates further ahead have no bookable time, as
	// the booking rules refuse them, and a window starting there is 422 beyond_horizon; 0 means
	// no horizon.
	HorizonDays int
}

// DefaultPublicAvailabilityConfig is 30 days, full detail, names shown, a 365-day horizon.
func DefaultPublicAvailabilityConfig() PublicAvailabilityConfig {
	return PublicAvailabilityConfig{Days: 30, DetailLevel: string(instainstru.DetailFull), ShowInstructorName: true,
		HorizonDays: 365}
}

// Limits of PUBLIC_AVAILABILITY_DAYS and the default window width.
const (
	publicMaxDays     = 90
	publicDefaultSpan = 6
	publicMaxAge      = "public, max-age=30"
)

// normalized fills the defaults: a zero config is the default one, a missing or out-of-range
// Days or an unknown detail level take the default value (cmd refuses such values at start).
func (c PublicAvailabilityConfig) normalized() PublicAvailabilityConfig {
	def := DefaultPublicAvailabilityConfig()
	if c == (PublicAvailabilityConfig{}) {
		return def
	}
	if c.Days < 1 {
		c.Days = def.Days
	}
	if c.Days > publicMaxDays {
		c.Days = publicMaxDays
	}
	if !instainstru.ValidDetailLevel(instainstru.PublicDetailLevel(c.DetailLevel)) {
		c.DetailLevel = def.DetailLevel
	}
	return c
}

// PublicSlotDTO is one bookable wall-clock range in the instructor's zone.
type PublicSlotDTO struct {
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
}

// PublicFullDayDTO is a date at detail level full.
type PublicFullDayDTO struct {
	AvailableSlots []PublicSlotDTO `json:"available_slots"`
}

// PublicSummaryDayDTO is a date at detail level summary: whether any bookable range overlaps
// the morning (before 12:00), the afternoon (12:00–17:00) or the evening (after 17:00).
type PublicSummaryDayDTO struct {
	Morning   bool `json:"morning"`
	Afternoon bool `json:"afternoon"`
	Evening   bool `json:"evening"`
}

// PublicMinimalDayDTO is a date at detail level minimal.
type PublicMinimalDayDTO struct {
	HasAvailability bool `json:"has_availability"`
}

// PublicAvailabilityDTO is GET /public/instructors/{id}/availability. availability_by_date holds
// every date of the window, each a PublicFullDayDTO, PublicSummaryDayDTO or PublicMinimalDayDTO
// according to detail_level. It never names bookings, students or slots.
type PublicAvailabilityDTO struct {
	InstructorID       string         `json:"instructor_id"`
	InstructorName     string         `json:"instructor_name,omitempty"`
	Timezone           string         `json:"timezone"`
	DetailLevel        string         `json:"detail_level"`
	AvailabilityByDate map[string]any `json:"availability_by_date"`
}

// PublicNextAvailableDTO is GET /public/instructors/{id}/next-available: the earliest bookable
// lesson of the asked length ({found: false} alone when there is none in the horizon).
type PublicNextAvailableDTO struct {
	Found     bool   `json:"found"`
	Date      string `json:"date,omitempty"`
	StartTime string `json:"start_time,omitempty"`
	EndTime   string `json:"end_time,omitempty"`
}

// publicRoutes registers the public availability endpoints.
func (s *Server) publicRoutes(r fiber.Router) {
	s.deps.PublicAvailability = s.deps.PublicAvailability.normalized()
	r.Get("/public/instructors/:id/availability", s.publicAvailability)
	r.Get("/public/instructors/:id/next-available", s.publicNextAvailable)
}

func errInstructorNotFound() error {
	return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "instructor not found"}
}

// queryDuration reads the optional duration_minutes: 400 when not an integer, 422 off the grid.
func queryDuration(c *fiber.Ctx) (*int, error) {
	n, err := queryInt(c, "duration_minutes")
	if err != nil || n == nil {
		return nil, err
	}
	if !instainstru.ValidDuration(*n) {
		return nil, instainstru.Invalid(instainstru.FieldError{Field: "duration_minutes",
			Message: "must be a multiple of 15 between 15 and 240"})
	}
	return n, nil
}

// loadVisible loads the calendar and hides instructors who are not active, exactly like
// unknown ones. It returns the instructor's zone and today's date there.
func (s *Server) loadVisible(c *fiber.Ctx, id string, from, to instainstru.Date, now time.Time) (*instainstru.PublicCalendar, instainstru.Date, error) {
	cal, err := s.deps.Public.PublicCalendar(c.UserContext(), id, from, to)
	if err != nil {
		return nil, instainstru.Date{}, err
	}
	if !cal.Visible() {
		return nil, instainstru.Date{}, errInstructorNotFound()
	}
	loc, err := instainstru.LoadZone(cal.Timezone)
	if err != nil {
		return nil, instainstru.Date{}, instainstru.Internal(fmt.Errorf("instructor %s has unknown zone %q", id, cal.Timezone))
	}
	return cal, instainstru.DateOf(now.In(loc)), nil
}

func laterDate(a, b instainstru.Date) instainstru.Date {
	if a.After(b) {
		return a
	}
	return b
}

// publicAvailability is GET /public/instructors/{id}/availability.
func (s *Server) publicAvailability(c *fiber.Ctx) error {
	cfg := s.deps.PublicAvailability
	id := c.Params("id")
	if !instainstru.LooksLikeUUID(id) {
		return errInstructorNotFound()
	}
	start, err := queryDate(c, "start_date")
	if err != nil {
		return err
	}
	end, err := queryDate(c, "end_date")
	if err != nil {
		return err
	}
	duration, err := queryDuration(c)
	if err != nil {
		return err
	}
	span := min(publicDefaultSpan, cfg.Days)
	var v instainstru.Validator
	capMsg := fmt.Sprintf("must be at most %d days after start_date", cfg.Days)
	if start != nil && end != nil {
		v.Check(!end.Before(*start), "end_date", "must not be before start_date")
		v.Check(start.DaysUntil(*end) <= cfg.Days, "end_date", capMsg)
	}
	if start != nil && end == nil && start.AddDays(span).Year > 9999 {
		v.Add("start_date", "is too far in the future")
	}
	if err := v.Err(); err != nil {
		return err
	}

	// The instructor's "today" is unknown until their zone is loaded, but it is never before
	// yesterday or after tomorrow in UTC: load a window that covers every possibility, once.
	now := s.deps.Now()
	utcToday := instainstru.DateOf(now.UTC())
	lo := utcToday.AddDays(-1)
	if start != nil {
		lo = laterDate(*start, lo)
	}
	var hi instainstru.Date
	if end != nil {
		hi = laterDate(*end, lo)
	} else {
		hi = laterDate(lo, utcToday.AddDays(1)).AddDays(span)
	}
	// No date past the horizon has bookable time: such a window is refused (with the latest
	// "today" any zone can have), so it can neither be loaded nor cached.
	if start != nil && cfg.HorizonDays > 0 {
		if err := instainstru.CheckHorizon("start_date", *start, utcToday.AddDays(1), cfg.HorizonDays); err != nil {
			return err
		}
	}
	lo, hi = instainstru.CalendarWindow(lo, hi)
	cal, today, err := s.loadVisible(c, id, lo, hi, now)
	if err != nil {
		return err
	}
	from := today
	if start != nil && start.After(today) {
		from = *start
	}
	to := from.AddDays(span)
	if end != nil {
		to = *end
	}
	if to.Before(today) {
		v.Add("end_date", "is in the past (today is "+today.String()+" in the instructor's timezone)")
	} else if start == nil && from.DaysUntil(to) > cfg.Days {
		v.Add("end_date", fmt.Sprintf("must be at most %d days after start_date (today when omitted)", cfg.Days))
	}
	if err := v.Err(); err != nil {
		return err
	}
	params := fmt.Sprintf("avail|%s|%s|%v", from, to, deref0(duration))
	return s.memoized(c, cal, params, now, func() (any, error) {
		days, err := cal.Bookable(now, from, to, cfg.HorizonDays)
		if err != nil {
			return nil, err
		}
		out := PublicAvailabilityDTO{InstructorID: cal.InstructorID, Timezone: cal.Timezone, DetailLevel: cfg.DetailLevel,
			AvailabilityByDate: make(map[string]any, len(days))}
		if cfg.ShowInstructorName {
			out.InstructorName = instainstru.PublicName(cal.FullName)
		}
		for _, d := range days {
			rs := d.Ranges
			if duration != nil {
				rs = instainstru.FitLesson(rs, *duration)
			}
			out.AvailabilityByDate[d.Date.String()] = publicDay(instainstru.PublicDetailLevel(cfg.DetailLevel), rs)
		}
		return out, nil
	})
}

func deref0(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func publicDay(level instainstru.PublicDetailLevel, rs []instainstru.TimeRange) any {
	switch level {
	case instainstru.DetailSummary:
		s := instainstru.Summarize(rs)
		return PublicSummaryDayDTO{Morning: s.Morning, Afternoon: s.Afternoon, Evening: s.Evening}
	case instainstru.DetailMinimal:
		return PublicMinimalDayDTO{HasAvailability: instainstru.HasAvailability(rs)}
	}
	slots := make([]PublicSlotDTO, 0, len(rs))
	for _, r := range rs {
		slots = append(slots, PublicSlotDTO{StartTime: r.Start.String(), EndTime: r.End.String()})
	}
	return PublicFullDayDTO{AvailableSlots: slots}
}

// publicNextAvailable is GET /public/instructors/{id}/next-available.
func (s *Server) publicNextAvailable(c *fiber.Ctx) error {
	cfg := s.deps.PublicAvailability
	id := c.Params("id")
	if !instainstru.LooksLikeUUID(id) {
		return errInstructorNotFound()
	}
	duration, err := queryDuration(c)
	if err != nil {
		return err
	}
	now := s.deps.Now()
	utcToday := instainstru.DateOf(now.UTC())
	lo, hi := instainstru.CalendarWindow(utcToday.AddDays(-1), utcToday.AddDays(1+cfg.Days))
	cal, today, err := s.loadVisible(c, id, lo, hi, now)
	if err != nil {
		return err
	}
	minutes := 60
	if duration != nil {
		minutes = *duration
	} else if instainstru.ValidDuration(cal.ShortestDuration) {
		minutes = cal.ShortestDuration
	}
	params := fmt.Sprintf("next|%s|%d", today, minutes)
	return s.memoized(c, cal, params, now, func() (any, error) {
		days, err := cal.Bookable(now, today, today.AddDays(cfg.Days), cfg.HorizonDays)
		if err != nil {
			return nil, err
		}
		out := PublicNextAvailableDTO{}
		if d, r, ok := instainstru.NextSlot(days, minutes); ok {
			out = PublicNextAvailableDTO{Found: true, Date: d.String(), StartTime: r.Start.String(), EndTime: r.End.String()}
		}
		return out, nil
	})
}

// rendered is an answer ready to send: its body and a strong ETag (the body's hash), served with
// a short public max-age, or as 304 with no body when If-None-Match already names the tag.
type rendered struct {
	body []byte
	etag string
}

func render(v any) (rendered, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return rendered{}, instainstru.Internal(err)
	}
	sum := sha256.Sum256(body)
	return rendered{body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}, nil
}

func sendRendered(c *fiber.Ctx, r rendered) error {
	c.Set(fiber.HeaderETag, r.etag)
	c.Set(fiber.HeaderCacheControl, publicMaxAge)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), r.etag) {
		c.Status(fiber.StatusNotModified)
		c.Response().ResetBody()
		return nil
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(r.body)
}

// renderMemo remembers rendered public answers. A public answer is a pure function of the
// calendar, the request's parameters and the minute: bookable time depends on "now" only through
// the 15-minute grid cut and the instructor's date, both of which change only on minute
// boundaries. A calendar is named by its instructor, its window and its Version, which the cache
// layer sets and moves with every write that can change it (booking, cancellation, availability,
// profile), so a memo entry dies with its calendar version whatever object carries it. A calendar
// of unknown version (0: no cache, or Redis unreachable) is never memoized.
type renderMemo struct {
	mu sync.Mutex
	m  map[memoKey]rendered
}

type memoKey struct {
	instructor string
	from, to   instainstru.Date // the calendar's window
	version    int64
	params     string
	minute     int64
}

// renderMemoMax bounds the memo; past it the memo starts over.
const renderMemoMax = 4096

func (m *renderMemo) get(k memoKey) (rendered, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.m[k]
	return r, ok
}

func (m *renderMemo) put(k memoKey, r rendered) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil || len(m.m) >= renderMemoMax {
		m.m = make(map[memoKey]rendered, 256)
	}
	m.m[k] = r
}

// memoized answers from the memo, or computes, renders, remembers and sends.
func (s *Server) memoized(c *fiber.Ctx, cal *instainstru.PublicCalendar, params string, now time.Time, compute func() (any, error)) error {
	k := memoKey{instructor: cal.InstructorID, from: cal.From, to: cal.To, version: cal.Version,
		params: params, minute: now.Unix() / 60}
	memo := cal.Version != 0
	if memo {
		if r, ok := s.publicMemo.get(k); ok {
			return sendRendered(c, r)
		}
	}
	v, err := compute()
	if err != nil {
		return err
	}
	r, err := render(v)
	if err != nil {
		return err
	}
	if memo {
		s.publicMemo.put(k, r)
	}
	return sendRendered(c, r)
}

// etagMatches applies If-None-Match (RFC 9110 13.1.2): "*" or any listed tag equal to etag under
// weak comparison (a W/ prefix is ignored).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
