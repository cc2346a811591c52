package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/instainstru/instainstru"
)

// statusOf is the one mapping from domain error codes to HTTP statuses.
var statusOf = map[instainstru.Code]int{
	instainstru.CodeInvalid:               fiber.StatusUnprocessableEntity,
	instainstru.CodeMalformed:             fiber.StatusBadRequest,
	instainstru.CodeNotFound:              fiber.StatusNotFound,
	instainstru.CodeConflict:              fiber.StatusConflict,
	instainstru.CodeUnauthorized:          fiber.StatusUnauthorized,
	instainstru.CodeInvalidToken:          fiber.StatusUnauthorized,
	instainstru.CodeInvalidCredentials:    fiber.StatusUnauthorized,
	instainstru.CodeTokenReused:           fiber.StatusUnauthorized,
	instainstru.CodeForbidden:             fiber.StatusForbidden,
	instainstru.CodeAccountDeactivated:    fiber.StatusForbidden,
	instainstru.CodeAccountSuspended:      fiber.StatusForbidden,
	instainstru.CodeUnavailable:           fiber.StatusServiceUnavailable,
	instainstru.CodeRateLimited:           fiber.StatusTooManyRequests,
	instainstru.CodeTooLarge:              fiber.StatusRequestEntityTooLarge,
	instainstru.CodeInternal:              fiber.StatusInternalServerError,
	instainstru.CodeEmailTaken:            fiber.StatusConflict,
	instainstru.CodeHasFutureBookings:     fiber.StatusConflict,
	instainstru.CodeServiceAlreadyOffer:   fiber.StatusConflict,
	instainstru.CodeTooSoon:               fiber.StatusUnprocessableEntity,
	instainstru.CodeInstructorUnavailable: fiber.StatusConflict,
	instainstru.CodeOutsideAvailability:   fiber.StatusConflict,
	instainstru.CodeBookingConflict:       fiber.StatusConflict,
	instainstru.CodeStudentConflict:       fiber.StatusConflict,
	instainstru.CodeInvalidLocalTime:      fiber.StatusUnprocessableEntity,
	instainstru.CodeBlackoutDate:          fiber.StatusUnprocessableEntity,
	instainstru.CodeBeyondHorizon:         fiber.StatusUnprocessableEntity,
	instainstru.CodeCalendarChanged:       fiber.StatusServiceUnavailable,
	instainstru.CodeIdempotencyKeyReused:  fiber.StatusUnprocessableEntity,
	instainstru.CodeInvalidTransition:     fiber.StatusConflict,
	codeMethodNotAllowed:                  fiber.StatusMethodNotAllowed,
	codeHeadersTooLarge:                   fiber.StatusRequestHeaderFieldsTooLarge,
	codeRequestTimeout:                    fiber.StatusRequestTimeout,
	codeUnsupportedMediaType:              fiber.StatusUnsupportedMediaType,
}

// Codes of the HTTP layer itself (the framework's own refusals), beside the domain's.
const (
	codeMethodNotAllowed     instainstru.Code = "method_not_allowed"
	codeHeadersTooLarge      instainstru.Code = "headers_too_large"
	codeRequestTimeout       instainstru.Code = "request_timeout"
	codeUnsupportedMediaType instainstru.Code = "unsupported_media_type"
)

// Problem is an RFC 9457 problem details body with the API's stable code.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail"`
	Code     string         `json:"code"`
	Instance string         `json:"instance,omitempty"`
	Errors   []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one invalid field of a validation problem.
type ProblemField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

const problemBase = "https://instainstru.dev/problems/"

// fromFiberError maps the framework's own errors (unknown route, body too large...) to our codes.
func fromFiberError(fe *fiber.Error) *instainstru.Error {
	switch fe.Code {
	case fiber.StatusNotFound:
		return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "no such resource"}
	case fiber.StatusRequestEntityTooLarge:
		return &instainstru.Error{Code: instainstru.CodeTooLarge, Message: "the request body is larger than the 1 MiB limit"}
	case fiber.StatusMethodNotAllowed:
		return &instainstru.Error{Code: codeMethodNotAllowed, Message: "method not allowed"}
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return &instainstru.Error{Code: codeHeadersTooLarge, Message: "request headers too large"}
	case fiber.StatusRequestTimeout:
		return &instainstru.Error{Code: codeRequestTimeout, Message: "the request took too long to arrive"}
	case fiber.StatusUnsupportedMediaType:
		return &instainstru.Error{Code: codeUnsupportedMediaType, Message: fe.Message}
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return &instainstru.Error{Code: instainstru.CodeMalformed, Message: fe.Message}
	}
	return instainstru.Internal(fe)
}

// errorHandler is the error funnel: every error a handler or middleware returns becomes a
// problem+json response here, and only here. Unexpected errors are logged with the request id
// and answered with a generic 500 that reveals nothing internal. Every answer is counted by code
// in problems (instainstru_http_problems_total).
func errorHandler(log *slog.Logger, problems *prometheus.CounterVec) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var de *instainstru.Error
		var fe *fiber.Error
		switch {
		case errors.As(err, &de):
		case errors.As(err, &fe):
			de = fromFiberError(fe)
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			// The request's deadline (REQUEST_TIMEOUT) ran out in something that does not speak
			// domain errors: a dependency stalled, which is 503 with Retry-After, not a 500.
			de = &instainstru.Error{Code: instainstru.CodeUnavailable, Message: "the service did not answer in time: retry shortly", Cause: err}
		default:
			de = instainstru.Internal(err)
		}
		status, ok := statusOf[de.Code]
		if !ok {
			status = fiber.StatusInternalServerError
		}
		problems.WithLabelValues(string(de.Code)).Inc()
		if status >= 500 {
			log.Error("request failed", "request_id", requestID(c), "method", c.Method(), "path", c.Path(),
				"code", de.Code, "err", err)
		}
		if de.RetryAfter > 0 || status == fiber.StatusServiceUnavailable || status == fiber.StatusTooManyRequests {
			secs := int((de.RetryAfter + 999_999_999) / 1_000_000_000)
			if secs < 1 {
				secs = 1
			}
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		}
		p := Problem{
			Type:     problemBase + strings.ReplaceAll(string(de.Code), "_", "-"),
			Title:    titleOf(status),
			Status:   status,
			Detail:   de.Message,
			Code:     string(de.Code),
			Instance: c.Path(),
		}
		for _, f := range de.Fields {
			p.Errors = append(p.Errors, ProblemField(f))
		}
		body, mErr := json.Marshal(p)
		if mErr != nil {
			body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500,"code":"internal"}`)
		}
		c.Set(fiber.HeaderContentType, "application/problem+json")
		return c.Status(status).Send(body)
	}
}

func titleOf(status int) string {
	if t := utils.StatusMessage(status); t != "" {
		return t
	}
	return "Error"
}
