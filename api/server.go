// Package api is InstaInstru's HTTP edge: a Fiber server with thin handlers (parse, one service
// call, DTO), request/response structs of its own so domain types never leak internal fields,
// auth and rate-limit middleware, and one error funnel that answers every error as RFC 9457
// problem+json with the stable code of API.md.
package api

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/metrics"
)

// Config is the HTTP edge's configuration; cmd fills it from the environment.
type Config struct {
	Production     bool
	CORSOrigins    []string // exact origins allowed to call the API from a browser
	TrustedProxies []string // proxies whose X-Forwarded-For is believed; empty: use the peer address
	BodyLimit      int
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	// RequestTimeout (REQUEST_TIMEOUT) is every request's deadline: it becomes the context the
	// handlers hand to stores, caches and actors, so a stalled database or Redis ends the request
	// in 503 with Retry-After (and pgx cancels the query) instead of holding a connection forever.
	RequestTimeout time.Duration
	// RateLimit bounds request rates per client IP (and per email on login and register).
	RateLimit RateLimitConfig
}

// DefaultRequestTimeout is REQUEST_TIMEOUT's default.
const DefaultRequestTimeout = 10 * time.Second

// DefaultConfig is the development configuration.
func DefaultConfig() Config {
	return Config{
		CORSOrigins:    []string{"http://localhost:3000", "http://127.0.0.1:3000"},
		BodyLimit:      1 << 20,
		ReadTimeout:    10 * time.Second,
		WriteTimeout:   15 * time.Second,
		IdleTimeout:    60 * time.Second,
		RequestTimeout: DefaultRequestTimeout,
		RateLimit:      DefaultRateLimitConfig(),
	}
}

// Health is what readiness needs to know.
type Health interface {
	Ping(ctx context.Context) error
	SchemaVersion(ctx context.Context) (int64, error)
}

// Deps are the services the handlers call. Nil members leave their routes unregistered, so a
// partial wiring (tests of one area) still builds a working server.
type Deps struct {
	Log             *slog.Logger
	Health          Health
	LatestMigration int64
	RedisPing       func(ctx context.Context) error
	// Cluster reports the actor cluster for /readyz; nil (or a nil answer) means one node.
	Cluster func() *ClusterInfo
	Catalog instainstru.CatalogReader
	// Users and Tokens enable /auth; Accounts enables /account; Auth signs and checks tokens.
	Users    instainstru.UserStore
	Tokens   instainstru.TokenStore
	Accounts instainstru.AccountStore
	Auth     AuthConfig
	// RateLimits is the shared (Redis) counter store; nil limits per process only.
	RateLimits instainstru.RateLimitStore
	// Instructors enables /instructors (the "me" routes also need Tokens); Offers enables
	// /instructors/me/services.
	Instructors instainstru.InstructorStore
	Offers      instainstru.OfferStore
	// Bookings (writes, through the instructor actors) and BookingReader (reads) enable /bookings.
	Bookings      instainstru.BookingService
	BookingReader instainstru.BookingReader
	// MonitoringKey enables GET /monitoring/stats (MONITORING_API_KEY); StatsSources are the
	// named counters it reports besides request figures (cache, actors...).
	MonitoringKey string
	StatsSources  map[string]func() any
	// Availability (writes through the instructor actors) enables the instructor's own
	// /instructors/me/availability and /instructors/me/blackout-dates routes (with Tokens).
	Availability instainstru.AvailabilityService
	// Public enables /public/instructors/{id}/availability and /next-available (no auth), shaped
	// by PublicAvailability (zero value: the defaults).
	Public             instainstru.PublicAvailabilityReader
	PublicAvailability PublicAvailabilityConfig
	// Now is the business clock: what is past, upcoming or bookable (default time.Now). Request
	// deadlines, token expiry and rate windows use real time whatever it says.
	Now func() time.Time
	// Search enables GET /search/instructors (natural-language search, public, optional auth).
	Search Searcher
	// AnalyticsQueue enables POST /admin/analytics/recalculate (admin accounts, with Tokens);
	// GET /analytics/services/{id} comes with Catalog.
	AnalyticsQueue AnalyticsQueue
	// Metrics is the process's metrics Set, served at GET /metrics and read by
	// /monitoring/stats; nil gives the server a Set of its own.
	Metrics *metrics.Set
}

