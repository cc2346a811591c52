package instainstru

import (
	"context"
	"time"
)

// Role is what a user is on the platform. Registration can create students and instructors only.
type Role string

// Roles.
const (
	RoleStudent    Role = "student"
	RoleInstructor Role = "instructor"
	RoleAdmin      Role = "admin"
)

// AccountStatus is the lifecycle state of an account.
type AccountStatus string

// Account states: suspended is an instructor's pause (can log in, hidden, takes no new bookings,
// keeps existing ones); deactivated cannot log in and is hidden everywhere.
const (
	StatusActive      AccountStatus = "active"
	StatusSuspended   AccountStatus = "suspended"
	StatusDeactivated AccountStatus = "deactivated"
)

// DefaultTimezone is used when a user gives none and for anonymous relative-date reading.
const DefaultTimezone = "America/New_York"

// User is an account. PasswordHash never leaves persistence and api's auth code.
type User struct {
	ID            string
	Email         string
	PasswordHash  string
	FullName      string
	Role          Role
	AccountStatus AccountStatus
	Timezone      string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// UserStore persists accounts.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	UpdateUserProfile(ctx context.Context, id string, fullName, timezone *string) (*User, error)
	SetAccountStatus(ctx context.Context, id string, status AccountStatus) error
}

// ValidTimezone reports whether name is an IANA zone this server's tz database knows. "Local" and
// the empty name are refused: no code uses the server's local zone.
func ValidTimezone(name string) bool {
	if name == "" || name == "Local" || len(name) > 64 {
		return false
	}
	_, err := LoadZone(name)
	return err == nil
}
