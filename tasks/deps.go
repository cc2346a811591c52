package tasks

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/tasks/mail"
)

// Store is what the booking jobs read and write in the database (persistence.Store implements it).
type Store interface {
	BookingByID(ctx context.Context, id string) (*instainstru.Booking, error)
	UserByID(ctx context.Context, id string) (*instainstru.User, error)
	// ClaimNotification records a notification as being sent and reports whether the caller won
	// the claim (persistence/notifications.go).
	ClaimNotification(ctx context.Context, n *instainstru.Notification, lease time.Duration) (bool, error)
	FinishNotification(ctx context.Context, dedupeKey string, status instainstru.NotificationStatus, errText string) error
	StuckNotifications(ctx context.Context, lease time.Duration, limit int) ([]instainstru.Notification, error)
	// ReleaseStaleNotification drops a dead sender's claim on an email no longer owed.
	ReleaseStaleNotification(ctx context.Context, dedupeKey string, lease time.Duration) error
	UpcomingLessons(ctx context.Context, from, afterStart time.Time, afterID string, limit int) ([]instainstru.UpcomingLesson, error)
	RelayOutbox(ctx context.Context, limit int, deliver func(context.Context, instainstru.Event) error) (relayed, failed int, err error)
}

// CacheInvalidator drops an instructor's cached calendar entries on every node
// (persistence/cache.(*Stores).AvailabilityChanged).
type CacheInvalidator interface {
	AvailabilityChanged(ctx context.Context, instructorID string)
}

// DefaultClaimLease is how long a notification claim ("sending") protects a send in progress.
// It must exceed the longest a send can take (the SMTP timeout, 15 s by default) with room to
// spare: a claim older than this is taken to be a dead worker's and is sent again.
const DefaultClaimLease = 2 * time.Minute

// Deps is what the handlers of NewMux, the relay and the sweeper need.
type Deps struct {
	Store  Store
	Mailer mail.Mailer
	Cache  CacheInvalidator
	// Client enqueues tasks (the relay, the sweeper).
	Client *asynq.Client
	// ClaimLease: DefaultClaimLease when zero.
	ClaimLease time.Duration
	Log        *slog.Logger
	// Now is the clock (time.Now when nil); tests move it.
	Now func() time.Time
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deps) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

func (d *Deps) lease() time.Duration {
	if d.ClaimLease > 0 {
		return d.ClaimLease
	}
	return DefaultClaimLease
}
