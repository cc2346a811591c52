package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"

	"github.com/instainstru/instainstru"
)

// templateFS holds every template; they are parsed once, at package initialization, so a broken
// template fails every test and the binary's start instead of one email at run time.
//
//go:embed templates
var templateFS embed.FS

// kindTemplates names each kind's template file (templates/text/<name>.tmpl and
// templates/html/<name>.tmpl). Both reminder kinds share one pair: the lead time is data.
var kindTemplates = map[Kind]string{
	KindBookingConfirmed:   "confirmation",
	KindBookingCancelled:   "cancellation",
	KindBookingRescheduled: "reschedule",
	KindReminder24h:        "reminder",
	KindReminder1h:         "reminder",
}

type templatePair struct {
	text *texttemplate.Template // defines "subject" and, as the file's body, the text body
	html *htmltemplate.Template // "layout" wraps the file's "content"
}

var templates = mustParseTemplates()

func mustParseTemplates() map[string]templatePair {
	out := map[string]templatePair{}
	for _, name := range kindTemplates {
		if _, ok := out[name]; ok {
			continue
		}
		t := texttemplate.Must(texttemplate.New(name+".tmpl").ParseFS(templateFS,
			"templates/text/"+name+".tmpl", "templates/text/footer.tmpl"))
		h := htmltemplate.Must(htmltemplate.New("layout.tmpl").ParseFS(templateFS,
			"templates/html/layout.tmpl", "templates/html/"+name+".tmpl"))
		out[name] = templatePair{text: t, html: h}
	}
	return out
}

// view is what every template reads. Times are already formatted in the recipient's zone.
type view struct {
	Kind          Kind
	RecipientName string
	IsStudent     bool   // the recipient is the student (else the instructor)
	OtherName     string // the other participant
	StudentName   string
	Service       string
	When          string // the lesson's start and end in the recipient's zone, zone named
	StartShort    string // a compact start for subject lines
	OldWhen       string // reschedule: the previous time
	Duration      int
	Location      string // the kind of place, in words
	Meeting       string // the meeting location as given, if any
	Note          string // the student's note
	Price         string
	BookingID     string
	Reason        string // cancellation reason
	CancelledBy   string // who cancelled: "you", "other" (the other participant) or "" (unknown, e.g. an admin)
	Late          bool   // a late cancellation (within 24 h of the start)
	Lead          string // reminder: "24 hours" or "1 hour"
}

// BookingConfirmation renders the email that confirms a new booking to one participant, with
// the lesson attached as an iCalendar file.
func BookingConfirmation(b *instainstru.Booking, to Recipient) (*Message, error) {
	v, _, err := baseView(KindBookingConfirmed, b, to)
	if err != nil {
		return nil, err
	}
	m, err := render(v, to)
	if err != nil {
		return nil, err
	}
	m.Attachments = []Attachment{icsAttachment(b)}
	return m, nil
}

// BookingCancellation renders the email that tells one participant a booking was cancelled, by
// whom, why, and whether it was a late cancellation.
func BookingCancellation(b *instainstru.Booking, to Recipient) (*Message, error) {
	if b.Status != instainstru.BookingCancelled {
		return nil, fmt.Errorf("mail: booking %s is %s, not cancelled", b.ID, b.Status)
	}
	v, _, err := baseView(KindBookingCancelled, b, to)
	if err != nil {
		return nil, err
	}
	if b.CancellationReason != nil {
		v.Reason = *b.CancellationReason
	}
	switch {
	case b.CancelledBy == nil:
	case *b.CancelledBy == to.UserID:
		v.CancelledBy = "you"
	case *b.CancelledBy == b.Student.ID || *b.CancelledBy == b.Instructor.ID:
		v.CancelledBy = "other"
	}
	v.Late = b.LateCancellation
	return render(v, to)
}

// BookingReschedule renders the email that tells one participant a lesson moved from old (now
// cancelled) to next (the new booking), with the new lesson attached as an iCalendar file.
func BookingReschedule(old, next *instainstru.Booking, to Recipient) (*Message, error) {
	if old.Student.ID != next.Student.ID || old.Instructor.ID != next.Instructor.ID {
		return nil, fmt.Errorf("mail: bookings %s and %s have different participants", old.ID, next.ID)
	}
	v, loc, err := baseView(KindBookingRescheduled, next, to)
	if err != nil {
		return nil, err
	}
	v.OldWhen = formatSpan(old.StartsAt, old.EndsAt, loc)
	m, err := render(v, to)
	if err != nil {
		return nil, err
	}
	m.Attachments = []Attachment{icsAttachment(next)}
	return m, nil
}

// Reminder renders the reminder sent ahead of a lesson; kind is KindReminder24h or
// KindReminder1h.
func Reminder(b *instainstru.Booking, to Recipient, kind Kind) (*Message, error) {
	lead := map[Kind]string{KindReminder24h: "24 hours", KindReminder1h: "1 hour"}[kind]
	if lead == "" {
		return nil, fmt.Errorf("mail: %q is not a reminder kind", kind)
	}
	if b.Status != instainstru.BookingConfirmed {
		return nil, fmt.Errorf("mail: booking %s is %s: no reminder", b.ID, b.Status)
	}
	v, _, err := baseView(kind, b, to)
	if err != nil {
		return nil, err
	}
	v.Lead = lead
	return render(v, to)
}

