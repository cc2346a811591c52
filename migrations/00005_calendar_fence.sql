-- The calendar fence. Every write that changes what the booking rules read bumps the instructor's
-- calendar_version in its own transaction: the instructor actor's writes through calendar_fence
-- (which also checks the version the actor decided on), every other write (profile settings,
-- timezone, account status, offers) through the triggers below. An actor that decided on an
-- older calendar (a second node, a profile edit that bypassed it, a suspension racing a booking)
-- fails its fence, reloads and decides again: it can never write on a stale calendar.
-- +goose Up
ALTER TABLE instructor_profiles ADD COLUMN calendar_version bigint NOT NULL DEFAULT 0;

-- calendar_fence bumps the version when it equals p_expected (any version when p_expected < 0,
-- for seeding and tests) and returns the new version; otherwise SQLSTATE IIF01.
-- +goose StatementBegin
CREATE FUNCTION calendar_fence(p_instructor uuid, p_expected bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
    UPDATE instructor_profiles SET calendar_version = calendar_version + 1
     WHERE user_id = p_instructor AND (p_expected < 0 OR calendar_version = p_expected)
    RETURNING calendar_version INTO v;
    IF v IS NULL THEN
        RAISE EXCEPTION 'calendar of instructor % changed since version %', p_instructor, p_expected
            USING ERRCODE = 'IIF01';
    END IF;
    RETURN v;
END $$;
-- +goose StatementEnd

-- booking_fence is calendar_fence for a write that creates a booking. It first share-locks the
-- student and the instructor (a suspension or deactivation locks that row before it counts future
-- bookings, so the two serialize: whichever commits first, the other sees it) and key-share-locks
-- the offer, then checks all three are active (IIS01 student, IIU01 instructor or offer). Locks
-- are always taken in the order users, offer, profile, as the other writers do.
-- +goose StatementBegin
CREATE FUNCTION booking_fence(p_instructor uuid, p_student uuid, p_offer uuid, p_expected bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM users WHERE id = p_student AND account_status = 'active' FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'student % is not active', p_student USING ERRCODE = 'IIS01';
    END IF;
    PERFORM 1 FROM users WHERE id = p_instructor AND account_status = 'active' FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'instructor % is not active', p_instructor USING ERRCODE = 'IIU01';
    END IF;
    PERFORM 1 FROM instructor_services WHERE id = p_offer AND instructor_id = p_instructor AND is_active FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'offer % is not active', p_offer USING ERRCODE = 'IIU01';
    END IF;
    RETURN calendar_fence(p_instructor, p_expected);
END $$;
-- +goose StatementEnd

-- Writes that bypass the actor bump the version through triggers.
-- +goose StatementBegin
CREATE FUNCTION bump_calendar_of(p_instructor uuid) RETURNS void LANGUAGE sql AS $$
    UPDATE instructor_profiles SET calendar_version = calendar_version + 1 WHERE user_id = p_instructor;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION users_calendar_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bump_calendar_of(NEW.id);
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION offers_calendar_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM bump_calendar_of(OLD.instructor_id);
    ELSE
        PERFORM bump_calendar_of(NEW.instructor_id);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION profile_calendar_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.calendar_version := OLD.calendar_version + 1;
    RETURN NEW;
END $$;
-- +goose StatementEnd

CREATE TRIGGER users_calendar_bump AFTER UPDATE OF timezone, account_status ON users
    FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone OR OLD.account_status IS DISTINCT FROM NEW.account_status)
    EXECUTE FUNCTION users_calendar_bump();
CREATE TRIGGER offers_calendar_bump AFTER INSERT OR UPDATE OR DELETE ON instructor_services
    FOR EACH ROW EXECUTE FUNCTION offers_calendar_bump();
CREATE TRIGGER profile_calendar_bump BEFORE UPDATE OF buffer_minutes, min_advance_booking_hours ON instructor_profiles
    FOR EACH ROW WHEN (OLD.buffer_minutes IS DISTINCT FROM NEW.buffer_minutes
                       OR OLD.min_advance_booking_hours IS DISTINCT FROM NEW.min_advance_booking_hours)
    EXECUTE FUNCTION profile_calendar_bump();


-- +goose Down
DROP TRIGGER profile_calendar_bump ON instructor_profiles;
DROP TRIGGER offers_calendar_bump ON instructor_services;
DROP TRIGGER users_calendar_bump ON users;
DROP FUNCTION profile_calendar_bump();
DROP FUNCTION offers_calendar_bump();
DROP FUNCTION users_calendar_bump();
DROP FUNCTION bump_calendar_of(uuid);
DROP FUNCTION booking_fence(uuid, uuid, uuid, bigint);
DROP FUNCTION calendar_fence(uuid, bigint);
ALTER TABLE instructor_profiles DROP COLUMN calendar_version;
