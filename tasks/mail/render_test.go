package mail

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
)

const (
	studentID    = "01900000-0000-7000-8000-000000000001"
	instructorID = "01900000-0000-7000-8000-000000000002"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// lesson is a confirmed 60-minute piano lesson starting at the wall clock given in tz.
func lesson(t testing.TB, id, tz string, y int, mo time.Month, d, h, m int) *instainstru.Booking {
	start := time.Date(y, mo, d, h, m, 0, 0, zone(t, tz))
	return &instainstru.Booking{
		ID:              id,
		Student:         instainstru.Party{ID: studentID, FullName: "Ana Student"},
		Instructor:      instainstru.Party{ID: instructorID, FullName: "Bo Teacher"},
		ServiceName:     "Piano",
		Timezone:        tz,
		StartsAt:        start.UTC(),
		EndsAt:          start.Add(time.Hour).UTC(),
		DurationMinutes: 60,
		HourlyRateCents: 7550,
		TotalPriceCents: 7550,
		Status:          instainstru.BookingConfirmed,
		LocationType:    instainstru.OnlineLocation,
		CreatedAt:       start.Add(-72 * time.Hour),
		UpdatedAt:       start.Add(-72 * time.Hour),
	}
}

func student(tz string) Recipient {
	return Recipient{UserID: studentID, Name: "Ana Student", Email: "ana@example.com", Timezone: tz}
}

func instructor(tz string) Recipient {
	return Recipient{UserID: instructorID, Name: "Bo Teacher", Email: "bo@example.com", Timezone: tz}
}

// TestTimesInRecipientZoneAcrossDST: the instructor is in New York, the student in London. The
// US springs forward on 8 March 2026, the UK only on 29 March, so the gap between the two clocks
// is 5 hours before and 4 hours after; each participant sees their own clock, zone named.
func TestTimesInRecipientZoneAcrossDST(t *testing.T) {
	cases := []struct {
		name         string
		day, hour    int
		forInstr     string
		forStudent   string
		studentShort string
	}{
		{"before the US change", 6, 9,
			"Friday, March 6, 2026, 9:00 AM – 10:00 AM EST (America/New_York)",
			"Friday, March 6, 2026, 2:00 PM – 3:00 PM GMT (Europe/London)",
			"Fri Mar 6, 2:00 PM GMT"},
		{"after the US change", 9, 9,
			"Monday, March 9, 2026, 9:00 AM – 10:00 AM EDT (America/New_York)",
			"Monday, March 9, 2026, 1:00 PM – 2:00 PM GMT (Europe/London)",
			"Mon Mar 9, 1:00 PM GMT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := lesson(t, "01900000-0000-7000-8000-0000000000a1", "America/New_York", 2026, 3, tc.day, tc.hour, 0)
			for _, kind := range []Kind{KindBookingConfirmed, KindReminder24h, KindReminder1h} {
				var ms, mi *Message
				var err error
				if kind == KindBookingConfirmed {
					ms, err = BookingConfirmation(b, student("Europe/London"))
					require.NoError(t, err)
					mi, err = BookingConfirmation(b, instructor("America/New_York"))
				} else {
					ms, err = Reminder(b, student("Europe/London"), kind)
					require.NoError(t, err)
					mi, err = Reminder(b, instructor("America/New_York"), kind)
				}
				require.NoError(t, err)
				require.Equal(t, kind, ms.Kind)
				require.Contains(t, ms.Text, "When:     "+tc.forStudent+"\n", kind)
				require.Contains(t, ms.HTML, tc.forStudent, kind)
				require.Contains(t, mi.Text, "When:     "+tc.forInstr+"\n", kind)
				require.Contains(t, mi.HTML, tc.forInstr, kind)
				require.NotContains(t, ms.Text, "America/New_York", "the student sees only their own zone")
				require.True(t, strings.HasSuffix(ms.Subject, tc.studentShort), ms.Subject)
			}
		})
	}
}

