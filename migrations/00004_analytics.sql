-- +goose Up
-- Every search, recorded off the request path; the daily analytics job counts them per service.
CREATE TABLE search_events (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    query               varchar(500) NOT NULL,
    parsed              jsonb NOT NULL DEFAULT '{}',
    matched_service_ids uuid[] NOT NULL DEFAULT '{}',
    result_count        integer NOT NULL DEFAULT 0,
    user_id             uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX search_events_created_idx ON search_events (created_at);
CREATE INDEX search_events_services_idx ON search_events USING gin (matched_service_ids);

-- One row per catalog service per analytics run day; the API reads the latest.
CREATE TABLE service_analytics (
    catalog_service_id uuid NOT NULL REFERENCES service_catalog (id) ON DELETE CASCADE,
    calculated_on      date NOT NULL,
    search_count_7d    integer NOT NULL DEFAULT 0,
    search_count_30d   integer NOT NULL DEFAULT 0,
    booking_count_7d   integer NOT NULL DEFAULT 0,
    booking_count_30d  integer NOT NULL DEFAULT 0,
    booking_count_90d  integer NOT NULL DEFAULT 0,
    active_instructors integer NOT NULL DEFAULT 0,
    avg_price_cents    integer,
    price_p25_cents    integer,
    price_p50_cents    integer,
    price_p75_cents    integer,
    demand_score       double precision NOT NULL DEFAULT 0,
    is_trending        boolean NOT NULL DEFAULT false,
    calculated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (catalog_service_id, calculated_on)
);
CREATE INDEX service_analytics_latest_idx ON service_analytics (calculated_on DESC, demand_score DESC);

-- Every notification the platform sends (or, without SMTP, logs), with a dedupe key so a
-- retried job never mails twice.
CREATE TABLE notification_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key varchar(200) NOT NULL UNIQUE,
    user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    booking_id uuid REFERENCES bookings (id) ON DELETE SET NULL,
    kind       varchar(50) NOT NULL,
    channel    varchar(20) NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms', 'push')),
    recipient  varchar(254) NOT NULL,
    subject    varchar(300) NOT NULL DEFAULT '',
    body       text NOT NULL DEFAULT '',
    status     varchar(20) NOT NULL CHECK (status IN ('sent', 'logged', 'failed')),
    error      text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_log_booking_idx ON notification_log (booking_id);

-- +goose Down
DROP TABLE notification_log;
DROP TABLE service_analytics;
DROP TABLE search_events;
