package api_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/persistence"
)

// insertBooking writes a booking row directly (a fixture: booking creation is another area's
// endpoint), starting at startsAt for one hour, and returns its id.
func authInsertBooking(t testing.TB, instructorID, studentID string, startsAt time.Time, status string) string {
	t.Helper()
	ctx := t.Context()
	var svcID string
	err := db.Pool.QueryRow(ctx, `
		SELECT id FROM instructor_services WHERE instructor_id = $1 AND is_active LIMIT 1`, instructorID).Scan(&svcID)
	if err != nil {
		svcID = persistence.NewID()
		_, err = db.Pool.Exec(ctx, `
			INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents, duration_options, location_types)
			SELECT $1, $2, id, 6000, '{60}', '{online}' FROM service_catalog ORDER BY display_order, id LIMIT 1`, svcID, instructorID)
		require.NoError(t, err)
	}
	id := persistence.NewID()
	startsAt = startsAt.UTC().Truncate(time.Minute)
	endsAt := startsAt.Add(time.Hour)
	var cancelledAt *time.Time
	var reason *string
	if status == "cancelled" {
		now, r := time.Now(), "test"
		cancelledAt, reason = &now, &r
	}
	_, err = db.Pool.Exec(ctx, `
		INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time,
		    timezone, starts_at, ends_at, blocked_until, duration_minutes, service_name, category_name,
		    hourly_rate_cents, total_price_cents, status, location_type, cancelled_at, cancellation_reason)
		VALUES ($1, $2, $3, $4, $5::timestamptz::date, $5::timestamptz::time, ($5::timestamptz + interval '1 hour')::time,
		    'UTC', $5, $6, $6, 60, 'Lesson', 'Category', 6000, 6000, $7, 'online', $8, $9)`,
		id, studentID, instructorID, svcID, startsAt, endsAt, status, cancelledAt, reason)
	require.NoError(t, err)
	return id
}

func authCancelBooking(t testing.TB, id string) {
	t.Helper()
	_, err := db.Pool.Exec(t.Context(), `
		UPDATE bookings SET status = 'cancelled', cancelled_at = now(), cancellation_reason = 'test' WHERE id = $1`, id)
	require.NoError(t, err)
}

