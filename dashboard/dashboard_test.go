package dashboard

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/persistence/testenv"
)

// redisDB is this package's Redis DB number (house rule: one per package).
const redisDB = 9

// redisOpt flushes the package's Redis DB and returns asynq options for it.
func redisOpt(t *testing.T) asynq.RedisConnOpt {
	t.Helper()
	_, url := testenv.Redis(t, redisDB)
	opt, err := asynq.ParseRedisURI(url)
	require.NoError(t, err)
	return opt
}

// serve mounts the dashboard on a real Fiber app listening on 127.0.0.1 and returns its base URL.
func serve(t *testing.T, opts Options) (string, *Dashboard) {
	t.Helper()
	app := fiber.New(fiber.Config{Immutable: true, DisableStartupMessage: true})
	d, err := Mount(app, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = app.Listener(l) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + l.Addr().String(), d
}

type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url string, auth ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	switch len(auth) {
	case 1:
		req.Header.Set("Authorization", auth[0])
	case 2:
		req.SetBasicAuth(auth[0], auth[1])
	}
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return reply{res.StatusCode, res.Header, string(b)}
}

func enqueue(t *testing.T, opt asynq.RedisConnOpt, queue, taskType string) {
	t.Helper()
	c := asynq.NewClient(opt)
	defer c.Close()
	_, err := c.Enqueue(asynq.NewTask(taskType, []byte(`{"booking_id":"x"}`)), asynq.Queue(queue), asynq.ProcessIn(time.Hour))
	require.NoError(t, err)
}

func TestBasicAuth(t *testing.T) {
	base, d := serve(t, Options{Redis: redisOpt(t), User: "admin", Password: "correct horse"})
	require.True(t, d.Authenticated())
	require.False(t, d.ReadOnly())

	for name, auth := range map[string][]string{
		"no credentials":     nil,
		"wrong password":     {"admin", "correct horse!"},
		"wrong user":         {"Admin", "correct horse"},
		"empty password":     {"admin", ""},
		"password as user":   {"correct horse", "admin"},
		"other scheme":       {"Bearer YWRtaW46Y29ycmVjdCBob3JzZQ=="},
		"not base64":         {"Basic !!!"},
		"no colon":           {"Basic YWRtaW4="},
		"prefix of the pair": {"admin", "correct"},
	} {
		for _, path := range []string{"/dashboard/", "/dashboard", "/dashboard/api/queues", "/dashboard/static/js/main.5adda2da.chunk.js"} {
			r := do(t, "GET", base+path, auth...)
			require.Equal(t, 401, r.status, "%s %s", name, path)
			require.Equal(t, `Basic realm="InstaInstru dashboard", charset="UTF-8"`, r.header.Get("WWW-Authenticate"), name)
			require.NotContains(t, r.body, "Asynq", name)
		}
	}

	r := do(t, "GET", base+"/dashboard/", "admin", "correct horse")
	require.Equal(t, 200, r.status)
	require.Contains(t, r.header.Get("Content-Type"), "text/html")
	require.Contains(t, r.body, "<title>Asynq - Monitoring</title>")
	require.Contains(t, r.body, `window.FLAG_ROOT_PATH="\/dashboard"`, "RootPath equals the mount prefix (JS-escaped)")
	require.Contains(t, r.body, `window.FLAG_READ_ONLY="false"`)
	// The scheme is case-insensitive (RFC 7617).
	r = do(t, "GET", base+"/dashboard/", "basic YWRtaW46Y29ycmVjdCBob3JzZQ==")
	require.Equal(t, 200, r.status)

	// The UI's own assets load from under the prefix, so the prefix reached asynqmon intact.
	scripts := regexp.MustCompile(`<script src="(/dashboard/static/js/[^"]+)"`).FindAllStringSubmatch(r.body, -1)
	require.NotEmpty(t, scripts)
	for _, s := range scripts {
		a := do(t, "GET", base+s[1], "admin", "correct horse")
		require.Equal(t, 200, a.status, s[1])
		require.Contains(t, a.header.Get("Content-Type"), "javascript", s[1])
		require.Greater(t, len(a.body), 1000, s[1])
	}
	// Outside the prefix nothing is served.
	require.Equal(t, 404, do(t, "GET", base+"/dashboardx/", "admin", "correct horse").status)
}

