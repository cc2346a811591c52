package api

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// The instructor's own availability: weeks of wall-clock ranges per date, copied and repeated as
// patterns, and blackout dates. The handlers only parse and shape; every rule that depends on the
// instructor's calendar (the week's bounds, the grid, past dates, blackouts) is checked by the
// instructor's actor, which also serializes the writes.

// maxBlackoutReason is the length limit of a blackout reason, in characters (the column is
// varchar(200)).
const maxBlackoutReason = 200

// Supported calendar window. Dates outside it can only be typing mistakes, and keeping weeks
// inside four-digit years keeps every date the API answers with in YYYY-MM-DD form.
var (
	minCalendarDate = instainstru.Date{Year: 1970, Month: 1, Day: 1}
	maxCalendarDate = instainstru.Date{Year: 9998, Month: 12, Day: 31}
)

// TimeRangeDTO is one wall-clock range [start_time, end_time) of a date, "HH:MM" 24 h in the
// instructor's timezone; end_time may be "24:00".
type TimeRangeDTO struct {
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
}

// WeekDTO is an instructor's availability for one Monday–Sunday week: all seven dates are keys of
// days, each with its normalized ranges (possibly none).
type WeekDTO struct {
	WeekStart string                    `json:"week_start"`
	Timezone  string                    `json:"timezone"`
	Days      map[string][]TimeRangeDTO `json:"days"`
}

func weekDTO(w *instainstru.Week) WeekDTO {
	out := WeekDTO{WeekStart: w.Start.String(), Timezone: w.Timezone, Days: make(map[string][]TimeRangeDTO, 7)}
	for _, d := range w.Days {
		rs := make([]TimeRangeDTO, 0, len(d.Ranges))
		for _, r := range d.Ranges {
			rs = append(rs, TimeRangeDTO{StartTime: r.Start.String(), EndTime: r.End.String()})
		}
		out.Days[d.Date.String()] = rs
	}
	return out
}

// WeekPutRequest is the body of PUT /instructors/me/availability/week: the same shape GET answers
// with, so a client can edit what it read and send it back. timezone is accepted and ignored (the
// instructor's own timezone always applies). days is required: the whole week is replaced, and a
// date that is absent or has [] (or null) is cleared.
type WeekPutRequest struct {
	WeekStart *string                   `json:"week_start"`
	Timezone  *string                   `json:"timezone"`
	Days      map[string][]TimeRangeDTO `json:"days"`
}

// CopyWeekRequest is the body of POST /instructors/me/availability/copy-week; both dates must be
// Mondays.
type CopyWeekRequest struct {
	FromWeekStart *string `json:"from_week_start"`
	ToWeekStart   *string `json:"to_week_start"`
}

// ApplyPatternRequest is the body of POST /instructors/me/availability/apply-pattern:
// from_week_start (a Monday) is the pattern, [start_date, end_date] the dates it is repeated on.
type ApplyPatternRequest struct {
	FromWeekStart *string `json:"from_week_start"`
	StartDate     *string `json:"start_date"`
	EndDate       *string `json:"end_date"`
}

// ApplyPatternDTO says how many dates apply-pattern replaced (blackout and past dates are skipped
// and not counted).
type ApplyPatternDTO struct {
	DatesUpdated int `json:"dates_updated"`
}

// BlackoutRequest is the body of POST /instructors/me/blackout-dates.
type BlackoutRequest struct {
	Date   *string `json:"date"`
	Reason *string `json:"reason"`
}

// BlackoutDTO is one blackout date; reason is "" when none was given.
type BlackoutDTO struct {
	Date   string `json:"date"`
	Reason string `json:"reason"`
}

func blackoutDTO(b instainstru.BlackoutDate) BlackoutDTO {
	return BlackoutDTO{Date: b.Date.String(), Reason: b.Reason}
}

// availabilityRoutes registers the instructor's own availability endpoints (instructors only).
func (s *Server) availabilityRoutes(r fiber.Router) {
	auth := []fiber.Handler{s.requireUser(), requireRole(instainstru.RoleInstructor)}
	r.Get("/instructors/me/availability/week", append(auth, s.getWeek)...)
	r.Put("/instructors/me/availability/week", append(auth, s.putWeek)...)
	r.Post("/instructors/me/availability/copy-week", append(auth, s.copyWeek)...)
	r.Post("/instructors/me/availability/apply-pattern", append(auth, s.applyPattern)...)
	r.Post("/instructors/me/blackout-dates", append(auth, s.addBlackout)...)
	r.Get("/instructors/me/blackout-dates", append(auth, s.listBlackouts)...)
	r.Delete("/instructors/me/blackout-dates/:date", append(auth, s.removeBlackout)...)
}

