package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// decodeJSON reads the request body strictly into dst: JSON only, one value, no unknown fields
// (so a client trying to set role or email is told, not silently ignored). Syntax errors are
// 400 malformed_request; a wrong type or an unknown field is 422 validation_failed naming the field.
func decodeJSON(c *fiber.Ctx, dst any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return &instainstru.Error{Code: instainstru.CodeMalformed, Message: "a JSON request body is required"}
	}
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasSuffix(strings.SplitN(ct, ";", 2)[0], "+json") {
		return &instainstru.Error{Code: codeUnsupportedMediaType, Message: "send the body as application/json"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &instainstru.Error{Code: instainstru.CodeMalformed, Message: "the body must hold exactly one JSON value"}
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &instainstru.Error{Code: instainstru.CodeMalformed, Message: fmt.Sprintf("malformed JSON at byte %d", syn.Offset)}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &instainstru.Error{Code: instainstru.CodeMalformed, Message: "the JSON body ends unexpectedly"}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return &instainstru.Error{Code: instainstru.CodeMalformed, Message: "the body must be a JSON object"}
		}
		return instainstru.Invalid(instainstru.FieldError{Field: field, Message: "must be of type " + typ.Type.String()})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return instainstru.Invalid(instainstru.FieldError{Field: name, Message: "is not a field of this request"})
	}
	return &instainstru.Error{Code: instainstru.CodeMalformed, Message: "the body is not valid JSON"}
}

// Pagination limits of API.md: default 20, max 100; larger values are clamped.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// Query parameters. Every known parameter is parsed by one of the helpers below, and every one
// that does not parse (a date that is no date, a boolean that is neither true nor false, a
// number that is not one, a value outside its enumeration, a cursor we did not issue) is the
// same 400 malformed_request naming the parameter (API.md: bad query syntax is 400). Values that
// parse but make no sense (a window too long, an end before its start) are left to the
// handler's validation: 422. Absent parameters are nil (or the default); unknown ones are ignored.

// malformedQuery is the error of a query parameter that does not parse.
func malformedQuery(name, message string) *instainstru.Error {
	return &instainstru.Error{Code: instainstru.CodeMalformed, Message: name + " " + message,
		Fields: []instainstru.FieldError{{Field: name, Message: message}}}
}

// queryLimit reads ?limit= with the API's default and clamp. A non-number or a value below 1 is 400.
func queryLimit(c *fiber.Ctx, def int) (int, error) {
	raw := c.Query("limit")
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, malformedQuery("limit", "must be a positive integer")
	}
	if n > maxLimit {
		n = maxLimit
	}
	return n, nil
}

// queryInt reads an optional integer query parameter.
func queryInt(c *fiber.Ctx, name string) (*int, error) {
	raw := c.Query(name)
	if raw == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return nil, malformedQuery(name, "must be an integer")
	}
	return &n, nil
}

// queryDate reads an optional YYYY-MM-DD query parameter.
func queryDate(c *fiber.Ctx, name string) (*instainstru.Date, error) {
	raw := c.Query(name)
	if raw == "" {
		return nil, nil
	}
	d, err := instainstru.ParseDate(raw)
	if err != nil {
		return nil, malformedQuery(name, "must be a YYYY-MM-DD date")
	}
	return &d, nil
}

// requiredQueryDate reads a YYYY-MM-DD query parameter that must be present.
func requiredQueryDate(c *fiber.Ctx, name string) (instainstru.Date, error) {
	d, err := queryDate(c, name)
	if err != nil {
		return instainstru.Date{}, err
	}
	if d == nil {
		return instainstru.Date{}, malformedQuery(name, "is required (YYYY-MM-DD)")
	}
	return *d, nil
}

// queryBool reads an optional boolean query parameter: exactly "true" or "false".
func queryBool(c *fiber.Ctx, name string) (*bool, error) {
	switch c.Query(name) {
	case "":
		return nil, nil
	case "true":
		b := true
		return &b, nil
	case "false":
		b := false
		return &b, nil
	}
	return nil, malformedQuery(name, "must be true or false")
}

// queryEnum reads an optional query parameter that must be one of allowed ("" when absent).
func queryEnum(c *fiber.Ctx, name string, allowed ...string) (string, error) {
	raw := c.Query(name)
	if raw == "" {
		return "", nil
	}
	for _, a := range allowed {
		if raw == a {
			return raw, nil
		}
	}
	return "", malformedQuery(name, "must be one of "+strings.Join(allowed, ", "))
}

// Page is the API's list envelope.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func newPage[T any](items []T, next string) Page[T] {
	if items == nil {
		items = []T{}
	}
	p := Page[T]{Items: items}
	if next != "" {
		p.NextCursor = &next
	}
	return p
}

// Cursors are opaque to clients: base64url of a small JSON object. decodeCursor is strict (one
// object, no unknown fields), so anything the API did not issue is a 400, never a query.
func encodeCursor(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return "" // a cursor struct always marshals; an empty cursor just ends the list
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(raw string, v any) error {
	data, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return errBadCursor()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadCursor()
	}
	return nil
}

func errBadCursor() error {
	return malformedQuery("cursor", "is not a cursor this API issued")
}
