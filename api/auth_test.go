package api_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/api"
)

// testJWTSecret signs every test server's tokens, so tests can forge tokens of their own.
var testJWTSecret = []byte("test-only-jwt-secret-0123456789-abcdefghijklmnop")

const (
	testIssuer   = "instainstru"
	testAudience = "instainstru-api"
)

func testAuthConfig() api.AuthConfig {
	return api.AuthConfig{JWTSecret: testJWTSecret, Issuer: testIssuer, Audience: testAudience,
		AccessTTL: 15 * time.Minute, RefreshTTL: 24 * time.Hour}
}

// bearer is the header pair of an access token, for e.do(..., bearer(tok)...).
func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

var emailSeq atomic.Int64

// uniqueEmail returns an address no other test (or earlier run on the same database) uses.
func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d-%d@example.com", prefix, time.Now().UnixNano(), emailSeq.Add(1))
}

const testPassword = "correct horse battery"

// register creates a fresh user with role ("student" or "instructor") through the API and returns
// its access token and id.
func (e *env) register(t testing.TB, role string) (accessToken, userID string) {
	t.Helper()
	a := e.registerFull(t, role, uniqueEmail(role))
	return a.AccessToken, a.User.ID
}

// registerFull registers email with role and returns the whole answer.
func (e *env) registerFull(t testing.TB, role, email string) api.AuthResponse {
	t.Helper()
	r := e.do("POST", "/api/v1/auth/register", map[string]any{
		"email": email, "password": testPassword, "full_name": "Test " + role, "role": role,
	})
	require.Equal(t, http.StatusCreated, r.Status, "register: %s", r.Body)
	var a api.AuthResponse
	r.JSON(t, &a)
	require.NotEmpty(t, a.AccessToken)
	require.NotEmpty(t, a.User.ID)
	return a
}

// requireProblem asserts a problem+json answer with status and code.
func requireProblem(t testing.TB, r *resp, status int, code string) map[string]any {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Body)
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), "body: %s", r.Body)
	m := r.Map(t)
	require.Equal(t, code, m["code"], "body: %s", r.Body)
	return m
}

