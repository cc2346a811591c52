-- +goose Up
CREATE TABLE service_categories (
    id            uuid PRIMARY KEY,
    slug          varchar(64) NOT NULL UNIQUE,
    name          varchar(100) NOT NULL UNIQUE,
    description   text NOT NULL DEFAULT '',
    display_order integer NOT NULL DEFAULT 0,
    -- Words a student types for the whole category ("music", "coding"); read by search.
    aliases       text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE service_catalog (
    id                uuid PRIMARY KEY,
    category_id       uuid NOT NULL REFERENCES service_categories (id),
    slug              varchar(100) NOT NULL UNIQUE,
    name              varchar(150) NOT NULL UNIQUE,
    description       text NOT NULL DEFAULT '',
    search_terms      text[] NOT NULL DEFAULT '{}',
    typical_durations integer[] NOT NULL DEFAULT '{60}' CHECK (cardinality(typical_durations) > 0),
    online_capable    boolean NOT NULL DEFAULT true,
    is_active         boolean NOT NULL DEFAULT true,
    display_order     integer NOT NULL DEFAULT 0,
    -- 384-dim embedding of name, category, description and search terms (see search/).
    embedding         vector(384),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_catalog_category_idx ON service_catalog (category_id, display_order);
CREATE INDEX service_catalog_embedding_idx ON service_catalog USING hnsw (embedding vector_cosine_ops);
CREATE INDEX service_catalog_name_trgm_idx ON service_catalog USING gin (name gin_trgm_ops);

-- An instructor's offer of a catalog service at their own rate.
CREATE TABLE instructor_services (
    id                 uuid PRIMARY KEY,
    instructor_id      uuid NOT NULL REFERENCES instructor_profiles (user_id) ON DELETE CASCADE,
    catalog_service_id uuid NOT NULL REFERENCES service_catalog (id),
    hourly_rate_cents  integer NOT NULL CHECK (hourly_rate_cents BETWEEN 1000 AND 100000),
    duration_options   integer[] NOT NULL CHECK (cardinality(duration_options) > 0),
    description        text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    location_types     text[] NOT NULL
                       CHECK (cardinality(location_types) > 0
                              AND location_types <@ ARRAY['in_person', 'online']::text[]),
    is_active          boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- One active offer per (instructor, catalog service); soft-deleted offers may pile up beside it.
CREATE UNIQUE INDEX instructor_services_one_active_key
    ON instructor_services (instructor_id, catalog_service_id) WHERE is_active;
CREATE INDEX instructor_services_catalog_idx
    ON instructor_services (catalog_service_id, hourly_rate_cents) WHERE is_active;

-- +goose Down
DROP TABLE instructor_services;
DROP TABLE service_catalog;
DROP TABLE service_categories;
