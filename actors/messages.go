package actors

import (
	"time"

	"github.com/instainstru/instainstru"
)

// Every message is a pointer request answered by a pointer response; a business failure is the
// response's Err, never a panic.

type bookRequest struct {
	deadline time.Time
	req      *instainstru.BookLessonRequest
	bc       *instainstru.BookingContext
	idem     *instainstru.IdempotencyKey
}

type bookingResponse struct {
	booking  *instainstru.Booking
	replayed bool
	err      error
}

type cancelRequest struct {
	deadline  time.Time
	bookingID string
	userID    string
	reason    string
}

type rescheduleRequest struct {
	deadline  time.Time
	bookingID string
	userID    string
	date      instainstru.Date
	start     instainstru.Minute
	duration  int
}

type finishRequest struct {
	deadline  time.Time
	bookingID string
	userID    string
	status    instainstru.BookingStatus
}

type putWeekRequest struct {
	deadline time.Time
	week     *instainstru.Week
}

type copyWeekRequest struct {
	deadline time.Time
	from, to instainstru.Date
}

type applyPatternRequest struct {
	deadline   time.Time
	from       instainstru.Date
	start, end instainstru.Date
}

type blackoutRequest struct {
	deadline time.Time
	add      bool
	blackout instainstru.BlackoutDate
}

type availabilityResponse struct {
	week         *instainstru.Week
	datesUpdated int
	err          error
}

type deadlined interface{ when() time.Time }

func (m *bookRequest) when() time.Time         { return m.deadline }
func (m *cancelRequest) when() time.Time       { return m.deadline }
func (m *rescheduleRequest) when() time.Time   { return m.deadline }
func (m *finishRequest) when() time.Time       { return m.deadline }
func (m *putWeekRequest) when() time.Time      { return m.deadline }
func (m *copyWeekRequest) when() time.Time     { return m.deadline }
func (m *applyPatternRequest) when() time.Time { return m.deadline }
func (m *blackoutRequest) when() time.Time     { return m.deadline }
