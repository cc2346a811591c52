package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// devJWTSecret is the development default; production refuses to start with it.
const devJWTSecret = "dev-only-insecure-jwt-secret-change-me-0123456789"

// The development credentials of the job dashboard and admin Basic auth, so /dashboard is behind
// a password even on a laptop; production has no default and refuses these.
const (
	devAdminUser     = "admin"
	devAdminPassword = "instainstru-dev"
)

// Config is every setting, read once from the environment by loadConfig. Names and defaults are
// those of DESIGN.md; .env.example lists them all.
type Config struct {
	AppEnv          string
	HTTPAddr        string
	DatabaseURL     string
	DatabaseMaxConn int
	RedisURL        string
	JWTSecret       string
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	AdminUser       string
	AdminPassword   string
	MonitoringKey   string
	CORSOrigins     []string
	TrustedProxies  []string
	// Per-client-IP budget for all of /api/v1, and for login and for registration attempts (per
	// IP and per email), per minute.
	RateLimitGeneral int
	RateLimitAuth    int

	PublicAvailabilityDays        int
	PublicAvailabilityDetailLevel string
	PublicAvailabilityShowName    bool
	PublicAvailabilityCacheTTL    time.Duration
	EmbeddingsProvider            string
	EmbeddingsURL                 string
	EmbeddingsModel               string
	EmbeddingsAPIKey              string
	SMTPHost, SMTPUser, SMTPPass  string
	SMTPPort                      int
	MailFrom                      string
	ActorIdleTimeout              time.Duration
	ActorAskTimeout               time.Duration
	AvailabilityHorizonDays       int
	LogLevel                      string
	LogFormat                     string

	// RequestTimeout is every HTTP request's deadline, down to the database and Redis.
	RequestTimeout time.Duration
	// RefreshReuseGrace is how long a spent refresh token still gets its successor again.
	RefreshReuseGrace time.Duration

	// SMTPTimeout bounds one email send; MailClaimLease is how long a claimed email is left to
	// its sender before it counts as a dead worker's and is sent again (longer than SMTPTimeout).
	// MetricsAddr is where a worker or scheduler process serves GET /metrics (unset: nowhere;
	// the API serves its own on HTTP_ADDR).
	MetricsAddr    string
	SMTPTimeout    time.Duration
	MailClaimLease time.Duration
	// AutoCompleteAfter: a confirmed lesson that ended longer ago than this is completed by the
	// daily upkeep job (until then its instructor may still mark it a no-show).
	AutoCompleteAfter time.Duration
}

// Production reports whether APP_ENV is production.
func (c *Config) Production() bool { return c.AppEnv == "production" }

type envReader struct {
	get  func(string) string
	errs []string
}

func (r *envReader) str(name, def string) string {
	if v := strings.TrimSpace(r.get(name)); v != "" {
		return v
	}
	return def
}

func (r *envReader) int(name string, def int) int {
	v := r.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q is not an integer", name, v))
		return def
	}
	return n
}

