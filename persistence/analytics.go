package persistence

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/instainstru/instainstru"
)

// Analytics windows. Figures of a run that counts up to the instant asOf cover [asOf − window,
// asOf): fixed lengths of 24-hour days, so a clock change inside a window neither adds nor
// removes an hour.
const (
	Window7d  = 7 * 24 * time.Hour
	Window30d = 30 * 24 * time.Hour
	Window90d = 90 * 24 * time.Hour
)

// ComputeServiceAnalytics computes the figures of every catalog service (active or not) as of
// the instant asOf and writes them as the rows of calculation day day, in one statement (so one
// transaction): every service's row for that day is inserted or replaced, none is left half
// written, and recomputing a day replaces that day's rows (calculated_at = asOf). It returns how
// many rows were written.
//
// The figures, per catalog service s:
//
//   - search_count_7d / _30d: search events made in the window whose matched_service_ids
//     contain s (an event counts once however often it lists s).
//   - booking_count_7d / _30d / _90d: bookings of offers of s made (created_at) in the window
//     and not cancelled since. A rescheduled lesson counts once: the replaced booking is
//     cancelled, its replacement counts from when it was made.
//   - active_instructors: instructors with an active offer of s whose account is active (one
//     active offer per instructor and service), as of the run.
//   - avg_price_cents, price_p25/p50/p75_cents: mean and quartiles (continuous, interpolated)
//     of the hourly rates of those active offers, rounded to the cent (halves away from zero);
//     null without any.
//   - demand_score, in [0, 1]: with activity(s) = booking_count_30d + search_count_30d / 10 (ten
//     searches weigh as much as one booking) and pressure(s) = activity(s) / max(1,
//     active_instructors), demand_score = 0.7 · activity / max activity + 0.3 · pressure / max
//     pressure, the maxima taken over every service of the run (a term is 0 when its maximum is
//     0). Volume dominates, so a service with one instructor and one booking does not outrank a
//     busy one; the pressure term lifts services whose demand outgrows their instructors.
//   - is_trending: the last 7 days run clearly above the 30-day pace, on enough events:
//     booking_count_7d + search_count_7d ≥ 5 and activity7 / 7 ≥ 1.5 · activity / 30, where
//     activity7 = booking_count_7d + search_count_7d / 10 (daily rates; the 30-day window
//     includes the last 7 days, so a service whose whole month fell in the last week has a
//     ratio of 30/7 ≈ 4.3, an even month 1).
func (s *Store) ComputeServiceAnalytics(ctx context.Context, day instainstru.Date, asOf time.Time) (int64, error) {
	const q = `
		WITH searches AS (
			SELECT x.sid AS catalog_service_id,
			       count(*) FILTER (WHERE e.created_at >= $3) AS s7,
			       count(*) AS s30
			FROM search_events e
			CROSS JOIN LATERAL (SELECT DISTINCT u AS sid FROM unnest(e.matched_service_ids) AS u) x
			WHERE e.created_at >= $4 AND e.created_at < $2
			GROUP BY x.sid
		), booked AS (
			SELECT o.catalog_service_id,
			       count(*) FILTER (WHERE b.created_at >= $3) AS b7,
			       count(*) FILTER (WHERE b.created_at >= $4) AS b30,
			       count(*) AS b90
			FROM bookings b
			JOIN instructor_services o ON o.id = b.instructor_service_id
			WHERE b.created_at >= $5 AND b.created_at < $2 AND b.status <> 'cancelled'
			GROUP BY o.catalog_service_id
		), offers AS (
			SELECT o.catalog_service_id, count(*) AS n,
			       round(avg(o.hourly_rate_cents))::int AS avg_price,
			       round((percentile_cont(0.25) WITHIN GROUP (ORDER BY o.hourly_rate_cents))::numeric)::int AS p25,
			       round((percentile_cont(0.50) WITHIN GROUP (ORDER BY o.hourly_rate_cents))::numeric)::int AS p50,
			       round((percentile_cont(0.75) WITHIN GROUP (ORDER BY o.hourly_rate_cents))::numeric)::int AS p75
			FROM instructor_services o
			JOIN users u ON u.id = o.instructor_id
			WHERE o.is_active AND u.account_status = 'active'
			GROUP BY o.catalog_service_id
		), base AS (
			SELECT sc.id,
			       coalesce(se.s7, 0) AS s7, coalesce(se.s30, 0) AS s30,
			       coalesce(bk.b7, 0) AS b7, coalesce(bk.b30, 0) AS b30, coalesce(bk.b90, 0) AS b90,
			       coalesce(ofr.n, 0) AS n, ofr.avg_price, ofr.p25, ofr.p50, ofr.p75,
			       coalesce(bk.b30, 0) + coalesce(se.s30, 0) / 10.0 AS activity,
			       coalesce(bk.b7, 0) + coalesce(se.s7, 0) / 10.0 AS activity7
			FROM service_catalog sc
			LEFT JOIN searches se ON se.catalog_service_id = sc.id
			LEFT JOIN booked bk ON bk.catalog_service_id = sc.id
			LEFT JOIN offers ofr ON ofr.catalog_service_id = sc.id
		), scored AS (
			SELECT base.*, activity / greatest(n, 1) AS pressure,
			       max(activity) OVER () AS max_activity,
			       max(activity / greatest(n, 1)) OVER () AS max_pressure
			FROM base
		)
		INSERT INTO service_analytics (catalog_service_id, calculated_on, search_count_7d, search_count_30d,
			booking_count_7d, booking_count_30d, booking_count_90d, active_instructors, avg_price_cents,
			price_p25_cents, price_p50_cents, price_p75_cents, demand_score, is_trending, calculated_at)
		SELECT id, $1, s7, s30, b7, b30, b90, n, avg_price, p25, p50, p75,
		       (CASE WHEN max_activity > 0 THEN 0.7 * activity / max_activity ELSE 0 END
		        + CASE WHEN max_pressure > 0 THEN 0.3 * pressure / max_pressure ELSE 0 END)::float8,
		       b7 + s7 >= 5 AND 30 * activity7 >= 10.5 * activity,
		       $2
		FROM scored
		ORDER BY id
		ON CONFLICT (catalog_service_id, calculated_on) DO UPDATE SET
			search_count_7d = EXCLUDED.search_count_7d, search_count_30d = EXCLUDED.search_count_30d,
			booking_count_7d = EXCLUDED.booking_count_7d, booking_count_30d = EXCLUDED.booking_count_30d,
			booking_count_90d = EXCLUDED.booking_count_90d, active_instructors = EXCLUDED.active_instructors,
			avg_price_cents = EXCLUDED.avg_price_cents, price_p25_cents = EXCLUDED.price_p25_cents,
			price_p50_cents = EXCLUDED.price_p50_cents, price_p75_cents = EXCLUDED.price_p75_cents,
			demand_score = EXCLUDED.demand_score, is_trending = EXCLUDED.is_trending,
			calculated_at = EXCLUDED.calculated_at`
	tag, err := s.pool.Exec(ctx, q, day.Time(), asOf, asOf.Add(-Window7d), asOf.Add(-Window30d), asOf.Add(-Window90d))
	if err != nil {
		return 0, translate(err, "service analytics")
	}
	return tag.RowsAffected(), nil
}

