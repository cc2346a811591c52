-- +goose Up
-- Availability is plain wall-clock ranges per date in the instructor's timezone ("the rug").
-- end_time may be 24:00 (PostgreSQL's time type accepts it), meaning the end of the day.
CREATE TABLE availability_slots (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instructor_id uuid NOT NULL REFERENCES instructor_profiles (user_id) ON DELETE CASCADE,
    slot_date     date NOT NULL,
    start_time    time NOT NULL,
    end_time      time NOT NULL,
    CONSTRAINT availability_slots_order CHECK (start_time < end_time)
);
CREATE INDEX availability_slots_lookup_idx ON availability_slots (instructor_id, slot_date, start_time);

CREATE TABLE blackout_dates (
    instructor_id uuid NOT NULL REFERENCES instructor_profiles (user_id) ON DELETE CASCADE,
    blackout_date date NOT NULL,
    reason        varchar(200) NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instructor_id, blackout_date)
);

-- Bookings keep the instructor-local wall clock they were made in (date, times, zone) and the
-- absolute instants computed from it with the tz database. Rate, price, service and category
-- names are snapshots: later edits of the offer never change a booking.
CREATE TABLE bookings (
    id                    uuid PRIMARY KEY,
    student_id            uuid NOT NULL REFERENCES users (id),
    instructor_id         uuid NOT NULL REFERENCES users (id),
    instructor_service_id uuid NOT NULL REFERENCES instructor_services (id),
    booking_date          date NOT NULL,
    start_time            time NOT NULL,
    end_time              time NOT NULL,
    timezone              varchar(64) NOT NULL,
    starts_at             timestamptz NOT NULL,
    ends_at               timestamptz NOT NULL,
    -- ends_at widened by the instructor's buffer at booking time. A stored column because
    -- timestamptz + interval is not immutable and so cannot appear in an exclusion constraint.
    blocked_until         timestamptz NOT NULL,
    duration_minutes      integer NOT NULL CHECK (duration_minutes BETWEEN 15 AND 240),
    buffer_minutes        integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 120),
    service_name          varchar(150) NOT NULL,
    category_name         varchar(100) NOT NULL,
    hourly_rate_cents     integer NOT NULL CHECK (hourly_rate_cents > 0),
    total_price_cents     integer NOT NULL CHECK (total_price_cents >= 0),
    status                varchar(20) NOT NULL DEFAULT 'confirmed'
                          CHECK (status IN ('confirmed', 'completed', 'cancelled', 'no_show')),
    location_type         varchar(32) NOT NULL
                          CHECK (location_type IN ('student_home', 'instructor_location', 'neutral', 'online')),
    meeting_location      varchar(500) NOT NULL DEFAULT '',
    student_note          varchar(1000) NOT NULL DEFAULT '',
    late_cancellation     boolean NOT NULL DEFAULT false,
    cancellation_reason   varchar(500),
    cancelled_by          uuid REFERENCES users (id),
    cancelled_at          timestamptz,
    rescheduled_from_id   uuid REFERENCES bookings (id),
    completed_at          timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bookings_time_order CHECK (starts_at < ends_at AND start_time < end_time),
    CONSTRAINT bookings_blocked_until CHECK (blocked_until >= ends_at),
    CONSTRAINT bookings_distinct_parties CHECK (student_id <> instructor_id),
    CONSTRAINT bookings_cancel_fields CHECK (
        (status = 'cancelled') = (cancelled_at IS NOT NULL AND cancellation_reason IS NOT NULL)),
    -- The last guard against double booking, whatever the application does: no two confirmed
    -- bookings of one instructor overlap once each is widened by its buffer...
    CONSTRAINT bookings_no_instructor_overlap EXCLUDE USING gist (
        instructor_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&
    ) WHERE (status = 'confirmed'),
    -- ...and a student is never in two confirmed lessons at once.
    CONSTRAINT bookings_no_student_overlap EXCLUDE USING gist (
        student_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
    ) WHERE (status = 'confirmed')
);
CREATE INDEX bookings_student_idx ON bookings (student_id, starts_at);
CREATE INDEX bookings_instructor_idx ON bookings (instructor_id, starts_at);
CREATE INDEX bookings_service_idx ON bookings (instructor_service_id);

-- Idempotency-Key records: the first answer to (user, key) is stored and replayed; a different
-- body under the same key is refused.
CREATE TABLE idempotency_keys (
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          varchar(255) NOT NULL,
    request_hash bytea NOT NULL,
    status_code  integer NOT NULL,
    response     bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);

-- Transactional outbox: side effects of a committed write, relayed to the job queue afterwards.
-- task_id is deterministic (reminder:<booking>:24h) so relaying twice is harmless.
CREATE TABLE outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_type     varchar(100) NOT NULL,
    task_id       varchar(200) NOT NULL,
    aggregate_id  uuid,
    payload       jsonb NOT NULL DEFAULT '{}',
    process_at    timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE dispatched_at IS NULL;
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id);

-- +goose Down
DROP TABLE outbox;
DROP TABLE idempotency_keys;
DROP TABLE bookings;
DROP TABLE blackout_dates;
DROP TABLE availability_slots;
