package mail

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
)

// received is one message as the test SMTP server saw it.
type received struct {
	from     string
	to       []string
	data     []byte
	tls      bool
	authUser string
}

// testBackend is a real SMTP server's backend (go-smtp): it accepts PLAIN auth for one user and
// hands every message to the test. With stallData set, DATA never completes until the test ends.
type testBackend struct {
	user, pass string
	got        chan received
	stallData  chan struct{}
	authTried  sync.Map // usernames that attempted AUTH
}

func (be *testBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &testSession{be: be, conn: c}, nil
}

type testSession struct {
	be   *testBackend
	conn *smtp.Conn
	msg  received
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		s.be.authTried.Store(username, true)
		if username != s.be.user || password != s.be.pass {
			return errors.New("bad credentials")
		}
		s.msg.authUser = username
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.be.user != "" && s.msg.authUser == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.msg.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	if s.be.stallData != nil {
		<-s.be.stallData
		return errors.New("stalled")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, s.msg.tls = s.conn.TLSConnectionState()
	s.msg.data = b
	s.be.got <- s.msg
	return nil
}

func (s *testSession) Reset()        { s.msg = received{authUser: s.msg.authUser} }
func (s *testSession) Logout() error { return nil }

// testCert is a self-signed certificate for 127.0.0.1 and the pool that trusts it.
func testCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

type serverMode int

const (
	plainOnly   serverMode = iota // no TLS at all
	startTLS                      // STARTTLS offered
	implicitTLS                   // TLS from the first byte
)

// startServer runs a go-smtp server on 127.0.0.1 and returns its port and the trust pool.
func startServer(t *testing.T, be *testBackend, mode serverMode) (int, *x509.CertPool) {
	t.Helper()
	cert, pool := testCert(t)
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	switch mode {
	case startTLS:
		srv.TLSConfig = tc
	case implicitTLS:
		l = tls.NewListener(l, tc)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	if be.stallData != nil {
		t.Cleanup(func() { close(be.stallData) }) // runs before Close: release the stalled DATA
	}
	return l.Addr().(*net.TCPAddr).Port, pool
}

func newBackend(user, pass string) *testBackend {
	return &testBackend{user: user, pass: pass, got: make(chan received, 4)}
}

func waitMessage(t *testing.T, be *testBackend) received {
	t.Helper()
	select {
	case r := <-be.got:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no message arrived")
		return received{}
	}
}

// part is one leaf of a parsed MIME message.
type part struct {
	contentType string
	params      map[string]string
	disposition string
	filename    string
	body        []byte
}

// parseMIME walks a message (or part) and returns its leaves with their bodies decoded.
func parseMIME(t *testing.T, header map[string][]string, body io.Reader) []part {
	t.Helper()
	get := func(k string) string {
		if v := header[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	ct, params, err := mime.ParseMediaType(get("Content-Type"))
	require.NoError(t, err)
	if strings.HasPrefix(ct, "multipart/") {
		var out []part
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart() // raw: keep Content-Transfer-Encoding for decode below
			if err == io.EOF {
				return out
			}
			require.NoError(t, err)
			out = append(out, parseMIME(t, p.Header, p)...)
		}
	}
	var r io.Reader = body
	switch strings.ToLower(get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	}
	data, err := io.ReadAll(r)
	require.NoError(t, err)
	p := part{contentType: ct, params: params, body: data}
	if d := get("Content-Disposition"); d != "" {
		disp, dp, err := mime.ParseMediaType(d)
		require.NoError(t, err)
		p.disposition, p.filename = disp, dp["filename"]
	}
	return []part{p}
}

func lf(b []byte) string { return strings.ReplaceAll(string(b), "\r\n", "\n") }

// TestSMTPRoundTrip sends a rendered confirmation through a real SMTP server in each TLS mode and
// checks what arrives: envelope, headers, both bodies and the .ics attachment byte for byte.
func TestSMTPRoundTrip(t *testing.T) {
	b := lesson(t, "01900000-0000-7000-8000-000000000101", "America/New_York", 2026, 3, 9, 9, 0)
	b.StudentNote = "Grüße — bring the Czerny book ☺ <please>"
	msg, err := BookingConfirmation(b, student("Europe/London"))
	require.NoError(t, err)
	msg.To.Name = "Ana Stüdent"

	for _, tc := range []struct {
		name    string
		mode    serverMode
		user    string
		wantTLS bool
	}{
		{"STARTTLS and AUTH", startTLS, "mailer", true},
		{"implicit TLS and AUTH", implicitTLS, "mailer", true},
		{"no TLS offered, no AUTH: opportunistic plain", plainOnly, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newBackend(tc.user, "s3cret")
			port, pool := startServer(t, be, tc.mode)
			m, err := NewSMTPMailer(SMTPConfig{
				Host: "127.0.0.1", Port: port, User: tc.user, Password: "s3cret",
				From: "InstaInstru <no-reply@instainstru.test>", Timeout: 5 * time.Second,
				ImplicitTLS: tc.mode == implicitTLS, TLSConfig: &tls.Config{RootCAs: pool},
			})
			require.NoError(t, err)
			require.True(t, m.Delivers())
			require.NoError(t, m.Send(context.Background(), msg))

			got := waitMessage(t, be)
			require.Equal(t, "no-reply@instainstru.test", got.from)
			require.Equal(t, []string{"ana@example.com"}, got.to)
			require.Equal(t, tc.wantTLS, got.tls)
			require.Equal(t, tc.user, got.authUser)

			parsed, err := netmail.ReadMessage(bytes.NewReader(got.data))
			require.NoError(t, err)
			dec := new(mime.WordDecoder)
			subj, err := dec.DecodeHeader(parsed.Header.Get("Subject"))
			require.NoError(t, err)
			require.Equal(t, msg.Subject, subj)
			to, err := parsed.Header.AddressList("To")
			require.NoError(t, err)
			require.Equal(t, []*netmail.Address{{Name: "Ana Stüdent", Address: "ana@example.com"}}, to)
			require.NotEmpty(t, parsed.Header.Get("Message-Id"))
			require.NotEmpty(t, parsed.Header.Get("Date"))

			parts := parseMIME(t, parsed.Header, parsed.Body)
			require.Len(t, parts, 3, "text, HTML, attachment")
			require.Equal(t, "text/plain", parts[0].contentType)
			require.Equal(t, msg.Text, lf(parts[0].body))
			require.Contains(t, lf(parts[0].body), "Grüße — bring the Czerny book ☺ <please>")
			require.Equal(t, "text/html", parts[1].contentType)
			require.Equal(t, strings.TrimSpace(msg.HTML), strings.TrimSpace(lf(parts[1].body)))
			require.Contains(t, string(parts[1].body), "Grüße — bring the Czerny book ☺ &lt;please&gt;")
			require.Equal(t, "text/calendar", parts[2].contentType)
			require.Equal(t, "PUBLISH", parts[2].params["method"])
			require.Equal(t, "attachment", parts[2].disposition)
			require.Equal(t, "lesson-"+b.ID+".ics", parts[2].filename)
			require.Equal(t, instainstru.BookingICS(b), string(parts[2].body), "the attachment arrives byte for byte")
		})
	}
}

// TestSMTPNeverSendsPasswordInClear: with a user configured and a server that offers no TLS and
// only PLAIN, the send fails and the server never sees the credentials.
func TestSMTPNeverSendsPasswordInClear(t *testing.T) {
	be := newBackend("mailer", "s3cret")
	port, _ := startServer(t, be, plainOnly)
	m, err := NewSMTPMailer(SMTPConfig{Host: "127.0.0.1", Port: port, User: "mailer", Password: "s3cret",
		From: "no-reply@instainstru.test", Timeout: 5 * time.Second})
	require.NoError(t, err)
	msg, err := BookingConfirmation(lesson(t, "01900000-0000-7000-8000-000000000102", "UTC", 2026, 4, 1, 9, 0), student("UTC"))
	require.NoError(t, err)
	require.Error(t, m.Send(context.Background(), msg))
	_, tried := be.authTried.Load("mailer")
	require.False(t, tried, "no AUTH attempt over a plain connection")
	select {
	case <-be.got:
		t.Fatal("a message was accepted")
	default:
	}
}

// TestSMTPStallEndsInError: a server that never greets, one that stalls in DATA, and a caller's
// deadline shorter than the mailer's all end Send with an error in time.
func TestSMTPStallEndsInError(t *testing.T) {
	msg, err := BookingConfirmation(lesson(t, "01900000-0000-7000-8000-000000000103", "UTC", 2026, 4, 1, 9, 0), student("UTC"))
	require.NoError(t, err)

	// A listener that accepts and then says nothing, like a wedged server.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = silent.Close() })
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			_ = c.Close()
		}
	})

	be := newBackend("", "")
	be.stallData = make(chan struct{})
	stallPort, _ := startServer(t, be, plainOnly)

	cases := []struct {
		name    string
		port    int
		timeout time.Duration
		ctxTime time.Duration // 0: no caller deadline
		max     time.Duration
	}{
		{"no greeting", silent.Addr().(*net.TCPAddr).Port, 400 * time.Millisecond, 0, 2 * time.Second},
		{"stalls in DATA", stallPort, 400 * time.Millisecond, 0, 2 * time.Second},
		{"caller deadline first", silent.Addr().(*net.TCPAddr).Port, time.Minute, 300 * time.Millisecond, 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewSMTPMailer(SMTPConfig{Host: "127.0.0.1", Port: tc.port, From: "no-reply@instainstru.test", Timeout: tc.timeout})
			require.NoError(t, err)
			ctx := context.Background()
			if tc.ctxTime > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTime)
				defer cancel()
			}
			start := time.Now()
			err = m.Send(ctx, msg)
			took := time.Since(start)
			require.Error(t, err)
			require.Less(t, took, tc.max, "Send returned after %v: %v", took, err)
			t.Logf("%s: error after %v: %v", tc.name, took.Round(time.Millisecond), err)
		})
	}
}

