package instainstru

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// BookingICS renders the lesson as an RFC 5545 calendar with one event. It is the one iCalendar
// rendering of a booking: the API's calendar.ics download and the confirmation email's
// attachment both use it, so a calendar that imported one recognizes the other as the same event.
//
// Times are UTC instants (…Z), which every calendar converts to its user's zone; the event's UID
// is derived from the booking ID only, so re-importing updates the event instead of duplicating it.
func BookingICS(b *Booking) string {
	const stamp = "20060102T150405Z"
	status := "CONFIRMED"
	if b.Status == BookingCancelled {
		status = "CANCELLED"
	}
	var sb strings.Builder
	line := func(s string) { sb.WriteString(foldICS(s)); sb.WriteString("\r\n") }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//InstaInstru//Bookings//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("BEGIN:VEVENT")
	line("UID:" + b.ID + "@instainstru")
	line("DTSTAMP:" + b.UpdatedAt.UTC().Format(stamp))
	line("DTSTART:" + b.StartsAt.UTC().Format(stamp))
	line("DTEND:" + b.EndsAt.UTC().Format(stamp))
	line("SUMMARY:" + escapeICS(fmt.Sprintf("%s lesson: %s with %s", b.ServiceName, b.Student.FullName, b.Instructor.FullName)))
	desc := fmt.Sprintf("%d-minute %s lesson (%s). Booking %s.", b.DurationMinutes, b.ServiceName, strings.ReplaceAll(string(b.LocationType), "_", " "), b.ID)
	if b.StudentNote != "" {
		desc += " Note: " + b.StudentNote
	}
	line("DESCRIPTION:" + escapeICS(desc))
	if b.MeetingLocation != "" {
		line("LOCATION:" + escapeICS(b.MeetingLocation))
	}
	line("STATUS:" + status)
	line("END:VEVENT")
	line("END:VCALENDAR")
	return sb.String()
}

// BookingICSFileName is the file name a booking's calendar file is offered under.
func BookingICSFileName(b *Booking) string { return "lesson-" + b.ID + ".ics" }

// escapeICS escapes TEXT values per RFC 5545 3.3.11.
func escapeICS(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// foldICS folds content lines longer than 75 octets (RFC 5545 3.1) without splitting a UTF-8 rune.
func foldICS(s string) string {
	if len(s) <= 75 {
		return s
	}
	var sb strings.Builder
	n := 0
	for _, r := range s {
		l := utf8.RuneLen(r)
		if n+l > 75 {
			sb.WriteString("\r\n ")
			n = 1
		}
		sb.WriteRune(r)
		n += l
	}
	return sb.String()
}
