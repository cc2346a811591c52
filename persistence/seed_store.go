package persistence

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence/seed"
)

// The demo seed's reads and writes (seed.DemoStore, seed.DemoTx): package seed decides what to
// write, this file only moves rows. Inserts keep ON CONFLICT DO NOTHING so a re-run never
// overwrites what the API changed; the big tables (availability, bookings) go by COPY.

// RunDemoTx runs fn in one transaction (implementing seed.DemoStore).
func (s *Store) RunDemoTx(ctx context.Context, fn func(seed.DemoTx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(demoTx{tx}) })
}

// demoTx implements seed.DemoTx on one pgx transaction.
type demoTx struct{ tx pgx.Tx }

var _ seed.DemoTx = demoTx{}

func (d demoTx) AdvisoryLock(ctx context.Context, key int64) error {
	_, err := d.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, key)
	return err
}

func (d demoTx) CatalogServices(ctx context.Context) ([]seed.CatalogServiceRow, error) {
	const q = `
		SELECT sc.id, sc.slug, sc.name, c.slug, c.name, sc.typical_durations, sc.online_capable
		FROM service_catalog sc
		JOIN service_categories c ON c.id = sc.category_id
		WHERE sc.is_active`
	rows, err := d.tx.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (seed.CatalogServiceRow, error) {
		var sv seed.CatalogServiceRow
		err := row.Scan(&sv.ID, &sv.Slug, &sv.Name, &sv.CategorySlug, &sv.CategoryName, &sv.Durations, &sv.Online)
		return sv, err
	})
}

func (d demoTx) InsertUsers(ctx context.Context, users []seed.UserRow) (int, error) {
	const q = `
		INSERT INTO users (id, email, password_hash, full_name, role, timezone, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT DO NOTHING`
	b := &pgx.Batch{}
	for _, u := range users {
		b.Queue(q, u.ID, u.Email, u.PasswordHash, u.FullName, string(u.Role), u.Timezone, u.CreatedAt)
	}
	return demoExecBatch(ctx, d.tx, b)
}

func (d demoTx) UserStatuses(ctx context.Context, ids []string) (map[string]instainstru.AccountStatus, error) {
	const q = `SELECT id, account_status FROM users WHERE id = ANY($1)`
	rows, err := d.tx.Query(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]instainstru.AccountStatus{}
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			return nil, err
		}
		out[id] = instainstru.AccountStatus(status)
	}
	return out, rows.Err()
}

func (d demoTx) InsertProfiles(ctx context.Context, profiles []seed.ProfileRow) (int, error) {
	const q = `
		INSERT INTO instructor_profiles (user_id, bio, years_experience, areas_of_service,
			min_advance_booking_hours, buffer_minutes, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT DO NOTHING`
	b := &pgx.Batch{}
	for _, p := range profiles {
		b.Queue(q, p.UserID, p.Bio, p.YearsExperience, nonNil(p.Areas), p.MinAdvanceHours, p.BufferMinutes, p.CreatedAt)
	}
	return demoExecBatch(ctx, d.tx, b)
}

func (d demoTx) InsertOffers(ctx context.Context, offers []seed.OfferRow) (int, error) {
	const q = `
		INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents,
			duration_options, description, location_types, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
		ON CONFLICT DO NOTHING`
	b := &pgx.Batch{}
	for _, o := range offers {
		b.Queue(q, o.ID, o.InstructorID, o.CatalogServiceID, o.HourlyRateCents, o.Durations, o.Description, o.Locations, o.CreatedAt)
	}
	return demoExecBatch(ctx, d.tx, b)
}

// demoExecBatch sends b and adds up the rows each statement affected; an empty batch sends nothing.
func demoExecBatch(ctx context.Context, tx pgx.Tx, b *pgx.Batch) (int, error) {
	if b.Len() == 0 {
		return 0, nil
	}
	br := tx.SendBatch(ctx, b)
	n := 0
	for i := 0; i < b.Len(); i++ {
		tag, err := br.Exec()
		if err != nil {
			_ = br.Close()
			return n, err
		}
		n += int(tag.RowsAffected())
	}
	return n, br.Close()
}

func (d demoTx) InstructorSettings(ctx context.Context, ids []string) ([]seed.SettingsRow, error) {
	const q = `
		SELECT u.id, u.timezone, u.account_status, p.buffer_minutes, p.min_advance_booking_hours
		FROM users u JOIN instructor_profiles p ON p.user_id = u.id
		WHERE u.id = ANY($1)`
	rows, err := d.tx.Query(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (seed.SettingsRow, error) {
		var st seed.SettingsRow
		var status string
		err := row.Scan(&st.InstructorID, &st.Timezone, &status, &st.BufferMinutes, &st.MinAdvanceHours)
		st.Status = instainstru.AccountStatus(status)
		return st, err
	})
}

func (d demoTx) ActiveOffers(ctx context.Context, offerIDs []string) ([]seed.StoredOfferRow, error) {
	const q = `
		SELECT id, catalog_service_id, hourly_rate_cents, duration_options, location_types
		FROM instructor_services WHERE id = ANY($1) AND is_active`
	rows, err := d.tx.Query(ctx, q, offerIDs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (seed.StoredOfferRow, error) {
		var o seed.StoredOfferRow
		err := row.Scan(&o.ID, &o.CatalogServiceID, &o.HourlyRateCents, &o.Durations, &o.Locations)
		return o, err
	})
}