func TestQueuesAPIListsEnqueuedQueue(t *testing.T) {
	opt := redisOpt(t)
	base, _ := serve(t, Options{Redis: opt, User: "admin", Password: "pw"})

	r := do(t, "GET", base+"/dashboard/api/queues", "admin", "pw")
	require.Equal(t, 200, r.status)
	var empty struct {
		Queues []map[string]any `json:"queues"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &empty))
	require.Empty(t, empty.Queues)

	enqueue(t, opt, "mail-dashboard-test", "email:booking_confirmed")
	enqueue(t, opt, "mail-dashboard-test", "email:booking_confirmed")
	enqueue(t, opt, "reminders-dashboard-test", "booking:reminder")

	r = do(t, "GET", base+"/dashboard/api/queues", "admin", "pw")
	require.Equal(t, 200, r.status)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	var got struct {
		Queues []struct {
			Queue     string `json:"queue"`
			Size      int    `json:"size"`
			Scheduled int    `json:"scheduled"`
			Paused    bool   `json:"paused"`
		} `json:"queues"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &got), r.body)
	sizes := map[string][2]int{}
	for _, q := range got.Queues {
		sizes[q.Queue] = [2]int{q.Size, q.Scheduled}
	}
	require.Equal(t, map[string][2]int{"mail-dashboard-test": {2, 2}, "reminders-dashboard-test": {1, 1}}, sizes)
}

func TestReadOnlyInProduction(t *testing.T) {
	opt := redisOpt(t)
	enqueue(t, opt, "ro-test", "email:booking_cancelled")
	insp := asynq.NewInspector(opt)
	defer insp.Close()

	// Production: viewing works, changes are refused and nothing changes.
	base, d := serve(t, Options{Redis: opt, User: "admin", Password: "pw", Production: true})
	require.True(t, d.ReadOnly())
	r := do(t, "GET", base+"/dashboard/", "admin", "pw")
	require.Equal(t, 200, r.status)
	require.Contains(t, r.body, `window.FLAG_READ_ONLY="true"`)
	require.Equal(t, 200, do(t, "GET", base+"/dashboard/api/queues/ro-test", "admin", "pw").status)
	r = do(t, "POST", base+"/dashboard/api/queues/ro-test:pause", "admin", "pw")
	require.Equal(t, 405, r.status, r.body)
	r = do(t, "DELETE", base+"/dashboard/api/queues/ro-test/scheduled_tasks:delete_all", "admin", "pw")
	require.Equal(t, 405, r.status, r.body)
	info, err := insp.GetQueueInfo("ro-test")
	require.NoError(t, err)
	require.False(t, info.Paused)
	require.Equal(t, 1, info.Scheduled)

	// Development: the same request pauses the queue.
	base, d = serve(t, Options{Redis: opt, User: "admin", Password: "pw"})
	require.False(t, d.ReadOnly())
	r = do(t, "POST", base+"/dashboard/api/queues/ro-test:pause", "admin", "pw")
	require.Equal(t, 204, r.status, r.body)
	info, err = insp.GetQueueInfo("ro-test")
	require.NoError(t, err)
	require.True(t, info.Paused)
	require.Equal(t, 401, do(t, "POST", base+"/dashboard/api/queues/ro-test:resume").status, "writes need credentials too")
}

func TestWithoutCredentials(t *testing.T) {
	opt := redisOpt(t)

	// Production without credentials: not mounted at all.
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	d, err := Mount(app, Options{Redis: opt, Production: true})
	require.NoError(t, err)
	require.Nil(t, d)
	require.NoError(t, d.Close(), "Close is safe on a dashboard that was not mounted")
	res, err := app.Test(httpReq(t, "/dashboard/"))
	require.NoError(t, err)
	require.Equal(t, 404, res.StatusCode)

	// Development without credentials: open, for a developer's own machine.
	base, d := serve(t, Options{Redis: opt})
	require.False(t, d.Authenticated())
	r := do(t, "GET", base+"/dashboard/")
	require.Equal(t, 200, r.status)
	require.Contains(t, r.body, "Asynq - Monitoring")

	// Half a configuration, or no Redis, is an error.
	_, err = Mount(fiber.New(), Options{Redis: opt, User: "admin"})
	require.ErrorContains(t, err, "ADMIN_PASSWORD")
	_, err = Mount(fiber.New(), Options{Redis: opt, Password: "pw", Production: true})
	require.ErrorContains(t, err, "ADMIN_USER")
	_, err = Mount(fiber.New(), Options{User: "a", Password: "b"})
	require.ErrorContains(t, err, "Redis")
}

func httpReq(t *testing.T, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", "http://dashboard.test"+path, strings.NewReader(""))
	require.NoError(t, err)
	return req
}