// TestLessonAcrossRecipientsClockChange: a Tokyo lesson (no DST there) falls on the night New
// York falls back; the New York student's email shows each end with its own abbreviation.
func TestLessonAcrossRecipientsClockChange(t *testing.T) {
	b := lesson(t, "01900000-0000-7000-8000-0000000000a2", "Asia/Tokyo", 2026, 11, 1, 14, 30)
	m, err := Reminder(b, student("America/New_York"), KindReminder1h)
	require.NoError(t, err)
	require.Contains(t, m.Text, "When:     Sunday, November 1, 2026, 1:30 AM EDT – 1:30 AM EST (America/New_York)\n")
	mi, err := Reminder(b, instructor("Asia/Tokyo"), KindReminder1h)
	require.NoError(t, err)
	require.Contains(t, mi.Text, "When:     Sunday, November 1, 2026, 2:30 PM – 3:30 PM JST (Asia/Tokyo)\n")

	// Across the recipient's midnight, both ends carry their date.
	late := lesson(t, "01900000-0000-7000-8000-0000000000a3", "America/Los_Angeles", 2026, 6, 10, 20, 30)
	m, err = Reminder(late, student("America/New_York"), KindReminder24h)
	require.NoError(t, err)
	require.Contains(t, m.Text, "Wednesday, June 10, 2026, 11:30 PM EDT – Thursday, June 11, 2026, 12:30 AM EDT (America/New_York)")

	// An unknown recipient zone falls back to the lesson's zone, named.
	m, err = Reminder(late, student("Mars/Olympus_Mons"), KindReminder24h)
	require.NoError(t, err)
	require.Contains(t, m.Text, "8:30 PM – 9:30 PM PDT (America/Los_Angeles)")
}

