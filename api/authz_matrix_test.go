package api_test

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/api"
)

// The authorization matrix: every protected route of the running server is called by every kind
// of caller, and each answer is the status API.md gives. The list of routes is read from the
// server itself, so a route added later without a row here fails the test instead of skipping it.

// authzWho is one caller of the matrix.
type authzWho int

const (
	whoNoToken authzWho = iota
	whoExpired
	whoHS512
	whoAlgNone
	whoRefresh
	whoA // student A: the owner on student routes
	whoX // instructor X: the owner on instructor routes
	whoB // another student
	whoY // another instructor
)

var authzWhoNames = map[authzWho]string{
	whoNoToken: "no token", whoExpired: "expired token", whoHS512: "HS512 token", whoAlgNone: "alg none token",
	whoRefresh: "refresh token as access token", whoA: "student A", whoX: "instructor X", whoB: "student B",
	whoY: "instructor Y",
}

// authzOrder runs the bad tokens first, then the intruders, then the owners: an intruder row
// always meets the owner's resources as the fixture left them.
var authzOrder = []authzWho{whoNoToken, whoExpired, whoHS512, whoAlgNone, whoRefresh, whoB, whoY, whoA, whoX}

// authzAccount is a registered user of the fixture.
type authzAccount struct {
	ID, Email, Name, Role string
	Token, Refresh        string
}

// authzPrincipal is the caller of one cell: acct is nil for the four bad-token rows.
type authzPrincipal struct {
	who   authzWho
	token string
	acct  *authzAccount
}

// authzCall is the request of one cell.
type authzCall struct {
	path  string // with query string if any
	body  any
	token string // replaces the principal's token when set (a fresh session for logout)
}

// authzRoute is one row of the matrix. want and code are indexed A, X, B, Y; the four bad-token
// callers always get 401. code is the expected problem code for a 4xx answer ("" = forbidden for
// 403, not_found for 404).
type authzRoute struct {
	method, route string // as registered, with :params
	instructor    bool   // bad tokens carry X's identity instead of A's
	want          [4]int
	code          [4]string
	call          func(t *testing.T, p authzPrincipal) authzCall
	check         func(t *testing.T, p authzPrincipal, c authzCall, r *resp) // after a 2xx answer
}

func authzIndex(w authzWho) int {
	switch w {
	case whoA:
		return 0
	case whoX:
		return 1
	case whoB:
		return 2
	case whoY:
		return 3
	}
	panic("not a real account")
}

// authzPublic are the /api routes API.md lets anyone call. Parameters are written {}: the name a
// handler gives them does not matter.
var authzPublic = map[string]bool{
	"POST /api/v1/auth/register":                       true,
	"POST /api/v1/auth/login":                          true,
	"POST /api/v1/auth/refresh":                        true,
	"GET /api/v1/catalog/categories":                   true,
	"GET /api/v1/catalog/services":                     true,
	"GET /api/v1/catalog/services/{}":                  true,
	"GET /api/v1/catalog/top-per-category":             true,
	"GET /api/v1/catalog/popular":                      true,
	"GET /api/v1/instructors":                          true,
	"GET /api/v1/instructors/{}":                       true,
	"GET /api/v1/public/instructors/{}/availability":   true,
	"GET /api/v1/public/instructors/{}/next-available": true,
	"GET /api/v1/search/instructors":                   true,
	"GET /api/v1/analytics/services/{}":                true,
	"GET /api/v1/openapi.yaml":                         true,
	"GET /api/docs":                                    true,
}

var authzParam = regexp.MustCompile(`:[A-Za-z_]+\??`)

func authzKey(method, path string) string {
	p := strings.TrimSuffix(authzParam.ReplaceAllString(path, "{}"), "/")
	return method + " " + p
}

// authzFixture is the world of the matrix: A has a future booking with X (the one B and Y
// attack); B has one with Y, so every account has a future booking; X has an offer, a profile,
// availability in week W and a blackout date.
type authzFixture struct {
	e          *env
	A, X, B, Y *authzAccount
	// W is X's week of availability (Monday and Tuesday 08:00–20:00), two weeks out. W1 holds Y's
	// availability and the blackout dates; W3 is X's scratch week; W4 is a week nobody fills.
	W, W1, W3, W4 instainstru.Date
	xOffer        string // X's piano offer, rate 6000
	yOffer        string
	booking       string // A ↔ X, W Monday 09:00, confirmed
	xWeek         map[string][]api.TimeRangeDTO
	xBlackout     instainstru.Date // reason "x-holiday"
	bad           map[string]map[authzWho]string
}

