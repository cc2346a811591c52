package actors

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/remote"

	"github.com/instainstru/instainstru"
)

// The wire edge. In one process the actor messages travel as Go pointers (no copy, no encoding).
// When the cluster places an instructor's actor on another node, protoactor's remoting needs a
// protobuf message: every request and reply implements remote.RootSerializable, turning itself
// into a WireEnvelope whose payload is the JSON of a wire DTO below, and the receiving node turns
// the envelope back (remote.RootSerialized) before the actor or the waiting future sees it.
//
// The DTOs name their fields explicitly; the domain values inside them (booking, booking
// context, week) travel by their Go field names, which the round-trip test in wire_test.go checks
// field by field, so a domain field that cannot cross the wire fails a test instead of vanishing.
// Deadlines travel as the time left, not as an instant, so clock skew between nodes cannot make
// a request look expired (or fresh) when it is not.

const (
	kindBook          = "book"
	kindCancel        = "cancel"
	kindReschedule    = "reschedule"
	kindFinish        = "finish"
	kindPutWeek       = "put_week"
	kindCopyWeek      = "copy_week"
	kindApplyPattern  = "apply_pattern"
	kindBlackout      = "blackout"
	kindBookingReply  = "booking_reply"
	kindAvailability  = "availability_reply"
	minWireTimeLeftMS = 0
)

type wireBook struct {
	TimeLeftMS int64                          `json:"time_left_ms"`
	Req        *instainstru.BookLessonRequest `json:"req"`
	Context    *instainstru.BookingContext    `json:"context"`
	Idem       *instainstru.IdempotencyKey    `json:"idem,omitempty"`
}

type wireBookingOp struct {
	TimeLeftMS int64                     `json:"time_left_ms"`
	BookingID  string                    `json:"booking_id"`
	UserID     string                    `json:"user_id"`
	Reason     string                    `json:"reason,omitempty"`
	Date       instainstru.Date          `json:"date"`
	Start      instainstru.Minute        `json:"start"`
	Duration   int                       `json:"duration,omitempty"`
	Status     instainstru.BookingStatus `json:"status,omitempty"`
}

type wireAvailabilityOp struct {
	TimeLeftMS int64                    `json:"time_left_ms"`
	Week       *instainstru.Week        `json:"week,omitempty"`
	From       instainstru.Date         `json:"from"`
	To         instainstru.Date         `json:"to"`
	Start      instainstru.Date         `json:"start"`
	End        instainstru.Date         `json:"end"`
	Add        bool                     `json:"add,omitempty"`
	Blackout   instainstru.BlackoutDate `json:"blackout"`
}

type wireError struct {
	Code         instainstru.Code         `json:"code"`
	Message      string                   `json:"message"`
	Fields       []instainstru.FieldError `json:"fields,omitempty"`
	RetryAfterMS int64                    `json:"retry_after_ms,omitempty"`
	Cause        string                   `json:"cause,omitempty"`
}

type wireBookingReply struct {
	Booking  *instainstru.Booking `json:"booking,omitempty"`
	Replayed bool                 `json:"replayed,omitempty"`
	Err      *wireError           `json:"err,omitempty"`
}

type wireAvailabilityReply struct {
	Week         *instainstru.Week `json:"week,omitempty"`
	DatesUpdated int               `json:"dates_updated,omitempty"`
	Err          *wireError        `json:"err,omitempty"`
}

func timeLeft(deadline time.Time) int64 {
	ms := time.Until(deadline).Milliseconds()
	if ms < minWireTimeLeftMS {
		ms = minWireTimeLeftMS
	}
	return ms
}

func deadlineIn(ms int64) time.Time { return time.Now().Add(time.Duration(ms) * time.Millisecond) }

func toWireError(err error) *wireError {
	if err == nil {
		return nil
	}
	var e *instainstru.Error
	if !errors.As(err, &e) {
		e = instainstru.Internal(err)
	}
	w := &wireError{Code: e.Code, Message: e.Message, Fields: e.Fields, RetryAfterMS: e.RetryAfter.Milliseconds()}
	if e.Cause != nil {
		w.Cause = e.Cause.Error()
	}
	return w
}

func (w *wireError) toError() error {
	if w == nil {
		return nil
	}
	e := &instainstru.Error{Code: w.Code, Message: w.Message, Fields: w.Fields,
		RetryAfter: time.Duration(w.RetryAfterMS) * time.Millisecond}
	if w.Cause != "" {
		e.Cause = errors.New(w.Cause)
	}
	return e
}

func envelope(kind string, dto any) (remote.RootSerialized, error) {
	b, err := json.Marshal(dto)
	if err != nil {
		return nil, fmt.Errorf("encode %s for the wire: %w", kind, err)
	}
	return &WireEnvelope{Kind: kind, Payload: b}, nil
}

// Serialize implements remote.RootSerializable.
func (m *bookRequest) Serialize() (remote.RootSerialized, error) {
	return envelope(kindBook, wireBook{TimeLeftMS: timeLeft(m.deadline), Req: m.req, Context: m.bc, Idem: m.idem})
}

// Serialize implements remote.RootSerializable.
func (m *cancelRequest) Serialize() (remote.RootSerialized, error) {
	return envelope(kindCancel, wireBookingOp{TimeLeftMS: timeLeft(m.deadline), BookingID: m.bookingID, UserID: m.userID, Reason: m.reason})
}

