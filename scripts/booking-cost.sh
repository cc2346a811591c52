#!/usr/bin/env bash
# booking-cost.sh: where the cost of a booking write goes, measured with pgbench on a scratch
# database: a one-column INSERT commit (the baseline of BenchmarkBookingVsInsertCommit), then the
# bookings row with more and more of what the schema guarantees. Loopback only; about 30 s.
#
#   bash scripts/booking-cost.sh            (needs `make build` and scripts/dev-services.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
DB=booking_cost_scratch
PG="psql -X -q -h 127.0.0.1 -U postgres"
SECS=${SECS:-5}
CLIENTS=${CLIENTS:-16}
work=$(mktemp -d)
trap 'rm -rf "$work"; $PG -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1' EXIT

$PG -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
./bin/instainstru migrate >/dev/null 2>&1
./bin/instainstru seed --demo >/dev/null 2>&1

$PG -d $DB >/dev/null <<'SQL'
CREATE TABLE commits (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);
-- 40 (instructor, offer, student) lanes from the demo data
CREATE TABLE lanes AS
  SELECT row_number() OVER () AS n, s.instructor_id, s.offer, st.id AS student
  FROM (SELECT DISTINCT ON (instructor_id) instructor_id, id AS offer FROM instructor_services ORDER BY instructor_id) s
  JOIN LATERAL (SELECT id FROM users WHERE role = 'student' ORDER BY md5(s.instructor_id::text || id::text) LIMIT 1) st ON true
  LIMIT 40;
CREATE TABLE b_pk (LIKE bookings INCLUDING DEFAULTS); ALTER TABLE b_pk ADD PRIMARY KEY (id);
CREATE TABLE b_btree (LIKE b_pk INCLUDING ALL);
CREATE INDEX ON b_btree (student_id, starts_at); CREATE INDEX ON b_btree (instructor_id, starts_at);
CREATE INDEX ON b_btree (instructor_service_id);
CREATE TABLE b_gist (LIKE b_btree INCLUDING ALL);
ALTER TABLE b_gist ADD EXCLUDE USING gist (instructor_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&) WHERE (status = 'confirmed');
ALTER TABLE b_gist ADD EXCLUDE USING gist (student_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE (status = 'confirmed');
SQL

echo "INSERT INTO commits (note) VALUES ('x');" > "$work/commit.sql"
for t in b_pk b_btree b_gist bookings; do
  cat > "$work/$t.sql" <<SQL
\\set lane random(1, 40)
\\set slot random(1, 50000000)
INSERT INTO $t (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time, timezone,
  starts_at, ends_at, blocked_until, duration_minutes, service_name, category_name, hourly_rate_cents,
  total_price_cents, location_type)
SELECT gen_random_uuid(), student, instructor_id, offer, '2030-01-01', '10:00', '10:15', 'UTC',
  timestamptz '2030-01-01' + make_interval(mins => 15 * :slot), timestamptz '2030-01-01' + make_interval(mins => 15 * :slot + 15),
  timestamptz '2030-01-01' + make_interval(mins => 15 * :slot + 15), 15, 'Piano', 'Music', 6000, 1500, 'online'
FROM lanes WHERE n = :lane
ON CONFLICT DO NOTHING;
SQL
done
cat > "$work/outbox.sql" <<'SQL'
INSERT INTO outbox (task_type, task_id, aggregate_id, payload)
SELECT 'email:booking_confirmed', 'x:' || g || ':' || gen_random_uuid(), gen_random_uuid(), '{"booking_id":"x"}'
FROM generate_series(1, 5) g;
SQL

base=""
printf '%-58s %10s %8s\n' "statement ($CLIENTS clients, ${SECS}s each)" "commits/s" "ratio"
for spec in "commit:one-column INSERT (the benchmark's baseline)" \
            "b_pk:booking row, primary key only" \
            "b_btree:+ three B-tree indexes" \
            "b_gist:+ two GiST exclusion constraints" \
            "bookings:+ foreign keys (the real table)" \
            "outbox:five outbox rows alone"; do
  f=${spec%%:*}; label=${spec#*:}
  tps=$(pgbench -n -h 127.0.0.1 -U postgres -c "$CLIENTS" -j 2 -T "$SECS" -f "$work/$f.sql" "$DB" 2>"$work/$f.err" \
        | awk '/^tps/ {printf "%.0f", $3}')
  [ -n "$tps" ] || { echo "pgbench failed on $f:"; tail -3 "$work/$f.err"; exit 1; }
  [ -n "$base" ] || base=$tps
  printf '%-58s %10s %8.2f\n' "$label" "$tps" "$(echo "$tps / $base" | bc -l)"
done
