package testenv

import (
	"context"
	"fmt"
	"net"
	osexec "os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/instainstru/instainstru/persistence/cache"
)

// redisServerBin is the Redis binary outage tests start, kill, pause and restart; the shared
// development Redis cannot be used for that. scripts/dev-services.sh installs it.
const redisServerBin = "/usr/bin/redis-server"

// RedisServer is a redis-server owned by one test, on a free loopback port, without persistence,
// so the test can kill, freeze and restart it.
type RedisServer struct {
	t    testing.TB
	port int
	dir  string
	cmd  *osexec.Cmd
}

// StartRedis starts a redis-server and stops it when the test ends.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	if _, err := osexec.LookPath(redisServerBin); err != nil {
		t.Fatalf("%s is needed for outage tests (scripts/dev-services.sh installs it): %v", redisServerBin, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	p := &RedisServer{t: t, port: port, dir: t.TempDir()}
	t.Cleanup(p.Kill)
	p.Start()
	return p
}

// Addr is the server's host:port.
func (p *RedisServer) Addr() string { return fmt.Sprintf("127.0.0.1:%d", p.port) }

// Start (re)starts the server on its port and waits until it answers PING.
func (p *RedisServer) Start() {
	p.t.Helper()
	if p.cmd != nil {
		p.t.Fatal("redis-server already running")
	}
	cmd := osexec.Command(redisServerBin,
		"--port", fmt.Sprint(p.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", p.dir, "--protected-mode", "no")
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start redis-server: %v", err)
	}
	p.cmd = cmd
	c := dial(p.t, "redis://"+p.Addr()+"?max_retries=-1&dial_timeout=200ms")
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("redis-server on %s did not answer: %v", p.Addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill stops the server at once (SIGKILL works on a paused process too) and reaps it.
func (p *RedisServer) Kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// Pause freezes the server (SIGSTOP): connections stay open and calls hang, as with a stuck host.
func (p *RedisServer) Pause() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		p.t.Fatal(err)
	}
}

// Resume continues a paused server with its data intact.
func (p *RedisServer) Resume() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		p.t.Fatal(err)
	}
}

// Client returns a client with go-redis defaults (as cmd builds it), closed when the test ends.
func (p *RedisServer) Client() *cache.Client {
	c := dial(p.t, "redis://"+p.Addr())
	p.t.Cleanup(func() { _ = c.Close() })
	return c
}

// ClientAt returns a client for addr that never retries, for servers that are down, hung or about
// to die (a retry would only blur what the test measures), closed when the test ends.
func ClientAt(t testing.TB, addr string) *cache.Client {
	c := dial(t, "redis://"+addr+"?max_retries=-1")
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// dial builds a client through the cache package, the only one that knows the Redis driver.
func dial(t testing.TB, url string) *cache.Client {
	c, err := cache.Dial(url)
	if err != nil {
		t.Fatalf("redis client for %s: %v", url, err)
	}
	return c
}
