package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLogMailer(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m := NewLogMailer(log, "InstaInstru <no-reply@instainstru.test>")
	b := lesson(t, "01900000-0000-7000-8000-000000000201", "America/New_York", 2026, 3, 9, 9, 0)
	b.StudentNote = "private note"
	msg, err := BookingConfirmation(b, student("America/New_York"))
	require.NoError(t, err)
	require.NoError(t, m.Send(context.Background(), msg))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 1, "bodies are logged at DEBUG only")
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec))
	require.Equal(t, "booking_confirmed", rec["kind"])
	require.Equal(t, "ana@example.com", rec["to"])
	require.Equal(t, msg.Subject, rec["subject"])
	require.Equal(t, []any{"lesson-" + b.ID + ".ics"}, rec["attachments"])
	require.NotContains(t, buf.String(), "private note")

	msg.To.Email = "not-an-address"
	require.Error(t, m.Send(context.Background(), msg))
	msg.To.Email = "ana@example.com"
	msg.Text, msg.HTML = "", ""
	require.Error(t, m.Send(context.Background(), msg))
}
