package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// loadResult is what one load run measured.
type loadResult struct {
	Requests int
	Errors   int
	Elapsed  time.Duration
	P50, P99 time.Duration
}

func (r loadResult) rps() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// runLoad sends GET path to addr from conns concurrent keep-alive connections for dur (or until
// maxReq requests), loopback only, and measures throughput and latency percentiles. A non-2xx/304
// answer counts as an error.
func runLoad(ctx context.Context, addr, path string, conns int, dur time.Duration, maxReq int64) loadResult {
	client := &fasthttp.HostClient{Addr: addr, MaxConns: conns, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
	var sent atomic.Int64
	var errs atomic.Int64
	lat := make([][]time.Duration, conns)
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI("http://" + addr + path)
			mine := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil && time.Now().Before(deadline) && sent.Add(1) <= maxReq {
				t0 := time.Now()
				err := client.Do(req, resp)
				d := time.Since(t0)
				if err != nil || (resp.StatusCode() != 200 && resp.StatusCode() != 304) {
					errs.Add(1)
					continue
				}
				mine = append(mine, d)
			}
			lat[w] = mine
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := loadResult{Requests: len(all), Errors: int(errs.Load()), Elapsed: elapsed}
	if len(all) > 0 {
		r.P50 = all[len(all)*50/100]
		r.P99 = all[len(all)*99/100]
	}
	return r
}

// benchConstantPath is a bare Fiber handler returning a constant JSON body: the ceiling of the
// HTTP stack on this machine, served by the same app (same middleware chain) as the API.
const benchConstantPath = "/__bench/constant"

var benchConstantBody = []byte(`{"status":"ok","service":"instainstru","note":"constant body for the HTTP ceiling"}`)

func mountBenchConstant(app *fiber.App) {
	app.Get(benchConstantPath, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(benchConstantBody)
	})
}

// benchHTTP measures the bare handler and the given API paths, one after the other, on a
// listener of the running server, and prints a table.
func benchHTTP(ctx context.Context, ln net.Listener, paths map[string]string, conns int, dur time.Duration) error {
	addr := ln.Addr().String()
	order := []string{"bare constant handler"}
	targets := map[string]string{"bare constant handler": benchConstantPath}
	names := make([]string, 0, len(paths))
	for n := range paths {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		order = append(order, n)
		targets[n] = paths[n]
	}
	// Warm every path once (fills the cache, opens connections) before measuring.
	for _, n := range order {
		if r := runLoad(ctx, addr, targets[n], 1, time.Second, 3); r.Errors > 0 {
			return fmt.Errorf("warm-up of %s (%s) failed: check the path answers 200", n, targets[n])
		}
	}
	fmt.Printf("\nHTTP load on loopback: %d connections, %s per target\n\n", conns, dur)
	fmt.Printf("%-34s %12s %10s %10s %8s %8s\n", "target", "req/s", "p50", "p99", "errors", "vs bare")
	var bare float64
	for i, n := range order {
		r := runLoad(ctx, addr, targets[n], conns, dur, 5_000_000)
		if i == 0 {
			bare = r.rps()
		}
		fmt.Printf("%-34s %12.0f %10s %10s %8d %7.0f%%\n", n, r.rps(), r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Errors, 100*r.rps()/bare)
	}
	fmt.Println()
	return nil
}

// benchAvailability finds a demo instructor through the API itself and measures its cached
// public availability (and next-available) against the bare handler, at 64 connections.
func benchAvailability(ctx context.Context, ln net.Listener) error {
	addr := ln.Addr().String()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + addr + "/api/v1/instructors?service=piano&limit=1")
	if err := fasthttp.DoTimeout(req, resp, 5*time.Second); err != nil || resp.StatusCode() != 200 {
		return fmt.Errorf("find an instructor: %v (status %d)", err, resp.StatusCode())
	}
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(resp.Body(), &page); err != nil || len(page.Items) == 0 {
		return fmt.Errorf("no instructor offers piano: run `instainstru seed --demo` first")
	}
	id := page.Items[0].ID
	dur := 5 * time.Second
	// BENCH_CPUPROFILE=file writes a CPU profile of the whole run (server and load generator share
	// the process), for `go tool pprof`.
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	return benchHTTP(ctx, ln, map[string]string{
		"public availability (cached, 7 d)": "/api/v1/public/instructors/" + id + "/availability",
		"next-available (cached)":           "/api/v1/public/instructors/" + id + "/next-available",
	}, 64, dur)
}
