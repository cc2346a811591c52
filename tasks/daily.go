package tasks

// The daily half of the background jobs: analytics, the daily report, cache warming and upkeep,
// plus the scheduler's tick handler. RegisterDaily adds their handlers to the worker's mux.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence/cache"
)

// TypeDailyTick is the task asynq's scheduler enqueues at each daily entry's time
// (DailyTickPayload). Its handler turns the tick into the entry's task for that day under a
// deterministic TaskID, so ticks from several schedulers make one run.
const TypeDailyTick = "schedule:daily_tick"

// DailyTickPayload names the DailyEntry a tick is for.
type DailyTickPayload struct {
	Entry string `json:"entry"`
}

// Defaults of UpkeepPolicy.
const (
	DefaultAutoCompleteAfter    = 72 * time.Hour
	DefaultRefreshTokenTTL      = 720 * time.Hour
	DefaultSearchEventRetention = 180 * 24 * time.Hour // well beyond the 30 days analytics reads
	DefaultOutboxRetention      = 7 * 24 * time.Hour   // relayed events kept for inspection
)

// UpkeepPolicy says what the upkeep jobs keep; zero fields take the defaults.
type UpkeepPolicy struct {
	// AutoCompleteAfter (AUTO_COMPLETE_AFTER): a confirmed lesson that ended longer ago than this
	// becomes completed; until then its instructor may still mark it a no-show.
	AutoCompleteAfter time.Duration
	// RefreshTokenTTL (REFRESH_TOKEN_TTL): spent refresh tokens are kept this long (see
	// persistence.Store.PurgeSpentRefreshTokens).
	RefreshTokenTTL time.Duration
	// SearchEventRetention: search events older than this are deleted.
	SearchEventRetention time.Duration
	// OutboxRetention: relayed outbox events older than this are deleted.
	OutboxRetention time.Duration
}

func (p UpkeepPolicy) withDefaults() UpkeepPolicy {
	if p.AutoCompleteAfter <= 0 {
		p.AutoCompleteAfter = DefaultAutoCompleteAfter
	}
	if p.RefreshTokenTTL <= 0 {
		p.RefreshTokenTTL = DefaultRefreshTokenTTL
	}
	if p.SearchEventRetention <= 0 {
		p.SearchEventRetention = DefaultSearchEventRetention
	}
	if p.OutboxRetention <= 0 {
		p.OutboxRetention = DefaultOutboxRetention
	}
	return p
}

// AnalyticsStore computes and stores the daily figures; persistence.Store implements it.
type AnalyticsStore interface {
	ComputeServiceAnalytics(ctx context.Context, day instainstru.Date, asOf time.Time) (int64, error)
	AnalyticsDone(ctx context.Context, day instainstru.Date) (bool, error)
	SaveDailyReport(ctx context.Context, day instainstru.Date, from, to time.Time) (*instainstru.DailyReport, error)
	DailyReportDone(ctx context.Context, day instainstru.Date) (bool, error)
}

// UpkeepStore runs the upkeep statements; persistence.Store implements it.
type UpkeepStore interface {
	AutoCompleteBookings(ctx context.Context, endedBefore, now time.Time) (instainstru.AutoCompleted, error)
	PurgeExpiredIdempotencyKeys(ctx context.Context, before time.Time) (int64, error)
	PurgeSpentRefreshTokens(ctx context.Context, now time.Time, ttl time.Duration) (int64, error)
	PurgeSearchEvents(ctx context.Context, before time.Time) (int64, error)
}

// OutboxPurger deletes relayed outbox events (persistence.Store.PurgeRelayedOutbox).
type OutboxPurger interface {
	PurgeRelayedOutbox(ctx context.Context, before time.Time) (int64, error)
}

// CacheWarmer fills the read cache after the analytics changed (cache.Stores implements it).
type CacheWarmer interface {
	WarmCache(ctx context.Context) (cache.WarmStats, error)
}

// TaskEnqueuer enqueues tasks (*asynq.Client implements it).
type TaskEnqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// DailyDeps is what the daily handlers need. Analytics, Upkeep and Queue are required; a nil
// Outbox or Warmer makes that step log that it is not wired and do nothing.
type DailyDeps struct {
	Analytics AnalyticsStore
	Upkeep    UpkeepStore
	Outbox    OutboxPurger
	Warmer    CacheWarmer
	// Queue enqueues the tasks a handler starts (cache warming after analytics, the entry's
	// task after a tick).
	Queue  TaskEnqueuer
	Policy UpkeepPolicy
	Log    *slog.Logger
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
}