// Server is the HTTP API.
type Server struct {
	app  *fiber.App
	cfg  Config
	deps Deps
	log  *slog.Logger
	// limiter counts request rates (general per IP, and per IP and email on credentials).
	limiter *rateLimiter
	// publicMemo remembers rendered public availability answers (see renderMemo).
	publicMemo renderMemo
	// metrics is deps.Metrics (or the server's own Set); stats records every request in its
	// HTTP metrics and keeps the slow ones for GET /monitoring/stats.
	metrics *metrics.Set
	stats   *requestStats
}

// New builds the server and registers every route whose dependencies are present.
func New(cfg Config, deps Deps) *Server {
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Metrics == nil {
		deps.Metrics = metrics.New()
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = 1 << 20
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	fcfg := fiber.Config{
		// Request strings are handed to actors and caches that outlive the handler: Immutable
		// makes Fiber copy them instead of reusing its buffers under them.
		Immutable:             true,
		BodyLimit:             cfg.BodyLimit,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		DisableStartupMessage: true,
		AppName:               "instainstru",
		ErrorHandler:          errorHandler(deps.Log, deps.Metrics.HTTP.Problems),
	}
	if len(cfg.TrustedProxies) > 0 {
		fcfg.EnableTrustedProxyCheck = true
		fcfg.TrustedProxies = cfg.TrustedProxies
		fcfg.ProxyHeader = fiber.HeaderXForwardedFor
	}
	s := &Server{app: fiber.New(fcfg), cfg: cfg, deps: deps, log: deps.Log, metrics: deps.Metrics}
	s.stats = newRequestStats(newHTTPMetrics(s.app, deps.Metrics.HTTP))
	s.routes()
	return s
}

// App exposes the Fiber app (tests use app.Test; cmd mounts the dashboard).
func (s *Server) App() *fiber.App { return s.app }

func (s *Server) routes() {
	app := s.app
	app.Use(requestIDMiddleware())
	app.Use(accessLog(s.log, s.stats, s.metrics.HTTP.InFlight))
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		s.log.Error("panic in handler", "request_id", requestID(c), "panic", e)
	}}))
	// Before anything that may wait (rate-limit store, session check, handlers).
	app.Use(requestDeadline(s.cfg.RequestTimeout))
	app.Use(cors.New(cors.Config{
		AllowOrigins:  joinOrigins(s.cfg.CORSOrigins),
		AllowMethods:  "GET,POST,PUT,PATCH,DELETE,OPTIONS",
		AllowHeaders:  "Authorization,Content-Type,Idempotency-Key,X-Request-ID,X-Timezone,If-None-Match",
		ExposeHeaders: "X-Request-ID,Retry-After,ETag",
		MaxAge:        600,
	}))

	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	s.metricsRoute(app)
	s.docsRoutes(app)

	v1 := app.Group("/api/v1", securityHeaders(s.cfg.Production))
	s.limiter = newRateLimiter(s.cfg.RateLimit, s.deps.RateLimits, s.log, s.cfg.TrustedProxies)
	v1.Use(s.limiter.perIP(generalScope, s.cfg.RateLimit.GeneralPerWindow))
	if s.deps.Users != nil && s.deps.Tokens != nil {
		s.authRoutes(v1)
	}
	if s.deps.Accounts != nil && s.deps.Tokens != nil {
		s.accountRoutes(v1)
	}
	if s.deps.Catalog != nil {
		s.catalogRoutes(v1)
	}
	if s.deps.Bookings != nil && s.deps.BookingReader != nil && s.deps.Tokens != nil {
		s.bookingRoutes(v1)
	}
	if s.deps.MonitoringKey != "" {
		s.monitoringRoutes(v1)
	}
	if s.deps.Availability != nil && s.deps.Tokens != nil {
		s.availabilityRoutes(v1)
	}
	if s.deps.Instructors != nil {
		s.instructorRoutes(v1)
	}
	if s.deps.Public != nil {
		s.publicRoutes(v1)
	}
	if s.deps.Search != nil {
		s.searchRoutes(v1)
	}
	s.analyticsRoutes(v1)
}

func joinOrigins(origins []string) string {
	out := ""
	for i, o := range origins {
		if i > 0 {
			out += ","
		}
		out += o
	}
	return out
}

// Listen binds addr and serves until Shutdown.
func (s *Server) Listen(addr string) error { return s.app.Listen(addr) }

// Serve serves on an existing listener (tests bind 127.0.0.1:0).
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for in-flight requests, up to ctx's deadline.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.app.ShutdownWithContext(ctx)
	if s.limiter != nil {
		s.limiter.close()
	}
	return err
}
