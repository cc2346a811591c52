package persistence

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/instainstru/instainstru"
)

// instructorRow is a profile as read from users joined with instructor_profiles. An instructor
// who never saved a profile has no instructor_profiles row yet; the LEFT JOINs fill in the
// schema's defaults so they still have a complete profile.
type instructorRow struct {
	id, fullName, email, timezone, status string
	bio                                   string
	years                                 int
	areas                                 []string
	minAdvance, buffer                    int
}

func (r instructorRow) profile() instainstru.InstructorProfile {
	areas := r.areas
	if areas == nil {
		areas = []string{}
	}
	return instainstru.InstructorProfile{
		UserID: r.id, FullName: r.fullName, Email: r.email, Timezone: r.timezone,
		AccountStatus: instainstru.AccountStatus(r.status), Bio: r.bio, YearsExperience: r.years,
		AreasOfService: areas, MinAdvanceBookingHours: r.minAdvance, BufferMinutes: r.buffer,
		Services: []instainstru.InstructorService{},
	}
}

// PublicInstructors lists active instructors with at least one active offer (of an active catalog
// service) matching every filter, keyset-paged by user id (UUIDv7, so roughly by sign-up time).
// Each comes with all of their active offers, not only the matching ones: the item is the public
// profile. An unknown service or category matches nothing.
func (s *Store) PublicInstructors(ctx context.Context, q instainstru.InstructorQuery) (instainstru.InstructorPage, error) {
	const query = `
		SELECT u.id, u.full_name, u.timezone, u.account_status, p.bio, p.years_experience, p.areas_of_service
		FROM users u
		JOIN instructor_profiles p ON p.user_id = u.id
		WHERE u.role = 'instructor' AND u.account_status = 'active'
		  AND ($1::uuid IS NULL OR u.id > $1::uuid)
		  AND EXISTS (
			SELECT 1
			FROM instructor_services s
			JOIN service_catalog sc ON sc.id = s.catalog_service_id
			JOIN service_categories c ON c.id = sc.category_id
			WHERE s.instructor_id = u.id AND s.is_active AND sc.is_active
			  AND ($2::uuid IS NULL OR sc.id = $2::uuid)
			  AND ($3::text IS NULL OR sc.slug = $3::text)
			  AND ($4::text IS NULL OR c.slug = $4::text)
			  AND ($5::int IS NULL OR s.hourly_rate_cents >= $5::int)
			  AND ($6::int IS NULL OR s.hourly_rate_cents <= $6::int)
		  )
		ORDER BY u.id
		LIMIT $7`
	var after, svcID, svcSlug, cat *string
	if q.AfterID != "" {
		if !ValidID(q.AfterID) {
			return instainstru.InstructorPage{}, &instainstru.Error{Code: instainstru.CodeMalformed, Message: "the cursor is not valid"}
		}
		after = &q.AfterID
	}
	switch {
	case q.Service == "":
	case ValidID(q.Service):
		svcID = &q.Service
	default:
		svcSlug = &q.Service
	}
	if q.CategorySlug != "" {
		cat = &q.CategorySlug
	}
	limit := max(q.Limit, 1)
	rows, err := s.pool.Query(ctx, query, after, svcID, svcSlug, cat, q.MinPriceCents, q.MaxPriceCents, limit+1)
	if err != nil {
		return instainstru.InstructorPage{}, translate(err, "instructors")
	}
	page := instainstru.InstructorPage{Instructors: []instainstru.InstructorProfile{}}
	for rows.Next() {
		var r instructorRow
		if err := rows.Scan(&r.id, &r.fullName, &r.timezone, &r.status, &r.bio, &r.years, &r.areas); err != nil {
			rows.Close()
			return instainstru.InstructorPage{}, translate(err, "instructors")
		}
		page.Instructors = append(page.Instructors, r.profile())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return instainstru.InstructorPage{}, translate(err, "instructors")
	}
	if len(page.Instructors) > limit {
		page.Instructors = page.Instructors[:limit]
		page.NextAfterID = page.Instructors[limit-1].UserID
	}
	if err := s.attachOffers(ctx, s.pool, page.Instructors, true); err != nil {
		return instainstru.InstructorPage{}, err
	}
	return page, nil
}

