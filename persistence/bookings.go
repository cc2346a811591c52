package persistence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/instainstru/instainstru"
)

// BookingContext reads the offer, its instructor and the student in one query. A missing offer or
// student is not_found.
func (s *Store) BookingContext(ctx context.Context, offerID, studentID string) (*instainstru.BookingContext, error) {
	if !ValidID(offerID) || !ValidID(studentID) {
		return nil, instainstru.Errorf(instainstru.CodeNotFound, "service not found")
	}
	const q = `
		SELECT o.id, o.instructor_id, sc.name, c.id, c.slug, c.name, o.hourly_rate_cents, o.duration_options,
		       o.location_types, o.is_active AND sc.is_active,
		       iu.full_name, iu.timezone, iu.account_status, p.min_advance_booking_hours, p.buffer_minutes,
		       p.calendar_version, su.full_name, su.role, su.account_status
		FROM instructor_services o
		JOIN service_catalog sc ON sc.id = o.catalog_service_id
		JOIN service_categories c ON c.id = sc.category_id
		JOIN instructor_profiles p ON p.user_id = o.instructor_id
		JOIN users iu ON iu.id = o.instructor_id
		JOIN users su ON su.id = $2
		WHERE o.id = $1`
	var b instainstru.BookingContext
	var locs []string
	err := s.pool.QueryRow(ctx, q, offerID, studentID).Scan(&b.Offer.ID, &b.Offer.InstructorID, &b.Offer.Name,
		&b.Offer.Category.ID, &b.Offer.Category.Slug, &b.Offer.Category.Name, &b.Offer.HourlyRateCents,
		&b.Offer.DurationOptions, &locs, &b.OfferActive, &b.Instructor.FullName, &b.Instructor.Timezone,
		&b.Instructor.AccountStatus, &b.Instructor.MinAdvanceBookingHours, &b.Instructor.BufferMinutes,
		&b.Instructor.Version, &b.StudentName, &b.StudentRole, &b.StudentStatus)
	if err != nil {
		return nil, translate(err, "service")
	}
	b.Instructor.InstructorID = b.Offer.InstructorID
	for _, l := range locs {
		b.Offer.LocationTypes = append(b.Offer.LocationTypes, instainstru.LocationType(l))
	}
	b.Offer.IsActive = b.OfferActive
	return &b, nil
}

// ConfirmedBookingsFrom lists an instructor's confirmed bookings that end after `from`.
func (s *Store) ConfirmedBookingsFrom(ctx context.Context, instructorID string, from time.Time) ([]instainstru.BookingSpan, error) {
	const q = `SELECT id, student_id, starts_at, ends_at, blocked_until FROM bookings
		WHERE instructor_id = $1 AND status = 'confirmed' AND blocked_until > $2 ORDER BY starts_at`
	rows, _ := s.pool.Query(ctx, q, instructorID, from)
	return collect(rows, "bookings", func(row pgx.CollectableRow) (instainstru.BookingSpan, error) {
		var b instainstru.BookingSpan
		err := row.Scan(&b.ID, &b.StudentID, &b.StartsAt, &b.EndsAt, &b.BlockedUntil)
		return b, err
	})
}

// IdempotentReplay looks up a stored answer. It returns (nil, nil) when the key is new, the stored
// booking when the same request was answered before, and idempotency_key_reused when the key was
// used for a different request.
func (s *Store) IdempotentReplay(ctx context.Context, idem *instainstru.IdempotencyKey) (*instainstru.Booking, error) {
	const q = `SELECT request_hash, response FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND expires_at > now()`
	var hash, resp []byte
	err := s.pool.QueryRow(ctx, q, idem.UserID, idem.Key).Scan(&hash, &resp)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "idempotency key")
	}
	if string(hash) != string(idem.RequestHash) {
		return nil, instainstru.Errorf(instainstru.CodeIdempotencyKeyReused,
			"this Idempotency-Key was already used with a different request")
	}
	var b instainstru.Booking
	if err := json.Unmarshal(resp, &b); err != nil {
		return nil, instainstru.Internal(fmt.Errorf("stored idempotent response: %w", err))
	}
	return &b, nil
}

