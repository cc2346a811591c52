// Command checkserver serves the job dashboard for scripts/dashboard-check.sh: it enqueues a few
// tasks into a named queue of a Redis DB (flushing that DB first, so use a DB of its own), mounts
// the dashboard behind Basic auth on 127.0.0.1, and, with -proxy, also serves an
// unauthenticated port that forwards to the dashboard with the Authorization header added, for
// browsers that will not send credentials taken from a URL. It prints "dashboard <url>" and, with
// -proxy, "proxy <url>", then serves until killed.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"
	"github.com/instainstru/instainstru/persistence/cache"

	"github.com/instainstru/instainstru/dashboard"
)

func main() {
	redisURL := flag.String("redis", "redis://127.0.0.1:6379/9", "Redis URL of a DB this check may flush")
	queue := flag.String("queue", "dashboard-check", "queue to enqueue the sample tasks into")
	user := flag.String("user", "admin", "dashboard user")
	pass := flag.String("password", "check-password", "dashboard password")
	proxy := flag.Bool("proxy", false, "also serve an auth-injecting reverse proxy")
	flag.Parse()
	if err := run(*redisURL, *queue, *user, *pass, *proxy); err != nil {
		fmt.Fprintln(os.Stderr, "checkserver:", err)
		os.Exit(1)
	}
}

func run(redisURL, queue, user, pass string, withProxy bool) error {
	rc, err := cache.Dial(redisURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rc.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("flush %s: %w", redisURL, err)
	}
	_ = rc.Close()

	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return err
	}
	client := asynq.NewClient(opt)
	for i := 0; i < 3; i++ {
		t := asynq.NewTask("email:booking_confirmed", []byte(fmt.Sprintf(`{"booking_id":"check-%d"}`, i)))
		if _, err := client.Enqueue(t, asynq.Queue(queue), asynq.ProcessIn(time.Hour)); err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
	}
	_ = client.Close()

	app := fiber.New(fiber.Config{Immutable: true, DisableStartupMessage: true})
	d, err := dashboard.Mount(app, dashboard.Options{Redis: opt, User: user, Password: pass, Production: true})
	if err != nil {
		return err
	}
	defer d.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + l.Addr().String()
	fmt.Println("dashboard", base+dashboard.Prefix+"/")

	if withProxy {
		target, _ := url.Parse(base)
		rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.SetBasicAuth(user, pass)
		}}
		pl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		fmt.Println("proxy", "http://"+pl.Addr().String()+dashboard.Prefix+"/")
		go func() { log.Fatal(http.Serve(pl, rp)) }()
	}
	return app.Listener(l)
}
