// Package instainstru is the domain of the InstaInstru marketplace: users, the service catalog,
// instructor offers, availability, bookings, and the rules between them.
//
// It imports nothing of ours and only the standard library, so every other package (api, actors,
// persistence, search, tasks) can depend on it without cycles. Errors cross every layer as *Error
// with a stable Code; exactly one place in api maps codes to HTTP statuses.
package instainstru

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable error name. API clients switch on it, so values never change.
type Code string

// Generic codes shared by every aggregate.
const (
	CodeInvalid      Code = "validation_failed"
	CodeMalformed    Code = "malformed_request"
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict"
	CodeUnauthorized Code = "unauthorized"
	CodeForbidden    Code = "forbidden"
	CodeUnavailable  Code = "unavailable"
	CodeRateLimited  Code = "rate_limited"
	CodeTooLarge     Code = "payload_too_large"
	CodeInternal     Code = "internal"
)

// Account codes.
const (
	CodeEmailTaken          Code = "email_taken"
	CodeInvalidCredentials  Code = "invalid_credentials"
	CodeAccountDeactivated  Code = "account_deactivated"
	CodeAccountSuspended    Code = "account_suspended"
	CodeHasFutureBookings   Code = "has_future_bookings"
	CodeInvalidToken        Code = "invalid_token"
	CodeTokenReused         Code = "refresh_token_reused"
	CodeServiceAlreadyOffer Code = "service_already_offered"
)

// Booking codes of the booking rules table.
const (
	CodeTooSoon               Code = "too_soon"
	CodeInstructorUnavailable Code = "instructor_unavailable"
	CodeOutsideAvailability   Code = "outside_availability"
	CodeBookingConflict       Code = "booking_conflict"
	CodeStudentConflict       Code = "student_conflict"
	CodeInvalidLocalTime      Code = "invalid_local_time"
	CodeIdempotencyKeyReused  Code = "idempotency_key_reused"
	CodeInvalidTransition     Code = "invalid_status_transition"
	CodeBlackoutDate          Code = "blackout_date"
	CodeBeyondHorizon         Code = "beyond_horizon"
	// CodeCalendarChanged: the instructor's calendar changed since the version a write was
	// decided on (the fence refused it). The actor reloads and decides again; clients never see it.
	CodeCalendarChanged Code = "calendar_changed"
)

// FieldError names one invalid input field and why.
type FieldError struct {
	Field   string
	Message string
}

// Error is the one error type that crosses layers. Message is safe to show to a client; internal
// causes stay in Cause and are only logged.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	Cause   error
	// RetryAfter, when set on rate_limited or unavailable, tells the client when to retry.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf builds an *Error with a formatted client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds a validation error listing the offending fields.
func Invalid(fields ...FieldError) *Error {
	msg := "the request is invalid"
	if len(fields) == 1 {
		msg = fields[0].Field + ": " + fields[0].Message
	}
	return &Error{Code: CodeInvalid, Message: msg, Fields: fields}
}

// Internal wraps an unexpected failure; the cause is logged, never shown.
func Internal(cause error) *Error {
	return &Error{Code: CodeInternal, Message: "internal error", Cause: cause}
}

// ErrorCode returns err's Code, CodeInternal for foreign errors and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsCode reports whether err is an *Error with the given code.
func IsCode(err error, code Code) bool { return err != nil && ErrorCode(err) == code }

// Validator collects field errors so a handler reports all of them at once.
type Validator struct{ fields []FieldError }

// Check records msg against field when ok is false.
func (v *Validator) Check(ok bool, field, msg string) {
	if !ok {
		v.fields = append(v.fields, FieldError{Field: field, Message: msg})
	}
}

// Add records a field error unconditionally.
func (v *Validator) Add(field, msg string) { v.fields = append(v.fields, FieldError{field, msg}) }

// Err returns the collected validation error, or nil when every check passed.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return Invalid(v.fields...)
}