// IdempotencyTTL is how long an Idempotency-Key's answer is kept.
const IdempotencyTTL = 24 * time.Hour

const insertBookingSQL = `
	INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time,
		timezone, starts_at, ends_at, blocked_until, duration_minutes, buffer_minutes, service_name, category_name,
		hourly_rate_cents, total_price_cents, status, location_type, meeting_location, student_note,
		rescheduled_from_id, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6::time, $7::time, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'confirmed',
		$18, $19, $20, $21, $22, $22)`

func execInsertBooking(ctx context.Context, tx pgx.Tx, b *instainstru.Booking) error {
	_, err := tx.Exec(ctx, insertBookingSQL, bookingArgs(b)...)
	return bookingWriteError(err)
}

func bookingArgs(b *instainstru.Booking) []any {
	return []any{b.ID, b.Student.ID, b.Instructor.ID, b.InstructorServiceID,
		b.Date.Time(), b.StartTime.String(), b.EndTime.String(), b.Timezone, b.StartsAt, b.EndsAt, b.BlockedUntil,
		b.DurationMinutes, b.BufferMinutes, b.ServiceName, b.CategoryName, b.HourlyRateCents, b.TotalPriceCents,
		string(b.LocationType), b.MeetingLocation, b.StudentNote, b.RescheduledFromID, b.CreatedAt}
}

// bookingWriteError names which guarantee the database enforced.
func bookingWriteError(err error) error {
	if err == nil {
		return nil
	}
	switch constraintOf(err) {
	case "bookings_no_instructor_overlap":
		return &instainstru.Error{Code: instainstru.CodeBookingConflict, Message: "the instructor already has a lesson at that time", Cause: err}
	case "bookings_no_student_overlap":
		return &instainstru.Error{Code: instainstru.CodeStudentConflict, Message: "you already have a lesson at that time", Cause: err}
	case "bookings_instructor_service_id_fkey":
		// The offer was hard-deleted between the rules check and the write.
		return &instainstru.Error{Code: instainstru.CodeInstructorUnavailable, Message: "this service is no longer offered", Cause: err}
	case "idempotency_keys_pkey":
		return &instainstru.Error{Code: instainstru.CodeIdempotencyKeyReused, Message: "this Idempotency-Key was already used", Cause: err}
	}
	return translate(err, "booking")
}

// bookingFenceSQL checks, in the booking's transaction, that student, instructor and offer are
// still active (locking them against a concurrent suspension, deactivation or offer deletion)
// and fences the calendar version (booking_fence, migration 00005); it returns the new version.
const bookingFenceSQL = `SELECT booking_fence($1, $2, $3, $4)`

// InsertBooking commits a new confirmed booking fenced at calendar version expected, with its
// event and, when given, the Idempotency-Key record holding the answer, and returns the new
// calendar version. The statements go as one pipelined batch ending in a single Sync, which
// PostgreSQL runs as one implicit transaction: all of it commits or none of it does, in one round
// trip instead of BEGIN, four statements and COMMIT.
func (s *Store) InsertBooking(ctx context.Context, b *instainstru.Booking, idem *instainstru.IdempotencyKey, expected int64) (int64, error) {
	batch := &pgx.Batch{}
	var version int64
	batch.Queue(bookingFenceSQL, b.Instructor.ID, b.Student.ID, b.InstructorServiceID, expected).QueryRow(func(row pgx.Row) error {
		return row.Scan(&version)
	})
	batch.Queue(insertBookingSQL, bookingArgs(b)...)
	q, args, err := outboxInsert(instainstru.BookingEvent(instainstru.EventBookingCreated, b, b.CreatedAt))
	if err != nil {
		return 0, err
	}
	batch.Queue(q, args...)
	if idem != nil {
		resp, err := json.Marshal(b)
		if err != nil {
			return 0, err
		}
		batch.Queue(insertIdempotencySQL, idem.UserID, idem.Key, idem.RequestHash, resp, IdempotencyTTL.Seconds())
	}
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return 0, bookingWriteError(err)
	}
	return version, nil
}

