package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/persistence/seed"
)

// demoDigest is, per table, the row count and the md5 of every row rendered as text (catalog
// ids, which differ per database, replaced by slugs), sorted byte-wise and joined by newlines.
// Timestamps render in UTC, so the digest does not depend on the server's zone or collation.
func demoDigest(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	queries := map[string]string{
		"users": `SELECT concat_ws('|', id, email, full_name, role, timezone, account_status, password_hash,
			created_at, updated_at) FROM users`,
		"profiles": `SELECT concat_ws('|', user_id, bio, years_experience, areas_of_service::text,
			min_advance_booking_hours, buffer_minutes, created_at, updated_at) FROM instructor_profiles`,
		"offers": `SELECT concat_ws('|', s.id, s.instructor_id, c.slug, s.hourly_rate_cents, s.duration_options::text,
			s.description, s.location_types::text, s.is_active, s.created_at, s.updated_at)
			FROM instructor_services s JOIN service_catalog c ON c.id = s.catalog_service_id`,
		"availability": `SELECT concat_ws('|', instructor_id, slot_date, start_time, end_time) FROM availability_slots`,
		"bookings": `SELECT concat_ws('|', id, student_id, instructor_id, instructor_service_id, booking_date,
			start_time, end_time, timezone, starts_at, ends_at, blocked_until, duration_minutes, buffer_minutes,
			service_name, category_name, hourly_rate_cents, total_price_cents, status, location_type,
			meeting_location, student_note, late_cancellation, cancellation_reason, cancelled_by, cancelled_at,
			completed_at, created_at, updated_at) FROM bookings`,
	}
	ctx := context.Background()
	out := map[string]string{}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL TIME ZONE 'UTC'`); err != nil {
			return err
		}
		for name, q := range queries {
			var s string
			err := tx.QueryRow(ctx, `
				SELECT count(*)::text || ':' || md5(coalesce(string_agg(line, E'\n' ORDER BY line COLLATE "C"), ''))
				FROM (`+q+`) AS r(line)`).Scan(&s)
			if err != nil {
				return err
			}
			out[name] = s
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// The demo data is a fixed function of the clock: these digests were recorded with the
// generator as it stood before it moved into package seed (when it wrote through pgx itself),
// at demoNow, and the moved generator must write exactly the same rows. A deliberate change to
// the demo data changes them; record the new values from this test's failure message.
func TestSeedDemoRowsMatchRecordedDigest(t *testing.T) {
	ctx := context.Background()
	now := demoNow(t)

	first := map[string]string{
		"users":        "303:127fe72b050ff627fc67baf79f8a2532",
		"profiles":     "201:f54dab2bc494ebc4b35ebfb283725de1",
		"offers":       "459:8c45e7134539b391470cfe1759bc0848",
		"availability": "4119:d9633ef5cac857f8ee05a34adb863437",
		"bookings":     "514:66083442239e29893650e22d21174e33",
	}
	// Three days later: availability topped up with the new dates, everything else as it was.
	later := map[string]string{
		"users":        first["users"],
		"profiles":     first["profiles"],
		"offers":       first["offers"],
		"availability": "4484:3b13bdb41824a85da015e996511c78d4",
		"bookings":     first["bookings"],
	}
	// student@example.com registered by someone else first: that person is skipped, so the
	// bookings are placed differently.
	taken := map[string]string{
		"users":        "303:91ba68589f33d834e10b9e0d2d1fab67",
		"profiles":     first["profiles"],
		"offers":       first["offers"],
		"availability": first["availability"],
		"bookings":     "498:03d2f8c5fad02ce1fc7d2c88bfccea5a",
	}

	d := demoDatabase(t, "seed_digest")
	demoSeed(t, d.Store, now)
	assert.Equal(t, first, demoDigest(t, d.Pool), "first run")
	demoSeed(t, d.Store, now.Add(3*24*time.Hour))
	assert.Equal(t, later, demoDigest(t, d.Pool), "run three days later")

	other := demoDatabase(t, "seed_digest_taken")
	_, err := other.Pool.Exec(ctx, `INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at)
		VALUES ('0190a000-0000-7000-8000-000000000001', $1, 'not-the-demo-hash', 'Someone Else', 'student',
		        '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`, seed.DemoStudentEmail)
	require.NoError(t, err)
	demoSeed(t, other.Store, now)
	assert.Equal(t, taken, demoDigest(t, other.Pool), "demo student email taken")
}
