package persistence

import (
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/instainstru/instainstru"
)

// offerDB is what offer and profile reads need: the pool, or a transaction when the read must see
// the transaction's own writes.
type offerDB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// offerColumns are the columns scanned by scanOffer (instructor_services s joined with its
// catalog service sc and category c).
const offerColumns = `
		s.id, s.instructor_id, s.catalog_service_id, sc.name, c.id, c.slug, c.name,
		s.hourly_rate_cents, s.duration_options, s.description, s.location_types, s.is_active,
		s.created_at, s.updated_at`

func scanOffer(row pgx.Row) (instainstru.InstructorService, error) {
	var o instainstru.InstructorService
	var locs []string
	err := row.Scan(&o.ID, &o.InstructorID, &o.CatalogServiceID, &o.Name, &o.Category.ID, &o.Category.Slug,
		&o.Category.Name, &o.HourlyRateCents, &o.DurationOptions, &o.Description, &locs, &o.IsActive,
		&o.CreatedAt, &o.UpdatedAt)
	o.LocationTypes = make([]instainstru.LocationType, len(locs))
	for i, l := range locs {
		o.LocationTypes[i] = instainstru.LocationType(l)
	}
	return o, err
}

func locationStrings(ls []instainstru.LocationType) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = string(l)
	}
	return out
}

func errOfferNotFound() error {
	return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "instructor service not found"}
}

// offerByID reads one of the instructor's offers; another instructor's offer is not_found.
func offerByID(ctx context.Context, db offerDB, instructorID, offerID string) (*instainstru.InstructorService, error) {
	const q = `
		SELECT ` + offerColumns + `
		FROM instructor_services s
		JOIN service_catalog sc ON sc.id = s.catalog_service_id
		JOIN service_categories c ON c.id = sc.category_id
		WHERE s.id = $1 AND s.instructor_id = $2`
	o, err := scanOffer(db.QueryRow(ctx, q, offerID, instructorID))
	if err != nil {
		return nil, translate(err, "instructor service")
	}
	return &o, nil
}

// CreateOffer adds an active offer. The partial unique index instructor_services_one_active_key
// decides between concurrent creates of the same catalog service: exactly one commits, the
// others wait for it and fail with service_already_offered. The instructor's profile row (the
// offers' foreign key) is created on the way if they never saved one.
func (s *Store) CreateOffer(ctx context.Context, instructorID string, in instainstru.OfferInput) (*instainstru.InstructorService, error) {
	const ensureProfile = `
		INSERT INTO instructor_profiles (user_id)
		SELECT u.id FROM users u WHERE u.id = $1 AND u.role = 'instructor'
		ON CONFLICT (user_id) DO NOTHING`
	const catalogService = `SELECT online_capable FROM service_catalog WHERE id = $1 AND is_active`
	const insert = `
		INSERT INTO instructor_services (id, instructor_id, catalog_service_id, hourly_rate_cents,
			duration_options, description, location_types)
		SELECT $1, p.user_id, $3, $4, $5, $6, $7 FROM instructor_profiles p WHERE p.user_id = $2`
	if !ValidID(instructorID) {
		return nil, &instainstru.Error{Code: instainstru.CodeNotFound, Message: "instructor not found"}
	}
	if !ValidID(in.CatalogServiceID) {
		return nil, instainstru.Invalid(instainstru.FieldError{Field: "catalog_service_id", Message: "no such catalog service"})
	}
	var out *instainstru.InstructorService
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, ensureProfile, instructorID); err != nil {
			return err
		}
		var online bool
		if err := tx.QueryRow(ctx, catalogService, in.CatalogServiceID).Scan(&online); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return instainstru.Invalid(instainstru.FieldError{Field: "catalog_service_id", Message: "no such catalog service"})
			}
			return err
		}
		if !online && slices.Contains(in.LocationTypes, instainstru.LocationOnline) {
			return instainstru.Invalid(instainstru.FieldError{Field: "location_types",
				Message: "this service cannot be taught online"})
		}
		id := NewID()
		tag, err := tx.Exec(ctx, insert, id, instructorID, in.CatalogServiceID, in.HourlyRateCents,
			in.DurationOptions, in.Description, locationStrings(in.LocationTypes))
		if err != nil {
			if constraintOf(err) == "instructor_services_one_active_key" {
				return &instainstru.Error{Code: instainstru.CodeServiceAlreadyOffer,
					Message: "you already offer this service; edit that offer instead", Cause: err}
			}
			return err
		}
		if tag.RowsAffected() == 0 {
			return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "instructor not found"}
		}
		out, err = offerByID(ctx, tx, instructorID, id)
		return err
	})
	if err != nil {
		return nil, translate(err, "instructor service")
	}
	return out, nil
}

