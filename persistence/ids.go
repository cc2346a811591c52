package persistence

import (
	"github.com/google/uuid"

	"github.com/instainstru/instainstru"
)

// NewID returns a UUIDv7 string: random, yet sorting by creation time, which keeps B-tree inserts
// local and lets cursors order by id.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// ValidID reports whether s is a canonical UUID, so a bad path parameter is a 404/422 decided
// before any query (a malformed uuid would otherwise be a driver error).
func ValidID(s string) bool { return instainstru.LooksLikeUUID(s) }