// Serialize implements remote.RootSerializable.
func (m *rescheduleRequest) Serialize() (remote.RootSerialized, error) {
	return envelope(kindReschedule, wireBookingOp{TimeLeftMS: timeLeft(m.deadline), BookingID: m.bookingID, UserID: m.userID,
		Date: m.date, Start: m.start, Duration: m.duration})
}

// Serialize implements remote.RootSerializable.
func (m *finishRequest) Serialize() (remote.RootSerialized, error) {
	return envelope(kindFinish, wireBookingOp{TimeLeftMS: timeLeft(m.deadline), BookingID: m.bookingID, UserID: m.userID, Status: m.status})
}

// Serialize implements remote.RootSerializable.
func (m *putWeekRequest) Serialize() (remote.RootSerialized, error) {
	return envelope(kindPutWeek, wireAvailabilityOp{TimeLeftMS: timeLeft(m.deadline), Week: m.week})
}

// Serialize implements remote.RootSerializable.
func (m *copyWeekRequest) Serialize() (remote.RootSerialized, error) {
	return envelope(kindCopyWeek, wireAvailabilityOp{TimeLeftMS: timeLeft(m.deadline), From: m.from, To: m.to})
}

// Serialize implements remote.RootSerializable.
func (m *applyPatternRequest) Serialize() (remote.RootSerialized, error) {
	return envelope(kindApplyPattern, wireAvailabilityOp{TimeLeftMS: timeLeft(m.deadline), From: m.from, Start: m.start, End: m.end})
}

// Serialize implements remote.RootSerializable.
func (m *blackoutRequest) Serialize() (remote.RootSerialized, error) {
	return envelope(kindBlackout, wireAvailabilityOp{TimeLeftMS: timeLeft(m.deadline), Add: m.add, Blackout: m.blackout})
}

// Serialize implements remote.RootSerializable.
func (r *bookingResponse) Serialize() (remote.RootSerialized, error) {
	return envelope(kindBookingReply, wireBookingReply{Booking: r.booking, Replayed: r.replayed, Err: toWireError(r.err)})
}

// Serialize implements remote.RootSerializable.
func (r *availabilityResponse) Serialize() (remote.RootSerialized, error) {
	return envelope(kindAvailability, wireAvailabilityReply{Week: r.week, DatesUpdated: r.datesUpdated, Err: toWireError(r.err)})
}

// Deserialize implements remote.RootSerialized: the envelope back into the in-process message.
func (x *WireEnvelope) Deserialize() (remote.RootSerializable, error) {
	decode := func(dto any) error {
		if err := json.Unmarshal(x.Payload, dto); err != nil {
			return fmt.Errorf("decode %s from the wire: %w", x.Kind, err)
		}
		return nil
	}
	switch x.Kind {
	case kindBook:
		var w wireBook
		if err := decode(&w); err != nil {
			return nil, err
		}
		if w.Req == nil || w.Context == nil {
			return nil, fmt.Errorf("decode %s from the wire: request or context missing", x.Kind)
		}
		return &bookRequest{deadline: deadlineIn(w.TimeLeftMS), req: w.Req, bc: w.Context, idem: w.Idem}, nil
	case kindCancel, kindReschedule, kindFinish:
		var w wireBookingOp
		if err := decode(&w); err != nil {
			return nil, err
		}
		dl := deadlineIn(w.TimeLeftMS)
		switch x.Kind {
		case kindCancel:
			return &cancelRequest{deadline: dl, bookingID: w.BookingID, userID: w.UserID, reason: w.Reason}, nil
		case kindReschedule:
			return &rescheduleRequest{deadline: dl, bookingID: w.BookingID, userID: w.UserID, date: w.Date, start: w.Start, duration: w.Duration}, nil
		}
		return &finishRequest{deadline: dl, bookingID: w.BookingID, userID: w.UserID, status: w.Status}, nil
	case kindPutWeek, kindCopyWeek, kindApplyPattern, kindBlackout:
		var w wireAvailabilityOp
		if err := decode(&w); err != nil {
			return nil, err
		}
		dl := deadlineIn(w.TimeLeftMS)
		switch x.Kind {
		case kindPutWeek:
			if w.Week == nil {
				return nil, fmt.Errorf("decode %s from the wire: week missing", x.Kind)
			}
			return &putWeekRequest{deadline: dl, week: w.Week}, nil
		case kindCopyWeek:
			return &copyWeekRequest{deadline: dl, from: w.From, to: w.To}, nil
		case kindApplyPattern:
			return &applyPatternRequest{deadline: dl, from: w.From, start: w.Start, end: w.End}, nil
		}
		return &blackoutRequest{deadline: dl, add: w.Add, blackout: w.Blackout}, nil
	case kindBookingReply:
		var w wireBookingReply
		if err := decode(&w); err != nil {
			return nil, err
		}
		return &bookingResponse{booking: w.Booking, replayed: w.Replayed, err: w.Err.toError()}, nil
	case kindAvailability:
		var w wireAvailabilityReply
		if err := decode(&w); err != nil {
			return nil, err
		}
		return &availabilityResponse{week: w.Week, datesUpdated: w.DatesUpdated, err: w.Err.toError()}, nil
	}
	return nil, fmt.Errorf("unknown wire message kind %q", x.Kind)
}

var (
	_ remote.RootSerializable = (*bookRequest)(nil)
	_ remote.RootSerializable = (*bookingResponse)(nil)
	_ remote.RootSerializable = (*availabilityResponse)(nil)
	_ remote.RootSerialized   = (*WireEnvelope)(nil)
)
