package mail

import (
	"fmt"

	"github.com/instainstru/instainstru"
)

// Kind names one kind of email. Its value is what notification_log.kind records.
type Kind string

// The kinds of email this package renders.
const (
	KindBookingConfirmed   Kind = "booking_confirmed"
	KindBookingCancelled   Kind = "booking_cancelled"
	KindBookingRescheduled Kind = "booking_rescheduled"
	KindReminder24h        Kind = "reminder_24h"
	KindReminder1h         Kind = "reminder_1h"
)

// Address is one mailbox: a display name and an email address.
type Address struct {
	Name  string
	Email string
}

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string // file name offered to the reader, e.g. lesson-<id>.ics
	ContentType string // full MIME type, parameters included
	Data        []byte
}

// Message is one rendered email, ready for a Mailer. The sender is the Mailer's (MAIL_FROM).
type Message struct {
	Kind        Kind
	To          Address
	Subject     string
	Text        string // the text/plain body
	HTML        string // the text/html body
	Attachments []Attachment
}

// Recipient is the participant an email is for. UserID must be the booking's student or
// instructor: it decides the wording ("your lesson with ...") and which party "you" is.
type Recipient struct {
	UserID   string
	Name     string
	Email    string
	Timezone string // IANA zone the recipient reads times in; empty or unknown: the booking's zone
}

// RecipientFromUser is the Recipient for an account.
func RecipientFromUser(u *instainstru.User) Recipient {
	return Recipient{UserID: u.ID, Name: u.FullName, Email: u.Email, Timezone: u.Timezone}
}

// DedupeKey is the notification_log.dedupe_key of one kind of email about one booking to one
// user. A booking's time never changes (a reschedule makes a new booking), so the booking ID
// pins the occurrence and the key is the same however often the task runs.
func DedupeKey(kind Kind, bookingID, userID string) string {
	return fmt.Sprintf("email:%s:%s:%s", kind, bookingID, userID)
}
