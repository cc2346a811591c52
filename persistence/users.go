package persistence

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/instainstru/instainstru"
)

// userColumns are the columns scanUser reads, in order.
const userColumns = `id, email, password_hash, full_name, role, account_status, timezone, created_at, updated_at`

func scanUser(row pgx.Row) (*instainstru.User, error) {
	var u instainstru.User
	var role, status string
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.FullName, &role, &status, &u.Timezone,
		&u.CreatedAt, &u.UpdatedAt); err != nil {
		return nil, err
	}
	u.Role, u.AccountStatus = instainstru.Role(role), instainstru.AccountStatus(status)
	return &u, nil
}

// CreateUser inserts u (assigning its ID and timestamps) and, for an instructor, the empty
// instructor profile, in one transaction: an instructor never exists without a profile. A taken
// email is decided by the unique index, so two concurrent registrations cannot both win.
func (s *Store) CreateUser(ctx context.Context, u *instainstru.User) error {
	const insertUser = `
		INSERT INTO users (id, email, password_hash, full_name, role, account_status, timezone)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING created_at, updated_at`
	const insertProfile = `INSERT INTO instructor_profiles (user_id) VALUES ($1)`
	if u.ID == "" {
		u.ID = NewID()
	}
	if u.AccountStatus == "" {
		u.AccountStatus = instainstru.StatusActive
	}
	if u.Timezone == "" {
		u.Timezone = instainstru.DefaultTimezone
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, insertUser, u.ID, u.Email, u.PasswordHash, u.FullName, string(u.Role),
			string(u.AccountStatus), u.Timezone).Scan(&u.CreatedAt, &u.UpdatedAt); err != nil {
			return err
		}
		if u.Role == instainstru.RoleInstructor {
			if _, err := tx.Exec(ctx, insertProfile, u.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if constraintOf(err) == "users_email_key" {
			return &instainstru.Error{Code: instainstru.CodeEmailTaken, Message: "an account with this email already exists"}
		}
		return translate(err, "user")
	}
	return nil
}

// UserByID loads a user; an unknown or malformed id is not_found.
func (s *Store) UserByID(ctx context.Context, id string) (*instainstru.User, error) {
	const q = `SELECT ` + userColumns + ` FROM users WHERE id = $1`
	if !ValidID(id) {
		return nil, &instainstru.Error{Code: instainstru.CodeNotFound, Message: "user not found"}
	}
	u, err := scanUser(s.pool.QueryRow(ctx, q, id))
	return u, translate(err, "user")
}

// UserByEmail loads a user by their (normalised, lower-case) email.
func (s *Store) UserByEmail(ctx context.Context, email string) (*instainstru.User, error) {
	const q = `SELECT ` + userColumns + ` FROM users WHERE email = $1`
	u, err := scanUser(s.pool.QueryRow(ctx, q, email))
	return u, translate(err, "user")
}

// UpdateUserProfile sets the given fields (nil leaves one unchanged) and returns the user.
func (s *Store) UpdateUserProfile(ctx context.Context, id string, fullName, timezone *string) (*instainstru.User, error) {
	const q = `
		UPDATE users
		SET full_name  = COALESCE($2::text, full_name),
		    timezone   = COALESCE($3::text, timezone),
		    updated_at = now()
		WHERE id = $1
		RETURNING ` + userColumns
	if !ValidID(id) {
		return nil, &instainstru.Error{Code: instainstru.CodeNotFound, Message: "user not found"}
	}
	u, err := scanUser(s.pool.QueryRow(ctx, q, id, fullName, timezone))
	return u, translate(err, "user")
}

// SetAccountStatus sets a user's status with no lifecycle rule (admin and seeding use); the
// user-facing transitions are SuspendAccount, DeactivateAccount and ReactivateAccount.
func (s *Store) SetAccountStatus(ctx context.Context, id string, status instainstru.AccountStatus) error {
	const q = `UPDATE users SET account_status = $2, updated_at = now() WHERE id = $1`
	if !ValidID(id) {
		return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "user not found"}
	}
	tag, err := s.pool.Exec(ctx, q, id, string(status))
	if err != nil {
		return translate(err, "account status")
	}
	if tag.RowsAffected() == 0 {
		return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "user not found"}
	}
	return nil
}

// lockStanding locks the user row (FOR UPDATE conflicts with the key-share lock a booking
// insert's foreign key takes, so bookings and this transition are ordered) and counts the
// confirmed bookings starting after now, in total and as instructor.
func lockStanding(ctx context.Context, tx pgx.Tx, userID string) (instainstru.AccountStanding, error) {
	const lock = `SELECT role, account_status FROM users WHERE id = $1 FOR UPDATE`
	var a instainstru.AccountStanding
	var role, status string
	if err := tx.QueryRow(ctx, lock, userID).Scan(&role, &status); err != nil {
		return a, err
	}
	a.Role, a.Status = instainstru.Role(role), instainstru.AccountStatus(status)
	err := countFuture(ctx, tx, userID, &a)
	return a, err
}