func (d demoTx) Availability(ctx context.Context, ids []string, from, to instainstru.Date) ([]seed.AvailabilityRow, error) {
	const q = `
		SELECT instructor_id, slot_date, start_time, end_time FROM availability_slots
		WHERE instructor_id = ANY($1) AND slot_date >= $2 AND slot_date < $3
		ORDER BY instructor_id, slot_date, start_time`
	rows, err := d.tx.Query(ctx, q, ids, from.Time(), to.Time())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (seed.AvailabilityRow, error) {
		var a seed.AvailabilityRow
		var day time.Time
		var start, end pgtype.Time
		if err := row.Scan(&a.InstructorID, &day, &start, &end); err != nil {
			return a, err
		}
		a.Date = instainstru.DateOf(day)
		a.Range = instainstru.TimeRange{Start: demoMinute(start), End: demoMinute(end)}
		return a, nil
	})
}

func (d demoTx) Blackouts(ctx context.Context, ids []string, from, to instainstru.Date) ([]seed.BlackoutRow, error) {
	const q = `
		SELECT instructor_id, blackout_date FROM blackout_dates
		WHERE instructor_id = ANY($1) AND blackout_date >= $2 AND blackout_date < $3`
	rows, err := d.tx.Query(ctx, q, ids, from.Time(), to.Time())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (seed.BlackoutRow, error) {
		var b seed.BlackoutRow
		var day time.Time
		err := row.Scan(&b.InstructorID, &day)
		b.Date = instainstru.DateOf(day)
		return b, err
	})
}

func demoMinute(t pgtype.Time) instainstru.Minute {
	return instainstru.Minute(t.Microseconds / int64(time.Minute/time.Microsecond))
}

func demoPgTime(m instainstru.Minute) pgtype.Time {
	return pgtype.Time{Microseconds: int64(m) * int64(time.Minute/time.Microsecond), Valid: true}
}

func (d demoTx) CopyAvailability(ctx context.Context, rows []seed.AvailabilityRow) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	data := make([][]any, len(rows))
	for i, a := range rows {
		data[i] = []any{a.InstructorID, a.Date.Time(), demoPgTime(a.Range.Start), demoPgTime(a.Range.End)}
	}
	n, err := d.tx.CopyFrom(ctx, pgx.Identifier{"availability_slots"},
		[]string{"instructor_id", "slot_date", "start_time", "end_time"}, pgx.CopyFromRows(data))
	return int(n), err
}

func (d demoTx) AnyBooking(ctx context.Context, ids []string) (bool, error) {
	var exists bool
	err := d.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM bookings WHERE id = ANY($1))`, ids).Scan(&exists)
	return exists, err
}

func (d demoTx) BusyBookings(ctx context.Context, instructorIDs, studentIDs []string, since time.Time) ([]seed.BusyRow, error) {
	const q = `
		SELECT instructor_id, student_id, starts_at, ends_at, blocked_until FROM bookings
		WHERE status <> 'cancelled' AND blocked_until > $3
		  AND (instructor_id = ANY($1) OR student_id = ANY($2))`
	rows, err := d.tx.Query(ctx, q, instructorIDs, studentIDs, since)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (seed.BusyRow, error) {
		var b seed.BusyRow
		err := row.Scan(&b.InstructorID, &b.StudentID, &b.StartsAt, &b.EndsAt, &b.BlockedUntil)
		return b, err
	})
}

func (d demoTx) CopyBookings(ctx context.Context, rows []seed.BookingRow) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	cols := []string{"id", "student_id", "instructor_id", "instructor_service_id", "booking_date", "start_time",
		"end_time", "timezone", "starts_at", "ends_at", "blocked_until", "duration_minutes", "buffer_minutes",
		"service_name", "category_name", "hourly_rate_cents", "total_price_cents", "status", "location_type",
		"meeting_location", "student_note", "late_cancellation", "cancellation_reason", "cancelled_by",
		"cancelled_at", "completed_at", "created_at", "updated_at"}
	data := make([][]any, len(rows))
	for i, b := range rows {
		data[i] = []any{b.ID, b.StudentID, b.InstructorID, b.OfferID, b.Date.Time(), demoPgTime(b.Start),
			demoPgTime(b.End), b.Timezone, b.StartsAt, b.EndsAt, b.BlockedUntil, b.DurationMinutes, b.BufferMinutes,
			b.ServiceName, b.CategoryName, b.HourlyRateCents, b.TotalPriceCents, string(b.Status), string(b.LocationType),
			b.MeetingLocation, b.StudentNote, b.LateCancellation, b.CancellationReason, b.CancelledBy,
			b.CancelledAt, b.CompletedAt, b.CreatedAt, b.UpdatedAt}
	}
	n, err := d.tx.CopyFrom(ctx, pgx.Identifier{"bookings"}, cols, pgx.CopyFromRows(data))
	return int(n), err
}

func (d demoTx) Counts(ctx context.Context, q seed.CountsQuery) (seed.Counts, error) {
	const query = `
		SELECT
			(SELECT count(*) FILTER (WHERE role = 'instructor') FROM users WHERE id = ANY($1)),
			(SELECT count(*) FILTER (WHERE role = 'student') FROM users WHERE id = ANY($1)),
			(SELECT count(*) FILTER (WHERE role = 'admin') FROM users WHERE id = ANY($1)),
			(SELECT count(*) FROM instructor_services WHERE id = ANY($2) AND is_active),
			(SELECT count(*) FROM availability_slots WHERE instructor_id = ANY($3) AND slot_date >= $4),
			(SELECT count(*) FROM bookings WHERE id = ANY($5))`
	var c seed.Counts
	err := d.tx.QueryRow(ctx, query, q.UserIDs, q.OfferIDs, q.InstructorIDs, q.From.Time(), q.BookingIDs).Scan(
		&c.Instructors, &c.Students, &c.Admins, &c.Offers, &c.UpcomingSlots, &c.Bookings)
	return c, err
}
