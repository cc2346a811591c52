package persistence

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/instainstru/instainstru"
)

var errRefreshInvalid = &instainstru.Error{Code: instainstru.CodeInvalidToken, Message: "the refresh token is invalid or expired"}

// CreateRefreshToken stores t, assigning its ID and, when it starts a session, its FamilyID.
func (s *Store) CreateRefreshToken(ctx context.Context, t *instainstru.RefreshToken) error {
	const q = `
		INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at)
		VALUES ($1, $2, $3, $4, $5)`
	if t.ID == "" {
		t.ID = NewID()
	}
	if t.FamilyID == "" {
		t.FamilyID = NewID()
	}
	_, err := s.pool.Exec(ctx, q, t.ID, t.UserID, t.FamilyID, t.Hash, t.ExpiresAt)
	return translate(err, "refresh token")
}

// RotateRefreshToken spends the token with oldHash and stores next in its family, in one
// transaction holding the old token's row lock, so concurrent uses of one token are ordered: the
// first rotates, the others find it spent. A token spent less than reuseGrace ago is presented
// again when two tabs refresh at once: if next is its successor (next.Hash names a live token of
// the family; the caller derives the successor's secret from the spent one's, so nothing else can
// produce that hash), the answer is that successor again and nothing is written. Any other spent
// token is taken as a sign of theft (the legitimate client and an attacker both hold it): the
// whole family is revoked and committed before CodeTokenReused is returned. Unknown, expired and
// revoked tokens, tokens of a revoked family and of a deactivated account are all
// CodeInvalidToken.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash []byte, next *instainstru.RefreshToken, reuseGrace time.Duration) (*instainstru.User, error) {
	const lock = `
		SELECT rt.id, rt.family_id, rt.used_at IS NOT NULL, rt.used_at > now() - make_interval(secs => $2),
		       rt.revoked_at IS NOT NULL, rt.expires_at <= now(),
		       EXISTS (SELECT 1 FROM refresh_tokens f WHERE f.family_id = rt.family_id AND f.revoked_at IS NOT NULL),
		       u.id, u.email, u.password_hash, u.full_name, u.role, u.account_status, u.timezone, u.created_at, u.updated_at
		FROM refresh_tokens rt
		JOIN users u ON u.id = rt.user_id
		WHERE rt.token_hash = $1
		FOR UPDATE OF rt`
	const successor = `
		SELECT id, expires_at FROM refresh_tokens
		WHERE token_hash = $1 AND family_id = $2 AND revoked_at IS NULL AND expires_at > now()`
	const revokeFamily = `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`
	const spend = `UPDATE refresh_tokens SET used_at = now() WHERE id = $1`
	const insert = `
		INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at)
		VALUES ($1, $2, $3, $4, $5)`
	var user instainstru.User
	reused := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id, family, role, status string
		var used, revoked, expired, familyRevoked bool
		var inGrace *bool // NULL while unused
		err := tx.QueryRow(ctx, lock, oldHash, reuseGrace.Seconds()).Scan(&id, &family, &used, &inGrace, &revoked,
			&expired, &familyRevoked, &user.ID, &user.Email, &user.PasswordHash, &user.FullName, &role, &status,
			&user.Timezone, &user.CreatedAt, &user.UpdatedAt)
		if err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return errRefreshInvalid
			}
			return err
		}
		user.Role, user.AccountStatus = instainstru.Role(role), instainstru.AccountStatus(status)
		live := !revoked && !familyRevoked && user.AccountStatus != instainstru.StatusDeactivated
		if used && inGrace != nil && *inGrace && live {
			var sid string
			var exp time.Time
			err := tx.QueryRow(ctx, successor, next.Hash, family).Scan(&sid, &exp)
			if err == nil {
				next.ID, next.UserID, next.FamilyID, next.ExpiresAt = sid, user.ID, family, exp
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			// Not its successor (or the successor is gone): reuse, as after the grace.
		}
		if used {
			reused = true
			_, err := tx.Exec(ctx, revokeFamily, family)
			return err
		}
		if !live || expired {
			return errRefreshInvalid
		}
		if _, err := tx.Exec(ctx, spend, id); err != nil {
			return err
		}
		if next.ID == "" {
			next.ID = NewID()
		}
		next.UserID, next.FamilyID = user.ID, family
		_, err = tx.Exec(ctx, insert, next.ID, next.UserID, next.FamilyID, next.Hash, next.ExpiresAt)
		return err
	})
	if err != nil {
		return nil, translate(err, "refresh token")
	}
	if reused {
		return nil, &instainstru.Error{Code: instainstru.CodeTokenReused,
			Message: "this refresh token was already used: the session has been revoked, log in again"}
	}
	return &user, nil
}

// RevokeFamily revokes every token of one session of userID.
func (s *Store) RevokeFamily(ctx context.Context, userID, familyID string) error {
	const q = `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND user_id = $2 AND revoked_at IS NULL`
	if !ValidID(userID) || !ValidID(familyID) {
		return nil
	}
	_, err := s.pool.Exec(ctx, q, familyID, userID)
	return translate(err, "refresh tokens")
}

// SessionState answers, in one round trip of index probes, the auth middleware's per-request
// question: the user's role and status, and whether the session is over. A session is over when
// any token of its family is revoked (revocation marks every row, and a token rotated in while a
// revocation ran still shares the family, so "any" is the race-safe test; the partial index
// refresh_tokens_family_revoked_idx makes it a single probe) or when the family does not belong
// to the user.
func (s *Store) SessionState(ctx context.Context, userID, familyID string) (instainstru.SessionState, error) {
	const q = `
		SELECT u.role, u.account_status,
		       EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = $2 AND r.revoked_at IS NOT NULL)
		       OR NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = $2 AND r.user_id = u.id)
		FROM users u
		WHERE u.id = $1`
	var st instainstru.SessionState
	if !ValidID(userID) || !ValidID(familyID) {
		return st, &instainstru.Error{Code: instainstru.CodeNotFound, Message: "session not found"}
	}
	var role, status string
	if err := s.pool.QueryRow(ctx, q, userID, familyID).Scan(&role, &status, &st.FamilyRevoked); err != nil {
		return st, translate(err, "session")
	}
	st.Role, st.Status = instainstru.Role(role), instainstru.AccountStatus(status)
	return st, nil
}

// DeleteExpiredRefreshTokens removes tokens expired for longer than grace (kept a while so a
// late reuse of a spent token is still recognised), returning how many were removed. Meant for a
// periodic job.
func (s *Store) DeleteExpiredRefreshTokens(ctx context.Context, grace time.Duration) (int64, error) {
	const q = `DELETE FROM refresh_tokens WHERE expires_at < now() - make_interval(secs => $1)`
	tag, err := s.pool.Exec(ctx, q, grace.Seconds())
	if err != nil {
		return 0, translate(err, "refresh tokens")
	}
	return tag.RowsAffected(), nil
}
