package api

import (
	"context"

	"github.com/instainstru/instainstru"
)

// credentials checks an email and password against the stored accounts. It owns what makes a
// login safe to expose: the same answer and the same argon2 cost for an unknown email as for a
// wrong password, over-long passwords that can never match, and an account's state revealed
// only to whoever proved the password. The login handler stays a thin parse-call-respond.
type credentials struct {
	users instainstru.UserStore
}

var errInvalidCredentials = &instainstru.Error{Code: instainstru.CodeInvalidCredentials, Message: "email or password is incorrect"}

// check returns the account that email and password prove, invalid_credentials when they prove
// none, and account_deactivated for a deactivated account with the right password.
func (cr credentials) check(ctx context.Context, email, password string) (*instainstru.User, error) {
	// Passwords beyond the policy cannot match; they are still hashed (truncated) so the answer
	// takes the usual time.
	tried := password
	if len(tried) > 4*instainstru.MaxPasswordLen {
		tried = tried[:4*instainstru.MaxPasswordLen]
	}
	u, err := cr.users.UserByEmail(ctx, email)
	if err != nil {
		if !instainstru.IsCode(err, instainstru.CodeNotFound) {
			return nil, err
		}
		// Same argon2 cost as a real check, so response time does not reveal unknown emails.
		VerifyPassword(tried, dummyHash())
		return nil, errInvalidCredentials
	}
	if !VerifyPassword(tried, u.PasswordHash) || tried != password {
		return nil, errInvalidCredentials
	}
	// Only after the password verified: a stranger must not learn an account's state.
	if u.AccountStatus == instainstru.StatusDeactivated {
		return nil, &instainstru.Error{Code: instainstru.CodeAccountDeactivated, Message: "this account has been deactivated"}
	}
	return u, nil
}
