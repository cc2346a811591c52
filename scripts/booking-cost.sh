#!/usr/bin/env bash
# booking-cost.sh: what a booking write costs, measured with pgbench on a scratch database, next to
# the service itself (BenchmarkBookingVsInsertCommit). Loopback only; about 2 minutes.
#
#   bash scripts/booking-cost.sh      (needs `make build` and scripts/dev-services.sh)
#
# 1. The ladder: a one-column INSERT commit (the benchmark's baseline), then the bookings row with
#    more and more of what the schema guarantees (LADDER=0 skips it).
# 2. The replay: the statements one booking sends today, replayed by pgbench at the benchmark's
#    concurrency (16 clients, each on its own instructor, offer and student, as the benchmark's
#    16 workers are):
#      - the BookingContext read (persistence.Store.BookingContext, its own round trip, before the
#        actor), whose calendar_version the write is then fenced at;
#      - one pipeline: SELECT booking_fence(...), INSERT INTO bookings, INSERT INTO outbox (the one
#        booking.created event), ended by a single Sync.
#    The write is a \startpipeline/\endpipeline block, not BEGIN ... COMMIT, because that is what
#    persistence.Store.InsertBooking sends: a pgx batch, Parse/Bind/Execute per statement and one
#    Sync, which PostgreSQL runs as one implicit transaction (an error aborts the rest, as in the
#    service) in one round trip. BEGIN/COMMIT would add two round trips the service does not pay
#    and flatter the service's ratio. -M prepared, as pgx caches prepared statements.
#    The benchmark sends no Idempotency-Key, so neither does the replay. Three things the service
#    computes in Go the replay computes in SQL (it has no other way): the booking's UUID
#    (gen_random_uuid() as one more column of the read), the instants (to_timestamp) and the
#    event's JSON (json_build_object); they cost microseconds next to the row work.
# 3. The service: the compiled actors benchmark, -benchtime BENCHTIME, ROUNDS times, each round
#    right after a pgbench round (commit, replay), because the machine is shared and its load
#    moves: a ratio is only fair between figures taken moments apart. It prints every round and
#    the medians: service ratio (bookings/s ÷ the benchmark's own inserts/s), replay ratio (replay
#    ÷ pgbench commit) and service ÷ replay.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=booking_cost_scratch
PG="psql -X -q -h 127.0.0.1 -U postgres"
SECS=${SECS:-5}
CLIENTS=16 # the benchmark's workers: the replay must match them
ROUNDS=${ROUNDS:-3}
BENCHTIME=${BENCHTIME:-3s}
LADDER=${LADDER:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"; $PG -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1' EXIT

$PG -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
./bin/instainstru migrate >/dev/null 2>&1
./bin/instainstru seed --demo >/dev/null 2>&1
go test -c -o "$work/actors.test" ./actors

$PG -d $DB >/dev/null <<'SQL'
CREATE TABLE commits (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);
-- 40 (instructor, offer, student) lanes from the demo data, for the ladder
CREATE TABLE lanes AS
  SELECT row_number() OVER () AS n, s.instructor_id, s.offer, st.id AS student
  FROM (SELECT DISTINCT ON (instructor_id) instructor_id, id AS offer FROM instructor_services ORDER BY instructor_id) s
  JOIN LATERAL (SELECT id FROM users WHERE role = 'student' ORDER BY md5(s.instructor_id::text || id::text) LIMIT 1) st ON true
  LIMIT 40;
-- one lane per replay client (client_id 0..15): an active instructor with an active offer and a
-- student of its own, so no two clients ever touch the same rows, as in the benchmark
CREATE TABLE replay_lanes AS
  WITH o AS (
    SELECT DISTINCT ON (o.instructor_id) o.instructor_id, o.id AS offer
    FROM instructor_services o JOIN users u ON u.id = o.instructor_id
    WHERE o.is_active AND u.account_status = 'active' ORDER BY o.instructor_id, o.id),
  oi AS (SELECT row_number() OVER (ORDER BY instructor_id) AS n, * FROM o),
  s AS (SELECT row_number() OVER (ORDER BY id) AS n, id AS student FROM users WHERE role = 'student' AND account_status = 'active')
  SELECT oi.n - 1 AS n, oi.instructor_id, oi.offer, s.student FROM oi JOIN s USING (n);
CREATE TABLE b_pk (LIKE bookings INCLUDING DEFAULTS); ALTER TABLE b_pk ADD PRIMARY KEY (id);
CREATE TABLE b_btree (LIKE b_pk INCLUDING ALL);
CREATE INDEX ON b_btree (student_id, starts_at); CREATE INDEX ON b_btree (instructor_id, starts_at);
CREATE INDEX ON b_btree (instructor_service_id);
CREATE TABLE b_gist (LIKE b_btree INCLUDING ALL);
ALTER TABLE b_gist ADD EXCLUDE USING gist (instructor_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&) WHERE (status = 'confirmed');
ALTER TABLE b_gist ADD EXCLUDE USING gist (student_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE (status = 'confirmed');
SQL
[ "$($PG -d $DB -Atc 'SELECT count(*) FROM replay_lanes')" -ge $CLIENTS ] || { echo "fewer than $CLIENTS replay lanes"; exit 1; }

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

# The replay. Each client looks its lane up once (lane_loaded starts at 0 for every client and
# stays 1 after), so every later transaction is exactly the booking's two round trips. The lesson's
# 15-minute slot is the calendar version the read returned: it grows by one per booking of that
# instructor, so lessons never overlap and every booking commits (no conflict, no retry).
cat > "$work/replay.sql" <<'SQL'
\if :lane_loaded = 0
SELECT offer, student FROM replay_lanes WHERE n = :client_id \gset
\set lane_loaded 1
\endif
SELECT o.id, o.instructor_id, sc.name, c.id, c.slug, c.name AS category_name, o.hourly_rate_cents, o.duration_options,
       o.location_types, o.is_active AND sc.is_active AS offer_active,
       iu.full_name, iu.timezone, iu.account_status, p.min_advance_booking_hours, p.buffer_minutes,
       p.calendar_version, su.full_name, su.role, su.account_status, gen_random_uuid() AS booking_id
FROM instructor_services o
JOIN service_catalog sc ON sc.id = o.catalog_service_id
JOIN service_categories c ON c.id = sc.category_id
JOIN instructor_profiles p ON p.user_id = o.instructor_id
JOIN users iu ON iu.id = o.instructor_id
JOIN users su ON su.id = :student
WHERE o.id = :offer \gset
\set starts 1924992000 + 900 * :calendar_version
\startpipeline
SELECT booking_fence(:instructor_id, :student, :offer, :calendar_version);
INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time,
	timezone, starts_at, ends_at, blocked_until, duration_minutes, buffer_minutes, service_name, category_name,
	hourly_rate_cents, total_price_cents, status, location_type, meeting_location, student_note,
	rescheduled_from_id, created_at, updated_at)
VALUES (:booking_id, :student, :instructor_id, :offer, '2031-01-01', '10:00'::time, '10:15'::time, 'UTC',
	to_timestamp(:starts), to_timestamp(:starts + 900), to_timestamp(:starts + 900), 15, 0, :name, :category_name,
	:hourly_rate_cents, 1500, 'confirmed', 'online', '', '', NULL, now(), now());
INSERT INTO outbox (task_type, task_id, aggregate_id, payload, process_at)
VALUES ('booking.created', 'booking.created:' || :booking_id::text, :booking_id,
	json_build_object('v', 1, 'instructor_id', :instructor_id::text, 'booking_id', :booking_id::text,
		'starts_at', to_timestamp(:starts), 'occurred_at', now()),
	coalesce(now(), now()));
\endpipeline
SQL

# tps FILE: commits per second of FILE at CLIENTS clients for SECS seconds.
tps() {
  local t
  t=$(pgbench -n -h 127.0.0.1 -U postgres -M prepared -D lane_loaded=0 -c "$CLIENTS" -j 2 -T "$SECS" -f "$work/$1.sql" "$DB" \
      2>"$work/$1.err" | awk '/^tps/ {printf "%.0f", $3}')
  [ -n "$t" ] || { echo "pgbench failed on $1:" >&2; tail -3 "$work/$1.err" >&2; exit 1; }
  echo "$t"
}
ratio() { echo "$1 / $2" | bc -l; }
median() { tr ' ' '\n' | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

if [ "$LADDER" = 1 ]; then
  base=""
  printf '%-58s %10s %8s\n' "statement ($CLIENTS clients, ${SECS}s each)" "commits/s" "ratio"
  for spec in "commit:one-column INSERT (the benchmark's baseline)" \
              "b_pk:booking row, primary key only" \
              "b_btree:+ three B-tree indexes" \
              "b_gist:+ two GiST exclusion constraints" \
              "bookings:+ foreign keys, partial index (the real table)" \
              "replay:the booking's own statements (read + pipeline)"; do
    f=${spec%%:*}; label=${spec#*:}
    t=$(tps "$f")
    [ -n "$base" ] || base=$t
    printf '%-58s %10s %8.2f\n' "$label" "$t" "$(ratio "$t" "$base")"
  done
  echo
fi

printf 'load average at start: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %10s %10s %8s | %10s %10s %8s | %14s\n' round "commit/s" "replay/s" ratio "bookings/s" "inserts/s" ratio "service/replay"
rs=() ss=() xs=()
for r in $(seq 1 "$ROUNDS"); do
  c=$(tps commit); p=$(tps replay)
  out=$(cd actors && "$work/actors.test" -test.run '^$' -test.bench 'BookingVsInsertCommit$' -test.benchtime "$BENCHTIME" -test.count 1 2>&1) ||
    { echo "$out"; exit 1; }
  b=$(echo "$out" | awk '/^BenchmarkBookingVsInsertCommit/ {for (i = 1; i < NF; i++) if ($(i+1) == "bookings/s") print $i}')
  i=$(echo "$out" | awk '/^BenchmarkBookingVsInsertCommit/ {for (i = 1; i < NF; i++) if ($(i+1) == "inserts/s") print $i}')
  [ -n "$b" ] && [ -n "$i" ] || { echo "$out"; exit 1; }
  rr=$(ratio "$p" "$c"); sr=$(ratio "$b" "$i"); x=$(ratio "$b" "$p")
  rs+=("$rr") ss+=("$sr") xs+=("$x")
  printf '%-6s %10s %10s %8.3f | %10s %10s %8.3f | %14.2f   (load %s)\n' "$r" "$c" "$p" "$rr" "$b" "$i" "$sr" "$x" "$(cut -d' ' -f1 /proc/loadavg)"
done
printf '%-6s %10s %10s %8.3f | %10s %10s %8.3f | %14.2f\n' median "" "" "$(echo "${rs[*]}" | median)" "" "" \
  "$(echo "${ss[*]}" | median)" "$(echo "${xs[*]}" | median)"
