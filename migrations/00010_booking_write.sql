-- +goose Up
-- The cost of a booking write. Every change (booking created, cancelled, rescheduled, completed,
-- availability changed) inserts one outbox row, and outbox_aggregate_idx made each of those
-- inserts also place a random UUID in a B-tree that no production query reads: the relay claims
-- by outbox_pending_idx, the purge by outbox_dispatched_idx, and the only lookup by aggregate
-- (Store.OutboxPending with an aggregate id, used by tests) reads the few pending rows through
-- outbox_pending_idx just as well. Measured on a 230,000-row outbox: the event's INSERT goes from
-- 45 to 31 µs of server time (scripts/booking-cost.sh, README "Figures").
--
-- Kept on purpose: bookings_confirmed_start_idx (00007) costs the booking INSERT no measurable
-- time (its median stays within 2 % of 180 µs) and the reminder sweep's keyset walk over
-- confirmed future bookings (persistence/notifications.go) needs it; booking_fence stays plpgsql
-- (its median is 65-70 µs whether or not calendar_fence is inlined, and only plpgsql can raise
-- the distinct SQLSTATEs that abort the rest of the pipelined batch).
DROP INDEX outbox_aggregate_idx;

-- +goose Down
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id);