const (
	authzXBio  = "X teaches piano"
	authzYBio  = "Y rewrote this"
	authzXRate = 6000
)

func authzProfileBody(bio string, years int) map[string]any {
	return map[string]any{"bio": bio, "years_experience": years, "areas_of_service": []string{"Brooklyn"},
		"min_advance_booking_hours": 2, "buffer_minutes": 0}
}

func (f *authzFixture) register(t *testing.T, role, tag string) *authzAccount {
	t.Helper()
	a := f.e.registerFull(t, role, uniqueEmail("authz-"+tag))
	return &authzAccount{ID: a.User.ID, Email: a.User.Email, Name: a.User.FullName, Role: role,
		Token: a.AccessToken, Refresh: a.RefreshToken}
}

// login opens a new session of a, so a logout ends that one and not the account's main token.
func (f *authzFixture) login(t *testing.T, a *authzAccount) string {
	t.Helper()
	r := f.e.do("POST", "/api/v1/auth/login", map[string]any{"email": a.Email, "password": testPassword})
	require.Equal(t, 200, r.Status, "login: %s", r.Body)
	var out api.AuthResponse
	r.JSON(t, &out)
	return out.AccessToken
}

func (f *authzFixture) offer(t *testing.T, a *authzAccount, slug string, rate int) string {
	t.Helper()
	return catCreateOffer(t, f.e, a.Token, catOfferBody(catService(t, f.e, slug).ID, rate)).ID
}

func (f *authzFixture) book(t *testing.T, student *authzAccount, offer string, d instainstru.Date, start string) string {
	t.Helper()
	r := f.e.do("POST", "/api/v1/bookings", bookBody(offer, d, start, 60), bearer(student.Token)...)
	require.Equal(t, 201, r.Status, "book: %s", r.Body)
	return r.Map(t)["id"].(string)
}

// pastBooking books A with X through the API and moves the lesson into the past (ending
// endedAgo ago), so its instructor may complete it or mark it a no-show.
func (f *authzFixture) pastBooking(t *testing.T, start string, endedAgo time.Duration) string {
	t.Helper()
	id := f.book(t, f.A, f.xOffer, f.W, start)
	end := time.Now().Add(-endedAgo)
	_, err := db.Pool.Exec(context.Background(),
		`UPDATE bookings SET starts_at = $2, ends_at = $3, blocked_until = $3 WHERE id = $1`, id, end.Add(-time.Hour), end)
	require.NoError(t, err)
	return id
}