// problemFields lists the field names of a validation problem.
func problemFields(t testing.TB, m map[string]any) []string {
	t.Helper()
	var out []string
	errs, _ := m["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

// sessionOf reads the sid claim of an access token we issued.
func sessionOf(t testing.TB, access string) string {
	t.Helper()
	claims := jwt.MapClaims{}
	_, _, err := jwt.NewParser().ParseUnverified(access, claims)
	require.NoError(t, err)
	sid, _ := claims["sid"].(string)
	require.NotEmpty(t, sid)
	return sid
}

func TestAuthRegisterLoginMePatch(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("Flow")
	r := e.do("POST", "/api/v1/auth/register", map[string]any{
		"email": "  " + strings.ToUpper(email) + " ", "password": testPassword, "full_name": "  Ada Lovelace ",
		"role": "student", "timezone": "Europe/London",
	})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	var reg api.AuthResponse
	r.JSON(t, &reg)
	require.Equal(t, strings.ToLower(email), reg.User.Email)
	require.Equal(t, "Ada Lovelace", reg.User.FullName)
	require.Equal(t, "student", reg.User.Role)
	require.Equal(t, "active", reg.User.AccountStatus)
	require.Equal(t, "Europe/London", reg.User.Timezone)
	require.Equal(t, "Bearer", reg.TokenType)
	require.Equal(t, 900, reg.ExpiresIn)
	require.Len(t, reg.RefreshToken, 43)
	require.WithinDuration(t, time.Now(), reg.User.CreatedAt, time.Minute)
	require.NotContains(t, string(r.Body), "password")

	// The access token carries the claims of the contract.
	claims := jwt.MapClaims{}
	_, err := jwt.Parse(reg.AccessToken, func(*jwt.Token) (any, error) { return testJWTSecret, nil },
		jwt.WithValidMethods([]string{"HS256"}))
	require.NoError(t, err)
	_, _, err = jwt.NewParser().ParseUnverified(reg.AccessToken, claims)
	require.NoError(t, err)
	require.Equal(t, "access", claims["typ"])
	require.Equal(t, reg.User.ID, claims["sub"])
	require.Equal(t, "student", claims["role"])
	require.Equal(t, testIssuer, claims["iss"])
	require.NotEmpty(t, claims["sid"])
	require.NotEmpty(t, claims["iat"])

	// GET /auth/me: exactly the contract's fields.
	r = e.do("GET", "/api/v1/auth/me", nil, bearer(reg.AccessToken)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	me := r.Map(t)
	require.ElementsMatch(t, []string{"id", "email", "full_name", "role", "account_status", "timezone", "created_at"}, keys(me))
	require.Equal(t, reg.User.ID, me["id"])
	require.Equal(t, strings.ToLower(email), me["email"])

	// Login with another spelling of the email.
	r = e.do("POST", "/api/v1/auth/login", map[string]any{"email": strings.ToUpper(email), "password": testPassword})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var login api.AuthResponse
	r.JSON(t, &login)
	require.Equal(t, reg.User.ID, login.User.ID)
	require.NotEqual(t, sessionOf(t, reg.AccessToken), sessionOf(t, login.AccessToken), "each login is its own session")

	// PATCH /auth/me.
	r = e.do("PATCH", "/api/v1/auth/me", map[string]any{"full_name": "Ada King", "timezone": "Asia/Tokyo"}, bearer(login.AccessToken)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, "Ada King", r.Map(t)["full_name"])
	r = e.do("PATCH", "/api/v1/auth/me", map[string]any{"timezone": "America/Chicago"}, bearer(login.AccessToken)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	m := r.Map(t)
	require.Equal(t, "Ada King", m["full_name"], "an absent field is left alone")
	require.Equal(t, "America/Chicago", m["timezone"])

	// Fields that are not the user's to change are refused, never applied.
	for _, body := range []map[string]any{
		{"role": "admin"}, {"account_status": "active"}, {"email": "x@example.com"}, {"full_name": "X", "role": "instructor"},
	} {
		r = e.do("PATCH", "/api/v1/auth/me", body, bearer(login.AccessToken)...)
		p := requireProblem(t, r, 422, "validation_failed")
		require.NotEmpty(t, problemFields(t, p))
	}
	r = e.do("PATCH", "/api/v1/auth/me", map[string]any{"timezone": "Mars/Olympus"}, bearer(login.AccessToken)...)
	require.Equal(t, []string{"timezone"}, problemFields(t, requireProblem(t, r, 422, "validation_failed")))
	r = e.do("PATCH", "/api/v1/auth/me", map[string]any{"full_name": "   "}, bearer(login.AccessToken)...)
	require.Equal(t, []string{"full_name"}, problemFields(t, requireProblem(t, r, 422, "validation_failed")))

	r = e.do("GET", "/api/v1/auth/me", nil, bearer(reg.AccessToken)...)
	m = r.Map(t)
	require.Equal(t, "student", m["role"])
	require.Equal(t, strings.ToLower(email), m["email"])
	require.Equal(t, "Ada King", m["full_name"])
	require.Equal(t, "America/Chicago", m["timezone"])

	// Unauthenticated.
	requireProblem(t, e.do("GET", "/api/v1/auth/me", nil), 401, "unauthorized")
	requireProblem(t, e.do("PATCH", "/api/v1/auth/me", map[string]any{"full_name": "X"}), 401, "unauthorized")
}

// keys lists a JSON object's field names (shared by other areas' tests).
func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAuthRegisterInstructorCreatesProfile(t *testing.T) {
	e := newEnv(t)
	tok, id := e.register(t, "instructor")
	var n int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM instructor_profiles WHERE user_id = $1`, id).Scan(&n))
	require.Equal(t, 1, n)
	_, sid := e.register(t, "student")
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM instructor_profiles WHERE user_id = $1`, sid).Scan(&n))
	require.Equal(t, 0, n)
	r := e.do("GET", "/api/v1/auth/me", nil, bearer(tok)...)
	require.Equal(t, "instructor", r.Map(t)["role"])
	r = e.do("GET", "/api/v1/auth/me", nil, bearer(tok)...)
	require.Equal(t, "America/New_York", r.Map(t)["timezone"], "the default timezone")
}

func TestAuthRegisterValidation(t *testing.T) {
	e := newEnv(t)
	valid := func() map[string]any {
		return map[string]any{"email": uniqueEmail("v"), "password": testPassword, "full_name": "Val Id", "role": "student"}
	}
	cases := []struct {
		name   string
		change map[string]any
		fields []string
	}{
		{"admin role refused", map[string]any{"role": "admin"}, []string{"role"}},
		{"unknown role", map[string]any{"role": "teacher"}, []string{"role"}},
		{"missing role", map[string]any{"role": ""}, []string{"role"}},
		{"no at sign", map[string]any{"email": "not-an-email"}, []string{"email"}},
		{"no domain dot", map[string]any{"email": "a@localhost"}, []string{"email"}},
		{"display name form", map[string]any{"email": "Bob <bob@example.com>"}, []string{"email"}},
		{"email too long", map[string]any{"email": strings.Repeat("a", 250) + "@example.com"}, []string{"email"}},
		{"password 7 chars", map[string]any{"password": "1234567"}, []string{"password"}},
		{"password 129 chars", map[string]any{"password": strings.Repeat("p", 129)}, []string{"password"}},
		{"empty name", map[string]any{"full_name": " \t "}, []string{"full_name"}},
		{"name 201 chars", map[string]any{"full_name": strings.Repeat("n", 201)}, []string{"full_name"}},
		{"invalid timezone", map[string]any{"timezone": "Nowhere/City"}, []string{"timezone"}},
		{"Local timezone", map[string]any{"timezone": "Local"}, []string{"timezone"}},
		{"empty timezone", map[string]any{"timezone": ""}, []string{"timezone"}},
		{"everything wrong", map[string]any{"email": "x", "password": "", "full_name": "", "role": "admin"},
			[]string{"email", "password", "full_name", "role"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := valid()
			for k, v := range tc.change {
				body[k] = v
			}
			r := e.do("POST", "/api/v1/auth/register", body)
			p := requireProblem(t, r, 422, "validation_failed")
			require.ElementsMatch(t, tc.fields, problemFields(t, p))
			if em, ok := body["email"].(string); ok {
				var n int
				require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM users WHERE email = lower($1)`, em).Scan(&n))
				require.Zero(t, n, "nothing written")
			}
		})
	}
	// Boundaries that are accepted: 8 and 128 characters, 200-character name.
	for _, b := range []map[string]any{
		{"password": "12345678"}, {"password": strings.Repeat("é", 128)}, {"full_name": strings.Repeat("ñ", 200)},
	} {
		body := valid()
		for k, v := range b {
			body[k] = v
		}
		r := e.do("POST", "/api/v1/auth/register", body)
		require.Equal(t, 201, r.Status, "%s", r.Body)
	}
}

func TestAuthDuplicateEmail(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("dup")
	e.registerFull(t, "student", email)
	r := e.do("POST", "/api/v1/auth/register", map[string]any{
		"email": strings.ToUpper(email), "password": testPassword, "full_name": "Again", "role": "instructor",
	})
	requireProblem(t, r, 409, "email_taken")

	// Ten concurrent registrations of one new email: the unique index lets exactly one win.
	email = uniqueEmail("race")
	body, _ := json.Marshal(map[string]any{"email": email, "password": testPassword, "full_name": "Racer", "role": "instructor"})
	var wg sync.WaitGroup
	statuses := make([]int, 10)
	codes := make([]string, 10)
	errs := make([]error, 10)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Post(e.base+"/api/v1/auth/register", "application/json", bytes.NewReader(body))
			if err != nil {
				errs[i] = err
				return
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			statuses[i] = res.StatusCode
			var p struct{ Code string }
			_ = json.Unmarshal(raw, &p)
			codes[i] = p.Code
		}()
	}
	wg.Wait()
	created := 0
	for i, s := range statuses {
		require.NoError(t, errs[i])
		if s == 201 {
			created++
			continue
		}
		require.Equal(t, 409, s)
		require.Equal(t, "email_taken", codes[i])
	}
	require.Equal(t, 1, created)
	var users, profiles int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `
		SELECT count(*), (SELECT count(*) FROM instructor_profiles p JOIN users u ON u.id = p.user_id WHERE u.email = $1)
		FROM users WHERE email = $1`, email).Scan(&users, &profiles))
	require.Equal(t, 1, users)
	require.Equal(t, 1, profiles, "the winner's profile exists, the losers left nothing behind")
}

func TestAuthLoginFailures(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("login")
	e.registerFull(t, "student", email)

	unknown := e.do("POST", "/api/v1/auth/login", map[string]any{"email": uniqueEmail("ghost"), "password": testPassword})
	wrong := e.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "wrong password"})
	pu := requireProblem(t, unknown, 401, "invalid_credentials")
	pw := requireProblem(t, wrong, 401, "invalid_credentials")
	require.Equal(t, pu["detail"], pw["detail"], "unknown email and wrong password answer alike")

	huge := e.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": testPassword + strings.Repeat("x", 5000)})
	requireProblem(t, huge, 401, "invalid_credentials")
	missing := e.do("POST", "/api/v1/auth/login", map[string]any{"email": email})
	require.Equal(t, []string{"password"}, problemFields(t, requireProblem(t, missing, 422, "validation_failed")))

	ok := e.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": testPassword})
	require.Equal(t, 200, ok.Status, "%s", ok.Body)
}

// refresh posts a refresh token and returns the answer.
func (e *env) refresh(tok string) *resp {
	return e.do("POST", "/api/v1/auth/refresh", map[string]any{"refresh_token": tok})
}

func TestAuthRefreshRotationAndReuse(t *testing.T) {
	e := newEnv(t)
	a0 := e.registerFull(t, "student", uniqueEmail("rot"))

	r := e.refresh(a0.RefreshToken)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var a1 api.AuthResponse
	r.JSON(t, &a1)
	require.NotEqual(t, a0.RefreshToken, a1.RefreshToken)
	require.Equal(t, a0.User.ID, a1.User.ID)
	require.Equal(t, sessionOf(t, a0.AccessToken), sessionOf(t, a1.AccessToken), "rotation stays in the family")
	require.Equal(t, 200, e.do("GET", "/api/v1/auth/me", nil, bearer(a1.AccessToken)...).Status)

	r = e.refresh(a1.RefreshToken)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var a2 api.AuthResponse
	r.JSON(t, &a2)

	// Only hashes are stored.
	var stored int
	require.NoError(t, db.Pool.QueryRow(t.Context(),
		`SELECT count(*) FROM refresh_tokens WHERE token_hash = convert_to($1, 'UTF8')`, a2.RefreshToken).Scan(&stored))
	require.Zero(t, stored)

	// Presenting a spent token after REFRESH_REUSE_GRACE (aged here) revokes the family: the
	// newest token and its access token die too.
	_, err := db.Pool.Exec(t.Context(), `UPDATE refresh_tokens SET used_at = used_at - interval '1 minute'
		WHERE user_id = $1 AND used_at IS NOT NULL`, a0.User.ID)
	require.NoError(t, err)
	requireProblem(t, e.refresh(a0.RefreshToken), 401, "refresh_token_reused")
	requireProblem(t, e.refresh(a2.RefreshToken), 401, "invalid_token")
	requireProblem(t, e.do("GET", "/api/v1/auth/me", nil, bearer(a2.AccessToken)...), 401, "invalid_token")
	requireProblem(t, e.do("GET", "/api/v1/auth/me", nil, bearer(a0.AccessToken)...), 401, "invalid_token")

	// Another session of the same user is unaffected.
	r = e.do("POST", "/api/v1/auth/login", map[string]any{"email": a0.User.Email, "password": testPassword})
	require.Equal(t, 200, r.Status)
	var other api.AuthResponse
	r.JSON(t, &other)
	require.Equal(t, 200, e.do("GET", "/api/v1/auth/me", nil, bearer(other.AccessToken)...).Status)
	require.Equal(t, 200, e.refresh(other.RefreshToken).Status)

	// Garbage and unknown tokens.
	requireProblem(t, e.refresh("not-a-token"), 401, "invalid_token")
	requireProblem(t, e.refresh(strings.Repeat("A", 43)), 401, "invalid_token")
	requireProblem(t, e.do("POST", "/api/v1/auth/refresh", map[string]any{}), 422, "validation_failed")
}

func TestAuthRefreshExpired(t *testing.T) {
	e := newEnv(t)
	a := e.registerFull(t, "student", uniqueEmail("exp"))
	_, err := db.Pool.Exec(t.Context(), `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, a.User.ID)
	require.NoError(t, err)
	requireProblem(t, e.refresh(a.RefreshToken), 401, "invalid_token")
}

// TestAuthConcurrentRefreshSameSuccessor: two tabs (here ten) refreshing the same token at once
// all stay logged in: within REFRESH_REUSE_GRACE of its rotation the spent token gets the same
// successor refresh token again. After the grace, presenting it is theft: 401 and the family is
// revoked, successor included.
func TestAuthConcurrentRefreshSameSuccessor(t *testing.T) {
	const grace = time.Second
	e := newEnv(t, func(_ *api.Config, d *api.Deps) { d.Auth.RefreshReuseGrace = grace })
	a := e.registerFull(t, "student", uniqueEmail("crf"))
	body, _ := json.Marshal(map[string]any{"refresh_token": a.RefreshToken})
	type answer struct {
		status int
		out    api.AuthResponse
	}
	answers := make([]answer, 10)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			res, err := http.Post(e.base+"/api/v1/auth/refresh", "application/json", bytes.NewReader(body))
			if err != nil {
				return
			}
			defer res.Body.Close()
			answers[i].status = res.StatusCode
			_ = json.NewDecoder(res.Body).Decode(&answers[i].out)
		}()
	}
	close(gate)
	wg.Wait()
	for i, an := range answers {
		require.Equal(t, 200, an.status, "refresh %d", i)
		require.Equal(t, answers[0].out.RefreshToken, an.out.RefreshToken, "refresh %d: the same successor", i)
		require.NotEqual(t, a.RefreshToken, an.out.RefreshToken)
		require.Equal(t, 200, e.do("GET", "/api/v1/auth/me", nil, bearer(an.out.AccessToken)...).Status, "refresh %d", i)
	}
	var family int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM refresh_tokens WHERE user_id = $1`, a.User.ID).Scan(&family))
	require.Equal(t, 2, family, "one rotation: the first token and one successor")
	successor := answers[0].out

	// Still within the grace, a late tab gets the same pair too.
	r := e.refresh(a.RefreshToken)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var late api.AuthResponse
	r.JSON(t, &late)
	require.Equal(t, successor.RefreshToken, late.RefreshToken)

	// After the grace, reuse is theft: the family dies, the successor with it.
	time.Sleep(grace + 200*time.Millisecond)
	requireProblem(t, e.refresh(a.RefreshToken), 401, "refresh_token_reused")
	requireProblem(t, e.refresh(successor.RefreshToken), 401, "invalid_token")
	requireProblem(t, e.do("GET", "/api/v1/auth/me", nil, bearer(successor.AccessToken)...), 401, "invalid_token")
}

func TestAuthLogoutRevokesSession(t *testing.T) {
	e := newEnv(t)
	a := e.registerFull(t, "student", uniqueEmail("out"))
	r := e.do("POST", "/api/v1/auth/login", map[string]any{"email": a.User.Email, "password": testPassword})
	require.Equal(t, 200, r.Status)
	var other api.AuthResponse
	r.JSON(t, &other)

	r = e.do("POST", "/api/v1/auth/logout", nil, bearer(a.AccessToken)...)
	require.Equal(t, 204, r.Status, "%s", r.Body)
	requireProblem(t, e.do("GET", "/api/v1/auth/me", nil, bearer(a.AccessToken)...), 401, "invalid_token")
	requireProblem(t, e.refresh(a.RefreshToken), 401, "invalid_token")
	requireProblem(t, e.do("POST", "/api/v1/auth/logout", nil, bearer(a.AccessToken)...), 401, "invalid_token")

	// Logging out one session leaves the other.
	require.Equal(t, 200, e.do("GET", "/api/v1/auth/me", nil, bearer(other.AccessToken)...).Status)
	require.Equal(t, 200, e.refresh(other.RefreshToken).Status)
	requireProblem(t, e.do("POST", "/api/v1/auth/logout", nil), 401, "unauthorized")
}

// sign makes an HS-family or `none` token with the given claims.
func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	require.NoError(t, err)
	return s
}

func TestAuthRejectsForgedAndWrongTokens(t *testing.T) {
	e := newEnv(t)
	a := e.registerFull(t, "instructor", uniqueEmail("forge"))
	sid := sessionOf(t, a.AccessToken)
	now := time.Now()
	claims := func(change jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"iss": testIssuer, "aud": testAudience, "sub": a.User.ID, "sid": sid, "typ": "access",
			"role": "instructor", "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
		for k, v := range change {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	// A correctly forged token is accepted: the rejections below are about the one thing changed.
	good := sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(nil))
	require.Equal(t, 200, e.do("GET", "/api/v1/auth/me", nil, bearer(good)...).Status)

	cases := []struct {
		name  string
		token string
	}{
		{"expired", sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(jwt.MapClaims{"exp": now.Add(-time.Minute).Unix(), "iat": now.Add(-20 * time.Minute).Unix()}))},
		{"no exp", sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(jwt.MapClaims{"exp": nil}))},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(jwt.MapClaims{"iat": now.Add(time.Hour).Unix()}))},
		{"HS512", sign(t, jwt.SigningMethodHS512, testJWTSecret, claims(nil))},
		{"HS384", sign(t, jwt.SigningMethodHS384, testJWTSecret, claims(nil))},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-123"), claims(nil))},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(jwt.MapClaims{"iss": "evil"}))},
		{"wrong audience", sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(jwt.MapClaims{"aud": "other-api"}))},
		{"typ refresh", sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(jwt.MapClaims{"typ": "refresh"}))},
		{"no typ", sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(jwt.MapClaims{"typ": nil}))},
		{"no sid", sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(jwt.MapClaims{"sid": nil}))},
		{"foreign sid", sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(jwt.MapClaims{"sid": "01900000-0000-7000-8000-000000000000"}))},
		{"unknown subject", sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(jwt.MapClaims{"sub": "01900000-0000-7000-8000-000000000001"}))},
		{"malformed subject", sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(jwt.MapClaims{"sub": "' OR 1=1 --"}))},
		{"refresh token as access token", a.RefreshToken},
		{"tampered payload", authTamper(a.AccessToken)},
		{"garbage", "abc.def.ghi"},
		{"long", strings.Repeat("a", 3500)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", "/api/v1/auth/me", nil, bearer(tc.token)...)
			requireProblem(t, r, 401, "invalid_token")
			require.Contains(t, r.Header.Get("WWW-Authenticate"), "invalid_token")
		})
	}
	// Headers that are not a bearer credential at all.
	for _, h := range []string{"", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", a.AccessToken} {
		r := e.do("GET", "/api/v1/auth/me", nil, "Authorization", h)
		requireProblem(t, r, 401, "unauthorized")
	}
	// The scheme is case-insensitive.
	require.Equal(t, 200, e.do("GET", "/api/v1/auth/me", nil, "Authorization", "bearer "+a.AccessToken).Status)
}

// tamper flips the role claim of a token without re-signing it.
func authTamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = bytes.Replace(payload, []byte(`"instructor"`), []byte(`"admin"`), 1)
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func TestAuthBadInput(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.register(t, "student")
	cases := []struct {
		name, method, path string
		body               any
		ctype              string
		auth               bool
		status             int
		code               string
	}{
		{"bad JSON", "POST", "/auth/register", `{"email":`, "", false, 400, "malformed_request"},
		{"trailing garbage", "POST", "/auth/login", `{"email":"a@b.co","password":"x"} {}`, "", false, 400, "malformed_request"},
		{"empty body", "POST", "/auth/register", "", "", false, 400, "malformed_request"},
		{"whitespace body", "POST", "/auth/login", "   \n ", "", false, 400, "malformed_request"},
		{"array body", "POST", "/auth/register", `[1,2,3]`, "", false, 400, "malformed_request"},
		{"string body", "POST", "/auth/login", `"hello"`, "", false, 400, "malformed_request"},
		{"number body", "POST", "/auth/refresh", `42`, "", false, 400, "malformed_request"},
		{"null body", "POST", "/auth/register", `null`, "", false, 422, "validation_failed"},
		{"email wrong type", "POST", "/auth/register", `{"email":5,"password":"12345678","full_name":"x","role":"student"}`, "", false, 422, "validation_failed"},
		{"role wrong type", "POST", "/auth/register", `{"email":"a@b.co","password":"12345678","full_name":"x","role":["admin"]}`, "", false, 422, "validation_failed"},
		{"unknown field on register", "POST", "/auth/register", `{"email":"a@b.co","password":"12345678","full_name":"x","role":"student","account_status":"active"}`, "", false, 422, "validation_failed"},
		{"unknown field on login", "POST", "/auth/login", `{"email":"a@b.co","password":"x","remember":true}`, "", false, 422, "validation_failed"},
		{"huge strings", "POST", "/auth/register", map[string]any{"email": strings.Repeat("e", 100_000) + "@x.co",
			"password": strings.Repeat("p", 100_000), "full_name": strings.Repeat("n", 100_000), "role": strings.Repeat("r", 100_000)}, "", false, 422, "validation_failed"},
		{"invalid timezone", "POST", "/auth/register", map[string]any{"email": uniqueEmail("tz"), "password": testPassword,
			"full_name": "x", "role": "student", "timezone": "../../etc/passwd"}, "", false, 422, "validation_failed"},
		{"timezone wrong type", "POST", "/auth/register", `{"email":"a@b.co","password":"12345678","full_name":"x","role":"student","timezone":12}`, "", false, 422, "validation_failed"},
		{"form encoded", "POST", "/auth/login", "email=a@b.co&password=x", "application/x-www-form-urlencoded", false, 415, "unsupported_media_type"},
		{"refresh token wrong type", "POST", "/auth/refresh", `{"refresh_token":{"$ne":null}}`, "", false, 422, "validation_failed"},
		{"null bytes in email", "POST", "/auth/login", map[string]any{"email": "a\x00@b.co", "password": "x"}, "", false, 422, "validation_failed"},
		{"null bytes in register email", "POST", "/auth/register", map[string]any{"email": "a\x00@b.co", "password": testPassword,
			"full_name": "x", "role": "student"}, "", false, 422, "validation_failed"},
		{"null bytes in name", "POST", "/auth/register", map[string]any{"email": uniqueEmail("nul"), "password": testPassword,
			"full_name": "a\x00b", "role": "student"}, "", false, 422, "validation_failed"},
		{"null bytes in refresh token", "POST", "/auth/refresh", map[string]any{"refresh_token": "a\x00b"}, "", false, 401, "invalid_token"},
		{"sql in email", "POST", "/auth/login", map[string]any{"email": "' OR '1'='1", "password": "x"}, "", false, 422, "validation_failed"},
		{"patch me non-object", "PATCH", "/auth/me", `["full_name"]`, "", true, 400, "malformed_request"},
		{"patch me wrong type", "PATCH", "/auth/me", `{"full_name":123}`, "", true, 422, "validation_failed"},
		{"patch me empty body", "PATCH", "/auth/me", "", "", true, 400, "malformed_request"},
		{"patch me huge name", "PATCH", "/auth/me", map[string]any{"full_name": strings.Repeat("n", 10_000)}, "", true, 422, "validation_failed"},
		{"patch me control chars", "PATCH", "/auth/me", map[string]any{"full_name": "a\x07b"}, "", true, 422, "validation_failed"},
		{"wrong method", "PUT", "/auth/me", `{}`, "", true, 405, "method_not_allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			headers := []string{}
			if tc.ctype != "" {
				headers = append(headers, "Content-Type", tc.ctype)
			}
			if tc.auth {
				headers = append(headers, bearer(tok)...)
			}
			body := tc.body
			if s, ok := body.(string); ok && s == "" {
				body = []byte{}
			}
			r := e.do(tc.method, "/api/v1"+tc.path, body, headers...)
			require.Less(t, r.Status, 500, "%s", r.Body)
			requireProblem(t, r, tc.status, tc.code)
		})
	}
	// Bodies over 1 MiB are refused before they are read. The server answers as soon as it sees
	// Content-Length and closes, so the request is written by hand: a client still sending the
	// body would see its write reset instead of the answer.
	for _, path := range []string{"/auth/register", "/auth/login", "/auth/refresh"} {
		t.Run("oversized body "+path, func(t *testing.T) {
			r := rawOversized(t, e.base, "/api/v1"+path, 1<<20+1)
			requireProblem(t, r, 413, "payload_too_large")
		})
	}
}

// rawOversized sends only the head of a POST announcing a body of n bytes, plus its first bytes,
// and reads the answer.
func rawOversized(t testing.TB, base, path string, n int) *resp {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"email\":\"", path, n)
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return &resp{Status: res.StatusCode, Header: res.Header, Body: data}
}
