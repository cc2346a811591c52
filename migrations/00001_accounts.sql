-- +goose Up
-- Extensions are created if missing but never dropped on the way down: they live at the database
-- level, may predate this schema, and creating them needs a superuser (scripts/dev-services.sh).
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          varchar(254) NOT NULL,
    password_hash  text NOT NULL,
    full_name      varchar(200) NOT NULL CHECK (length(btrim(full_name)) > 0),
    role           varchar(20) NOT NULL CHECK (role IN ('student', 'instructor', 'admin')),
    account_status varchar(20) NOT NULL DEFAULT 'active'
                   CHECK (account_status IN ('active', 'suspended', 'deactivated')),
    timezone       varchar(64) NOT NULL DEFAULT 'America/New_York',
    phone          varchar(32),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- Emails are stored lower-cased by the application; the constraint makes that a guarantee.
    CONSTRAINT users_email_lower CHECK (email = lower(email))
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_role_status_idx ON users (role, account_status);

-- Refresh tokens rotate on every use. All tokens descending from one login share a family; reuse
-- of a spent token revokes the family (RFC 6819 5.2.2.3 style theft detection).
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_live_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
-- The auth middleware asks on every request whether a session (family) was revoked: revoked rows
-- are few, so this partial index answers that with one probe however long the family grew.
CREATE INDEX refresh_tokens_family_revoked_idx ON refresh_tokens (family_id) WHERE revoked_at IS NOT NULL;

CREATE TABLE instructor_profiles (
    user_id                   uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    bio                       text NOT NULL DEFAULT '' CHECK (length(bio) <= 5000),
    years_experience          integer NOT NULL DEFAULT 0 CHECK (years_experience BETWEEN 0 AND 80),
    areas_of_service          text[] NOT NULL DEFAULT '{}',
    min_advance_booking_hours integer NOT NULL DEFAULT 2 CHECK (min_advance_booking_hours BETWEEN 0 AND 168),
    buffer_minutes            integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 120),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX instructor_profiles_areas_idx ON instructor_profiles USING gin (areas_of_service);

-- +goose Down
DROP TABLE instructor_profiles;
DROP TABLE refresh_tokens;
DROP TABLE users;