// RegisterDaily adds the handlers of the daily jobs to mux: analytics (daily and recalculation),
// the daily report, cache warming, auto-complete, the purges and the scheduler's daily tick.
func RegisterDaily(mux *asynq.ServeMux, deps DailyDeps) {
	if deps.Analytics == nil || deps.Upkeep == nil || deps.Queue == nil {
		panic("tasks: RegisterDaily needs Analytics, Upkeep and Queue")
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	deps.Policy = deps.Policy.withDefaults()
	h := &dailyHandlers{DailyDeps: deps, entries: DailyEntries(deps.Analytics)}
	mux.HandleFunc(TypeAnalyticsDaily, h.analytics)
	mux.HandleFunc(TypeAnalyticsRecalc, h.analytics)
	mux.HandleFunc(TypeDailyReport, h.report)
	mux.HandleFunc(TypeWarmCache, h.warm)
	mux.HandleFunc(TypeAutoComplete, h.autoComplete)
	mux.HandleFunc(TypePurge, h.purge)
	mux.HandleFunc(TypeSearchEventsTrim, h.trimSearchEvents)
	mux.HandleFunc(TypeDailyTick, h.tick)
}

type dailyHandlers struct {
	DailyDeps
	entries []DailyEntry
}

// dailyZone is AnalyticsZone, loaded once.
var dailyZone = func() *time.Location {
	loc, err := time.LoadLocation(AnalyticsZone)
	if err != nil {
		panic("tasks: the tz database lacks " + AnalyticsZone + ": " + err.Error())
	}
	return loc
}()

// dayStart is the instant day begins in AnalyticsZone.
func dayStart(d instainstru.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, dailyZone)
}

// zoneDay is the AnalyticsZone date of t.
func zoneDay(t time.Time) instainstru.Date { return instainstru.DateOf(t.In(dailyZone)) }

