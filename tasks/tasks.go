// Package tasks runs InstaInstru's background work on asynq: the outbox relay that turns each
// committed change (instainstru.Event) into tasks, booking reminders and emails, the daily
// analytics and report, cache warming and upkeep. `instainstru worker` processes tasks,
// `instainstru scheduler` runs the periodic entries and the relay, `all` runs both beside the API.
//
// Task payloads carry ids and instants only, never personal data: the dashboard shows payloads,
// and a handler reads what it needs from the database when it runs, so a cancelled or moved
// booking is seen as it is then, not as it was when the task was made.
package tasks

import "time"

// Queues. Emails and reminders are what users notice; analytics and upkeep can wait.
const (
	QueueCritical = "critical" // booking emails
	QueueDefault  = "default"  // reminders, cache invalidation
	QueueLow      = "low"      // analytics, reports, cache warming, upkeep
)

// Queues are the queue weights the worker serves (strict priority is not used, so low never starves).
var Queues = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}

// Task types.
const (
	TypeBookingEmail     = "email:booking"            // BookingEmailPayload
	TypeReminder         = "booking:reminder"         // ReminderPayload
	TypeInvalidateCache  = "cache:invalidate"         // InvalidatePayload
	TypeAnalyticsDaily   = "analytics:daily"          // DailyPayload
	TypeDailyReport      = "analytics:report"         // DailyPayload
	TypeWarmCache        = "cache:warm"               // no payload
	TypeReminderSweep    = "booking:reminder_sweep"   // no payload
	TypeAutoComplete     = "upkeep:auto_complete"     // no payload
	TypePurge            = "upkeep:purge"             // no payload
	TypeRelayOutbox      = "outbox:relay"             // no payload (the scheduler also relays continuously)
	TypeAnalyticsRecalc  = "analytics:recalculate"    // DailyPayload, enqueued by the admin endpoint
	TypeSearchEventsTrim = "upkeep:trim_search_event" // no payload
)

// EmailKind names a booking email; it is also notification_log.kind (see tasks/mail kinds).
type EmailKind string

// Booking email kinds sent from events.
const (
	EmailConfirmed   EmailKind = "booking_confirmed"
	EmailCancelled   EmailKind = "booking_cancelled"
	EmailRescheduled EmailKind = "booking_rescheduled"
)

// Recipient says which participant of a booking a task is for.
type Recipient string

// Recipients.
const (
	ToStudent    Recipient = "student"
	ToInstructor Recipient = "instructor"
)

// BookingEmailPayload asks for one booking email to one participant.
type BookingEmailPayload struct {
	BookingID string    `json:"booking_id"`
	Kind      EmailKind `json:"kind"`
	To        Recipient `json:"to"`
	// PreviousBookingID is the booking a reschedule replaced (EmailRescheduled).
	PreviousBookingID string `json:"previous_booking_id,omitempty"`
}

// ReminderPayload asks for the reminder of Lead (24h or 1h) before a lesson to one participant.
// StartsAt is the lesson start the reminder was planned for: a booking moved since sends nothing.
type ReminderPayload struct {
	BookingID string        `json:"booking_id"`
	To        Recipient     `json:"to"`
	Lead      time.Duration `json:"lead"`
	StartsAt  time.Time     `json:"starts_at"`
}

// Reminder leads: a reminder is due this long before the lesson starts.
var ReminderLeads = []time.Duration{24 * time.Hour, time.Hour}

// InvalidatePayload asks every node's cache to drop an instructor's calendar entries.
type InvalidatePayload struct {
	InstructorID string `json:"instructor_id"`
}

// DailyPayload names the day an analytics run or report is for (YYYY-MM-DD in AnalyticsZone).
type DailyPayload struct {
	Day string `json:"day"`
}

// AnalyticsZone is the zone the daily jobs' clock reads (analytics at 02:00, report at 02:30).
const AnalyticsZone = "America/New_York"