// getWeek is GET /instructors/me/availability/week?start_date=: the Monday–Sunday week holding
// start_date. A missing or malformed start_date is a malformed query (400).
func (s *Server) getWeek(c *fiber.Ctx) error {
	d, err := requiredQueryDate(c, "start_date")
	if err != nil {
		return err
	}
	var v instainstru.Validator
	checkCalendarDate(&v, "start_date", d)
	if err := v.Err(); err != nil {
		return err
	}
	w, err := s.deps.Availability.GetWeek(c.UserContext(), principal(c).UserID, d)
	if err != nil {
		return err
	}
	return c.JSON(weekDTO(w))
}

// putWeek is PUT /instructors/me/availability/week: every field is parsed (all errors reported at
// once, 422), then the instructor's actor validates and replaces the week.
func (s *Server) putWeek(c *fiber.Ctx) error {
	var req WeekPutRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var v instainstru.Validator
	start := requiredDate(&v, "week_start", req.WeekStart)
	if !start.IsZero() {
		v.Check(start.WeekStart() == start, "week_start", "must be a Monday")
	}
	v.Check(req.Days != nil, "days", "is required: an object of YYYY-MM-DD dates to lists of ranges")
	keys := make([]string, 0, len(req.Days))
	for k := range req.Days {
		keys = append(keys, k)
	}
	// Sorted, so the errors of a bad body are listed in date order, the same on every call.
	sort.Strings(keys)
	week := &instainstru.Week{Start: start, Days: make([]instainstru.DayAvailability, 0, len(keys))}
	for _, k := range keys {
		field := "days." + clip(k, 40)
		d, err := instainstru.ParseDate(k)
		if err != nil {
			v.Add(field, "is not a YYYY-MM-DD date")
			continue
		}
		day := instainstru.DayAvailability{Date: d, Ranges: make([]instainstru.TimeRange, 0, len(req.Days[k]))}
		for i, r := range req.Days[k] {
			f := fmt.Sprintf("%s[%d]", field, i)
			st, okS := parseTime(&v, f+".start_time", r.StartTime, false)
			en, okE := parseTime(&v, f+".end_time", r.EndTime, true)
			if okS && okE {
				day.Ranges = append(day.Ranges, instainstru.TimeRange{Start: st, End: en})
			}
		}
		week.Days = append(week.Days, day)
	}
	if err := v.Err(); err != nil {
		return err
	}
	w, err := s.deps.Availability.PutWeek(c.UserContext(), principal(c).UserID, week)
	if err != nil {
		return err
	}
	return c.JSON(weekDTO(w))
}

// copyWeek is POST /instructors/me/availability/copy-week → the target week as now stored.
func (s *Server) copyWeek(c *fiber.Ctx) error {
	var req CopyWeekRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var v instainstru.Validator
	from := requiredMonday(&v, "from_week_start", req.FromWeekStart)
	to := requiredMonday(&v, "to_week_start", req.ToWeekStart)
	if err := v.Err(); err != nil {
		return err
	}
	w, err := s.deps.Availability.CopyWeek(c.UserContext(), principal(c).UserID, from, to)
	if err != nil {
		return err
	}
	return c.JSON(weekDTO(w))
}

// applyPattern is POST /instructors/me/availability/apply-pattern. The range rules (end not
// before start, at most 366 days, not wholly past) are the actor's.
func (s *Server) applyPattern(c *fiber.Ctx) error {
	var req ApplyPatternRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var v instainstru.Validator
	from := requiredMonday(&v, "from_week_start", req.FromWeekStart)
	start := requiredDate(&v, "start_date", req.StartDate)
	end := requiredDate(&v, "end_date", req.EndDate)
	if err := v.Err(); err != nil {
		return err
	}
	n, err := s.deps.Availability.ApplyPattern(c.UserContext(), principal(c).UserID, from, start, end)
	if err != nil {
		return err
	}
	return c.JSON(ApplyPatternDTO{DatesUpdated: n})
}