// payloadDay decodes a DailyPayload; a malformed one is never retried.
func payloadDay(t *asynq.Task) (instainstru.Date, error) {
	var p DailyPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return instainstru.Date{}, fmt.Errorf("%s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	d, err := instainstru.ParseDate(p.Day)
	if err != nil {
		return d, fmt.Errorf("%s payload day %q: %v: %w", t.Type(), p.Day, err, asynq.SkipRetry)
	}
	return d, nil
}

// analytics computes the figures of the payload's calculation day, counting up to the end of
// that day or now, whichever is earlier (so a run for a day is the same whether it ran on time
// or was caught up later that day, and a late run never counts the next day's events), then
// starts cache warming: the popularity rankings just changed.
func (h *dailyHandlers) analytics(ctx context.Context, t *asynq.Task) error {
	day, err := payloadDay(t)
	if err != nil {
		return err
	}
	now := h.Now()
	if dayStart(day).After(now) {
		return fmt.Errorf("analytics for %s, a day that has not begun: %w", day, asynq.SkipRetry)
	}
	asOf := now
	if end := dayStart(day.AddDays(1)); end.Before(asOf) {
		asOf = end
	}
	start := time.Now()
	n, err := h.Analytics.ComputeServiceAnalytics(ctx, day, asOf)
	if err != nil {
		return err
	}
	h.Log.Info("service analytics computed", "day", day.String(), "as_of", asOf.UTC(), "services", n,
		"took", time.Since(start).Round(time.Millisecond))
	id, _ := asynq.GetTaskID(ctx)
	if id == "" {
		id = "analytics:" + day.String()
	}
	return h.enqueue(ctx, asynq.NewTask(TypeWarmCache, nil), "warm:"+id)
}

// enqueue adds task to the low queue under id; an id already taken means the task exists (or
// ran and is retained), which is what was wanted.
func (h *dailyHandlers) enqueue(ctx context.Context, task *asynq.Task, id string) error {
	_, err := h.Queue.EnqueueContext(ctx, task, dailyTaskOptions(id)...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue %s: %w", id, err)
	}
	return nil
}

// report stores and logs the report of the payload's day, once that day is over.
func (h *dailyHandlers) report(ctx context.Context, t *asynq.Task) error {
	day, err := payloadDay(t)
	if err != nil {
		return err
	}
	from, to := dayStart(day), dayStart(day.AddDays(1))
	if to.After(h.Now()) {
		return fmt.Errorf("report of %s, a day that is not over: %w", day, asynq.SkipRetry)
	}
	r, err := h.Analytics.SaveDailyReport(ctx, day, from, to)
	if err != nil {
		return err
	}
	analyticsDay := "none"
	if r.AnalyticsDay != nil {
		analyticsDay = r.AnalyticsDay.String()
	}
	h.Log.Info("daily report", "day", day.String(),
		"bookings_created", r.BookingsCreated, "bookings_cancelled", r.BookingsCancelled,
		"late_cancellations", r.LateCancellations, "lessons_completed", r.LessonsCompleted,
		"no_shows", r.NoShows, "booked_cents", r.BookedCents, "new_students", r.NewStudents,
		"new_instructors", r.NewInstructors, "searches", r.Searches, "zero_result_searches", r.ZeroResultSearches,
		"analytics_day", analyticsDay, "top_services", r.TopServices, "trending_services", r.TrendingServices)
	return nil
}

// warm fills the read cache (see cache.Stores.WarmCache).
func (h *dailyHandlers) warm(ctx context.Context, _ *asynq.Task) error {
	if h.Warmer == nil {
		h.Log.Warn("cache warming skipped: this worker has no cache wired")
		return nil
	}
	st, err := h.Warmer.WarmCache(ctx)
	h.Log.Info("cache warmed", "catalog_entries", st.Catalog, "profiles", st.Profiles, "calendars", st.Calendars)
	return err
}

// autoComplete completes the confirmed lessons that ended more than AutoCompleteAfter ago.
func (h *dailyHandlers) autoComplete(ctx context.Context, _ *asynq.Task) error {
	now := h.Now()
	done, err := h.Upkeep.AutoCompleteBookings(ctx, now.Add(-h.Policy.AutoCompleteAfter), now)
	h.Log.Info("lessons auto-completed", "bookings", done.Bookings, "instructors", done.Instructors,
		"ended_before", now.Add(-h.Policy.AutoCompleteAfter).UTC())
	return err
}

// purge deletes expired idempotency records, spent refresh tokens and relayed outbox events.
// Every purge runs even when another failed; the task fails (and is retried) if any did.
func (h *dailyHandlers) purge(ctx context.Context, _ *asynq.Task) error {
	now := h.Now()
	var errs []error
	idem, err := h.Upkeep.PurgeExpiredIdempotencyKeys(ctx, now)
	errs = append(errs, err)
	tokens, err := h.Upkeep.PurgeSpentRefreshTokens(ctx, now, h.Policy.RefreshTokenTTL)
	errs = append(errs, err)
	var outbox int64
	if h.Outbox != nil {
		outbox, err = h.Outbox.PurgeRelayedOutbox(ctx, now.Add(-h.Policy.OutboxRetention))
		errs = append(errs, err)
	} else {
		h.Log.Warn("relayed outbox purge skipped: not wired")
	}
	h.Log.Info("purged", "idempotency_keys", idem, "refresh_tokens", tokens, "outbox_events", outbox)
	return errors.Join(errs...)
}

// trimSearchEvents deletes search events older than the retention.
func (h *dailyHandlers) trimSearchEvents(ctx context.Context, _ *asynq.Task) error {
	n, err := h.Upkeep.PurgeSearchEvents(ctx, h.Now().Add(-h.Policy.SearchEventRetention))
	h.Log.Info("search events trimmed", "deleted", n, "retention", h.Policy.SearchEventRetention)
	return err
}

// tick turns a scheduler tick into its entry's task for the occurrence nearest to now (a tick
// processed a little late, or on a worker whose clock runs behind the scheduler's, still names
// the right day), under the entry's deterministic TaskID.
func (h *dailyHandlers) tick(ctx context.Context, t *asynq.Task) error {
	var p DailyTickPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("tick payload: %v: %w", err, asynq.SkipRetry)
	}
	for _, e := range h.entries {
		if e.Name == p.Entry {
			task, opts := e.Task(e.NearestOccurrence(h.Now()))
			_, err := h.Queue.EnqueueContext(ctx, task, opts...)
			if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
				return err
			}
			return nil
		}
	}
	return fmt.Errorf("tick for unknown entry %q: %w", p.Entry, asynq.SkipRetry)
}

// RecalcQueue enqueues analytics recalculations for the admin endpoint (it implements the api
// package's AnalyticsQueue).
type RecalcQueue struct {
	Queue TaskEnqueuer
	Now   func() time.Time // default time.Now
}

// EnqueueRecalculate enqueues a recalculation of today's figures (today in AnalyticsZone) under a
// fresh TaskID and returns that ID. Each request is its own run: a recalculation replaces the
// day's rows, so two in a row cost work but change nothing wrong.
func (q RecalcQueue) EnqueueRecalculate(ctx context.Context) (string, error) {
	now := time.Now
	if q.Now != nil {
		now = q.Now
	}
	payload, err := json.Marshal(DailyPayload{Day: zoneDay(now()).String()})
	if err != nil {
		return "", err
	}
	id := "analytics:recalc:" + instainstru.NewID()
	info, err := q.Queue.EnqueueContext(ctx, asynq.NewTask(TypeAnalyticsRecalc, payload), dailyTaskOptions(id)...)
	if err != nil {
		return "", err
	}
	return info.ID, nil
}