// baseView fills what every kind shows and resolves the recipient's zone.
func baseView(kind Kind, b *instainstru.Booking, to Recipient) (*view, *time.Location, error) {
	if to.Email == "" {
		return nil, nil, fmt.Errorf("mail: recipient %q has no email address", to.UserID)
	}
	var isStudent bool
	var other string
	switch to.UserID {
	case b.Student.ID:
		isStudent, other = true, b.Instructor.FullName
	case b.Instructor.ID:
		isStudent, other = false, b.Student.FullName
	default:
		return nil, nil, fmt.Errorf("mail: user %q is not a participant of booking %s", to.UserID, b.ID)
	}
	loc := recipientZone(to.Timezone, b.Timezone)
	name := to.Name
	if name == "" {
		name = map[bool]string{true: b.Student.FullName, false: b.Instructor.FullName}[isStudent]
	}
	return &view{
		Kind:          kind,
		RecipientName: name,
		IsStudent:     isStudent,
		OtherName:     other,
		StudentName:   b.Student.FullName,
		Service:       b.ServiceName,
		When:          formatSpan(b.StartsAt, b.EndsAt, loc),
		StartShort:    b.StartsAt.In(loc).Format("Mon Jan 2, 3:04 PM MST"),
		Duration:      b.DurationMinutes,
		Location:      locationWords(b.LocationType),
		Meeting:       b.MeetingLocation,
		Note:          b.StudentNote,
		Price:         fmt.Sprintf("$%d.%02d", b.TotalPriceCents/100, b.TotalPriceCents%100),
		BookingID:     b.ID,
	}, loc, nil
}

// recipientZone is the recipient's zone, else the booking's (the instructor's), else UTC. Users'
// zones are validated when set, so the fallbacks only guard against bad data; the email always
// names the zone it used, so a fallback is never silently wrong.
func recipientZone(names ...string) *time.Location {
	for _, n := range names {
		if !instainstru.ValidTimezone(n) {
			continue
		}
		if loc, err := time.LoadLocation(n); err == nil {
			return loc
		}
	}
	return time.UTC
}

// formatSpan shows a lesson's start and end in loc, naming the zone. Each end carries its own
// abbreviation when they differ (the recipient's clocks change during the lesson) and its own
// date when the lesson crosses the recipient's midnight.
func formatSpan(start, end time.Time, loc *time.Location) string {
	s, e := start.In(loc), end.In(loc)
	const day, clock = "Monday, January 2, 2006", "3:04 PM"
	sz, ez := s.Format("MST"), e.Format("MST")
	var out string
	switch {
	case s.Format(day) != e.Format(day):
		out = fmt.Sprintf("%s, %s %s – %s, %s %s", s.Format(day), s.Format(clock), sz, e.Format(day), e.Format(clock), ez)
	case sz != ez:
		out = fmt.Sprintf("%s, %s %s – %s %s", s.Format(day), s.Format(clock), sz, e.Format(clock), ez)
	default:
		out = fmt.Sprintf("%s, %s – %s %s", s.Format(day), s.Format(clock), e.Format(clock), sz)
	}
	if loc != time.UTC {
		out += " (" + loc.String() + ")"
	}
	return out
}

func locationWords(l instainstru.BookingLocation) string {
	switch l {
	case instainstru.AtStudentHome:
		return "At the student's home"
	case instainstru.AtInstructorLocation:
		return "At the instructor's location"
	case instainstru.AtNeutralLocation:
		return "At an agreed meeting place"
	case instainstru.OnlineLocation:
		return "Online"
	}
	return string(l)
}

func icsAttachment(b *instainstru.Booking) Attachment {
	return Attachment{
		Name:        instainstru.BookingICSFileName(b),
		ContentType: "text/calendar; charset=utf-8; method=PUBLISH",
		Data:        []byte(instainstru.BookingICS(b)),
	}
}

// render executes v's kind's templates.
func render(v *view, to Recipient) (*Message, error) {
	tp := templates[kindTemplates[v.Kind]]
	var subj, text, html bytes.Buffer
	if err := tp.text.ExecuteTemplate(&subj, "subject", v); err != nil {
		return nil, fmt.Errorf("mail: %s subject: %w", v.Kind, err)
	}
	if err := tp.text.Execute(&text, v); err != nil {
		return nil, fmt.Errorf("mail: %s text: %w", v.Kind, err)
	}
	if err := tp.html.ExecuteTemplate(&html, "layout.tmpl", v); err != nil {
		return nil, fmt.Errorf("mail: %s html: %w", v.Kind, err)
	}
	return &Message{
		Kind:    v.Kind,
		To:      Address{Name: oneLine(to.Name), Email: strings.TrimSpace(to.Email)},
		Subject: oneLine(subj.String()),
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    html.String(),
	}, nil
}

// oneLine makes user data safe for a header: control characters (CR, LF...) become spaces and
// runs of space collapse, so a name can never start a new header line.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