// insertIdempotencySQL records the key's answer. An expired record of the same (user, key) is
// deleted first, in the same statement, so a key is free again once it expired; a live record makes
// the INSERT fail on idempotency_keys_pkey (idempotency_key_reused). It must fail, not just insert
// nothing (as ON CONFLICT DO UPDATE ... WHERE expired would): the statement runs in InsertBooking's
// pipelined batch, and only an error rolls the booking back with it. Reading count(*) from the
// DELETE makes it complete before the row is inserted (an unreferenced data-modifying CTE would run
// after the main statement); the unique check then ignores the row this transaction deleted. Two
// writers racing for one expired key: the second's DELETE waits for the first, finds nothing, and
// its INSERT meets the first's new row.
const insertIdempotencySQL = `
	WITH expired AS (
		DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND expires_at <= now() RETURNING 1
	)
	INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response, expires_at)
	SELECT $1, $2, $3, 201, $4, now() + make_interval(secs => $5)
	FROM (SELECT count(*) FROM expired) AS freed`

// PurgeExpiredIdempotencyKeys deletes the Idempotency-Key records that expired at or before
// before, returning how many went (a periodic job calls it; an expired record is already ignored
// by lookups and replaced on reuse, so this only reclaims space). It deletes in chunks of
// purgeChunk rows by the expiry index, so a large backlog never holds one long transaction.
func (s *Store) PurgeExpiredIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	const q = `
		DELETE FROM idempotency_keys WHERE expires_at <= $1 AND (user_id, key) IN (
			SELECT user_id, key FROM idempotency_keys WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)`
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, q, before, purgeChunk)
		if err != nil {
			return total, translate(err, "idempotency keys")
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < purgeChunk {
			return total, nil
		}
	}
}

// purgeChunk is how many expired records one DELETE of PurgeExpiredIdempotencyKeys removes.
const purgeChunk = 5000

// RescheduleBooking cancels old (reason "rescheduled") and inserts its replacement in one
// transaction fenced at calendar version expected (with the same activity checks as a new
// booking): if the new booking cannot be confirmed, the old one stays confirmed. It returns the
// new calendar version.
func (s *Store) RescheduleBooking(ctx context.Context, old, replacement *instainstru.Booking, expected int64) (int64, error) {
	var v int64
	err := s.inTx(ctx, "booking", func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, bookingFenceSQL, replacement.Instructor.ID, replacement.Student.ID,
			replacement.InstructorServiceID, expected).Scan(&v); err != nil {
			return err
		}
		if err := execCancel(ctx, tx, old); err != nil {
			return err
		}
		if err := execInsertBooking(ctx, tx, replacement); err != nil {
			return err
		}
		return insertOutbox(ctx, tx, instainstru.BookingEvent(instainstru.EventBookingRescheduled, replacement, replacement.CreatedAt))
	})
	return v, bookingWriteError(err)
}

func execCancel(ctx context.Context, tx pgx.Tx, b *instainstru.Booking) error {
	const q = `UPDATE bookings SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3, cancellation_reason = $4,
		late_cancellation = $5, updated_at = $2 WHERE id = $1 AND status = 'confirmed'`
	tag, err := tx.Exec(ctx, q, b.ID, b.CancelledAt, b.CancelledBy, b.CancellationReason, b.LateCancellation)
	if err != nil {
		return translate(err, "booking")
	}
	if tag.RowsAffected() != 1 {
		return instainstru.Errorf(instainstru.CodeInvalidTransition, "only a confirmed booking can be cancelled")
	}
	return nil
}