func (r *envReader) dur(name string, def time.Duration) time.Duration {
	v := r.get(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d <= 0 {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q is not a positive duration (like 300s or 5m)", name, v))
		return def
	}
	return d
}

func (r *envReader) bool(name string, def bool) bool {
	v := r.get(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q is not a boolean", name, v))
		return def
	}
	return b
}

func (r *envReader) list(name string, def []string) []string {
	v := strings.TrimSpace(r.get(name))
	if v == "" {
		return def
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// loadConfig reads the environment through get (os.Getenv in main, a map in tests) and
// validates it. Production refuses development secrets.
func loadConfig(get func(string) string) (*Config, error) {
	r := &envReader{get: get}
	c := &Config{
		AppEnv:           r.str("APP_ENV", "development"),
		HTTPAddr:         r.str("HTTP_ADDR", "127.0.0.1:8080"),
		DatabaseURL:      r.str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/instainstru?sslmode=disable"),
		DatabaseMaxConn:  r.int("DATABASE_MAX_CONNS", 20),
		RedisURL:         r.str("REDIS_URL", "redis://127.0.0.1:6379/0"),
		JWTSecret:        r.str("JWT_SECRET", devJWTSecret),
		AccessTokenTTL:   r.dur("ACCESS_TOKEN_TTL", 15*time.Minute),
		RefreshTokenTTL:  r.dur("REFRESH_TOKEN_TTL", 720*time.Hour),
		AdminUser:        r.str("ADMIN_USER", ""),
		AdminPassword:    r.str("ADMIN_PASSWORD", ""),
		MonitoringKey:    r.str("MONITORING_API_KEY", ""),
		CORSOrigins:      r.list("CORS_ORIGINS", []string{"http://localhost:3000", "http://127.0.0.1:3000"}),
		TrustedProxies:   r.list("TRUSTED_PROXIES", nil),
		RateLimitGeneral: r.int("RATE_LIMIT_GENERAL_PER_MINUTE", 300),
		RateLimitAuth:    r.int("RATE_LIMIT_AUTH_PER_MINUTE", 10),

		PublicAvailabilityDays:        r.int("PUBLIC_AVAILABILITY_DAYS", 30),
		PublicAvailabilityDetailLevel: r.str("PUBLIC_AVAILABILITY_DETAIL_LEVEL", "full"),
		PublicAvailabilityShowName:    r.bool("PUBLIC_AVAILABILITY_SHOW_INSTRUCTOR_NAME", true),
		PublicAvailabilityCacheTTL:    r.dur("PUBLIC_AVAILABILITY_CACHE_TTL", 300*time.Second),
		EmbeddingsProvider:            r.str("EMBEDDINGS_PROVIDER", "builtin"),
		EmbeddingsURL:                 r.str("EMBEDDINGS_URL", ""),
		EmbeddingsModel:               r.str("EMBEDDINGS_MODEL", ""),
		EmbeddingsAPIKey:              r.str("EMBEDDINGS_API_KEY", ""),
		SMTPHost:                      r.str("SMTP_HOST", ""),
		SMTPPort:                      r.int("SMTP_PORT", 587),
		SMTPUser:                      r.str("SMTP_USER", ""),
		SMTPPass:                      r.str("SMTP_PASSWORD", ""),
		MailFrom:                      r.str("MAIL_FROM", "InstaInstru <no-reply@instainstru.local>"),
		ActorIdleTimeout:              r.dur("ACTOR_IDLE_TIMEOUT", 5*time.Minute),
		ActorAskTimeout:               r.dur("ACTOR_ASK_TIMEOUT", 5*time.Second),
		AvailabilityHorizonDays:       r.int("AVAILABILITY_HORIZON_DAYS", 365),
		LogLevel:                      r.str("LOG_LEVEL", "info"),

		RequestTimeout:    r.dur("REQUEST_TIMEOUT", 10*time.Second),
		RefreshReuseGrace: r.dur("REFRESH_REUSE_GRACE", 10*time.Second),

		MetricsAddr:       r.str("METRICS_ADDR", ""),
		SMTPTimeout:       r.dur("SMTP_TIMEOUT", 15*time.Second),
		MailClaimLease:    r.dur("MAIL_CLAIM_LEASE", 2*time.Minute),
		AutoCompleteAfter: r.dur("AUTO_COMPLETE_AFTER", 72*time.Hour),
	}
	defFormat := "text"
	if c.Production() {
		defFormat = "json"
	}
	c.LogFormat = r.str("LOG_FORMAT", defFormat)

	switch c.AppEnv {
	case "development", "test", "production":
	default:
		r.errs = append(r.errs, fmt.Sprintf("APP_ENV=%q must be development, test or production", c.AppEnv))
	}
	if c.RateLimitGeneral < 1 || c.RateLimitAuth < 1 {
		r.errs = append(r.errs, "RATE_LIMIT_GENERAL_PER_MINUTE and RATE_LIMIT_AUTH_PER_MINUTE must be at least 1")
	}
	if c.AvailabilityHorizonDays < 1 || c.AvailabilityHorizonDays > 3660 {
		r.errs = append(r.errs, "AVAILABILITY_HORIZON_DAYS must be between 1 and 3660")
	}
	if c.PublicAvailabilityDays < 1 || c.PublicAvailabilityDays > 90 {
		r.errs = append(r.errs, "PUBLIC_AVAILABILITY_DAYS must be between 1 and 90")
	}
	switch c.PublicAvailabilityDetailLevel {
	case "full", "summary", "minimal":
	default:
		r.errs = append(r.errs, "PUBLIC_AVAILABILITY_DETAIL_LEVEL must be full, summary or minimal")
	}
	switch c.EmbeddingsProvider {
	case "builtin":
	case "openai":
		if c.EmbeddingsURL == "" || c.EmbeddingsModel == "" {
			r.errs = append(r.errs, "EMBEDDINGS_PROVIDER=openai needs EMBEDDINGS_URL and EMBEDDINGS_MODEL")
		}
	default:
		r.errs = append(r.errs, "EMBEDDINGS_PROVIDER must be builtin or openai")
	}
	if c.MailClaimLease <= c.SMTPTimeout+5*time.Second {
		r.errs = append(r.errs, "MAIL_CLAIM_LEASE must exceed SMTP_TIMEOUT by more than 5s (a live send must never be taken for a dead one)")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		r.errs = append(r.errs, "LOG_FORMAT must be text or json")
	}
	if !c.Production() && c.AdminUser == "" && c.AdminPassword == "" {
		c.AdminUser, c.AdminPassword = devAdminUser, devAdminPassword
	}
	if c.Production() {
		if c.AdminPassword == devAdminPassword {
			r.errs = append(r.errs, "production refuses the development ADMIN_PASSWORD")
		}
		if c.JWTSecret == devJWTSecret || len(c.JWTSecret) < 32 {
			r.errs = append(r.errs, "production needs JWT_SECRET set to a random value of at least 32 characters")
		}
		if c.AdminPassword != "" && len(c.AdminPassword) < 12 {
			r.errs = append(r.errs, "production needs ADMIN_PASSWORD of at least 12 characters")
		}
	}
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("configuration: %s", strings.Join(r.errs, "; "))
	}
	return c, nil
}

// mask hides a secret in logs, keeping only whether it is set.
func mask(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "****"
}

// maskURL hides the password of a connection URL.
func maskURL(raw string) string {
	i := strings.Index(raw, "://")
	at := strings.LastIndex(raw, "@")
	if i < 0 || at < 0 || at < i {
		return raw
	}
	userinfo := raw[i+3 : at]
	if j := strings.Index(userinfo, ":"); j >= 0 {
		return raw[:i+3] + userinfo[:j] + ":****" + raw[at:]
	}
	return raw
}
