package api_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/instainstru/instainstru/api"
)

var fiberParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// TestEveryRouteIsInTheSpec fails when a registered route is missing from api/openapi.yaml (or
// the spec lists an operation no route serves).
func TestEveryRouteIsInTheSpec(t *testing.T) {
	// Every optional route on, as in a full deployment.
	e := newEnv(t, func(_ *api.Config, d *api.Deps) { d.MonitoringKey = "spec-test" })
	var spec struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(api.OpenAPISpec(), &spec))
	require.Equal(t, "3.1.0", spec.OpenAPI)

	served := map[string]bool{}
	for _, r := range e.srv.App().GetRoutes(true) {
		if r.Method == "HEAD" || r.Method == "OPTIONS" || r.Method == "USE" || r.Path == "/" {
			continue
		}
		if !strings.HasPrefix(r.Path, "/api/") && r.Path != "/healthz" && r.Path != "/readyz" && r.Path != "/metrics" {
			continue
		}
		p := strings.TrimSuffix(fiberParam.ReplaceAllString(r.Path, "{$1}"), "/")
		key := strings.ToLower(r.Method) + " " + p
		served[key] = true
		ops, ok := spec.Paths[p]
		require.True(t, ok, "route %s %s is not in api/openapi.yaml", r.Method, p)
		_, ok = ops[strings.ToLower(r.Method)]
		require.True(t, ok, "route %s %s is not in api/openapi.yaml", r.Method, p)
	}
	for p, ops := range spec.Paths {
		for m := range ops {
			if m == "parameters" || m == "summary" || m == "description" {
				continue
			}
			require.True(t, served[m+" "+p], "api/openapi.yaml lists %s %s but no route serves it", strings.ToUpper(m), p)
		}
	}
}

func TestSpecAndDocsAreServed(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/openapi.yaml", nil)
	require.Equal(t, 200, r.Status)
	require.Contains(t, string(r.Body), "openapi: 3.1.0")
	r = e.do("GET", "/api/docs", nil)
	require.Equal(t, 200, r.Status)
	require.Contains(t, string(r.Body), "/api/v1/bookings/{id}/reschedule")
}

// TestSpecIsMergedFromParts fails when api/openapi-parts/*.yaml was edited without running
// scripts/openapi-merge.py: every operation of every part must be in the served document, with
// the same summary.
func TestSpecIsMergedFromParts(t *testing.T) {
	type op struct {
		Summary string `yaml:"summary"`
	}
	var served struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(api.OpenAPISpec(), &served))
	parts, err := filepath.Glob("openapi-parts/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, parts)
	for _, file := range parts {
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		var part struct {
			Paths map[string]map[string]yaml.Node `yaml:"paths"`
		}
		require.NoError(t, yaml.Unmarshal(raw, &part), file)
		for p, ops := range part.Paths {
			full := p
			if !strings.HasPrefix(p, "/api/") && p != "/healthz" && p != "/readyz" && p != "/metrics" {
				full = "/api/v1" + p
			}
			for m, node := range ops {
				if m == "parameters" {
					continue
				}
				got, ok := served.Paths[full][m]
				require.True(t, ok, "%s: %s %s is not in api/openapi.yaml: run python3 scripts/openapi-merge.py", file, m, full)
				var want, have op
				require.NoError(t, node.Decode(&want))
				require.NoError(t, got.Decode(&have))
				require.Equal(t, want.Summary, have.Summary, "%s: %s %s differs: run python3 scripts/openapi-merge.py", file, m, full)
			}
		}
	}
}
