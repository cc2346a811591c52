package api

import (
	"crypto/sha256"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// PartyDTO is a booking participant.
type PartyDTO struct {
	ID       string `json:"id"`
	FullName string `json:"full_name"`
}

// BookingDTO is a booking as API.md shapes it.
type BookingDTO struct {
	ID                  string    `json:"id"`
	Student             PartyDTO  `json:"student"`
	Instructor          PartyDTO  `json:"instructor"`
	InstructorServiceID string    `json:"instructor_service_id"`
	ServiceName         string    `json:"service_name"`
	Category            string    `json:"category"`
	Date                string    `json:"date"`
	StartTime           string    `json:"start_time"`
	EndTime             string    `json:"end_time"`
	Timezone            string    `json:"timezone"`
	StartsAt            time.Time `json:"starts_at"`
	EndsAt              time.Time `json:"ends_at"`
	DurationMinutes     int       `json:"duration_minutes"`
	HourlyRateCents     int       `json:"hourly_rate_cents"`
	TotalPriceCents     int       `json:"total_price_cents"`
	Status              string    `json:"status"`
	LocationType        string    `json:"location_type"`
	MeetingLocation     string    `json:"meeting_location"`
	StudentNote         string    `json:"student_note"`
	LateCancellation    bool      `json:"late_cancellation"`
	CancellationReason  *string   `json:"cancellation_reason"`
	CancelledBy         *string   `json:"cancelled_by"`
	RescheduledFromID   *string   `json:"rescheduled_from_id"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

func bookingDTO(b *instainstru.Booking) BookingDTO {
	return BookingDTO{
		ID: b.ID, Student: PartyDTO(b.Student), Instructor: PartyDTO(b.Instructor),
		InstructorServiceID: b.InstructorServiceID, ServiceName: b.ServiceName, Category: b.CategoryName,
		Date: b.Date.String(), StartTime: b.StartTime.String(), EndTime: b.EndTime.String(), Timezone: b.Timezone,
		StartsAt: b.StartsAt.UTC(), EndsAt: b.EndsAt.UTC(), DurationMinutes: b.DurationMinutes,
		HourlyRateCents: b.HourlyRateCents, TotalPriceCents: b.TotalPriceCents, Status: string(b.Status),
		LocationType: string(b.LocationType), MeetingLocation: b.MeetingLocation, StudentNote: b.StudentNote,
		LateCancellation: b.LateCancellation, CancellationReason: b.CancellationReason, CancelledBy: b.CancelledBy,
		RescheduledFromID: b.RescheduledFromID,
		CreatedAt:         b.CreatedAt.UTC().Truncate(time.Microsecond), UpdatedAt: b.UpdatedAt.UTC().Truncate(time.Microsecond),
	}
}

func (s *Server) bookingRoutes(r fiber.Router) {
	g := r.Group("/bookings", s.requireUser())
	g.Post("/", requireRole(instainstru.RoleStudent), s.createBooking)
	g.Get("/", s.listBookings)
	g.Get("/:id", s.getBooking)
	g.Get("/:id/calendar.ics", s.bookingICS)
	g.Post("/:id/cancel", s.cancelBooking)
	g.Post("/:id/reschedule", s.rescheduleBooking)
	g.Post("/:id/complete", requireRole(instainstru.RoleInstructor), s.completeBooking)
	g.Post("/:id/no-show", requireRole(instainstru.RoleInstructor), s.noShowBooking)
}

type createBookingRequest struct {
	InstructorServiceID string  `json:"instructor_service_id"`
	Date                string  `json:"date"`
	StartTime           string  `json:"start_time"`
	DurationMinutes     int     `json:"duration_minutes"`
	LocationType        string  `json:"location_type"`
	MeetingLocation     *string `json:"meeting_location"`
	StudentNote         *string `json:"student_note"`
	// Prices a client sends are ignored: the server computes the price from the offer.
	TotalPriceCents *int `json:"total_price_cents"`
	HourlyRateCents *int `json:"hourly_rate_cents"`
}

const maxIdempotencyKey = 255

func (s *Server) createBooking(c *fiber.Ctx) error {
	var in createBookingRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	var v instainstru.Validator
	v.Check(in.InstructorServiceID != "", "instructor_service_id", "is required")
	date, derr := instainstru.ParseDate(in.Date)
	v.Check(derr == nil, "date", "must be a YYYY-MM-DD date")
	start, serr := instainstru.ParseMinute(in.StartTime, false)
	v.Check(serr == nil, "start_time", "must be an HH:MM time")
	v.Check(serr != nil || start.OnGrid(), "start_time", "must be on the 15-minute grid")
	v.Check(instainstru.ValidDuration(in.DurationMinutes), "duration_minutes", "must be a multiple of 15 between 15 and 240")
	loc := instainstru.BookingLocation(in.LocationType)
	v.Check(instainstru.ValidBookingLocation(loc), "location_type", "must be student_home, instructor_location, neutral or online")
	meeting, note := deref(in.MeetingLocation), deref(in.StudentNote)
	v.Check(utf8.RuneCountInString(meeting) <= 500, "meeting_location", "at most 500 characters")
	v.Check(instainstru.PrintableText(meeting), "meeting_location", "must not contain control characters")
	v.Check(utf8.RuneCountInString(note) <= 1000, "student_note", "at most 1000 characters")
	v.Check(instainstru.MultilineText(note), "student_note", "must not contain control characters")
	if err := v.Err(); err != nil {
		return err
	}
	p := principal(c)
	var idem *instainstru.IdempotencyKey
	if key := c.Get("Idempotency-Key"); key != "" {
		if len(key) > maxIdempotencyKey || !instainstru.PrintableText(key) {
			return instainstru.Invalid(instainstru.FieldError{Field: "Idempotency-Key", Message: "at most 255 characters"})
		}
		h := sha256.Sum256(append([]byte(c.Method()+" "+c.Path()+"\n"), c.Body()...))
		idem = &instainstru.IdempotencyKey{UserID: p.UserID, Key: key, RequestHash: h[:]}
	}
	b, replayed, err := s.deps.Bookings.Book(c.UserContext(), &instainstru.BookLessonRequest{
		StudentID: p.UserID, InstructorServiceID: in.InstructorServiceID, Date: date, StartTime: start,
		DurationMinutes: in.DurationMinutes, LocationType: loc, MeetingLocation: strings.TrimSpace(meeting),
		StudentNote: strings.TrimSpace(note),
	}, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Set("Idempotent-Replayed", "true")
	}
	c.Location("/api/v1/bookings/" + b.ID)
	return c.Status(fiber.StatusCreated).JSON(bookingDTO(b))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ownBooking reads a booking the caller takes part in; anyone else gets 404.
func (s *Server) ownBooking(c *fiber.Ctx) (*instainstru.Booking, error) {
	b, err := s.deps.BookingReader.BookingByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, err
	}
	p := principal(c)
	if b.Student.ID != p.UserID && b.Instructor.ID != p.UserID {
		return nil, instainstru.Errorf(instainstru.CodeNotFound, "booking not found")
	}
	return b, nil
}

func (s *Server) getBooking(c *fiber.Ctx) error {
	b, err := s.ownBooking(c)
	if err != nil {
		return err
	}
	return c.JSON(bookingDTO(b))
}

func (s *Server) listBookings(c *fiber.Ctx) error {
	p := principal(c)
	limit, err := queryLimit(c, defaultLimit)
	if err != nil {
		return err
	}
	f := instainstru.BookingFilter{UserID: p.UserID, Role: p.Role, Limit: limit}
	if raw := c.Query("cursor"); raw != "" {
		var cur bookingCursor
		if err := decodeCursor(raw, &cur); err != nil {
			return err
		}
		if !instainstru.LooksLikeUUID(cur.ID) {
			return errBadCursor()
		}
		f.After = &instainstru.BookingPosition{StartsAt: cur.At, ID: cur.ID}
	}
	status, err := queryEnum(c, "status", string(instainstru.BookingConfirmed), string(instainstru.BookingCompleted),
		string(instainstru.BookingCancelled), string(instainstru.BookingNoShow))
	if err != nil {
		return err
	}
	f.Status = instainstru.BookingStatus(status)
	if f.Upcoming, err = queryBool(c, "upcoming"); err != nil {
		return err
	}
	if f.From, err = queryDate(c, "from"); err != nil {
		return err
	}
	if f.To, err = queryDate(c, "to"); err != nil {
		return err
	}
	if f.From != nil && f.To != nil && f.From.After(*f.To) {
		return instainstru.Invalid(instainstru.FieldError{Field: "to", Message: "must not be before from"})
	}
	f.Now = s.deps.Now()
	items, next, err := s.deps.BookingReader.ListBookings(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := make([]BookingDTO, 0, len(items))
	for i := range items {
		out = append(out, bookingDTO(&items[i]))
	}
	cursor := ""
	if next != nil {
		cursor = encodeCursor(bookingCursor{At: next.StartsAt, ID: next.ID})
	}
	return c.JSON(newPage(out, cursor))
}

// bookingCursor is the JSON inside the cursor of GET /bookings: the last (starts_at, id).
type bookingCursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

type cancelBookingRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) cancelBooking(c *fiber.Ctx) error {
	var in cancelBookingRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	reason := strings.TrimSpace(in.Reason)
	var v instainstru.Validator
	v.Check(reason != "", "reason", "is required")
	v.Check(utf8.RuneCountInString(reason) <= 500, "reason", "at most 500 characters")
	v.Check(instainstru.MultilineText(reason), "reason", "must not contain control characters")
	if err := v.Err(); err != nil {
		return err
	}
	b, err := s.deps.Bookings.Cancel(c.UserContext(), c.Params("id"), principal(c).UserID, reason)
	if err != nil {
		return err
	}
	return c.JSON(bookingDTO(b))
}

type rescheduleRequest struct {
	Date            string `json:"date"`
	StartTime       string `json:"start_time"`
	DurationMinutes *int   `json:"duration_minutes"`
}

func (s *Server) rescheduleBooking(c *fiber.Ctx) error {
	var in rescheduleRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	var v instainstru.Validator
	date, derr := instainstru.ParseDate(in.Date)
	v.Check(derr == nil, "date", "must be a YYYY-MM-DD date")
	start, serr := instainstru.ParseMinute(in.StartTime, false)
	v.Check(serr == nil, "start_time", "must be an HH:MM time")
	v.Check(serr != nil || start.OnGrid(), "start_time", "must be on the 15-minute grid")
	dur := 0
	if in.DurationMinutes != nil {
		dur = *in.DurationMinutes
		v.Check(instainstru.ValidDuration(dur), "duration_minutes", "must be a multiple of 15 between 15 and 240")
	}
	if err := v.Err(); err != nil {
		return err
	}
	b, err := s.deps.Bookings.Reschedule(c.UserContext(), c.Params("id"), principal(c).UserID, date, start, dur)
	if err != nil {
		return err
	}
	return c.JSON(bookingDTO(b))
}

func (s *Server) completeBooking(c *fiber.Ctx) error {
	b, err := s.deps.Bookings.Complete(c.UserContext(), c.Params("id"), principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(bookingDTO(b))
}

func (s *Server) noShowBooking(c *fiber.Ctx) error {
	b, err := s.deps.Bookings.MarkNoShow(c.UserContext(), c.Params("id"), principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(bookingDTO(b))
}

// bookingICS serves the lesson as an RFC 5545 event (instainstru.BookingICS, the same rendering
// the confirmation email attaches).
func (s *Server) bookingICS(c *fiber.Ctx) error {
	b, err := s.ownBooking(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+instainstru.BookingICSFileName(b)+`"`)
	return c.SendString(instainstru.BookingICS(b))
}
