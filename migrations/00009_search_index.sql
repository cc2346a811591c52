-- The search index's change feed. Natural-language search keeps every active instructor's
-- searchable facts (name, bio, areas, status, active offers) in memory and, before each search,
-- reads what changed since its last read: every such change touches the instructor's profile row
-- in its own transaction, and the row records that transaction's id (search_xid). A reader that
-- remembers the oldest transaction still running at its last read (pg_snapshot_xmin) and asks for
-- rows with search_xid >= it misses no commit, whatever order transactions commit in.
--
-- What touches the profile: profile writes themselves (bio, areas, settings, the calendar
-- version), offer inserts, updates and deletes and account status changes (through the calendar
-- version bump of migration 00005), and name changes (the trigger below).
-- +goose Up
ALTER TABLE instructor_profiles ADD COLUMN search_xid xid8 NOT NULL DEFAULT '0';
CREATE INDEX instructor_profiles_search_xid_idx ON instructor_profiles (search_xid);

-- +goose StatementBegin
CREATE FUNCTION profile_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_xid := pg_current_xact_id();
    RETURN NEW;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION users_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE instructor_profiles SET search_xid = pg_current_xact_id() WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER profile_search_touch BEFORE INSERT OR UPDATE ON instructor_profiles
    FOR EACH ROW EXECUTE FUNCTION profile_search_touch();
CREATE TRIGGER users_search_touch AFTER UPDATE OF full_name, role ON users
    FOR EACH ROW WHEN (OLD.full_name IS DISTINCT FROM NEW.full_name OR OLD.role IS DISTINCT FROM NEW.role)
    EXECUTE FUNCTION users_search_touch();

-- +goose Down
DROP TRIGGER users_search_touch ON users;
DROP TRIGGER profile_search_touch ON instructor_profiles;
DROP FUNCTION users_search_touch();
DROP FUNCTION profile_search_touch();
DROP INDEX instructor_profiles_search_xid_idx;
ALTER TABLE instructor_profiles DROP COLUMN search_xid;
