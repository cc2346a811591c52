package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/tasks/mail"
)

// How an email is sent at most once, and when it is sent again.
//
// Every email is one notification_log row, keyed by mail.DedupeKey (kind, booking, user). A
// handler renders the email, then claims the row (ClaimNotification: it becomes "sending"), then
// hands the message to the mail server, then records "sent", "logged" or "failed". A run that
// does not win the claim sends nothing and succeeds: the email was sent, or another run is
// sending it now. So the same task run twice, twice at once, or relayed twice, mails once.
//
// The window that remains is a worker that dies after the claim and before the outcome is
// recorded. The claim carries a lease (Deps.ClaimLease, MAIL_CLAIM_LEASE, 2 minutes by default,
// always longer than one send may take: SMTP_TIMEOUT): once it has passed, the row may be claimed
// again, and the sweep (Sweeper.ReclaimStuck, run by the scheduler every minute) queues the
// email's task again. This is the choice: an email whose worker died mid-send is retried rather
// than lost. The price is the narrow case where the mail server had already accepted the message
// and the worker died in the milliseconds before recording it: that recipient gets it twice. A
// lost booking confirmation or reminder costs more than a rare duplicate; a worker stopped
// gracefully (SIGTERM) finishes its sends first and never leaves a claim behind.
//
// A failed send (the server refused, timed out) records "failed" and returns the error, so asynq
// retries the task with back-off; the retry claims the failed row again. A message that cannot be
// rendered (bad data) is recorded as failed and not retried.

// permanent is an error asynq does not retry (asynq.SkipRetry): bad data stays bad.
func permanent(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, asynq.SkipRetry)...)
}

// recipientOf is the user id of participant to of b.
func recipientOf(b *instainstru.Booking, to Recipient) (string, error) {
	switch to {
	case ToStudent:
		return b.Student.ID, nil
	case ToInstructor:
		return b.Instructor.ID, nil
	}
	return "", fmt.Errorf("unknown recipient %q", to)
}

// loadBooking reads a booking; a booking that no longer exists ends the task (nothing to say).
func (h *handlers) loadBooking(ctx context.Context, id string) (*instainstru.Booking, bool, error) {
	b, err := h.deps.Store.BookingByID(ctx, id)
	if instainstru.IsCode(err, instainstru.CodeNotFound) {
		h.deps.log().WarnContext(ctx, "booking task for a booking that does not exist", "booking_id", id)
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// recipient loads participant to of b as a mail recipient.
func (h *handlers) recipient(ctx context.Context, b *instainstru.Booking, to Recipient) (mail.Recipient, error) {
	uid, err := recipientOf(b, to)
	if err != nil {
		return mail.Recipient{}, permanent("%v", err)
	}
	u, err := h.deps.Store.UserByID(ctx, uid)
	if err != nil {
		return mail.Recipient{}, err
	}
	return mail.RecipientFromUser(u), nil
}

// handleBookingEmail sends one booking email (TypeBookingEmail).
func (h *handlers) handleBookingEmail(ctx context.Context, t *asynq.Task) error {
	var p BookingEmailPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return permanent("email payload: %v", err)
	}
	b, ok, err := h.loadBooking(ctx, p.BookingID)
	if !ok || err != nil {
		return err
	}
	to, err := h.recipient(ctx, b, p.To)
	if err != nil {
		return err
	}
	var msg *mail.Message
	switch p.Kind {
	case EmailConfirmed:
		if b.Status != instainstru.BookingConfirmed {
			// Cancelled (or over) before its confirmation went out: the cancellation email says it.
			return h.nothingToSend(ctx, mail.Kind(p.Kind), b, p.To)
		}
		msg, err = mail.BookingConfirmation(b, to)
	case EmailCancelled:
		// Only booking.cancelled makes this task: a booking cancelled by a reschedule is
		// announced by the reschedule email of its successor (booking.rescheduled) instead.
		msg, err = mail.BookingCancellation(b, to)
	case EmailRescheduled:
		prevID := p.PreviousBookingID
		if prevID == "" && b.RescheduledFromID != nil {
			prevID = *b.RescheduledFromID
		}
		old, found, lerr := h.loadBooking(ctx, prevID)
		if lerr != nil {
			return lerr
		}
		if !found {
			return h.nothingToSend(ctx, mail.Kind(p.Kind), b, p.To)
		}
		msg, err = mail.BookingReschedule(old, b, to)
	default:
		return permanent("unknown email kind %q", p.Kind)
	}
	return h.send(ctx, b, to, mail.Kind(p.Kind), msg, err)
}

// handleReminder sends one reminder (TypeReminder), judged on the booking as it is now: nothing
// is sent for a booking that is no longer confirmed, that moved (its start is not the one the
// reminder was planned for), or whose reminder is too late to be true (reminderStale).
func (h *handlers) handleReminder(ctx context.Context, t *asynq.Task) error {
	var p ReminderPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return permanent("reminder payload: %v", err)
	}
	kind := map[time.Duration]mail.Kind{24 * time.Hour: mail.KindReminder24h, time.Hour: mail.KindReminder1h}[p.Lead]
	if kind == "" {
		return permanent("no reminder of lead %s", p.Lead)
	}
	b, ok, err := h.loadBooking(ctx, p.BookingID)
	if !ok || err != nil {
		return err
	}
	log := h.deps.log().With("booking_id", b.ID, "to", string(p.To), "lead", leadName(p.Lead))
	switch {
	case b.Status != instainstru.BookingConfirmed:
		log.DebugContext(ctx, "reminder dropped: booking not confirmed", "status", string(b.Status))
		return h.nothingToSend(ctx, kind, b, p.To)
	case !b.StartsAt.Equal(p.StartsAt):
		log.DebugContext(ctx, "reminder dropped: booking moved", "planned", p.StartsAt, "starts_at", b.StartsAt)
		return h.nothingToSend(ctx, kind, b, p.To)
	case reminderStale(b.StartsAt, p.Lead, h.deps.now()):
		log.InfoContext(ctx, "reminder dropped: too late to send")
		return h.nothingToSend(ctx, kind, b, p.To)
	}
	to, err := h.recipient(ctx, b, p.To)
	if err != nil {
		return err
	}
	msg, err := mail.Reminder(b, to, kind)
	return h.send(ctx, b, to, kind, msg, err)
}

