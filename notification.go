package instainstru

import "time"

// NotificationStatus is where one notification stands in notification_log.
type NotificationStatus string

// Notification statuses. A notification is claimed ("sending") before it is handed to the mail
// server, so a retried or duplicated job finds the claim and sends nothing.
const (
	NotificationSending NotificationStatus = "sending" // claimed; the claimer is sending it now
	NotificationSent    NotificationStatus = "sent"    // the mail server accepted it
	NotificationLogged  NotificationStatus = "logged"  // no mail server configured: recorded only
	NotificationFailed  NotificationStatus = "failed"  // the send failed; a retry may claim it again
)

// Notification is one message to one user about one booking, as notification_log records it.
// DedupeKey names the occurrence (kind, booking, user): one row, hence one send, per key.
type Notification struct {
	DedupeKey string
	UserID    string
	BookingID string
	Kind      string // booking_confirmed, reminder_24h, ... (tasks/mail kinds)
	Recipient string // the email address it went to
	Subject   string
	Body      string // the plain-text body, kept for support
	Status    NotificationStatus
	ClaimedAt time.Time
	Attempts  int
}

// UpcomingLesson is a confirmed booking that has not started yet, as the reminder sweep sees it.
type UpcomingLesson struct {
	BookingID string
	StartsAt  time.Time
}
