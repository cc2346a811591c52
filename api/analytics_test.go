package api_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/api"
	"github.com/instainstru/instainstru/tasks"
)

// adminToken creates an admin account (as `instainstru admin create` does) and logs it in.
func adminToken(t *testing.T, e *env) string {
	t.Helper()
	hash, err := api.HashPassword(testPassword)
	require.NoError(t, err)
	u := &instainstru.User{Email: uniqueEmail("admin"), PasswordHash: hash, FullName: "Ada Admin", Role: instainstru.RoleAdmin}
	require.NoError(t, e.store.CreateUser(t.Context(), u))
	r := e.do("POST", "/api/v1/auth/login", map[string]any{"email": u.Email, "password": testPassword})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var out api.AuthResponse
	r.JSON(t, &out)
	return out.AccessToken
}

func TestAdminRecalculateAnalytics(t *testing.T) {
	e := newEnv(t)
	const path = "/api/v1/admin/analytics/recalculate"
	r := e.do("POST", path, nil)
	requireProblem(t, r, 401, "unauthorized")
	student, _ := e.register(t, "student")
	requireProblem(t, e.do("POST", path, nil, bearer(student)...), 403, "forbidden")
	instructor, _ := e.register(t, "instructor")
	requireProblem(t, e.do("POST", path, nil, bearer(instructor)...), 403, "forbidden")

	admin := adminToken(t, e)
	r = e.do("POST", path, nil, bearer(admin)...)
	require.Equal(t, 202, r.Status, "%s", r.Body)
	var out api.RecalculateDTO
	r.JSON(t, &out)
	require.NotEmpty(t, out.TaskID)

	// The task is in Redis under the returned ID: a recalculation of today in New York.
	in := asynq.NewInspectorFromRedisClient(e.rdb)
	info, err := in.GetTaskInfo(tasks.QueueLow, out.TaskID)
	require.NoError(t, err)
	require.Equal(t, tasks.TypeAnalyticsRecalc, info.Type)
	require.Equal(t, asynq.TaskStatePending, info.State)
	var p tasks.DailyPayload
	require.NoError(t, json.Unmarshal(info.Payload, &p))
	ny, _ := time.LoadLocation(tasks.AnalyticsZone)
	require.Equal(t, instainstru.DateOf(time.Now().In(ny)).String(), p.Day)

	// Each request queues its own run.
	r = e.do("POST", path, nil, bearer(admin)...)
	require.Equal(t, 202, r.Status, "%s", r.Body)
	var again api.RecalculateDTO
	r.JSON(t, &again)
	require.NotEqual(t, out.TaskID, again.TaskID)
	_, err = in.GetTaskInfo(tasks.QueueLow, again.TaskID)
	require.NoError(t, err)
}

func TestServiceAnalyticsEndpoint(t *testing.T) {
	e, d := catIsolatedEnv(t)
	// Never computed: zeros, null prices, null calculated_at.
	r := e.do("GET", "/api/v1/analytics/services/piano", nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.JSONEq(t, `{"search_count_7d":0,"search_count_30d":0,"booking_count_7d":0,"booking_count_30d":0,
		"booking_count_90d":0,"active_instructors":0,"avg_price_cents":null,"price_p25_cents":null,
		"price_p50_cents":null,"price_p75_cents":null,"demand_score":0,"is_trending":false,"calculated_at":null}`, string(r.Body))

	// An instructor offers piano; a search matches it; the job runs.
	tok, _ := e.register(t, "instructor")
	piano := catService(t, e, "piano").ID
	catCreateOffer(t, e, tok, catOfferBody(piano, 7000))
	_, err := d.Pool.Exec(t.Context(), `INSERT INTO search_events (query, matched_service_ids, created_at)
		VALUES ('piano', ARRAY[$1::uuid], now() - interval '2 days')`, piano)
	require.NoError(t, err)
	asOf := time.Now().Truncate(time.Second)
	_, err = d.Store.ComputeServiceAnalytics(t.Context(), instainstru.DateOf(asOf), asOf)
	require.NoError(t, err)

	for _, ref := range []string{"piano", piano} {
		r = e.do("GET", "/api/v1/analytics/services/"+ref, nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var a api.ServiceAnalyticsDTO
		r.JSON(t, &a)
		require.Equal(t, 1, a.SearchCount7d)
		require.Equal(t, 1, a.SearchCount30d)
		require.Equal(t, 1, a.ActiveInstructors)
		require.Equal(t, 7000, *a.AvgPriceCents)
		require.Equal(t, 7000, *a.PriceP50Cents)
		require.Equal(t, 1.0, a.DemandScore, "the only service in demand")
		require.NotNil(t, a.CalculatedAt)
		require.True(t, a.CalculatedAt.Equal(asOf))
	}
	for _, p := range []string{"no-such-service", "00000000-0000-7000-8000-000000000000", "%00"} {
		requireProblem(t, e.do("GET", "/api/v1/analytics/services/"+p, nil), 404, "not_found")
	}
}