// countFuture fills the future-booking counts of a. The two index scans (by student and by
// instructor, each on (x_id, starts_at)) are cheaper than one OR over both columns.
func countFuture(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, userID string, a *instainstru.AccountStanding) error {
	const count = `
		SELECT
		  (SELECT count(*) FROM bookings WHERE instructor_id = $1 AND status = 'confirmed' AND starts_at > now()),
		  (SELECT count(*) FROM bookings WHERE student_id = $1 AND status = 'confirmed' AND starts_at > now())`
	var asInstructor, asStudent int
	if err := q.QueryRow(ctx, count, userID).Scan(&asInstructor, &asStudent); err != nil {
		return err
	}
	a.FutureAsInstructor = asInstructor
	a.FutureBookings = asInstructor + asStudent
	return nil
}

// AccountStanding reports a user's status and future bookings.
func (s *Store) AccountStanding(ctx context.Context, userID string) (instainstru.AccountStanding, error) {
	const q = `SELECT role, account_status FROM users WHERE id = $1`
	var a instainstru.AccountStanding
	if !ValidID(userID) {
		return a, &instainstru.Error{Code: instainstru.CodeNotFound, Message: "user not found"}
	}
	var role, status string
	if err := s.pool.QueryRow(ctx, q, userID).Scan(&role, &status); err != nil {
		return a, translate(err, "user")
	}
	a.Role, a.Status = instainstru.Role(role), instainstru.AccountStatus(status)
	return a, translate(countFuture(ctx, s.pool, userID, &a), "bookings")
}

// errNotInState is returned from a transition's transaction to roll it back with a domain error.
var errNotInState = errors.New("account not in the required state")

// transition runs one lifecycle change under the user row lock: check decides on the locked
// standing (returning a domain error aborts), apply writes the change.
func (s *Store) transition(ctx context.Context, userID string,
	check func(a instainstru.AccountStanding) error,
	apply func(tx pgx.Tx) error, to instainstru.AccountStatus) (instainstru.AccountStanding, error) {
	var out instainstru.AccountStanding
	if !ValidID(userID) {
		return out, &instainstru.Error{Code: instainstru.CodeNotFound, Message: "user not found"}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		a, err := lockStanding(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := check(a); err != nil {
			return err
		}
		const q = `UPDATE users SET account_status = $2, updated_at = now() WHERE id = $1`
		if _, err := tx.Exec(ctx, q, userID, string(to)); err != nil {
			return err
		}
		if apply != nil {
			if err := apply(tx); err != nil {
				return err
			}
		}
		a.Status = to
		out = a
		return nil
	})
	return out, translate(err, "account")
}

// SuspendAccount pauses an active instructor with no confirmed future lessons to teach.
func (s *Store) SuspendAccount(ctx context.Context, userID string) (instainstru.AccountStanding, error) {
	return s.transition(ctx, userID, func(a instainstru.AccountStanding) error {
		switch {
		case a.Role != instainstru.RoleInstructor:
			return &instainstru.Error{Code: instainstru.CodeForbidden, Message: "only instructors can suspend their account"}
		case a.Status != instainstru.StatusActive:
			return &instainstru.Error{Code: instainstru.CodeConflict, Message: "only an active account can be suspended", Cause: errNotInState}
		case a.FutureAsInstructor > 0:
			return &instainstru.Error{Code: instainstru.CodeHasFutureBookings,
				Message: "cancel or complete your confirmed future bookings before suspending"}
		}
		return nil
	}, nil, instainstru.StatusSuspended)
}

// DeactivateAccount closes an account with no confirmed future bookings on either side and
// revokes every refresh token of it in the same transaction.
func (s *Store) DeactivateAccount(ctx context.Context, userID string) (instainstru.AccountStanding, error) {
	return s.transition(ctx, userID, func(a instainstru.AccountStanding) error {
		switch {
		case a.Status == instainstru.StatusDeactivated:
			return &instainstru.Error{Code: instainstru.CodeConflict, Message: "the account is already deactivated", Cause: errNotInState}
		case a.FutureBookings > 0:
			return &instainstru.Error{Code: instainstru.CodeHasFutureBookings,
				Message: "cancel or complete your confirmed future bookings before deactivating"}
		}
		return nil
	}, func(tx pgx.Tx) error {
		const q = `UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`
		_, err := tx.Exec(ctx, q, userID)
		return err
	}, instainstru.StatusDeactivated)
}

// ReactivateAccount returns a suspended instructor to active.
func (s *Store) ReactivateAccount(ctx context.Context, userID string) (instainstru.AccountStanding, error) {
	return s.transition(ctx, userID, func(a instainstru.AccountStanding) error {
		if a.Role != instainstru.RoleInstructor || a.Status != instainstru.StatusSuspended {
			return &instainstru.Error{Code: instainstru.CodeConflict, Message: "only a suspended instructor account can be reactivated",
				Cause: errNotInState}
		}
		return nil
	}, nil, instainstru.StatusActive)
}

// The store implements the account interfaces of the domain.
var (
	_ instainstru.UserStore    = (*Store)(nil)
	_ instainstru.AccountStore = (*Store)(nil)
	_ instainstru.TokenStore   = (*Store)(nil)
)
