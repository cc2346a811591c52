// Package mail renders and sends InstaInstru's transactional emails: booking confirmation (with
// the lesson's .ics attached), cancellation, reschedule, and the 24-hour and 1-hour reminders.
//
// Every email has a plain-text and an HTML body, rendered from text/template and html/template
// files embedded in the binary, so a deployed binary needs no template directory and user data
// (names, notes, reasons, places) is escaped by html/template's contextual escaping in the HTML
// body. Times are shown in the recipient's own zone, named (abbreviation and IANA name): the
// student and the instructor of one lesson each read it on their own clock.
//
// Renderers take root-domain values (an *instainstru.Booking and a Recipient) and return a
// *Message; a Mailer delivers it: SMTPMailer when SMTP_HOST is set, LogMailer (slog) when it is
// not. This package writes nothing to the database.
//
// # How a task handler sends one email
//
// The task handlers own persistence; the intended order, so that a retried task never mails
// twice and a failed send is retried, is:
//
//  1. Load the booking and the recipient, and render: msg, err := mail.BookingConfirmation(b, to).
//     A render error is permanent (bad data): record it and do not retry.
//  2. Claim: INSERT INTO notification_log (dedupe_key, user_id, booking_id, kind, recipient,
//     subject, body, status) VALUES (mail.DedupeKey(...), ..., msg.Kind, msg.To.Email,
//     msg.Subject, msg.Text, <status>) ON CONFLICT (dedupe_key) DO UPDATE SET status =
//     EXCLUDED.status, error = NULL WHERE notification_log.status = 'failed' RETURNING id, in its
//     own short transaction. No row returned means an earlier run already sent (or logged) it:
//     stop, successfully. The status is "sent" when mailer.Delivers() and "logged" otherwise.
//  3. Send: err = mailer.Send(ctx, msg). On error, set the row's status to "failed" with the
//     error text and return the error to asynq, which retries the task with back-off; the retry
//     reclaims the failed row in step 2.
//
// Claiming before sending means a crash between the two loses at most one email (never doubles
// it), the trade-off transactional mail usually wants; Send has a hard timeout, so a stalled SMTP
// server cannot hold a worker for long.
//
// Cancellation emails are for cancellations proper: a booking cancelled by a reschedule (reason
// "rescheduled") is announced by the reschedule email of its successor instead.
package mail
