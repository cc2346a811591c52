-- +goose Up
-- The daily report: one row per covered day (a day of America/New_York), written by the report
-- job at 02:30 for the day before and replaced when the job runs again for that day. summary is
-- the figures the job also logs (bookings, cancellations, completions, revenue booked, sign-ups,
-- searches, the services in demand); its keys are described in README.md.
CREATE TABLE daily_reports (
    day        date PRIMARY KEY,
    summary    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE daily_reports;