// UpdateOffer patches one of the instructor's active offers under a row lock, so a concurrent
// delete or patch is ordered before or after it. A soft-deleted offer is a conflict rather than
// not_found: the owner still sees it in their profile, it just can no longer change. Bookings
// store their own rate, so a new rate only applies to future bookings.
func (s *Store) UpdateOffer(ctx context.Context, instructorID, offerID string, p instainstru.OfferPatch) (*instainstru.InstructorService, error) {
	const lock = `
		SELECT s.is_active, sc.online_capable
		FROM instructor_services s
		JOIN service_catalog sc ON sc.id = s.catalog_service_id
		WHERE s.id = $1 AND s.instructor_id = $2
		FOR UPDATE OF s`
	const update = `
		UPDATE instructor_services SET
			hourly_rate_cents = coalesce($3::int, hourly_rate_cents),
			duration_options  = coalesce($4::int[], duration_options),
			description       = coalesce($5::text, description),
			location_types    = coalesce($6::text[], location_types),
			updated_at        = now()
		WHERE id = $1 AND instructor_id = $2`
	if !ValidID(instructorID) || !ValidID(offerID) {
		return nil, errOfferNotFound()
	}
	var durations, locations any
	if p.DurationOptions != nil {
		durations = *p.DurationOptions
	}
	if p.LocationTypes != nil {
		locations = locationStrings(*p.LocationTypes)
	}
	var out *instainstru.InstructorService
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var active, online bool
		if err := tx.QueryRow(ctx, lock, offerID, instructorID).Scan(&active, &online); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return errOfferNotFound()
			}
			return err
		}
		if !active {
			return &instainstru.Error{Code: instainstru.CodeConflict,
				Message: "this offer was deleted and can no longer change; create a new offer of the service instead"}
		}
		if !online && p.WantsOnline() {
			return instainstru.Invalid(instainstru.FieldError{Field: "location_types",
				Message: "this service cannot be taught online"})
		}
		if _, err := tx.Exec(ctx, update, offerID, instructorID, p.HourlyRateCents, durations, p.Description, locations); err != nil {
			return err
		}
		var err error
		out, err = offerByID(ctx, tx, instructorID, offerID)
		return err
	})
	if err != nil {
		return nil, translate(err, "instructor service")
	}
	return out, nil
}

// DeleteOffer removes one of the instructor's offers. The row lock (FOR UPDATE) conflicts with
// the key-share lock a booking insert takes on the offer it references, so a booking is either
// committed before the check below sees it, or waits and then finds the offer gone or inactive.
func (s *Store) DeleteOffer(ctx context.Context, instructorID, offerID string) (instainstru.OfferDeletion, error) {
	const lock = `SELECT is_active FROM instructor_services WHERE id = $1 AND instructor_id = $2 FOR UPDATE`
	const referenced = `SELECT EXISTS (SELECT 1 FROM bookings WHERE instructor_service_id = $1)`
	const soft = `UPDATE instructor_services SET is_active = false, updated_at = now() WHERE id = $1`
	const hard = `DELETE FROM instructor_services WHERE id = $1`
	if !ValidID(instructorID) || !ValidID(offerID) {
		return "", errOfferNotFound()
	}
	var how instainstru.OfferDeletion
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var active bool
		if err := tx.QueryRow(ctx, lock, offerID, instructorID).Scan(&active); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return errOfferNotFound()
			}
			return err
		}
		var used bool
		if err := tx.QueryRow(ctx, referenced, offerID).Scan(&used); err != nil {
			return err
		}
		if used {
			how = instainstru.OfferSoftDeleted
			if !active {
				return nil
			}
			_, err := tx.Exec(ctx, soft, offerID)
			return err
		}
		how = instainstru.OfferHardDeleted
		_, err := tx.Exec(ctx, hard, offerID)
		return err
	})
	if err != nil {
		return "", translate(err, "instructor service")
	}
	return how, nil
}