func TestUserDataIsEscapedInHTML(t *testing.T) {
	b := lesson(t, "01900000-0000-7000-8000-0000000000b1", "America/New_York", 2026, 5, 4, 17, 0)
	b.Student.FullName = `Ana "<i>" O'Neil`
	b.StudentNote = "<script>alert('x')</script>\nBring <b>scales</b> & arpeggios"
	b.MeetingLocation = `<a href="javascript:evil()">Room 4</a>`
	b.LocationType = instainstru.AtNeutralLocation

	m, err := BookingConfirmation(b, instructor("America/New_York"))
	require.NoError(t, err)
	require.NotContains(t, m.HTML, "<script>")
	require.NotContains(t, m.HTML, "<b>scales")
	require.NotContains(t, m.HTML, `<a href`)
	require.NotContains(t, m.HTML, "<i>")
	require.Contains(t, m.HTML, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
	require.Contains(t, m.HTML, "Bring &lt;b&gt;scales&lt;/b&gt; &amp; arpeggios")
	require.Contains(t, m.HTML, "&lt;a href=&#34;javascript:evil()&#34;&gt;Room 4&lt;/a&gt;")
	require.Contains(t, m.HTML, "Ana &#34;&lt;i&gt;&#34; O&#39;Neil booked a <strong>Piano</strong> lesson with you.")
	// The plain-text body is not HTML: it carries the note exactly as written.
	require.Contains(t, m.Text, "Note from Ana \"<i>\" O'Neil:\n<script>alert('x')</script>\nBring <b>scales</b> & arpeggios\n")
	require.Contains(t, m.Text, "Where:    At an agreed meeting place: <a href=\"javascript:evil()\">Room 4</a>\n")

	// A name cannot start a header line.
	b.Instructor.FullName = "Bo\r\nBcc: victim@example.com"
	m, err = BookingConfirmation(b, student("America/New_York"))
	require.NoError(t, err)
	require.NotContains(t, m.Subject, "\n")
	require.NotContains(t, m.Subject, "\r")
	require.Contains(t, m.Subject, "with Bo Bcc: victim@example.com,")
}

// icsEvent unfolds an iCalendar text and returns its VEVENT's properties.
func icsEvent(t testing.TB, ics string) map[string]string {
	t.Helper()
	require.True(t, strings.HasPrefix(ics, "BEGIN:VCALENDAR\r\n"), "starts the calendar")
	require.True(t, strings.HasSuffix(ics, "END:VCALENDAR\r\n"), "ends the calendar")
	unfolded := strings.ReplaceAll(ics, "\r\n ", "")
	props := map[string]string{}
	in := false
	for _, l := range strings.Split(strings.TrimSuffix(unfolded, "\r\n"), "\r\n") {
		switch l {
		case "BEGIN:VEVENT":
			in = true
			continue
		case "END:VEVENT":
			in = false
			continue
		}
		if in {
			k, v, ok := strings.Cut(l, ":")
			require.True(t, ok, "content line %q", l)
			props[k] = v
		}
	}
	return props
}

func TestConfirmationAndRescheduleAttachTheLesson(t *testing.T) {
	b := lesson(t, "01900000-0000-7000-8000-0000000000c1", "America/New_York", 2026, 3, 9, 9, 0)
	b.StudentNote = "Chopin, please; thanks"
	ms, err := BookingConfirmation(b, student("Europe/London"))
	require.NoError(t, err)
	mi, err := BookingConfirmation(b, instructor("America/New_York"))
	require.NoError(t, err)
	require.Len(t, ms.Attachments, 1)
	a := ms.Attachments[0]
	require.Equal(t, "lesson-"+b.ID+".ics", a.Name)
	require.True(t, strings.HasPrefix(a.ContentType, "text/calendar"))
	require.Equal(t, instainstru.BookingICS(b), string(a.Data), "one rendering for the API and the mail")
	require.Equal(t, a.Data, mi.Attachments[0].Data, "both participants get the same event")

	ev := icsEvent(t, string(a.Data))
	start, err := time.Parse("20060102T150405Z", ev["DTSTART"])
	require.NoError(t, err, "DTSTART is a UTC instant")
	require.True(t, start.Equal(b.StartsAt))
	require.Equal(t, "20260309T130000Z", ev["DTSTART"])
	require.Equal(t, "20260309T140000Z", ev["DTEND"])
	require.Equal(t, b.ID+"@instainstru", ev["UID"])
	require.Contains(t, ev["DESCRIPTION"], `Chopin\, please\; thanks`)

	// Rendering again gives the same UID; the rescheduled lesson is a new booking, a new event.
	again, err := BookingConfirmation(b, student("Europe/London"))
	require.NoError(t, err)
	require.Equal(t, ev["UID"], icsEvent(t, string(again.Attachments[0].Data))["UID"])

	next := lesson(t, "01900000-0000-7000-8000-0000000000c2", "America/New_York", 2026, 3, 10, 15, 0)
	b.Status = instainstru.BookingCancelled
	m, err := BookingReschedule(b, next, student("Europe/London"))
	require.NoError(t, err)
	require.Equal(t, KindBookingRescheduled, m.Kind)
	require.Contains(t, m.Text, "Now:      Tuesday, March 10, 2026, 7:00 PM – 8:00 PM GMT (Europe/London)\n")
	require.Contains(t, m.Text, "Was:      Monday, March 9, 2026, 1:00 PM – 2:00 PM GMT (Europe/London)\n")
	nev := icsEvent(t, string(m.Attachments[0].Data))
	require.Equal(t, next.ID+"@instainstru", nev["UID"])
	require.Equal(t, "20260310T190000Z", nev["DTSTART"])

	other := lesson(t, "01900000-0000-7000-8000-0000000000c3", "America/New_York", 2026, 3, 10, 15, 0)
	other.Instructor.ID = "01900000-0000-7000-8000-0000000000ff"
	_, err = BookingReschedule(b, other, student("Europe/London"))
	require.Error(t, err)
}

func TestCancellation(t *testing.T) {
	b := lesson(t, "01900000-0000-7000-8000-0000000000d1", "America/Chicago", 2026, 7, 1, 10, 0)
	_, err := BookingCancellation(b, student("America/Chicago"))
	require.Error(t, err, "a confirmed booking is not cancelled")

	reason, by := "Sick, sorry <3", studentID
	b.Status, b.CancellationReason, b.CancelledBy, b.LateCancellation = instainstru.BookingCancelled, &reason, &by, true
	mi, err := BookingCancellation(b, instructor("America/Chicago"))
	require.NoError(t, err)
	require.Equal(t, KindBookingCancelled, mi.Kind)
	require.Contains(t, mi.Text, "Hi Bo Teacher,\n\nAna Student cancelled your Piano lesson.\n")
	require.Contains(t, mi.HTML, "Ana Student cancelled your <strong>Piano</strong> lesson.")
	require.Contains(t, mi.Text, "Reason:   Sick, sorry <3\n")
	require.Contains(t, mi.Text, "late cancellation")
	require.Contains(t, mi.HTML, "Sick, sorry &lt;3")
	require.Contains(t, mi.Text, "When:     Wednesday, July 1, 2026, 10:00 AM – 11:00 AM CDT (America/Chicago)")
	require.True(t, strings.HasPrefix(mi.Subject, "Lesson cancelled: Piano for Ana Student"), mi.Subject)
	require.Empty(t, mi.Attachments)

	ms, err := BookingCancellation(b, student("America/Chicago"))
	require.NoError(t, err)
	require.Contains(t, ms.Text, "You cancelled the Piano lesson with Bo Teacher.")

	b.LateCancellation, b.CancelledBy = false, nil // e.g. an operator cancelled it
	ms, err = BookingCancellation(b, student("America/Chicago"))
	require.NoError(t, err)
	require.NotContains(t, ms.Text, "late cancellation")
	require.Contains(t, ms.Text, "Your Piano lesson with Bo Teacher was cancelled.")
}

func TestRenderRefusesWhatItCannotAddress(t *testing.T) {
	b := lesson(t, "01900000-0000-7000-8000-0000000000e1", "America/New_York", 2026, 3, 9, 9, 0)
	stranger := Recipient{UserID: "01900000-0000-7000-8000-0000000000ee", Name: "X", Email: "x@example.com"}
	_, err := BookingConfirmation(b, stranger)
	require.ErrorContains(t, err, "not a participant")
	_, err = BookingConfirmation(b, Recipient{UserID: studentID})
	require.ErrorContains(t, err, "no email")
	_, err = Reminder(b, student(""), KindBookingConfirmed)
	require.ErrorContains(t, err, "not a reminder kind")
	b.Status = instainstru.BookingCancelled
	_, err = Reminder(b, student(""), KindReminder1h)
	require.ErrorContains(t, err, "no reminder")
}

func TestReminderWording(t *testing.T) {
	b := lesson(t, "01900000-0000-7000-8000-0000000000f1", "America/New_York", 2026, 3, 9, 9, 0)
	b.MeetingLocation = "Zoom link in the app"
	m, err := Reminder(b, student("America/New_York"), KindReminder24h)
	require.NoError(t, err)
	require.Equal(t, "Reminder: Piano with Bo Teacher in 24 hours, Mon Mar 9, 9:00 AM EDT", m.Subject)
	require.Contains(t, m.Text, "Hi Ana Student,\n\nYour Piano lesson with Bo Teacher starts in 24 hours.\n")
	require.Contains(t, m.Text, "Where:    Online: Zoom link in the app\n")
	m, err = Reminder(b, instructor("America/New_York"), KindReminder1h)
	require.NoError(t, err)
	require.Equal(t, "Reminder: Piano for Ana Student in 1 hour, Mon Mar 9, 9:00 AM EDT", m.Subject)
	require.Contains(t, m.HTML, "starts in 1 hour.")
	require.Equal(t, DedupeKey(KindReminder1h, b.ID, instructorID), "email:reminder_1h:"+b.ID+":"+instructorID)
}