// PublicInstructorRates lists, by id, the instructors PublicInstructors would list for a service
// (catalog id, "" for any) and a category slug ("" for any) without a price filter, each with the
// rates of their matching offers, so that price bounds, cursor and limit can be applied to the
// list in memory with the same result as PublicInstructors. It is the compact index the listing
// cache keeps instead of one page per filter combination.
func (s *Store) PublicInstructorRates(ctx context.Context, serviceID, categorySlug string) ([]instainstru.InstructorRates, error) {
	const query = `
		SELECT u.id, array_agg(s.hourly_rate_cents ORDER BY s.hourly_rate_cents)
		FROM users u
		JOIN instructor_profiles p ON p.user_id = u.id
		JOIN instructor_services s ON s.instructor_id = u.id
		JOIN service_catalog sc ON sc.id = s.catalog_service_id
		JOIN service_categories c ON c.id = sc.category_id
		WHERE u.role = 'instructor' AND u.account_status = 'active' AND s.is_active AND sc.is_active
		  AND ($1::uuid IS NULL OR sc.id = $1::uuid)
		  AND ($2::text IS NULL OR c.slug = $2::text)
		GROUP BY u.id
		ORDER BY u.id`
	var svc, cat *string
	if serviceID != "" {
		if !ValidID(serviceID) {
			return []instainstru.InstructorRates{}, nil // no catalog service has that id
		}
		svc = &serviceID
	}
	if categorySlug != "" {
		cat = &categorySlug
	}
	rows, err := s.pool.Query(ctx, query, svc, cat)
	if err != nil {
		return nil, translate(err, "instructors")
	}
	defer rows.Close()
	out := []instainstru.InstructorRates{}
	for rows.Next() {
		var r instainstru.InstructorRates
		if err := rows.Scan(&r.InstructorID, &r.RatesCents); err != nil {
			return nil, translate(err, "instructors")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "instructors")
	}
	return out, nil
}

// PublicInstructor is an active instructor's public profile with their active offers. Unknown
// ids, other roles and suspended or deactivated instructors are all the same not_found, so the
// answer reveals nothing about accounts that are not public.
func (s *Store) PublicInstructor(ctx context.Context, id string) (*instainstru.InstructorProfile, error) {
	p, err := s.instructorProfile(ctx, s.pool, id, true)
	if err != nil {
		return nil, err
	}
	if p.AccountStatus != instainstru.StatusActive {
		return nil, &instainstru.Error{Code: instainstru.CodeNotFound, Message: "instructor not found"}
	}
	return p, nil
}

// OwnInstructorProfile is the instructor's own view: settings, email, status and every offer.
func (s *Store) OwnInstructorProfile(ctx context.Context, id string) (*instainstru.InstructorProfile, error) {
	return s.instructorProfile(ctx, s.pool, id, false)
}

// UpdateInstructorProfile writes the whole profile, creating the row on first save. The INSERT
// selects from users so that only an existing instructor can get a profile.
func (s *Store) UpdateInstructorProfile(ctx context.Context, id string, p instainstru.ProfileUpdate) (*instainstru.InstructorProfile, error) {
	const q = `
		INSERT INTO instructor_profiles AS ip (user_id, bio, years_experience, areas_of_service,
			min_advance_booking_hours, buffer_minutes)
		SELECT u.id, $2, $3, $4, $5, $6 FROM users u WHERE u.id = $1 AND u.role = 'instructor'
		ON CONFLICT (user_id) DO UPDATE SET bio = EXCLUDED.bio, years_experience = EXCLUDED.years_experience,
			areas_of_service = EXCLUDED.areas_of_service,
			min_advance_booking_hours = EXCLUDED.min_advance_booking_hours,
			buffer_minutes = EXCLUDED.buffer_minutes, updated_at = now()`
	if !ValidID(id) {
		return nil, &instainstru.Error{Code: instainstru.CodeNotFound, Message: "instructor not found"}
	}
	var out *instainstru.InstructorProfile
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, q, id, p.Bio, p.YearsExperience, nonNil(p.AreasOfService), p.MinAdvanceBookingHours, p.BufferMinutes)
		if err != nil {
			return translate(err, "instructor profile")
		}
		if tag.RowsAffected() == 0 {
			return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "instructor not found"}
		}
		out, err = s.instructorProfile(ctx, tx, id, false)
		return err
	})
	if err != nil {
		return nil, translate(err, "instructor profile")
	}
	return out, nil
}

