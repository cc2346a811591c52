package mail

import (
	"context"
	"log/slog"
	"net/mail"
	"strings"
)

// Mailer delivers rendered messages. Implementations are safe for concurrent use.
type Mailer interface {
	// Send delivers m, or returns an error; it never blocks longer than the mailer's timeout
	// (or ctx's deadline, whichever comes first).
	Send(ctx context.Context, m *Message) error
	// Delivers reports whether Send hands messages to a mail server ("sent" in notification_log)
	// or only records them ("logged").
	Delivers() bool
}

// New is the Mailer for a configuration: SMTP when cfg.Host (SMTP_HOST) is set, otherwise a
// LogMailer, so a development machine needs no mail server and loses no email silently.
func New(cfg SMTPConfig, log *slog.Logger) (Mailer, error) {
	if strings.TrimSpace(cfg.Host) == "" {
		return NewLogMailer(log, cfg.From), nil
	}
	return NewSMTPMailer(cfg)
}

// LogMailer records messages in the log instead of sending them (SMTP_HOST unset). Recipient,
// subject and attachments are logged at INFO; bodies at DEBUG, because they carry personal data.
type LogMailer struct {
	log  *slog.Logger
	from string
}

// NewLogMailer is a LogMailer writing to log (slog.Default() when nil).
func NewLogMailer(log *slog.Logger, from string) *LogMailer {
	if log == nil {
		log = slog.Default()
	}
	return &LogMailer{log: log, from: from}
}

// Send logs m. It fails only on a message no mail server would accept either (no valid
// recipient), so development catches what production would.
func (l *LogMailer) Send(ctx context.Context, m *Message) error {
	if err := checkMessage(m); err != nil {
		return err
	}
	names := make([]string, len(m.Attachments))
	for i, a := range m.Attachments {
		names[i] = a.Name
	}
	l.log.InfoContext(ctx, "mail logged, not sent (SMTP_HOST unset)",
		"kind", string(m.Kind), "from", l.from, "to", m.To.Email, "subject", m.Subject,
		"attachments", names)
	l.log.DebugContext(ctx, "mail body", "kind", string(m.Kind), "to", m.To.Email, "text", m.Text)
	return nil
}

// Delivers is false: nothing leaves the process.
func (l *LogMailer) Delivers() bool { return false }

// checkMessage refuses what cannot be delivered.
func checkMessage(m *Message) error {
	if m == nil {
		return errorf("nil message")
	}
	if _, err := mail.ParseAddress(m.To.Email); err != nil || strings.ContainsAny(m.To.Email, "<> \r\n") {
		return errorf("recipient %q is not an email address", m.To.Email)
	}
	if m.Text == "" && m.HTML == "" {
		return errorf("message to %s has no body", m.To.Email)
	}
	return nil
}
