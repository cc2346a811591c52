package instainstru

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBookingICS(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	start := time.Date(2026, 3, 9, 18, 30, 0, 0, ny)
	b := &Booking{
		ID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", ServiceName: "Piano",
		Student: Party{FullName: "Ana, Student"}, Instructor: Party{FullName: "Bo; Teacher"},
		StartsAt: start, EndsAt: start.Add(time.Hour), UpdatedAt: start.Add(-48 * time.Hour),
		DurationMinutes: 60, LocationType: AtStudentHome, Status: BookingConfirmed,
		StudentNote: "line one\nline two — with a long tail that forces the description past seventy-five octets",
	}
	ics := BookingICS(b)
	require.True(t, strings.HasPrefix(ics, "BEGIN:VCALENDAR\r\n"))
	require.True(t, strings.HasSuffix(ics, "END:VCALENDAR\r\n"))
	require.Contains(t, ics, "\r\nDTSTART:20260309T223000Z\r\n", "UTC instant, EDT is UTC-4")
	require.Contains(t, ics, "\r\nDTEND:20260309T233000Z\r\n")
	require.Contains(t, ics, "\r\nUID:"+b.ID+"@instainstru\r\n")
	require.Contains(t, ics, `SUMMARY:Piano lesson: Ana\, Student with Bo\; Teacher`)
	require.Contains(t, ics, `line one\nline two`)
	require.Contains(t, ics, "STATUS:CONFIRMED")
	for _, l := range strings.Split(strings.TrimSuffix(ics, "\r\n"), "\r\n") {
		require.LessOrEqual(t, len(l), 75, "folded: %q", l)
	}
	// Unfolding restores the description.
	require.Contains(t, strings.ReplaceAll(ics, "\r\n ", ""), "seventy-five octets")

	b.Status = BookingCancelled
	require.Contains(t, BookingICS(b), "STATUS:CANCELLED")
	require.Equal(t, "lesson-"+b.ID+".ics", BookingICSFileName(b))
}
