package api

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/instainstru/instainstru"
)

// AuthConfig configures token issuing. JWTSecret signs access tokens (HS256); the issuer and
// audience are checked on every request so a token minted for another service with the same
// secret is refused.
type AuthConfig struct {
	JWTSecret  []byte
	Issuer     string
	Audience   string
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// RefreshReuseGrace (REFRESH_REUSE_GRACE) is how long after its rotation a spent refresh token
	// still gets its successor again instead of revoking the family: two tabs refreshing at once
	// both stay logged in.
	RefreshReuseGrace time.Duration
}

// Token defaults of DESIGN.md, used for zero fields.
const (
	defaultIssuer     = "instainstru"
	defaultAudience   = "instainstru-api"
	defaultAccessTTL  = 15 * time.Minute
	defaultRefreshTTL = 720 * time.Hour
	// DefaultRefreshReuseGrace is REFRESH_REUSE_GRACE's default.
	DefaultRefreshReuseGrace = 10 * time.Second
	// tokenTypeAccess is the `typ` claim of access tokens: any other kind of token presented as
	// a bearer credential is refused.
	tokenTypeAccess = "access"
	// refreshTokenBytes is the entropy of an opaque refresh token.
	refreshTokenBytes = 32
	// maxBearerLen bounds what the parser is given; real access tokens are ~400 bytes.
	maxBearerLen = 4096
)

func (a AuthConfig) withDefaults() AuthConfig {
	a.Issuer = cmp.Or(a.Issuer, defaultIssuer)
	a.Audience = cmp.Or(a.Audience, defaultAudience)
	a.AccessTTL = cmp.Or(max(a.AccessTTL, 0), defaultAccessTTL)
	a.RefreshTTL = cmp.Or(max(a.RefreshTTL, 0), defaultRefreshTTL)
	a.RefreshReuseGrace = cmp.Or(max(a.RefreshReuseGrace, 0), DefaultRefreshReuseGrace)
	return a
}

// AccessClaims are the claims of an access token: the registered ones (iss, aud, sub, exp, iat,
// jti) plus the token type, the session (refresh family) id and the role at issue time.
type AccessClaims struct {
	Type      string `json:"typ"`
	SessionID string `json:"sid"`
	Role      string `json:"role"`
	jwt.RegisteredClaims
}

// issueAccessToken signs an HS256 access token for user in session sid.
func (a AuthConfig) issueAccessToken(userID string, role instainstru.Role, sid string, now time.Time) (string, error) {
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", err
	}
	claims := AccessClaims{
		Type:      tokenTypeAccess,
		SessionID: sid,
		Role:      string(role),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    a.Issuer,
			Subject:   userID,
			Audience:  jwt.ClaimStrings{a.Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(a.AccessTTL)),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        hex.EncodeToString(jti[:]),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.JWTSecret)
}

var errInvalidToken = &instainstru.Error{Code: instainstru.CodeInvalidToken, Message: "the access token is invalid or expired"}

// parseAccessToken verifies signature (HS256 only: `none`, HS512 and asymmetric algorithms are
// refused before any key is used), issuer, audience, expiry and issued-at, and that the token is
// an access token with a subject and session. Every failure is the same invalid_token: the
// client learns nothing about which check failed.
func (a AuthConfig) parseAccessToken(raw string, now time.Time) (*AccessClaims, error) {
	if raw == "" || len(raw) > maxBearerLen {
		return nil, errInvalidToken
	}
	claims := &AccessClaims{}
	_, err := jwt.ParseWithClaims(raw, claims,
		func(*jwt.Token) (any, error) { return a.JWTSecret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(a.Issuer),
		jwt.WithAudience(a.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil {
		return nil, &instainstru.Error{Code: instainstru.CodeInvalidToken, Message: errInvalidToken.Message, Cause: err}
	}
	if claims.Type != tokenTypeAccess || claims.Subject == "" || claims.SessionID == "" ||
		!validUUID(claims.Subject) || !validUUID(claims.SessionID) {
		return nil, &instainstru.Error{Code: instainstru.CodeInvalidToken, Message: errInvalidToken.Message,
			Cause: errors.New("not an access token")}
	}
	return claims, nil
}

// newRefreshSecret returns an opaque refresh token (32 random bytes, base64url) and the SHA-256
// hash that is all the database ever stores of it.
func newRefreshSecret() (token string, hash []byte, err error) {
	var b [refreshTokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashRefresh(token), nil
}

// successorRefreshSecret is the refresh token that replaces token when it is rotated:
// HMAC-SHA256 of it under the JWT secret (with a label, so the MAC is never an access token's
// signature input), base64url like every refresh token. Deterministic, so a spent token presented
// again within the reuse grace names the same successor, which the store finds by its hash
// (the database only ever holds hashes, so it could not hand the secret back); unpredictable
// without the server's secret, so it is as good as a random token to anyone else.
func (a AuthConfig) successorRefreshSecret(token string) (string, []byte) {
	m := hmac.New(sha256.New, a.JWTSecret)
	m.Write([]byte("instainstru refresh successor\x00"))
	m.Write([]byte(token))
	next := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	return next, hashRefresh(next)
}

// hashRefresh is the lookup key of a refresh token. A plain SHA-256 suffices: the token carries
// 256 bits of entropy, so there is nothing to brute-force that a slow hash would protect.
func hashRefresh(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// wellFormedRefresh reports whether s could be a token we issued (43 base64url characters), so
// garbage never reaches the database.
func wellFormedRefresh(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(refreshTokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// validUUID checks the canonical 8-4-4-4-12 hex form without importing a UUID library.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		ch := s[i]
		switch i {
		case 8, 13, 18, 23:
			if ch != '-' {
				return false
			}
		default:
			if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F') {
				return false
			}
		}
	}
	return true
}
