package testenv

import (
	"errors"
	"io"
	"mime"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Delivered is one message the test SMTP server accepted.
type Delivered struct {
	To      string
	Subject string
}

// SMTPServer is a real SMTP server (go-smtp) on 127.0.0.1 that keeps every accepted message,
// for tests of what a mailer really sends. While stalled, DATA blocks until Unstall (or until
// the client goes away) and the message is refused: the sender never got an acceptance, as when
// a worker dies mid-send.
type SMTPServer struct {
	mu      sync.Mutex
	got     []Delivered
	stalled atomic.Bool
	release chan struct{}
	inData  chan struct{}
	port    int
}

// StartSMTP starts a server, stopped (and unstalled) when the test ends.
func StartSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	s := &SMTPServer{release: make(chan struct{}), inData: make(chan struct{}, 64)}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp listen: %v", err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { s.Unstall(); _ = srv.Close() })
	return s
}

// Port is the server's port on 127.0.0.1.
func (s *SMTPServer) Port() int { return s.port }

// Stall makes every DATA block from now on, until Unstall.
func (s *SMTPServer) Stall() { s.stalled.Store(true) }

// InData receives a value each time a sender reaches a stalled DATA.
func (s *SMTPServer) InData() <-chan struct{} { return s.inData }

// Unstall releases the stalled DATA commands (their messages are refused) and ends the stall.
func (s *SMTPServer) Unstall() {
	if s.stalled.CompareAndSwap(true, false) {
		close(s.release)
	}
}

// Messages is every accepted message so far.
func (s *SMTPServer) Messages() []Delivered {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivered(nil), s.got...)
}

// Count is how many accepted messages to addr ("" for any) have a subject starting with prefix.
func (s *SMTPServer) Count(addr, prefix string) int {
	n := 0
	for _, m := range s.Messages() {
		if (addr == "" || m.To == addr) && strings.HasPrefix(m.Subject, prefix) {
			n++
		}
	}
	return n
}

// NewSession implements smtp.Backend.
func (s *SMTPServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }

type smtpSession struct {
	s  *SMTPServer
	to string
}

func (x *smtpSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { x.to = to; return nil }
func (x *smtpSession) Reset()                                    {}
func (x *smtpSession) Logout() error                             { return nil }
func (x *smtpSession) Data(r io.Reader) error {
	if x.s.stalled.Load() {
		select {
		case x.s.inData <- struct{}{}:
		default:
		}
		<-x.s.release
		return errors.New("stalled")
	}
	m, err := netmail.ReadMessage(r)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, m.Body)
	subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.got = append(x.s.got, Delivered{To: x.to, Subject: subj})
	x.s.mu.Unlock()
	return nil
}