// addBlackout is POST /instructors/me/blackout-dates → 201. The date's availability is cleared in
// the same transaction; adding a date again replaces its reason.
func (s *Server) addBlackout(c *fiber.Ctx) error {
	var req BlackoutRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var v instainstru.Validator
	d := requiredDate(&v, "date", req.Date)
	reason := ""
	if req.Reason != nil {
		reason = strings.TrimSpace(*req.Reason)
		switch {
		case !instainstru.SafeQueryText(reason, len(reason)):
			v.Add("reason", "must be printable text without control characters")
		case utf8.RuneCountInString(reason) > maxBlackoutReason:
			v.Add("reason", fmt.Sprintf("must be at most %d characters", maxBlackoutReason))
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	b, err := s.deps.Availability.AddBlackout(c.UserContext(), principal(c).UserID, instainstru.BlackoutDate{Date: d, Reason: reason})
	if err != nil {
		return err
	}
	c.Location("/api/v1/instructors/me/blackout-dates/" + b.Date.String())
	return c.Status(fiber.StatusCreated).JSON(blackoutDTO(*b))
}

// listBlackouts is GET /instructors/me/blackout-dates: every blackout from today (in the
// instructor's timezone) on, by date, in one page (an instructor has few).
func (s *Server) listBlackouts(c *fiber.Ctx) error {
	bs, err := s.deps.Availability.ListBlackouts(c.UserContext(), principal(c).UserID)
	if err != nil {
		return err
	}
	items := make([]BlackoutDTO, 0, len(bs))
	for _, b := range bs {
		items = append(items, blackoutDTO(b))
	}
	return c.JSON(newPage(items, ""))
}

// removeBlackout is DELETE /instructors/me/blackout-dates/{date} → 204; 404 when the caller has
// no blackout on that date. The availability the blackout cleared is not restored.
func (s *Server) removeBlackout(c *fiber.Ctx) error {
	d, err := instainstru.ParseDate(c.Params("date"))
	if err != nil {
		return &instainstru.Error{Code: instainstru.CodeMalformed, Message: "the date in the path must be YYYY-MM-DD",
			Fields: []instainstru.FieldError{{Field: "date", Message: "must be a YYYY-MM-DD date"}}}
	}
	if err := s.deps.Availability.RemoveBlackout(c.UserContext(), principal(c).UserID, d); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// requiredDate parses a required YYYY-MM-DD body field, recording a field error (and returning the
// zero Date) when it is absent, malformed or outside the supported calendar.
func requiredDate(v *instainstru.Validator, field string, raw *string) instainstru.Date {
	if raw == nil {
		v.Add(field, "is required (YYYY-MM-DD)")
		return instainstru.Date{}
	}
	d, err := instainstru.ParseDate(*raw)
	if err != nil {
		v.Add(field, "must be a YYYY-MM-DD date")
		return instainstru.Date{}
	}
	if !checkCalendarDate(v, field, d) {
		return instainstru.Date{}
	}
	return d
}

// requiredMonday is requiredDate for a field naming a week by its first day.
func requiredMonday(v *instainstru.Validator, field string, raw *string) instainstru.Date {
	d := requiredDate(v, field, raw)
	if !d.IsZero() && d.WeekStart() != d {
		v.Add(field, "must be a Monday")
	}
	return d
}

func checkCalendarDate(v *instainstru.Validator, field string, d instainstru.Date) bool {
	ok := !d.Before(minCalendarDate) && !d.After(maxCalendarDate)
	v.Check(ok, field, fmt.Sprintf("must lie between %s and %s", minCalendarDate, maxCalendarDate))
	return ok
}

// parseTime reads an "HH:MM" field; "24:00" only where allowEnd.
func parseTime(v *instainstru.Validator, field, raw string, allowEnd bool) (instainstru.Minute, bool) {
	if raw == "" {
		v.Add(field, "is required (HH:MM)")
		return 0, false
	}
	m, err := instainstru.ParseMinute(raw, allowEnd)
	if err != nil {
		msg := "must be an HH:MM time between 00:00 and 23:59"
		if allowEnd {
			msg = "must be an HH:MM time between 00:00 and 24:00"
		} else if raw == "24:00" {
			msg = "24:00 is allowed only as an end_time"
		}
		v.Add(field, msg)
		return 0, false
	}
	return m, true
}

// clip shortens s to at most n characters for echoing it back in an error.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
