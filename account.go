package instainstru

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on account fields, shared by the API's validation and the schema's column sizes.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
	MaxEmailLen    = 254
	MaxFullNameLen = 200
)

// NormalizeEmail trims and lower-cases an email address. Emails are unique case-insensitively,
// and the schema stores only the lower-cased form.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s (already normalised) is a plain addr-spec: local@domain with a
// dotted domain, no display name, no spaces, at most MaxEmailLen bytes.
func ValidEmail(s string) bool {
	if s == "" || len(s) > MaxEmailLen || strings.ContainsAny(s, " \t\r\n<>\"(),;:\\[]") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 {
		return false
	}
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") &&
		!strings.Contains(domain, "..")
}

// ValidPassword reports whether a password's length (in characters) is within the policy.
func ValidPassword(p string) bool {
	n := utf8.RuneCountInString(p)
	return utf8.ValidString(p) && n >= MinPasswordLen && n <= MaxPasswordLen
}

// ValidFullName reports whether a (trimmed) display name is 1–200 characters of valid UTF-8
// without control characters.
func ValidFullName(s string) bool {
	n := utf8.RuneCountInString(s)
	if !utf8.ValidString(s) || n < 1 || n > MaxFullNameLen {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// RefreshToken is one stored refresh token. Only a hash of the secret is ever stored; every
// token descending from one login shares FamilyID, which is also the session id (`sid`) that
// access tokens of that session carry.
type RefreshToken struct {
	ID        string
	UserID    string
	FamilyID  string
	Hash      []byte
	ExpiresAt time.Time
}

// SessionState is what the auth middleware needs per request: the account's current status and
// whether the session (refresh family) is still live.
type SessionState struct {
	Role          Role
	Status        AccountStatus
	FamilyRevoked bool
}

// TokenStore persists refresh token families.
type TokenStore interface {
	// CreateRefreshToken stores a new token, the first of a family on login or registration.
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// RotateRefreshToken spends the token whose hash is oldHash and stores next in the same
	// family, atomically. A token spent less than reuseGrace ago whose successor is next (the
	// caller derives a successor's secret from its predecessor's, so the same spent token always
	// names the same successor) succeeds again without storing anything: two tabs refreshing at
	// once both get that successor. Any other spent token revokes the whole family and fails with
	// CodeTokenReused; an unknown, expired or revoked one fails with CodeInvalidToken. It returns
	// the token's user (for the new access token) with next's ID, UserID and FamilyID filled in.
	RotateRefreshToken(ctx context.Context, oldHash []byte, next *RefreshToken, reuseGrace time.Duration) (*User, error)
	// RevokeFamily ends one session; revoking an already revoked family is not an error.
	RevokeFamily(ctx context.Context, userID, familyID string) error
	// SessionState reads the account status and the family's revocation in one round trip.
	// An unknown user is CodeNotFound.
	SessionState(ctx context.Context, userID, familyID string) (SessionState, error)
}

// AccountStanding is what the lifecycle endpoints report about an account.
type AccountStanding struct {
	Status AccountStatus
	Role   Role
	// FutureBookings counts confirmed bookings starting after now, as student or instructor.
	FutureBookings int
	// FutureAsInstructor counts those where the user teaches (what blocks a suspension).
	FutureAsInstructor int
}

// CanSuspend reports whether a suspension would be accepted now.
func (a AccountStanding) CanSuspend() bool {
	return a.Role == RoleInstructor && a.Status == StatusActive && a.FutureAsInstructor == 0
}

// CanDeactivate reports whether a deactivation would be accepted now.
func (a AccountStanding) CanDeactivate() bool {
	return a.Status != StatusDeactivated && a.FutureBookings == 0
}

// AccountStore runs the account lifecycle transitions. Each transition locks the user row, so a
// concurrent booking insert (whose foreign-key check takes a key-share lock on the same row)
// is ordered before or after it, and the future-bookings rule is checked on committed data.
type AccountStore interface {
	AccountStanding(ctx context.Context, userID string) (AccountStanding, error)
	// SuspendAccount pauses an active instructor: CodeHasFutureBookings while confirmed future
	// bookings exist where they teach, CodeConflict when not active, CodeForbidden for non-instructors.
	SuspendAccount(ctx context.Context, userID string) (AccountStanding, error)
	// DeactivateAccount closes an account and revokes all its refresh tokens:
	// CodeHasFutureBookings while confirmed future bookings exist (either side).
	DeactivateAccount(ctx context.Context, userID string) (AccountStanding, error)
	// ReactivateAccount returns a suspended instructor to active; anything else is CodeConflict.
	ReactivateAccount(ctx context.Context, userID string) (AccountStanding, error)
}

// RateLimitStore counts hits in fixed windows shared by every API node. Implementations must
// be atomic per key and must fail fast (an error, not a long wait) when their backend is down,
// so the caller can fall back to a local limiter.
type RateLimitStore interface {
	// Hit records n (≥ 1) hits on key in the current window of length window and returns the
	// number of hits so far in it and the time left until it resets.
	Hit(ctx context.Context, key string, n int64, window time.Duration) (count int64, resetIn time.Duration, err error)
}