// send claims, sends and records one rendered message (renderErr: the render failed).
func (h *handlers) send(ctx context.Context, b *instainstru.Booking, to mail.Recipient, kind mail.Kind, msg *mail.Message, renderErr error) error {
	n := &instainstru.Notification{DedupeKey: mail.DedupeKey(kind, b.ID, to.UserID), UserID: to.UserID,
		BookingID: b.ID, Kind: string(kind), Recipient: to.Email}
	if msg != nil {
		n.Subject, n.Body = msg.Subject, msg.Text
	}
	won, err := h.deps.Store.ClaimNotification(ctx, n, h.deps.lease())
	if err != nil {
		return err
	}
	log := h.deps.log().With("key", n.DedupeKey)
	if !won {
		log.DebugContext(ctx, "email already sent or being sent")
		return nil
	}
	if renderErr != nil {
		h.finish(ctx, n.DedupeKey, instainstru.NotificationFailed, renderErr.Error())
		return permanent("render %s: %v", n.DedupeKey, renderErr)
	}
	if err := h.deps.Mailer.Send(ctx, msg); err != nil {
		h.finish(ctx, n.DedupeKey, instainstru.NotificationFailed, err.Error())
		return err
	}
	status := instainstru.NotificationLogged
	if h.deps.Mailer.Delivers() {
		status = instainstru.NotificationSent
	}
	if err := h.finish(ctx, n.DedupeKey, status, ""); err != nil {
		// Sent, but not recorded: returning the error would retry the task and the lease would
		// let it send again. The row stays "sending"; the sweep re-queues it after the lease, and
		// that is the documented duplicate window.
		log.ErrorContext(ctx, "email sent but its outcome was not recorded", "err", err)
	}
	log.InfoContext(ctx, "email "+string(status), "kind", string(kind))
	return nil
}

// finish records an outcome on a fresh short deadline: the task's own context may be the one
// that just ran out.
// nothingToSend ends an email task that finds the email no longer owed. A claim on it that a dead
// sender left (the task may be the sweeper's re-queue of it) is released, so it neither stays
// "sending" nor is re-queued again.
func (h *handlers) nothingToSend(ctx context.Context, kind mail.Kind, b *instainstru.Booking, to Recipient) error {
	uid, err := recipientOf(b, to)
	if err != nil {
		return permanent("%v", err)
	}
	return h.deps.Store.ReleaseStaleNotification(ctx, mail.DedupeKey(kind, b.ID, uid), h.deps.lease())
}

func (h *handlers) finish(ctx context.Context, key string, st instainstru.NotificationStatus, msg string) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := h.deps.Store.FinishNotification(fctx, key, st, msg)
	if err != nil && !errors.Is(err, context.Canceled) {
		h.deps.log().ErrorContext(ctx, "record email outcome", "key", key, "status", string(st), "err", err)
	}
	return err
}
