package persistence

import (
	"github.com/instainstru/instainstru"
)

// NewID returns a new UUIDv7 string (instainstru.NewID: the domain owns id generation).
func NewID() string { return instainstru.NewID() }

// ValidID reports whether s is a canonical UUID, so a bad path parameter is a 404/422 decided
// before any query (a malformed uuid would otherwise be a driver error).
func ValidID(s string) bool { return instainstru.LooksLikeUUID(s) }
