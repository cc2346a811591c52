package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

const headerRequestID = "X-Request-ID"

// requestIDMiddleware echoes a sane client-sent X-Request-ID (so a client can correlate its own
// logs) and generates one otherwise. Client values are bounded and restricted to safe characters,
// so they can never inject into logs or headers.
func requestIDMiddleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Get(headerRequestID)
		if !safeRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Locals("request_id", id)
		c.Set(headerRequestID, id)
		return c.Next()
	}
}

func safeRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return false
		}
	}
	return true
}

func requestID(c *fiber.Ctx) string {
	if v, ok := c.Locals("request_id").(string); ok {
		return v
	}
	return ""
}

// securityHeaders sets the headers every API response carries. The JSON API never renders HTML,
// so its CSP forbids everything; the docs page and dashboard set their own.
func securityHeaders(production bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set("X-Frame-Options", "DENY")
		c.Set("Referrer-Policy", "no-referrer")
		c.Set("Cross-Origin-Opener-Policy", "same-origin")
		c.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if production {
			c.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return c.Next()
	}
}

// accessLog writes one structured line per request after the error funnel has set the status,
// and counts the request in the HTTP metrics (GET /metrics, /monitoring/stats).
func accessLog(log *slog.Logger, stats *requestStats, inFlight prometheus.Gauge) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		inFlight.Inc()
		defer inFlight.Dec()
		err := c.Next()
		if err != nil {
			// Let the funnel write the response now so the logged status is the real one.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		dur := time.Since(start)
		stats.record(c, status, dur)
		lvl := slog.LevelInfo
		if status >= 500 {
			lvl = slog.LevelError
		}
		if !log.Enabled(c.UserContext(), lvl) {
			return nil // nothing to format when the line would be dropped
		}
		log.LogAttrs(c.UserContext(), lvl, "http",
			slog.String("method", c.Method()),
			slog.String("path", c.Path()),
			slog.Int("status", status),
			slog.Duration("dur", dur),
			// The connection peer: never a client-supplied header (behind trusted proxies the
			// proxy's address; the limiter works out the client from it).
			slog.String("peer", c.Context().RemoteIP().String()),
			slog.String("request_id", requestID(c)),
		)
		return nil
	}
}

// requestDeadline gives every request a context that ends after timeout (REQUEST_TIMEOUT) and
// makes it the request's user context, which every handler and middleware hands down to stores,
// caches and actors. A database or Redis stall then ends in a context error, answered 503 with
// Retry-After by the error funnel, and pgx cancels the query in the server, so the connection
// returns to the pool instead of the pool running dry behind a lock.
func requestDeadline(timeout time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), timeout)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
}
