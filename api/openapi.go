package api

import (
	_ "embed"
	"html"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
	"gopkg.in/yaml.v3"
)

// openapiYAML is the served contract, merged from api/openapi-parts by scripts/openapi-merge.py.
//
//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPISpec returns the embedded OpenAPI 3.1 document.
func OpenAPISpec() []byte { return openapiYAML }

// docsPage is rendered once from the spec: a self-contained HTML index of every operation (no
// external scripts or fonts, so it works offline and under a strict CSP).
var docsPage = renderDocs(openapiYAML)

func (s *Server) docsRoutes(app *fiber.App) {
	app.Get("/api/v1/openapi.yaml", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
		return c.Send(openapiYAML)
	})
	app.Get("/api/docs", func(c *fiber.Ctx) error {
		c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(docsPage)
	})
}

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true}

type specOp struct {
	Summary     string `yaml:"summary"`
	Description string `yaml:"description"`
	Tags        []string
	Security    []map[string]any `yaml:"security"`
}

func renderDocs(spec []byte) string {
	var doc struct {
		Info struct {
			Title       string `yaml:"title"`
			Description string `yaml:"description"`
		} `yaml:"info"`
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		return "<!doctype html><title>API</title><p>The API description could not be read.</p>"
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>` + html.EscapeString(doc.Info.Title) +
		`</title><style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}` +
		`.op{border-top:1px solid #ddd;padding:.6rem 0}.m{display:inline-block;min-width:4.5rem;font-weight:700}` +
		`code{background:#f4f4f4;padding:0 .3rem}.lock{color:#a60}</style></head><body>`)
	b.WriteString("<h1>" + html.EscapeString(doc.Info.Title) + "</h1><p>" + html.EscapeString(doc.Info.Description) +
		` The machine-readable document is at <a href="/api/v1/openapi.yaml"><code>/api/v1/openapi.yaml</code></a>.</p>`)
	for _, p := range paths {
		methods := make([]string, 0, len(doc.Paths[p]))
		for m := range doc.Paths[p] {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			var op specOp
			node := doc.Paths[p][m]
			if !httpMethods[m] || node.Decode(&op) != nil {
				continue // path-level keys such as parameters
			}
			lock := ""
			if len(op.Security) > 0 {
				lock = ` <span class="lock">(auth)</span>`
			}
			b.WriteString(`<div class="op"><span class="m">` + strings.ToUpper(html.EscapeString(m)) + `</span><code>` +
				html.EscapeString(p) + `</code>` + lock + `<div>` + html.EscapeString(op.Summary) + `</div>`)
			if op.Description != "" {
				b.WriteString(`<div><small>` + html.EscapeString(op.Description) + `</small></div>`)
			}
			b.WriteString(`</div>`)
		}
	}
	b.WriteString("</body></html>")
	return b.String()
}
