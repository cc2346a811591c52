package tasks_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/tasks"
)

// syncBuffer is a process's captured output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startProc runs the binary with one command and the test's environment; it is killed at the end.
func startProc(t *testing.T, bin string, env []string, command string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(bin, command)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", command, out.String())
		}
	})
	return cmd, out
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestWorkerKilledMidSendSendsOnce runs `instainstru worker` as a real process, lets it claim
// and start sending the two confirmation emails of a booking to an SMTP server that stalls in
// DATA, kills it with SIGKILL, restarts it, and starts `instainstru scheduler`, whose start-up
// sweep re-queues the emails once their claim lease has passed: each participant gets exactly one.
func TestWorkerKilledMidSendSendsOnce(t *testing.T) {
	e := newEnv(t)
	bin := filepath.Join(t.TempDir(), "instainstru")
	build := exec.Command("go", "build", "-o", bin, "../cmd/instainstru")
	build.Env = os.Environ()
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	b := e.book(e.openDay(3), 15)
	e.relay()
	require.Len(t, e.tasksOf(tasks.QueueCritical, "pending", tasks.TypeBookingEmail), 2)

	env := append(os.Environ(),
		"APP_ENV=test", "LOG_LEVEL=info",
		"DATABASE_URL="+db.URL, "DATABASE_MAX_CONNS=4",
		"REDIS_URL="+e.redisURL,
		"SMTP_HOST=127.0.0.1", fmt.Sprintf("SMTP_PORT=%d", e.smtp.Port()),
		"SMTP_TIMEOUT=8s", "MAIL_CLAIM_LEASE=14s",
	)
	e.smtp.Stall()
	worker, _ := startProc(t, bin, env, "worker")
	for i := 0; i < 2; i++ {
		select {
		case <-e.smtp.InData():
		case <-time.After(30 * time.Second):
			t.Fatal("the worker never reached DATA")
		}
	}
	require.NoError(t, worker.Process.Signal(syscall.SIGKILL))
	_, _ = worker.Process.Wait()
	killedAt := time.Now()
	e.smtp.Unstall()

	var sending int
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM notification_log WHERE booking_id = $1 AND status = 'sending'`, b.ID).Scan(&sending))
	require.Equal(t, 2, sending, "both emails were claimed before the kill")
	require.Empty(t, e.smtp.Messages())

	startProc(t, bin, env, "worker")
	// The claims protect a send that may still be running until the lease ends; then the
	// scheduler's start-up sweep re-queues them.
	time.Sleep(time.Until(killedAt.Add(15 * time.Second)))
	startProc(t, bin, env, "scheduler")
	waitFor(t, "both confirmations", 20*time.Second, func() bool { return len(e.smtp.Messages()) >= 2 })
	time.Sleep(2 * time.Second) // anything that would send twice has had time to
	require.Equal(t, 1, e.smtp.Count(emailOf(e.fx.Student), "Booking confirmed"))
	require.Equal(t, 1, e.smtp.Count(emailOf(e.fx.Instructor2), "Booking confirmed"))
	require.Len(t, e.smtp.Messages(), 2)
	var sent int
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM notification_log WHERE booking_id = $1 AND status = 'sent' AND attempts = 2`, b.ID).Scan(&sent))
	require.Equal(t, 2, sent)
}
