package api

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// Principal is the authenticated caller of a request, as the auth middleware established it.
// Role and Status are read from the database on every request, not trusted from the token.
type Principal struct {
	UserID   string
	Role     instainstru.Role
	Status   instainstru.AccountStatus
	FamilyID string // the session (refresh family) the access token belongs to
}

const principalKey = "auth.principal"

// principal returns the authenticated caller, or nil on a route without requireUser.
func principal(c *fiber.Ctx) *Principal {
	p, _ := c.Locals(principalKey).(*Principal)
	return p
}

// requireUser admits a request only with a valid Bearer access token of an account that may act.
// Beyond the signature and expiry, it checks in one indexed query that the user still exists and
// is not deactivated and that the token's session has not been revoked (logout, deactivation,
// refresh-token reuse), so those take effect at once instead of when the token expires.
// Suspended accounts pass: a suspension only hides an instructor and stops new bookings.
func (s *Server) requireUser() fiber.Handler {
	if s.deps.Tokens == nil || len(s.deps.Auth.JWTSecret) == 0 {
		panic("api: requireUser needs Deps.Tokens and Deps.Auth.JWTSecret")
	}
	auth := s.deps.Auth.withDefaults()
	tokens := s.deps.Tokens
	return func(c *fiber.Ctx) error {
		raw, ok := bearerToken(c.Get(fiber.HeaderAuthorization))
		if !ok {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="instainstru"`)
			return &instainstru.Error{Code: instainstru.CodeUnauthorized, Message: "authentication required: send Authorization: Bearer <access token>"}
		}
		claims, err := auth.parseAccessToken(raw, time.Now())
		if err != nil {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="instainstru", error="invalid_token"`)
			return err
		}
		st, err := tokens.SessionState(c.UserContext(), claims.Subject, claims.SessionID)
		if err != nil {
			if instainstru.IsCode(err, instainstru.CodeNotFound) {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="instainstru", error="invalid_token"`)
				return errInvalidToken
			}
			return err
		}
		if st.FamilyRevoked || st.Status == instainstru.StatusDeactivated {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="instainstru", error="invalid_token"`)
			return &instainstru.Error{Code: instainstru.CodeInvalidToken, Message: "the session has ended: log in again"}
		}
		c.Locals(principalKey, &Principal{UserID: claims.Subject, Role: st.Role, Status: st.Status, FamilyID: claims.SessionID})
		return c.Next()
	}
}

// requireRole admits only callers with one of roles; use it after requireUser.
func requireRole(roles ...instainstru.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principal(c)
		if p == nil {
			return &instainstru.Error{Code: instainstru.CodeUnauthorized, Message: "authentication required"}
		}
		for _, r := range roles {
			if p.Role == r {
				return c.Next()
			}
		}
		return &instainstru.Error{Code: instainstru.CodeForbidden, Message: "your role may not do this"}
	}
}

// bearerToken extracts the credentials of an `Authorization: Bearer <token>` header; the scheme
// is case-insensitive (RFC 7235).
func bearerToken(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(scheme):])
	return tok, tok != ""
}
