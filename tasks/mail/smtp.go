package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// DefaultSendTimeout bounds one Send (connect, STARTTLS, AUTH, the message, QUIT) when
// SMTPConfig.Timeout is zero.
const DefaultSendTimeout = 15 * time.Second

func errorf(format string, args ...any) error { return fmt.Errorf("mail: "+format, args...) }

// SMTPConfig is the SMTP submission setup, from SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD
// and MAIL_FROM.
type SMTPConfig struct {
	Host string
	Port int // 587 when zero
	// ImplicitTLS speaks TLS from the first byte (SMTPS); set by NewSMTPMailer for port 465.
	// Otherwise the session upgrades with STARTTLS whenever the server offers it.
	ImplicitTLS bool
	User        string
	Password    string
	From        string // "Name <address>" or a bare address
	// Timeout bounds a whole Send; DefaultSendTimeout when zero.
	Timeout time.Duration
	// TLSConfig overrides the TLS settings (a private CA, say); nil verifies Host against the
	// system's roots with TLS 1.2 or later.
	TLSConfig *tls.Config
}

// SMTPMailer sends through an SMTP server with go-mail: one connection per Send (transactional
// mail is a trickle, and a fresh connection never inherits a half-broken one), STARTTLS whenever
// the server offers it, AUTH when a user is configured, and a hard deadline on every Send.
//
// Credentials are never sent in the clear: with a user set, a server that offers no TLS gets
// only challenge-response mechanisms (CRAM-MD5, SCRAM), and otherwise the send fails.
type SMTPMailer struct {
	cfg  SMTPConfig
	from string
	tls  *tls.Config
}

// NewSMTPMailer checks cfg and returns a mailer; it does not connect.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	cfg.Host = strings.TrimSpace(cfg.Host)
	if cfg.Host == "" {
		return nil, errorf("SMTP_HOST is empty")
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, errorf("SMTP_PORT %d is not a port", cfg.Port)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultSendTimeout
	}
	if cfg.Port == 465 {
		cfg.ImplicitTLS = true
	}
	// Validate MAIL_FROM once, at start-up, instead of failing every send.
	probe := gomail.NewMsg()
	if err := probe.From(cfg.From); err != nil {
		return nil, errorf("MAIL_FROM %q: %v", cfg.From, err)
	}
	tc := cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	} else {
		tc = tc.Clone()
		if tc.ServerName == "" {
			tc.ServerName = cfg.Host
		}
	}
	return &SMTPMailer{cfg: cfg, from: cfg.From, tls: tc}, nil
}

// Delivers is true: messages go to the SMTP server.
func (s *SMTPMailer) Delivers() bool { return true }

// Send delivers m within the configured timeout (or ctx's deadline, if sooner). A server that
// stalls at any point, before its greeting or in the middle of DATA, ends in an error by then.
func (s *SMTPMailer) Send(ctx context.Context, m *Message) error {
	if err := checkMessage(m); err != nil {
		return err
	}
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSPolicy(gomail.TLSOpportunistic),
		gomail.WithTLSConfig(s.tls),
		gomail.WithDialContextFunc(s.dialer(ctx)),
	}
	if s.cfg.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.User), gomail.WithPassword(s.cfg.Password))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return errorf("smtp client: %v", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return errorf("send to %s via %s: %w (%v)", m.To.Email, s.addr(), ctx.Err(), err)
		}
		return errorf("send to %s via %s: %w", m.To.Email, s.addr(), err)
	}
	return nil
}

func (s *SMTPMailer) addr() string { return net.JoinHostPort(s.cfg.Host, fmt.Sprint(s.cfg.Port)) }

// dialer connects for one Send. go-mail sets a fresh per-command deadline on the connection as
// it goes, which alone would let a server that answers slowly but steadily hold a worker for
// many timeouts; the returned connection caps every deadline at the Send's own deadline, and
// expires at once when the Send's context ends. With ImplicitTLS the TLS layer wraps the capped
// connection, so the cap holds there too, and go-mail sees a *tls.Conn and treats the session
// as encrypted.
func (s *SMTPMailer) dialer(sendCtx context.Context) gomail.DialContextFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		var d net.Dialer
		raw, err := d.DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		limit, _ := sendCtx.Deadline()
		c := &cappedConn{Conn: raw, limit: limit}
		stop := context.AfterFunc(sendCtx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
		c.stop = stop
		if !s.cfg.ImplicitTLS {
			return c, nil
		}
		tc := tls.Client(c, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = c.Close()
			return nil, err
		}
		return tc, nil
	}
}

// cappedConn is a connection whose deadlines never pass limit.
type cappedConn struct {
	net.Conn
	limit time.Time
	stop  func() bool
}

func (c *cappedConn) cap(t time.Time) time.Time {
	if c.limit.IsZero() || (!t.IsZero() && t.Before(c.limit)) {
		return t
	}
	return c.limit
}

func (c *cappedConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.cap(t)) }
func (c *cappedConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.cap(t)) }
func (c *cappedConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.cap(t)) }
func (c *cappedConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// build turns m into a go-mail message: multipart/alternative text and HTML, then attachments.
func (s *SMTPMailer) build(m *Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return nil, errorf("MAIL_FROM %q: %v", s.from, err)
	}
	if err := msg.AddToFormat(m.To.Name, m.To.Email); err != nil {
		return nil, errorf("recipient %q: %v", m.To.Email, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageID()
	msg.SetDate()
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(ct))); err != nil {
			return nil, errorf("attachment %s: %v", a.Name, err)
		}
	}
	return msg, nil
}