// AnalyticsDone reports whether an analytics run for calculation day day has been written.
func (s *Store) AnalyticsDone(ctx context.Context, day instainstru.Date) (bool, error) {
	const q = `SELECT EXISTS (SELECT 1 FROM service_analytics WHERE calculated_on = $1)`
	var ok bool
	err := s.pool.QueryRow(ctx, q, day.Time()).Scan(&ok)
	return ok, translate(err, "service analytics")
}

// reportSummary is the stored JSON of a daily report (daily_reports.summary); its keys are the
// ones README.md lists.
type reportSummary struct {
	BookingsCreated    int      `json:"bookings_created"`
	BookingsCancelled  int      `json:"bookings_cancelled"`
	LateCancellations  int      `json:"late_cancellations"`
	LessonsCompleted   int      `json:"lessons_completed"`
	NoShows            int      `json:"no_shows"`
	BookedCents        int64    `json:"booked_cents"`
	NewStudents        int      `json:"new_students"`
	NewInstructors     int      `json:"new_instructors"`
	Searches           int      `json:"searches"`
	ZeroResultSearches int      `json:"zero_result_searches"`
	AnalyticsDay       *string  `json:"analytics_day"`
	TopServices        []string `json:"top_services"`
	TrendingServices   []string `json:"trending_services"`
}