func TestMailerSelectionAndValidation(t *testing.T) {
	m, err := New(SMTPConfig{From: "no-reply@instainstru.test"}, nil)
	require.NoError(t, err)
	require.IsType(t, &LogMailer{}, m)
	require.False(t, m.Delivers())

	m, err = New(SMTPConfig{Host: "smtp.instainstru.test", From: "InstaInstru <no-reply@instainstru.test>"}, nil)
	require.NoError(t, err)
	require.IsType(t, &SMTPMailer{}, m)
	require.Equal(t, 587, m.(*SMTPMailer).cfg.Port)
	require.False(t, m.(*SMTPMailer).cfg.ImplicitTLS)

	m, err = New(SMTPConfig{Host: "smtp.instainstru.test", Port: 465, From: "no-reply@instainstru.test"}, nil)
	require.NoError(t, err)
	require.True(t, m.(*SMTPMailer).cfg.ImplicitTLS)

	_, err = New(SMTPConfig{Host: "smtp.instainstru.test", From: "not an address"}, nil)
	require.ErrorContains(t, err, "MAIL_FROM")
	_, err = New(SMTPConfig{Host: "smtp.instainstru.test", Port: 70000, From: "a@b.test"}, nil)
	require.ErrorContains(t, err, "SMTP_PORT")
}