// CancelBooking stores a cancellation (fields already set on b) with its event, fenced at
// calendar version expected; it returns the new version.
func (s *Store) CancelBooking(ctx context.Context, b *instainstru.Booking, expected int64) (int64, error) {
	var v int64
	err := s.inTx(ctx, "booking", func(tx pgx.Tx) (err error) {
		if v, err = execFence(ctx, tx, b.Instructor.ID, expected); err != nil {
			return err
		}
		if err := execCancel(ctx, tx, b); err != nil {
			return err
		}
		return insertOutbox(ctx, tx, instainstru.BookingEvent(instainstru.EventBookingCancelled, b, *b.CancelledAt))
	})
	return v, err
}

// FinishBooking moves a confirmed booking of instructorID to completed or no_show, with its
// event, fenced at calendar version expected; it returns the new version.
func (s *Store) FinishBooking(ctx context.Context, instructorID, id string, status instainstru.BookingStatus, at time.Time, expected int64) (int64, error) {
	event := instainstru.EventBookingCompleted
	if status == instainstru.BookingNoShow {
		event = instainstru.EventBookingNoShow
	}
	var v int64
	err := s.inTx(ctx, "booking", func(tx pgx.Tx) (err error) {
		if v, err = execFence(ctx, tx, instructorID, expected); err != nil {
			return err
		}
		const q = `UPDATE bookings SET status = $2::text, completed_at = CASE WHEN $2::text = 'completed' THEN $3::timestamptz END, updated_at = $3::timestamptz
			WHERE id = $1 AND status = 'confirmed' RETURNING instructor_id, starts_at`
		b := instainstru.Booking{ID: id}
		err = tx.QueryRow(ctx, q, id, string(status), at).Scan(&b.Instructor.ID, &b.StartsAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return instainstru.Errorf(instainstru.CodeInvalidTransition, "only a confirmed booking can change status")
		}
		if err != nil {
			return translate(err, "booking")
		}
		return insertOutbox(ctx, tx, instainstru.BookingEvent(event, &b, at))
	})
	return v, err
}

const bookingColumns = `b.id, b.student_id, su.full_name, b.instructor_id, iu.full_name, b.instructor_service_id,
	b.service_name, b.category_name, b.booking_date, b.start_time, b.end_time, b.timezone, b.starts_at, b.ends_at,
	b.blocked_until, b.duration_minutes, b.buffer_minutes, b.hourly_rate_cents, b.total_price_cents, b.status,
	b.location_type, b.meeting_location, b.student_note, b.late_cancellation, b.cancellation_reason,
	b.cancelled_by, b.cancelled_at, b.rescheduled_from_id, b.created_at, b.updated_at`

const bookingFrom = ` FROM bookings b JOIN users su ON su.id = b.student_id JOIN users iu ON iu.id = b.instructor_id `

func scanBooking(row pgx.Row) (*instainstru.Booking, error) {
	var b instainstru.Booking
	var d time.Time
	var st, en pgtype.Time
	var status, loc string
	err := row.Scan(&b.ID, &b.Student.ID, &b.Student.FullName, &b.Instructor.ID, &b.Instructor.FullName,
		&b.InstructorServiceID, &b.ServiceName, &b.CategoryName, &d, &st, &en, &b.Timezone, &b.StartsAt, &b.EndsAt,
		&b.BlockedUntil, &b.DurationMinutes, &b.BufferMinutes, &b.HourlyRateCents, &b.TotalPriceCents, &status,
		&loc, &b.MeetingLocation, &b.StudentNote, &b.LateCancellation, &b.CancellationReason, &b.CancelledBy,
		&b.CancelledAt, &b.RescheduledFromID, &b.CreatedAt, &b.UpdatedAt)
	if err != nil {
		return nil, err
	}
	b.Date, b.StartTime, b.EndTime = instainstru.DateOf(d), minuteOf(st), minuteOf(en)
	b.Status, b.LocationType = instainstru.BookingStatus(status), instainstru.BookingLocation(loc)
	b.StartsAt, b.EndsAt, b.BlockedUntil = b.StartsAt.UTC(), b.EndsAt.UTC(), b.BlockedUntil.UTC()
	return &b, nil
}

