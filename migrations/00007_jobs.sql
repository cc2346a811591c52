-- +goose Up
-- Background jobs. notification_log rows are claimed before an email is sent: 'sending' with
-- claimed_at, then 'sent', 'logged' or 'failed'. A 'sending' row older than the claim lease is
-- taken to be a worker that died mid-send, and may be claimed again (tasks/email.go explains the
-- choice); attempts counts the claims.
ALTER TABLE notification_log DROP CONSTRAINT notification_log_status_check;
ALTER TABLE notification_log ADD CONSTRAINT notification_log_status_check
    CHECK (status IN ('sending', 'sent', 'logged', 'failed'));
ALTER TABLE notification_log
    ADD COLUMN claimed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN sent_at    timestamptz,
    ADD COLUMN attempts   integer NOT NULL DEFAULT 1;
-- The sweep looks for claims whose worker died.
CREATE INDEX notification_log_sending_idx ON notification_log (claimed_at) WHERE status = 'sending';

-- The relay backs off from an event it could not enqueue (Redis down) instead of spinning on it.
ALTER TABLE outbox ADD COLUMN retry_at timestamptz;
-- The purge deletes relayed rows by age.
CREATE INDEX outbox_dispatched_idx ON outbox (dispatched_at) WHERE dispatched_at IS NOT NULL;

-- The reminder sweep walks confirmed future bookings in start order.
CREATE INDEX bookings_confirmed_start_idx ON bookings (starts_at, id) WHERE status = 'confirmed';

-- +goose Down
DROP INDEX bookings_confirmed_start_idx;
DROP INDEX outbox_dispatched_idx;
ALTER TABLE outbox DROP COLUMN retry_at;
DROP INDEX notification_log_sending_idx;
DELETE FROM notification_log WHERE status = 'sending';
ALTER TABLE notification_log DROP COLUMN attempts, DROP COLUMN sent_at, DROP COLUMN claimed_at;
ALTER TABLE notification_log DROP CONSTRAINT notification_log_status_check;
ALTER TABLE notification_log ADD CONSTRAINT notification_log_status_check
    CHECK (status IN ('sent', 'logged', 'failed'));