// SaveDailyReport computes the report of day, the instants [from, to), and stores it as that
// day's row of daily_reports, replacing an earlier one. The service lists come from the latest
// analytics run. A no-show has no timestamp of its own: it counts on the day its booking row was
// last updated, which is when it was marked.
func (s *Store) SaveDailyReport(ctx context.Context, day instainstru.Date, from, to time.Time) (*instainstru.DailyReport, error) {
	const figures = `
		SELECT
			(SELECT count(*) FROM bookings WHERE created_at >= $1 AND created_at < $2),
			(SELECT count(*) FROM bookings WHERE status = 'cancelled' AND cancelled_at >= $1 AND cancelled_at < $2),
			(SELECT count(*) FROM bookings WHERE status = 'cancelled' AND late_cancellation AND cancelled_at >= $1 AND cancelled_at < $2),
			(SELECT count(*) FROM bookings WHERE status = 'completed' AND completed_at >= $1 AND completed_at < $2),
			(SELECT count(*) FROM bookings WHERE status = 'no_show' AND updated_at >= $1 AND updated_at < $2),
			(SELECT coalesce(sum(total_price_cents), 0) FROM bookings
			  WHERE created_at >= $1 AND created_at < $2 AND status <> 'cancelled'),
			(SELECT count(*) FROM users WHERE role = 'student' AND created_at >= $1 AND created_at < $2),
			(SELECT count(*) FROM users WHERE role = 'instructor' AND created_at >= $1 AND created_at < $2),
			(SELECT count(*) FROM search_events WHERE created_at >= $1 AND created_at < $2),
			(SELECT count(*) FROM search_events WHERE result_count = 0 AND created_at >= $1 AND created_at < $2),
			(SELECT max(calculated_on) FROM service_analytics)`
	const lists = `
		SELECT sc.name, sa.is_trending,
		       row_number() OVER (ORDER BY sa.demand_score DESC, sc.display_order, sc.id) AS rank
		FROM service_analytics sa
		JOIN service_catalog sc ON sc.id = sa.catalog_service_id
		WHERE sa.calculated_on = $1
		ORDER BY rank`
	const save = `
		INSERT INTO daily_reports (day, summary) VALUES ($1, $2)
		ON CONFLICT (day) DO UPDATE SET summary = EXCLUDED.summary, created_at = now()
		RETURNING created_at`
	r := &instainstru.DailyReport{Day: day, TopServices: []string{}, TrendingServices: []string{}}
	err := s.inTx(ctx, "daily report", func(tx pgx.Tx) error {
		var analyticsDay *time.Time
		if err := tx.QueryRow(ctx, figures, from, to).Scan(&r.BookingsCreated, &r.BookingsCancelled,
			&r.LateCancellations, &r.LessonsCompleted, &r.NoShows, &r.BookedCents, &r.NewStudents,
			&r.NewInstructors, &r.Searches, &r.ZeroResultSearches, &analyticsDay); err != nil {
			return err
		}
		sum := reportSummary{BookingsCreated: r.BookingsCreated, BookingsCancelled: r.BookingsCancelled,
			LateCancellations: r.LateCancellations, LessonsCompleted: r.LessonsCompleted, NoShows: r.NoShows,
			BookedCents: r.BookedCents, NewStudents: r.NewStudents, NewInstructors: r.NewInstructors,
			Searches: r.Searches, ZeroResultSearches: r.ZeroResultSearches}
		if analyticsDay != nil {
			d := instainstru.DateOf(*analyticsDay)
			r.AnalyticsDay = &d
			ds := d.String()
			sum.AnalyticsDay = &ds
			rows, _ := tx.Query(ctx, lists, *analyticsDay)
			var name string
			var trending bool
			var rank int64
			_, err := pgx.ForEachRow(rows, []any{&name, &trending, &rank}, func() error {
				if rank <= 5 {
					r.TopServices = append(r.TopServices, name)
				}
				if trending {
					r.TrendingServices = append(r.TrendingServices, name)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		sum.TopServices, sum.TrendingServices = r.TopServices, r.TrendingServices
		raw, err := json.Marshal(sum)
		if err != nil {
			return fmt.Errorf("report summary: %w", err)
		}
		return tx.QueryRow(ctx, save, day.Time(), raw).Scan(&r.CreatedAt)
	})
	if err != nil {
		return nil, translate(err, "daily report")
	}
	return r, nil
}

// DailyReportDone reports whether the report of day has been stored.
func (s *Store) DailyReportDone(ctx context.Context, day instainstru.Date) (bool, error) {
	const q = `SELECT EXISTS (SELECT 1 FROM daily_reports WHERE day = $1)`
	var ok bool
	err := s.pool.QueryRow(ctx, q, day.Time()).Scan(&ok)
	return ok, translate(err, "daily report")
}
