// Package dashboard mounts asynqmon, the job queue dashboard (queues, tasks, retries, servers,
// scheduler entries), under /dashboard on a Fiber app, behind HTTP Basic auth.
//
// asynqmon is a net/http handler with its UI embedded in the binary. It routes on the full
// request path, so its RootPath must equal the mount prefix and the prefix must reach it
// unstripped: the handler is mounted with Fiber's adaptor on "/dashboard" and "/dashboard/*",
// never through a group or a Mount that would cut the prefix off.
//
// Access (ADMIN_USER / ADMIN_PASSWORD):
//   - both set: every request needs those credentials (HTTP Basic; both compared in constant
//     time); anything else is 401 with a WWW-Authenticate challenge, so a browser asks for them;
//   - both unset in production: the dashboard is not mounted at all (Mount returns nil, nil), so
//     /dashboard is the app's ordinary 404 and nothing about the queues is exposed;
//   - both unset in development: mounted without auth, for a developer's own machine (the
//     default HTTP_ADDR listens on loopback only); Mount logs a warning;
//   - one set without the other: a configuration error.
//
// In production the dashboard is read-only (asynqmon's ReadOnly: every API call but GET is
// refused), so the dashboard cannot delete, run or archive tasks there; operators change queues
// through the worker's own tools.
package dashboard

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// Prefix is where the dashboard lives; asynqmon's RootPath is set to it.
const Prefix = "/dashboard"

// realm is sent in the Basic challenge.
const realm = `Basic realm="InstaInstru dashboard", charset="UTF-8"`

// Options configures Mount.
type Options struct {
	// Redis is the job queue's Redis (asynq.RedisClientOpt, or asynq.ParseRedisURI(REDIS_URL)).
	Redis asynq.RedisConnOpt
	// User and Password are ADMIN_USER and ADMIN_PASSWORD.
	User, Password string
	// Production (APP_ENV=production) forces read-only mode and refuses to mount without
	// credentials.
	Production bool
	// ReadOnly restricts the dashboard to viewing outside production too.
	ReadOnly bool
	// Log receives the warnings of Mount; slog.Default() when nil.
	Log *slog.Logger
}

// Dashboard is a mounted dashboard. It holds Redis connections: Close them on shutdown.
type Dashboard struct {
	h        *asynqmon.HTTPHandler
	readOnly bool
	auth     bool
}

// ReadOnly reports whether the dashboard refuses changes.
func (d *Dashboard) ReadOnly() bool { return d != nil && d.readOnly }

// Authenticated reports whether the dashboard requires credentials.
func (d *Dashboard) Authenticated() bool { return d != nil && d.auth }

// Close releases the dashboard's Redis connections. It is safe on a nil Dashboard (not mounted).
func (d *Dashboard) Close() error {
	if d == nil {
		return nil
	}
	return d.h.Close()
}

// Mount adds the dashboard's routes to app under Prefix. It returns nil, nil when the dashboard
// is deliberately not mounted (production without credentials), and an error when the options
// are inconsistent.
func Mount(app *fiber.App, opts Options) (*Dashboard, error) {
	if opts.Redis == nil {
		return nil, errors.New("dashboard: Redis connection options are required")
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	hasUser, hasPass := opts.User != "", opts.Password != ""
	if hasUser != hasPass {
		return nil, errors.New("dashboard: set both ADMIN_USER and ADMIN_PASSWORD, or neither")
	}
	if !hasUser && opts.Production {
		log.Warn("job dashboard disabled: ADMIN_USER and ADMIN_PASSWORD are unset in production")
		return nil, nil
	}
	d := &Dashboard{readOnly: opts.ReadOnly || opts.Production, auth: hasUser}
	d.h = asynqmon.New(asynqmon.Options{
		RootPath:     Prefix,
		RedisConnOpt: opts.Redis,
		ReadOnly:     d.readOnly,
	})
	handler := adaptor.HTTPHandler(jsonAPI(d.h))
	guard := func(c *fiber.Ctx) error { return c.Next() }
	if hasUser {
		guard = basicAuth(opts.User, opts.Password)
	} else {
		log.Warn("job dashboard mounted WITHOUT authentication (development, ADMIN_USER unset)", "path", Prefix+"/")
	}
	app.All(Prefix, guard, handler)
	app.All(Prefix+"/*", guard, handler)
	return d, nil
}

// jsonAPI labels asynqmon's API answers as JSON: its handlers write JSON without a
// Content-Type, which net/http then sniffs as text/plain. Errors still override it (http.Error
// sets text/plain itself).
func jsonAPI(h http.Handler) http.Handler {
	api := Prefix + "/api/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, api) {
			w.Header().Set("Content-Type", "application/json")
		}
		h.ServeHTTP(w, r)
	})
}

// basicAuth admits requests carrying user:password. Both halves are hashed and compared in
// constant time, and both comparisons always run, so the timing tells nothing about which half
// (or how much of it) was right.
func basicAuth(user, password string) fiber.Handler {
	wantUser, wantPass := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	return func(c *fiber.Ctx) error {
		u, p, ok := parseBasic(c.Get(fiber.HeaderAuthorization))
		gotUser, gotPass := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
		passOK := subtle.ConstantTimeCompare(gotPass[:], wantPass[:])
		if !ok || userOK&passOK != 1 {
			c.Set(fiber.HeaderWWWAuthenticate, realm)
			c.Set(fiber.HeaderCacheControl, "no-store")
			return c.Status(fiber.StatusUnauthorized).SendString("401 Unauthorized: the job dashboard needs the admin credentials\n")
		}
		return c.Next()
	}
}

// parseBasic decodes an "Authorization: Basic ..." value (scheme case-insensitive, RFC 7617).
func parseBasic(h string) (user, password string, ok bool) {
	scheme, enc, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}