// BookingByID reads one booking with its parties' names.
func (s *Store) BookingByID(ctx context.Context, id string) (*instainstru.Booking, error) {
	if !ValidID(id) {
		return nil, instainstru.Errorf(instainstru.CodeNotFound, "booking not found")
	}
	b, err := scanBooking(s.pool.QueryRow(ctx, `SELECT `+bookingColumns+bookingFrom+`WHERE b.id = $1`, id))
	if err != nil {
		return nil, translate(err, "booking")
	}
	return b, nil
}

// ListBookings returns the caller's own bookings (as student or instructor), filtered, in
// starts_at order (ascending for upcoming lists and by default; descending for past ones), keyset
// paged by (starts_at, id).
func (s *Store) ListBookings(ctx context.Context, f instainstru.BookingFilter) ([]instainstru.Booking, *instainstru.BookingPosition, error) {
	q, args, limit := listBookingsQuery(f)
	rows, _ := s.pool.Query(ctx, q, args...)
	out, err := collect(rows, "bookings", func(row pgx.CollectableRow) (instainstru.Booking, error) {
		b, err := scanBooking(row)
		if err != nil {
			return instainstru.Booking{}, err
		}
		return *b, nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(out) <= limit {
		return out, nil, nil
	}
	out = out[:limit]
	last := out[len(out)-1]
	return out, &instainstru.BookingPosition{StartsAt: last.StartsAt, ID: last.ID}, nil
}

// listBookingsQuery builds ListBookings' SQL and arguments for f (one row more than the page,
// to tell whether another page follows) and returns the page size.
func listBookingsQuery(f instainstru.BookingFilter) (string, []any, int) {
	var where []string
	args := []any{f.UserID}
	if f.Role == instainstru.RoleInstructor {
		where = append(where, "b.instructor_id = $1")
	} else {
		where = append(where, "b.student_id = $1")
	}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.Status != "" {
		add("b.status = ?", string(f.Status))
	}
	desc := false
	// "Upcoming" is about ends_at (a lesson in progress is still upcoming), but no index leads with
	// ends_at: a lesson lasts at most MaxDuration, so a bound on starts_at that implies nothing new
	// lets the (party, starts_at) index range-scan the few recent rows instead of the whole history.
	if f.Upcoming != nil {
		if *f.Upcoming {
			add("b.ends_at > ?", f.Now)
			add("b.starts_at > ?", f.Now.Add(-instainstru.MaxDuration*time.Minute))
		} else {
			add("b.ends_at <= ?", f.Now)
			add("b.starts_at < ?", f.Now) // implied by ends_at <= now: skips the future part of the index
			desc = true
		}
	}
	if f.From != nil {
		add("b.booking_date >= ?", f.From.Time())
	}
	if f.To != nil {
		add("b.booking_date <= ?", f.To.Time())
	}
	if f.After != nil {
		args = append(args, f.After.StartsAt, f.After.ID)
		op := ">"
		if desc {
			op = "<"
		}
		where = append(where, fmt.Sprintf("(b.starts_at, b.id) %s ($%d, $%d)", op, len(args)-1, len(args)))
	}
	order := "b.starts_at, b.id"
	if desc {
		order = "b.starts_at DESC, b.id DESC"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	q := `SELECT ` + bookingColumns + bookingFrom + `WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + fmt.Sprintf(` LIMIT %d`, limit+1)
	return q, args, limit
}

// BookingInstructor returns the instructor of a booking, to route a write to that instructor's actor.
func (s *Store) BookingInstructor(ctx context.Context, bookingID string) (string, error) {
	if !ValidID(bookingID) {
		return "", instainstru.Errorf(instainstru.CodeNotFound, "booking not found")
	}
	var id string
	err := s.pool.QueryRow(ctx, `SELECT instructor_id FROM bookings WHERE id = $1`, bookingID).Scan(&id)
	return id, translate(err, "booking")
}