func (e *env) accountStatus(t testing.TB, tok string) api.AccountStatusDTO {
	t.Helper()
	r := e.do("GET", "/api/v1/account/status", nil, bearer(tok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.ElementsMatch(t, []string{"account_status", "can_suspend", "can_deactivate", "future_bookings_count"}, keys(r.Map(t)))
	var s api.AccountStatusDTO
	r.JSON(t, &s)
	return s
}

func TestAccountSuspendAndReactivate(t *testing.T) {
	e := newEnv(t)
	itok, iid := e.register(t, "instructor")
	_, sid := e.register(t, "student")
	require.Equal(t, api.AccountStatusDTO{AccountStatus: "active", CanSuspend: true, CanDeactivate: true},
		e.accountStatus(t, itok))

	// Past and cancelled bookings do not count; a confirmed future one blocks the suspension.
	authInsertBooking(t, iid, sid, time.Now().Add(-48*time.Hour), "confirmed")
	authInsertBooking(t, iid, sid, time.Now().Add(72*time.Hour), "cancelled")
	require.Equal(t, 0, e.accountStatus(t, itok).FutureBookingsCount)
	future := authInsertBooking(t, iid, sid, time.Now().Add(24*time.Hour), "confirmed")
	require.Equal(t, api.AccountStatusDTO{AccountStatus: "active", CanSuspend: false, CanDeactivate: false, FutureBookingsCount: 1},
		e.accountStatus(t, itok))
	requireProblem(t, e.do("POST", "/api/v1/account/suspend", nil, bearer(itok)...), 409, "has_future_bookings")
	require.Equal(t, "active", e.accountStatus(t, itok).AccountStatus, "nothing changed")

	authCancelBooking(t, future)
	r := e.do("POST", "/api/v1/account/suspend", nil, bearer(itok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var st api.AccountStatusDTO
	r.JSON(t, &st)
	require.Equal(t, api.AccountStatusDTO{AccountStatus: "suspended", CanSuspend: false, CanDeactivate: true}, st)

	// A suspended instructor still uses the API.
	r = e.do("GET", "/api/v1/auth/me", nil, bearer(itok)...)
	require.Equal(t, 200, r.Status)
	require.Equal(t, "suspended", r.Map(t)["account_status"])
	requireProblem(t, e.do("POST", "/api/v1/account/suspend", nil, bearer(itok)...), 409, "conflict")

	r = e.do("POST", "/api/v1/account/reactivate", nil, bearer(itok)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r.JSON(t, &st)
	require.Equal(t, "active", st.AccountStatus)
	require.True(t, st.CanSuspend)
	requireProblem(t, e.do("POST", "/api/v1/account/reactivate", nil, bearer(itok)...), 409, "conflict")
}

func TestAccountRoleAndAuthRules(t *testing.T) {
	e := newEnv(t)
	stok, _ := e.register(t, "student")
	st := e.accountStatus(t, stok)
	require.False(t, st.CanSuspend, "students cannot suspend")
	require.True(t, st.CanDeactivate)
	requireProblem(t, e.do("POST", "/api/v1/account/suspend", nil, bearer(stok)...), 403, "forbidden")
	requireProblem(t, e.do("POST", "/api/v1/account/reactivate", nil, bearer(stok)...), 403, "forbidden")
	for _, p := range []string{"status", "suspend", "deactivate", "reactivate"} {
		method := "POST"
		if p == "status" {
			method = "GET"
		}
		requireProblem(t, e.do(method, "/api/v1/account/"+p, nil), 401, "unauthorized")
	}
}

func TestAccountDeactivate(t *testing.T) {
	e := newEnv(t)
	student := e.registerFull(t, "student", uniqueEmail("deact"))
	itok, iid := e.register(t, "instructor")

	// A second session of the student, to show deactivation ends all of them.
	r := e.do("POST", "/api/v1/auth/login", map[string]any{"email": student.User.Email, "password": testPassword})
	require.Equal(t, 200, r.Status)
	var second api.AuthResponse
	r.JSON(t, &second)

	// Future bookings block deactivation on either side.
	b := authInsertBooking(t, iid, student.User.ID, time.Now().Add(30*time.Hour), "confirmed")
	requireProblem(t, e.do("POST", "/api/v1/account/deactivate", nil, bearer(student.AccessToken)...), 409, "has_future_bookings")
	requireProblem(t, e.do("POST", "/api/v1/account/deactivate", nil, bearer(itok)...), 409, "has_future_bookings")
	require.Equal(t, 1, e.accountStatus(t, student.AccessToken).FutureBookingsCount)
	authCancelBooking(t, b)

	r = e.do("POST", "/api/v1/account/deactivate", nil, bearer(student.AccessToken)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var st api.AccountStatusDTO
	r.JSON(t, &st)
	require.Equal(t, api.AccountStatusDTO{AccountStatus: "deactivated"}, st)

	// Every token of the account is dead at once.
	for _, tok := range []string{student.AccessToken, second.AccessToken} {
		requireProblem(t, e.do("GET", "/api/v1/auth/me", nil, bearer(tok)...), 401, "invalid_token")
	}
	requireProblem(t, e.refresh(student.RefreshToken), 401, "invalid_token")
	requireProblem(t, e.refresh(second.RefreshToken), 401, "invalid_token")
	var live int
	require.NoError(t, db.Pool.QueryRow(t.Context(),
		`SELECT count(*) FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, student.User.ID).Scan(&live))
	require.Zero(t, live)

	// Login: the right password learns the account is deactivated, a wrong one learns nothing.
	r = e.do("POST", "/api/v1/auth/login", map[string]any{"email": student.User.Email, "password": testPassword})
	requireProblem(t, r, 403, "account_deactivated")
	r = e.do("POST", "/api/v1/auth/login", map[string]any{"email": student.User.Email, "password": "not the password"})
	requireProblem(t, r, 401, "invalid_credentials")

	// The instructor, whose booking was cancelled, can deactivate too; the email stays taken.
	require.Equal(t, 200, e.do("POST", "/api/v1/account/deactivate", nil, bearer(itok)...).Status)
	r = e.do("POST", "/api/v1/auth/register", map[string]any{"email": student.User.Email, "password": testPassword,
		"full_name": "Again", "role": "student"})
	requireProblem(t, r, 409, "email_taken")
}
