package api

import (
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/instainstru/instainstru/metrics"
)

// BenchmarkMetricsMiddleware measures what recording a request in the Prometheus metrics costs
// on the server side, on the cheapest request there is (a constant body from a parameterized
// route), where the relative cost is the largest. "handler/*" calls app.Handler() directly (the
// server's own work, no network and no client: the strictest ratio); "loopback/*" sends real
// keep-alive HTTP requests over 127.0.0.1 (what a request costs in production, minus the network).
//
//	go test -run '^$' -bench MetricsMiddleware -benchtime 2s -cpu 1 ./api
//
// "without" is the access log middleware as it was before metrics (time the request, read the
// status, skip the disabled log line); "with" is the real accessLog (in-flight gauge, route
// series lookup, counter and histogram). Besides wall time per request it reports the process's
// CPU time per request (cpu-ns/op), which other load on a shared machine disturbs far less.
func BenchmarkMetricsMiddleware(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	body := []byte(`{"status":"ok"}`)
	variants := []struct {
		name string
		mw   func(app *fiber.App) fiber.Handler
	}{
		{"without", func(*fiber.App) fiber.Handler {
			return func(c *fiber.Ctx) error {
				start := time.Now()
				err := c.Next()
				status := c.Response().StatusCode()
				dur := time.Since(start)
				if log.Enabled(c.UserContext(), slog.LevelInfo) {
					log.Info("http", "status", status, "dur", dur)
				}
				return err
			}
		}},
		{"with", func(app *fiber.App) fiber.Handler {
			set := metrics.New()
			return accessLog(log, newRequestStats(newHTTPMetrics(app, set.HTTP)), set.HTTP.InFlight)
		}},
	}
	newApp := func(mw func(*fiber.App) fiber.Handler) *fiber.App {
		app := fiber.New(fiber.Config{Immutable: true, DisableStartupMessage: true, ErrorHandler: errorHandler(log, metrics.New().HTTP.Problems)})
		app.Use(requestIDMiddleware())
		app.Use(mw(app))
		app.Get("/api/v1/bench/:id", func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			return c.Send(body)
		})
		return app
	}
	const path = "/api/v1/bench/0190a0b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"
	// handler: the server's own work only (app.Handler() on a prepared request).
	for _, v := range variants {
		b.Run("handler/"+v.name, func(b *testing.B) {
			h := newApp(v.mw).Handler()
			b.ReportAllocs()
			cpu0 := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var req fasthttp.Request
				req.Header.SetMethod("GET")
				req.SetRequestURI(path)
				var ctx fasthttp.RequestCtx
				ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
				for pb.Next() {
					h(&ctx)
					if ctx.Response.StatusCode() != 200 {
						b.Fatalf("status %d", ctx.Response.StatusCode())
					}
					ctx.Response.Reset()
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
	// loopback: a real keep-alive HTTP request on 127.0.0.1 (client in the same process, as in
	// `instainstru bench-http`), which is what a request costs in production minus the network.
	for _, v := range variants {
		b.Run("loopback/"+v.name, func(b *testing.B) {
			app := newApp(v.mw)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go func() { _ = app.Listener(ln) }()
			defer func() { _ = app.Shutdown() }()
			client := &fasthttp.HostClient{Addr: ln.Addr().String(), MaxConns: 64}
			b.SetParallelism(8)
			cpu0 := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(resp)
				req.SetRequestURI("http://" + ln.Addr().String() + path)
				for pb.Next() {
					if err := client.Do(req, resp); err != nil || resp.StatusCode() != 200 {
						b.Fatalf("status %d, %v", resp.StatusCode(), err)
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the CPU time (user + system) this process has used, in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