// instructorProfile reads one instructor (any status) with their offers, active ones only when
// activeOnly. Non-instructors are not_found.
func (s *Store) instructorProfile(ctx context.Context, db offerDB, id string, activeOnly bool) (*instainstru.InstructorProfile, error) {
	const q = `
		SELECT u.id, u.full_name, u.email, u.timezone, u.account_status,
		       coalesce(p.bio, ''), coalesce(p.years_experience, 0), coalesce(p.areas_of_service, '{}'),
		       coalesce(p.min_advance_booking_hours, 2), coalesce(p.buffer_minutes, 0),
		       coalesce(p.created_at, u.created_at), coalesce(p.updated_at, u.updated_at)
		FROM users u
		LEFT JOIN instructor_profiles p ON p.user_id = u.id
		WHERE u.id = $1 AND u.role = 'instructor'`
	if !ValidID(id) {
		return nil, &instainstru.Error{Code: instainstru.CodeNotFound, Message: "instructor not found"}
	}
	var r instructorRow
	var prof instainstru.InstructorProfile
	err := db.QueryRow(ctx, q, id).Scan(&r.id, &r.fullName, &r.email, &r.timezone, &r.status,
		&r.bio, &r.years, &r.areas, &r.minAdvance, &r.buffer, &prof.CreatedAt, &prof.UpdatedAt)
	if err != nil {
		return nil, translate(err, "instructor")
	}
	created, updated := prof.CreatedAt, prof.UpdatedAt
	prof = r.profile()
	prof.CreatedAt, prof.UpdatedAt = created, updated
	list := []instainstru.InstructorProfile{prof}
	if err := s.attachOffers(ctx, db, list, activeOnly); err != nil {
		return nil, err
	}
	return &list[0], nil
}

// attachOffers loads the offers of every profile in one query. Public views (activeOnly) show
// active offers of active catalog services; the owner sees every offer, active ones first.
func (s *Store) attachOffers(ctx context.Context, db offerDB, profiles []instainstru.InstructorProfile, activeOnly bool) error {
	if len(profiles) == 0 {
		return nil
	}
	const q = `
		SELECT ` + offerColumns + `
		FROM instructor_services s
		JOIN service_catalog sc ON sc.id = s.catalog_service_id
		JOIN service_categories c ON c.id = sc.category_id
		WHERE s.instructor_id = ANY($1::uuid[]) AND (NOT $2 OR (s.is_active AND sc.is_active))
		ORDER BY s.instructor_id, s.is_active DESC, c.display_order, sc.display_order, s.created_at, s.id`
	ids := make([]string, len(profiles))
	at := make(map[string]int, len(profiles))
	for i, p := range profiles {
		ids[i] = p.UserID
		at[p.UserID] = i
	}
	rows, err := db.Query(ctx, q, ids, activeOnly)
	if err != nil {
		return translate(err, "instructor services")
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanOffer(rows)
		if err != nil {
			return translate(err, "instructor services")
		}
		i := at[o.InstructorID]
		profiles[i].Services = append(profiles[i].Services, o)
	}
	return translate(rows.Err(), "instructor services")
}

// MostBookedInstructors ranks the instructors who appear publicly (active account, at least one
// active offer of an active catalog service) by the bookings made with them in the last days days
// (any status), then by their number of active offers, then by id, and returns the first limit.
func (s *Store) MostBookedInstructors(ctx context.Context, days, limit int) ([]string, error) {
	const q = `
		WITH offers AS (
			SELECT o.instructor_id, count(*) AS n
			FROM instructor_services o
			JOIN service_catalog sc ON sc.id = o.catalog_service_id
			WHERE o.is_active AND sc.is_active
			GROUP BY o.instructor_id
		), booked AS (
			SELECT b.instructor_id, count(*) AS n
			FROM bookings b
			WHERE b.created_at >= now() - make_interval(days => $1)
			GROUP BY b.instructor_id
		)
		SELECT u.id
		FROM users u
		JOIN offers o ON o.instructor_id = u.id
		LEFT JOIN booked b ON b.instructor_id = u.id
		WHERE u.role = 'instructor' AND u.account_status = 'active'
		ORDER BY coalesce(b.n, 0) DESC, o.n DESC, u.id
		LIMIT $2`
	rows, err := s.pool.Query(ctx, q, max(days, 1), max(limit, 1))
	if err != nil {
		return nil, translate(err, "instructors")
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err, "instructors")
		}
		out = append(out, id)
	}
	return out, translate(rows.Err(), "instructors")
}