func (f *authzFixture) blackouts(t *testing.T, a *authzAccount) []api.BlackoutDTO {
	t.Helper()
	r := f.e.do("GET", blackoutPath, nil, bearer(a.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var page api.Page[api.BlackoutDTO]
	r.JSON(t, &page)
	return page.Items
}

func (f *authzFixture) ownProfile(t *testing.T, a *authzAccount) api.InstructorOwnProfileDTO {
	t.Helper()
	r := f.e.do("GET", "/api/v1/instructors/me", nil, bearer(a.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var p api.InstructorOwnProfileDTO
	r.JSON(t, &p)
	return p
}

// badTokens are the four tokens that must never pass, all naming a real user and session so the
// one thing wrong is what the row says.
func badTokens(t *testing.T, a *authzAccount) map[authzWho]string {
	now := time.Now()
	claims := func(iat, exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"iss": testIssuer, "aud": testAudience, "sub": a.ID, "sid": sessionOf(t, a.Token),
			"typ": "access", "role": a.Role, "iat": iat.Unix(), "exp": exp.Unix()}
	}
	valid := claims(now, now.Add(10*time.Minute))
	return map[authzWho]string{
		whoExpired: sign(t, jwt.SigningMethodHS256, testJWTSecret, claims(now.Add(-20*time.Minute), now.Add(-time.Minute))),
		whoHS512:   sign(t, jwt.SigningMethodHS512, testJWTSecret, valid),
		whoAlgNone: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid),
		whoRefresh: a.Refresh,
	}
}

func newAuthzFixture(t *testing.T) *authzFixture {
	t.Helper()
	f := &authzFixture{e: newEnv(t)}
	f.A, f.X = f.register(t, "student", "a"), f.register(t, "instructor", "x")
	f.B, f.Y = f.register(t, "student", "b"), f.register(t, "instructor", "y")
	f.W = nextMonday(t).AddDays(7)
	f.W1, f.W3, f.W4 = f.W.AddDays(7), f.W.AddDays(21), f.W.AddDays(28)
	f.xBlackout = f.W1.AddDays(3)

	r := f.e.do("PUT", "/api/v1/instructors/me", authzProfileBody(authzXBio, 7), bearer(f.X.Token)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	f.xOffer = f.offer(t, f.X, "piano", authzXRate)
	f.yOffer = f.offer(t, f.Y, "piano", 5000)
	day := ranges{{"08:00", "20:00"}}
	f.xWeek = putWeek(t, f.e, f.X.Token, f.W, map[int]ranges{0: day, 1: day}).Days
	putWeek(t, f.e, f.Y.Token, f.W1, map[int]ranges{1: day})
	r = f.e.do("POST", blackoutPath, map[string]any{"date": f.xBlackout.String(), "reason": "x-holiday"}, bearer(f.X.Token)...)
	require.Equal(t, 201, r.Status, "%s", r.Body)

	f.booking = f.book(t, f.A, f.xOffer, f.W, "09:00")
	f.book(t, f.B, f.yOffer, f.W1.AddDays(1), "09:00")

	f.bad = map[string]map[authzWho]string{"student": badTokens(t, f.A), "instructor": badTokens(t, f.X)}
	// The bad tokens differ from a good one only in what their row says: the same claims signed
	// HS256 with the right secret are accepted.
	for _, a := range []*authzAccount{f.A, f.X} {
		now := time.Now()
		good := sign(t, jwt.SigningMethodHS256, testJWTSecret, jwt.MapClaims{"iss": testIssuer, "aud": testAudience,
			"sub": a.ID, "sid": sessionOf(t, a.Token), "typ": "access", "role": a.Role, "iat": now.Unix(),
			"exp": now.Add(10 * time.Minute).Unix()})
		require.Equal(t, 200, f.e.do("GET", "/api/v1/auth/me", nil, bearer(good)...).Status)
	}
	return f
}

// is reports whether p is the real account a.
func (p authzPrincipal) is(a *authzAccount) bool { return p.acct != nil && p.acct.ID == a.ID }

func authzRoutes(t *testing.T, f *authzFixture) []authzRoute {
	guitar := catService(t, f.e, "guitar").ID
	shared := func(path string, body any) func(*testing.T, authzPrincipal) authzCall {
		return func(*testing.T, authzPrincipal) authzCall { return authzCall{path: path, body: body} }
	}
	bookingPath := "/api/v1/bookings/" + f.booking
	xOfferPath := "/api/v1/instructors/me/services/" + f.xOffer
	requireSelf := func(t *testing.T, p authzPrincipal, got string) {
		t.Helper()
		require.Equal(t, p.acct.ID, got, "the answer is about the caller, nobody else")
	}
	var patched string // the offer X's PATCH row made for itself

	return []authzRoute{
		// ---- auth: every user acts on their own session and account.
		{method: "POST", route: "/api/v1/auth/logout", want: [4]int{204, 204, 204, 204},
			// Each caller logs out a session opened for the purpose, so their main token lives on.
			call: func(t *testing.T, p authzPrincipal) authzCall {
				if p.acct == nil {
					return authzCall{path: "/api/v1/auth/logout"}
				}
				return authzCall{path: "/api/v1/auth/logout", token: f.login(t, p.acct)}
			},
			check: func(t *testing.T, p authzPrincipal, c authzCall, _ *resp) {
				requireProblem(t, f.e.do("GET", "/api/v1/auth/me", nil, bearer(c.token)...), 401, "invalid_token")
				require.Equal(t, 200, f.e.do("GET", "/api/v1/auth/me", nil, bearer(p.acct.Token)...).Status)
			}},
		{method: "GET", route: "/api/v1/auth/me", want: [4]int{200, 200, 200, 200},
			call: shared("/api/v1/auth/me", nil),
			check: func(t *testing.T, p authzPrincipal, _ authzCall, r *resp) {
				m := r.Map(t)
				requireSelf(t, p, m["id"].(string))
				require.Equal(t, p.acct.Email, m["email"])
			}},
		{method: "PATCH", route: "/api/v1/auth/me", want: [4]int{200, 200, 200, 200},
			// Owners rewrite their own name unchanged; intruders rename themselves, which must not
			// land on A or X (checked after the matrix).
			call: func(_ *testing.T, p authzPrincipal) authzCall {
				name := "Hijacked"
				switch {
				case p.is(f.A), p.is(f.X):
					name = p.acct.Name
				case p.is(f.B):
					name = "Intruder B"
				case p.is(f.Y):
					name = "Intruder Y"
				}
				return authzCall{path: "/api/v1/auth/me", body: map[string]any{"full_name": name}}
			},
			check: func(t *testing.T, p authzPrincipal, c authzCall, r *resp) {
				m := r.Map(t)
				requireSelf(t, p, m["id"].(string))
				require.Equal(t, c.body.(map[string]any)["full_name"], m["full_name"])
			}},

		// ---- account: the caller's own account. Every account has a future booking, so the
		// transitions answer their business 409 (proving the route was reached) and change nothing.
		{method: "GET", route: "/api/v1/account/status", want: [4]int{200, 200, 200, 200},
			call: shared("/api/v1/account/status", nil),
			check: func(t *testing.T, _ authzPrincipal, _ authzCall, r *resp) {
				var s api.AccountStatusDTO
				r.JSON(t, &s)
				require.Equal(t, "active", s.AccountStatus)
				require.GreaterOrEqual(t, s.FutureBookingsCount, 1)
			}},
		{method: "POST", route: "/api/v1/account/suspend",
			// Students: wrong role. Instructors: reached, 409 has_future_bookings.
			want: [4]int{403, 409, 403, 409}, code: [4]string{"", "has_future_bookings", "", "has_future_bookings"},
			call: shared("/api/v1/account/suspend", nil)},
		{method: "POST", route: "/api/v1/account/deactivate",
			want: [4]int{409, 409, 409, 409},
			code: [4]string{"has_future_bookings", "has_future_bookings", "has_future_bookings", "has_future_bookings"},
			call: shared("/api/v1/account/deactivate", nil)},
		{method: "POST", route: "/api/v1/account/reactivate",
			// Students: wrong role. Instructors: reached, but an active account is in no state to
			// reactivate: 409 conflict.
			want: [4]int{403, 409, 403, 409}, code: [4]string{"forbidden", "conflict", "forbidden", "conflict"},
			call: shared("/api/v1/account/reactivate", nil)},

		// ---- bookings.
		{method: "POST", route: "/api/v1/bookings",
			// Students book (A with X, B with Y: each their own new booking); instructors: wrong role.
			want: [4]int{201, 403, 201, 403},
			call: func(_ *testing.T, p authzPrincipal) authzCall {
				if p.is(f.B) {
					return authzCall{path: "/api/v1/bookings", body: bookBody(f.yOffer, f.W1.AddDays(1), "11:00", 60)}
				}
				return authzCall{path: "/api/v1/bookings", body: bookBody(f.xOffer, f.W, "15:00", 60)}
			},
			check: func(t *testing.T, p authzPrincipal, _ authzCall, r *resp) {
				var b api.BookingDTO
				r.JSON(t, &b)
				requireSelf(t, p, b.Student.ID)
				require.Equal(t, "confirmed", b.Status)
			}},
		{method: "GET", route: "/api/v1/bookings", want: [4]int{200, 200, 200, 200},
			call: shared("/api/v1/bookings?limit=100", nil),
			check: func(t *testing.T, p authzPrincipal, _ authzCall, r *resp) {
				var page api.Page[api.BookingDTO]
				r.JSON(t, &page)
				require.NotEmpty(t, page.Items)
				seen := false
				for _, b := range page.Items {
					require.True(t, b.Student.ID == p.acct.ID || b.Instructor.ID == p.acct.ID,
						"%s sees booking %s of %s and %s", authzWhoNames[p.who], b.ID, b.Student.ID, b.Instructor.ID)
					seen = seen || b.ID == f.booking
				}
				require.Equal(t, p.is(f.A) || p.is(f.X), seen, "A's booking is listed to its participants only")
			}},
		{method: "GET", route: "/api/v1/bookings/:id",
			want: [4]int{200, 200, 404, 404}, call: shared(bookingPath, nil),
			check: func(t *testing.T, _ authzPrincipal, _ authzCall, r *resp) {
				require.Equal(t, f.booking, r.Map(t)["id"])
			}},
		{method: "GET", route: "/api/v1/bookings/:id/calendar.ics",
			want: [4]int{200, 200, 404, 404}, call: shared(bookingPath+"/calendar.ics", nil),
			check: func(t *testing.T, _ authzPrincipal, _ authzCall, r *resp) {
				require.Contains(t, r.Header.Get("Content-Type"), "text/calendar")
				require.Contains(t, string(r.Body), "UID:"+f.booking+"@instainstru")
			}},
		{method: "POST", route: "/api/v1/bookings/:id/cancel",
			// Participants cancel a booking made for the row; B and Y attack A's booking: 404.
			want: [4]int{200, 200, 404, 404},
			call: func(t *testing.T, p authzPrincipal) authzCall {
				body := map[string]any{"reason": "authz matrix"}
				switch {
				case p.is(f.A):
					return authzCall{path: "/api/v1/bookings/" + f.book(t, f.A, f.xOffer, f.W, "10:00") + "/cancel", body: body}
				case p.is(f.X):
					return authzCall{path: "/api/v1/bookings/" + f.book(t, f.A, f.xOffer, f.W, "11:00") + "/cancel", body: body}
				}
				return authzCall{path: bookingPath + "/cancel", body: body}
			},
			check: func(t *testing.T, p authzPrincipal, _ authzCall, r *resp) {
				var b api.BookingDTO
				r.JSON(t, &b)
				require.Equal(t, "cancelled", b.Status)
				require.NotNil(t, b.CancelledBy)
				requireSelf(t, p, *b.CancelledBy)
			}},
		{method: "POST", route: "/api/v1/bookings/:id/reschedule",
			want: [4]int{200, 200, 404, 404},
			call: func(t *testing.T, p authzPrincipal) authzCall {
				tue := f.W.AddDays(1).String()
				switch {
				case p.is(f.A):
					return authzCall{path: "/api/v1/bookings/" + f.book(t, f.A, f.xOffer, f.W, "12:00") + "/reschedule",
						body: map[string]any{"date": tue, "start_time": "12:00"}}
				case p.is(f.X):
					return authzCall{path: "/api/v1/bookings/" + f.book(t, f.A, f.xOffer, f.W, "13:00") + "/reschedule",
						body: map[string]any{"date": tue, "start_time": "13:00"}}
				}
				return authzCall{path: bookingPath + "/reschedule", body: map[string]any{"date": tue, "start_time": "15:00"}}
			},
			check: func(t *testing.T, _ authzPrincipal, c authzCall, r *resp) {
				var b api.BookingDTO
				r.JSON(t, &b)
				require.Equal(t, "confirmed", b.Status)
				require.NotNil(t, b.RescheduledFromID)
				require.Equal(t, c.path, "/api/v1/bookings/"+*b.RescheduledFromID+"/reschedule")
			}},
		{method: "POST", route: "/api/v1/bookings/:id/complete",
			// Students (A on her own booking too): wrong role. Y: not a participant. X completes a
			// lesson of the past made for the row.
			want: [4]int{403, 200, 403, 404},
			call: func(t *testing.T, p authzPrincipal) authzCall {
				if p.is(f.X) {
					return authzCall{path: "/api/v1/bookings/" + f.pastBooking(t, "16:00", 4*time.Hour) + "/complete"}
				}
				return authzCall{path: bookingPath + "/complete"}
			},
			check: func(t *testing.T, _ authzPrincipal, _ authzCall, r *resp) {
				require.Equal(t, "completed", r.Map(t)["status"])
			}},
		{method: "POST", route: "/api/v1/bookings/:id/no-show",
			want: [4]int{403, 200, 403, 404},
			call: func(t *testing.T, p authzPrincipal) authzCall {
				if p.is(f.X) {
					return authzCall{path: "/api/v1/bookings/" + f.pastBooking(t, "17:00", 2*time.Hour) + "/no-show"}
				}
				return authzCall{path: bookingPath + "/no-show"}
			},
			check: func(t *testing.T, _ authzPrincipal, _ authzCall, r *resp) {
				require.Equal(t, "no_show", r.Map(t)["status"])
			}},

		// ---- admin: only accounts with role admin (none of the four).
		{method: "POST", route: "/api/v1/admin/analytics/recalculate",
			want: [4]int{403, 403, 403, 403}, call: shared("/api/v1/admin/analytics/recalculate", nil)},

		// ---- the instructor's own profile and offers: students get 403 everywhere.
		{method: "GET", route: "/api/v1/instructors/me", instructor: true,
			want: [4]int{403, 200, 403, 200}, call: shared("/api/v1/instructors/me", nil),
			check: func(t *testing.T, p authzPrincipal, _ authzCall, r *resp) {
				requireSelf(t, p, r.Map(t)["id"].(string))
			}},
		{method: "PUT", route: "/api/v1/instructors/me", instructor: true,
			want: [4]int{403, 200, 403, 200},
			call: func(_ *testing.T, p authzPrincipal) authzCall {
				if p.is(f.X) {
					return authzCall{path: "/api/v1/instructors/me", body: authzProfileBody(authzXBio, 7)}
				}
				return authzCall{path: "/api/v1/instructors/me", body: authzProfileBody(authzYBio, 1)}
			},
			check: func(t *testing.T, p authzPrincipal, c authzCall, r *resp) {
				m := r.Map(t)
				requireSelf(t, p, m["id"].(string))
				require.Equal(t, c.body.(map[string]any)["bio"], m["bio"])
			}},
		{method: "POST", route: "/api/v1/instructors/me/services", instructor: true,
			// X and Y each add an offer of their own (a service neither offers yet).
			want: [4]int{403, 201, 403, 201},
			call: shared("/api/v1/instructors/me/services", catOfferBody(guitar, 7000)),
			check: func(t *testing.T, p authzPrincipal, _ authzCall, r *resp) {
				id := r.Map(t)["id"].(string)
				found := false
				for _, o := range f.ownProfile(t, p.acct).Services {
					found = found || o.ID == id
				}
				require.True(t, found, "the new offer is the caller's")
			}},
		{method: "PATCH", route: "/api/v1/instructors/me/services/:id", instructor: true,
			// X changes an offer made for the row; Y attacks X's piano offer: 404.
			want: [4]int{403, 200, 403, 404},
			call: func(t *testing.T, p authzPrincipal) authzCall {
				body := map[string]any{"hourly_rate_cents": 7777}
				if p.is(f.X) {
					patched = f.offer(t, f.X, "violin", 6500)
					return authzCall{path: "/api/v1/instructors/me/services/" + patched, body: body}
				}
				return authzCall{path: xOfferPath, body: body}
			},
			check: func(t *testing.T, _ authzPrincipal, _ authzCall, r *resp) {
				m := r.Map(t)
				require.Equal(t, patched, m["id"])
				require.EqualValues(t, 7777, m["hourly_rate_cents"])
			}},
		{method: "DELETE", route: "/api/v1/instructors/me/services/:id", instructor: true,
			want: [4]int{403, 200, 403, 404},
			call: func(t *testing.T, p authzPrincipal) authzCall {
				if p.is(f.X) {
					return authzCall{path: "/api/v1/instructors/me/services/" + f.offer(t, f.X, "cello", 6500)}
				}
				return authzCall{path: xOfferPath}
			},
			check: func(t *testing.T, _ authzPrincipal, _ authzCall, r *resp) {
				require.Equal(t, "hard", r.Map(t)["deleted"])
			}},

		// ---- the instructor's own availability: "me" routes, so Y reaches only Y's calendar.
		// X writes only the scratch week W3; Y writes onto the dates of X's week W, which must
		// land on Y's calendar (checked after the matrix).
		{method: "GET", route: "/api/v1/instructors/me/availability/week", instructor: true,
			want: [4]int{403, 200, 403, 200}, call: shared(weekPath+"?start_date="+f.W.String(), nil),
			check: func(t *testing.T, p authzPrincipal, _ authzCall, r *resp) {
				var w api.WeekDTO
				r.JSON(t, &w)
				if p.is(f.X) {
					require.Equal(t, f.xWeek, w.Days)
				} else {
					require.NotEqual(t, f.xWeek, w.Days, "Y must not see X's week")
				}
			}},
		{method: "PUT", route: "/api/v1/instructors/me/availability/week", instructor: true,
			want: [4]int{403, 200, 403, 200},
			call: func(_ *testing.T, p authzPrincipal) authzCall {
				if p.is(f.X) {
					return authzCall{path: weekPath, body: putWeekBody(f.W3, map[int]ranges{2: {{"10:00", "11:00"}}})}
				}
				return authzCall{path: weekPath, body: putWeekBody(f.W, map[int]ranges{0: {{"13:00", "14:00"}}})}
			},
			check: func(t *testing.T, _ authzPrincipal, c authzCall, r *resp) {
				var w api.WeekDTO
				r.JSON(t, &w)
				require.Equal(t, c.body.(map[string]any)["days"], w.Days)
			}},
		{method: "POST", route: "/api/v1/instructors/me/availability/copy-week", instructor: true,
			want: [4]int{403, 200, 403, 200},
			call: func(_ *testing.T, p authzPrincipal) authzCall {
				if p.is(f.X) {
					return authzCall{path: copyPath, body: map[string]any{"from_week_start": f.W.String(), "to_week_start": f.W3.String()}}
				}
				return authzCall{path: copyPath, body: map[string]any{"from_week_start": f.W4.String(), "to_week_start": f.W.String()}}
			},
			check: func(t *testing.T, p authzPrincipal, _ authzCall, r *resp) {
				var w api.WeekDTO
				r.JSON(t, &w)
				if p.is(f.X) {
					day := ranges{{"08:00", "20:00"}}
					require.Equal(t, weekDays(f.W3, map[int]ranges{0: day, 1: day}), w.Days)
				} else {
					require.Equal(t, weekDays(f.W, nil), w.Days)
				}
			}},
		{method: "POST", route: "/api/v1/instructors/me/availability/apply-pattern", instructor: true,
			want: [4]int{403, 200, 403, 200},
			call: func(_ *testing.T, p authzPrincipal) authzCall {
				from, start := f.W4, f.W
				if p.is(f.X) {
					from, start = f.W, f.W3
				}
				return authzCall{path: patternPath, body: map[string]any{"from_week_start": from.String(),
					"start_date": start.String(), "end_date": start.AddDays(6).String()}}
			},
			check: func(t *testing.T, _ authzPrincipal, _ authzCall, r *resp) {
				var out api.ApplyPatternDTO
				r.JSON(t, &out)
				require.Equal(t, 7, out.DatesUpdated)
			}},
		{method: "POST", route: "/api/v1/instructors/me/blackout-dates", instructor: true,
			want: [4]int{403, 201, 403, 201},
			call: func(_ *testing.T, p authzPrincipal) authzCall {
				if p.is(f.X) {
					return authzCall{path: blackoutPath, body: map[string]any{"date": f.W1.AddDays(4).String(), "reason": "x-own"}}
				}
				return authzCall{path: blackoutPath, body: map[string]any{"date": f.W1.AddDays(2).String(), "reason": "intruder"}}
			},
			check: func(t *testing.T, _ authzPrincipal, c authzCall, r *resp) {
				require.Equal(t, c.body.(map[string]any)["date"], r.Map(t)["date"])
			}},
		{method: "GET", route: "/api/v1/instructors/me/blackout-dates", instructor: true,
			want: [4]int{403, 200, 403, 200}, call: shared(blackoutPath, nil),
			check: func(t *testing.T, p authzPrincipal, _ authzCall, r *resp) {
				var page api.Page[api.BlackoutDTO]
				r.JSON(t, &page)
				has := false
				for _, b := range page.Items {
					has = has || (b.Date == f.xBlackout.String() && b.Reason == "x-holiday")
				}
				require.Equal(t, p.is(f.X), has, "X's blackout is listed to X only")
			}},
		{method: "DELETE", route: "/api/v1/instructors/me/blackout-dates/:date", instructor: true,
			// X removes a blackout added for the row; Y has none on X's date: 404.
			want: [4]int{403, 204, 403, 404},
			call: func(t *testing.T, p authzPrincipal) authzCall {
				if p.is(f.X) {
					d := f.W1.AddDays(5).String()
					r := f.e.do("POST", blackoutPath, map[string]any{"date": d}, bearer(f.X.Token)...)
					require.Equal(t, 201, r.Status, "%s", r.Body)
					return authzCall{path: blackoutPath + "/" + d}
				}
				return authzCall{path: blackoutPath + "/" + f.xBlackout.String()}
			}},
	}
}

// TestAuthorizationMatrix calls every protected route as no one, with an expired token, an HS512
// and an alg-none token, a refresh token, and as student A, instructor X, student B and instructor
// Y, and requires API.md's status for each; then it proves nothing of A's or X's changed.
func TestAuthorizationMatrix(t *testing.T) {
	f := newAuthzFixture(t)
	routes := authzRoutes(t, f)

	// The table covers exactly the protected routes the server registers.
	table := map[string]bool{}
	for _, r := range routes {
		k := authzKey(r.method, r.route)
		require.False(t, table[k], "duplicate row %s", k)
		table[k] = true
	}
	registered := map[string]bool{}
	for _, r := range f.e.srv.App().GetRoutes(true) {
		if r.Method == http.MethodHead || r.Method == http.MethodOptions || !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		k := authzKey(r.Method, r.Path)
		registered[k] = true
		if authzPublic[k] {
			continue
		}
		require.True(t, table[k], "protected route %s has no row in the authorization matrix: add one "+
			"(or, if API.md makes it public, add it to authzPublic)", k)
	}
	for k := range table {
		require.True(t, registered[k], "the matrix has a row for %s, which the server does not register", k)
	}

	cells := 0
	for _, rt := range routes {
		owner := "student"
		if rt.instructor {
			owner = "instructor"
		}
		for _, who := range authzOrder {
			p := authzPrincipal{who: who}
			want, code := http.StatusUnauthorized, "invalid_token"
			switch who {
			case whoNoToken:
				code = "unauthorized"
			case whoExpired, whoHS512, whoAlgNone, whoRefresh:
				p.token = f.bad[owner][who]
			default:
				p.acct = map[authzWho]*authzAccount{whoA: f.A, whoX: f.X, whoB: f.B, whoY: f.Y}[who]
				p.token = p.acct.Token
				i := authzIndex(who)
				want, code = rt.want[i], rt.code[i]
				if code == "" {
					code = map[int]string{403: "forbidden", 404: "not_found"}[want]
				}
			}
			cells++
			t.Run(rt.method+" "+rt.route+"/"+authzWhoNames[who], func(t *testing.T) {
				c := rt.call(t, p)
				if c.token == "" {
					c.token = p.token
				}
				var headers []string
				if c.token != "" {
					headers = bearer(c.token)
				}
				r := f.e.do(rt.method, c.path, c.body, headers...)
				if want >= 400 {
					requireProblem(t, r, want, code)
					if want == http.StatusUnauthorized {
						require.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
					}
					return
				}
				require.Equal(t, want, r.Status, "%s %s as %s: %s", rt.method, c.path, authzWhoNames[who], r.Body)
				if rt.check != nil {
					rt.check(t, p, c, r)
				}
			})
		}
	}
	t.Logf("authorization matrix: %d routes × %d callers = %d cells", len(routes), len(authzOrder), cells)

	t.Run("nothing of A or X changed", func(t *testing.T) {
		// A's booking with X: still confirmed, where it was, cancelled by no one.
		r := f.e.do("GET", "/api/v1/bookings/"+f.booking, nil, bearer(f.A.Token)...)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var b api.BookingDTO
		r.JSON(t, &b)
		require.Equal(t, "confirmed", b.Status)
		require.Equal(t, f.W.String(), b.Date)
		require.Equal(t, "09:00", b.StartTime)
		require.Nil(t, b.CancelledBy)
		require.Nil(t, b.CancellationReason)
		// No booking of A or X was touched by anyone else, and B and Y booked no one of theirs.
		var foreign int
		require.NoError(t, db.Pool.QueryRow(t.Context(), `
			SELECT count(*) FROM bookings
			WHERE (student_id = $1 OR instructor_id = $2)
			  AND (cancelled_by IS NOT NULL AND cancelled_by NOT IN ($1, $2)
			       OR student_id = $3 OR instructor_id = $4)`, f.A.ID, f.X.ID, f.B.ID, f.Y.ID).Scan(&foreign))
		require.Zero(t, foreign)

		// X's profile and piano offer.
		prof := f.ownProfile(t, f.X)
		require.Equal(t, authzXBio, prof.Bio)
		require.Equal(t, 7, prof.YearsExperience)
		rates := map[string]int{}
		for _, o := range prof.Services {
			rates[o.ID] = o.HourlyRateCents
			if o.ID == f.xOffer {
				require.True(t, o.IsActive)
			}
		}
		require.Equal(t, authzXRate, rates[f.xOffer])

		// X's week and blackout dates: the week as set up, the blackouts X's own (x-own added by X).
		require.Equal(t, f.xWeek, getWeek(t, f.e, f.X.Token, f.W).Days)
		var dates []string
		for _, bo := range f.blackouts(t, f.X) {
			dates = append(dates, bo.Date+" "+bo.Reason)
		}
		sort.Strings(dates)
		require.Equal(t, []string{f.xBlackout.String() + " x-holiday", f.W1.AddDays(4).String() + " x-own"}, dates)

		// A's and X's accounts.
		for _, a := range []*authzAccount{f.A, f.X} {
			r := f.e.do("GET", "/api/v1/auth/me", nil, bearer(a.Token)...)
			require.Equal(t, 200, r.Status, "%s", r.Body)
			m := r.Map(t)
			require.Equal(t, a.Name, m["full_name"])
			require.Equal(t, "active", m["account_status"])
		}

		// Control: the intruders' writes did happen, on their own data, so the checks above were
		// able to see them had they landed on A or X.
		require.Equal(t, authzYBio, f.ownProfile(t, f.Y).Bio)
		require.Equal(t, weekDays(f.W, nil), getWeek(t, f.e, f.Y.Token, f.W).Days)
		require.Equal(t, []api.BlackoutDTO{{Date: f.W1.AddDays(2).String(), Reason: "intruder"}}, f.blackouts(t, f.Y))
		r = f.e.do("GET", "/api/v1/auth/me", nil, bearer(f.B.Token)...)
		require.Equal(t, "Intruder B", r.Map(t)["full_name"])
	})
}
