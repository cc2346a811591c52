package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigDefaults(t *testing.T) {
	c, err := loadConfig(envOf(nil))
	require.NoError(t, err)
	require.Equal(t, "development", c.AppEnv)
	require.Equal(t, "127.0.0.1:8080", c.HTTPAddr)
	require.Equal(t, 15*time.Minute, c.AccessTokenTTL)
	require.Equal(t, 720*time.Hour, c.RefreshTokenTTL)
	require.Equal(t, 30, c.PublicAvailabilityDays)
	require.Equal(t, "full", c.PublicAvailabilityDetailLevel)
	require.True(t, c.PublicAvailabilityShowName)
	require.Equal(t, 300*time.Second, c.PublicAvailabilityCacheTTL)
	require.Equal(t, 5*time.Minute, c.ActorIdleTimeout)
	require.Equal(t, 5*time.Second, c.ActorAskTimeout)
	require.Equal(t, "text", c.LogFormat)
	require.Equal(t, 300, c.RateLimitGeneral)
	require.Equal(t, 10, c.RateLimitAuth)
	require.Equal(t, 10*time.Second, c.RequestTimeout)
	require.Equal(t, 10*time.Second, c.RefreshReuseGrace)
	c, err = loadConfig(envOf(map[string]string{"REQUEST_TIMEOUT": "3s", "REFRESH_REUSE_GRACE": "30s"}))
	require.NoError(t, err)
	require.Equal(t, 3*time.Second, c.RequestTimeout)
	require.Equal(t, 30*time.Second, c.RefreshReuseGrace)
}

func TestConfigProductionRefusesDefaultSecrets(t *testing.T) {
	_, err := loadConfig(envOf(map[string]string{"APP_ENV": "production"}))
	require.ErrorContains(t, err, "JWT_SECRET")
	c, err := loadConfig(envOf(map[string]string{"APP_ENV": "production", "JWT_SECRET": "0123456789abcdef0123456789abcdef-prod"}))
	require.NoError(t, err)
	require.Equal(t, "json", c.LogFormat)
}

func TestConfigRejectsBadValues(t *testing.T) {
	for k, v := range map[string]string{
		"ACCESS_TOKEN_TTL":                 "soon",
		"PUBLIC_AVAILABILITY_DAYS":         "365",
		"PUBLIC_AVAILABILITY_DETAIL_LEVEL": "everything",
		"PUBLIC_AVAILABILITY_CACHE_TTL":    "-5s",
		"EMBEDDINGS_PROVIDER":              "magic",
		"APP_ENV":                          "staging-ish",
		"LOG_FORMAT":                       "xml",
		"DATABASE_MAX_CONNS":               "many",
		"RATE_LIMIT_AUTH_PER_MINUTE":       "0",
		"REQUEST_TIMEOUT":                  "0s",
		"REFRESH_REUSE_GRACE":              "a while",
	} {
		_, err := loadConfig(envOf(map[string]string{k: v}))
		require.ErrorContains(t, err, k, "%s=%s", k, v)
	}
}

func TestMaskURL(t *testing.T) {
	require.Equal(t, "postgres://u:****@h/db", maskURL("postgres://u:secret@h/db"))
	require.Equal(t, "redis://127.0.0.1:6379/0", maskURL("redis://127.0.0.1:6379/0"))
}

func TestConfigAutoCompleteAfter(t *testing.T) {
	c, err := loadConfig(envOf(nil))
	require.NoError(t, err)
	require.Equal(t, 72*time.Hour, c.AutoCompleteAfter)
	c, err = loadConfig(envOf(map[string]string{"AUTO_COMPLETE_AFTER": "48h"}))
	require.NoError(t, err)
	require.Equal(t, 48*time.Hour, c.AutoCompleteAfter)
	_, err = loadConfig(envOf(map[string]string{"AUTO_COMPLETE_AFTER": "-1h"}))
	require.Error(t, err)
}

// The dashboard is behind a password in every environment: development has a default one,
// production none (and refuses the development one).
func TestAdminCredentialDefaults(t *testing.T) {
	dev, err := loadConfig(func(string) string { return "" })
	require.NoError(t, err)
	require.Equal(t, devAdminUser, dev.AdminUser)
	require.Equal(t, devAdminPassword, dev.AdminPassword)

	prod := map[string]string{"APP_ENV": "production", "JWT_SECRET": strings.Repeat("s", 40)}
	c, err := loadConfig(func(k string) string { return prod[k] })
	require.NoError(t, err)
	require.Empty(t, c.AdminUser+c.AdminPassword, "production has no default: the dashboard is not mounted")
	prod["ADMIN_USER"], prod["ADMIN_PASSWORD"] = "ops", devAdminPassword
	_, err = loadConfig(func(k string) string { return prod[k] })
	require.ErrorContains(t, err, "development ADMIN_PASSWORD")
}
