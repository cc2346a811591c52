package api_test

// The test harness: every test in this package talks to a real server over real HTTP on
// 127.0.0.1, backed by a fresh PostgreSQL database (testenv) and Redis DB number 1.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/persistence/testenv"
)

var db *testenv.DB

func TestMain(m *testing.M) { testenv.Main(m, "api", &db) }

// client is a tiny JSON client bound to one test server.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

// resp is a decoded answer.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v (failing the test on error) and returns v.
func (r *resp) JSON(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), "body: %s", r.Body)
}

// Map decodes the body as a JSON object.
func (r *resp) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// do sends method path with an optional JSON body (a []byte or string is sent raw) and headers
// given as key, value pairs.
func (c *client) do(method, path string, body any, headers ...string) *resp {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return &resp{Status: res.StatusCode, Header: res.Header, Body: data}
}

// serveForTest runs srv on 127.0.0.1:0 and stops it when the test ends.
func serveForTest(t testing.TB, serve func(net.Listener) error, shutdown func(context.Context) error) *client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { _ = serve(ln); close(done) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(ctx)
		<-done
	})
	return &client{t: t, base: "http://" + ln.Addr().String(), http: &http.Client{Timeout: 30 * time.Second}}
}
