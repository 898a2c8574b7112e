-- +goose Up
-- Follower workers share the live connections through leases (docs/wattt.md,
-- "Following"): lease_owner is the worker following the connection until
-- lease_until (unix ms); a worker that stops renewing loses it, and others
-- claim it. workers holds each worker's heartbeat, from which a worker
-- learns how many are alive and so its fair share.
ALTER TABLE connections ADD COLUMN lease_owner TEXT;
ALTER TABLE connections ADD COLUMN lease_until INTEGER;
CREATE INDEX connections_lease_owner ON connections(lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE workers (
    id         TEXT    PRIMARY KEY,
    host       TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE workers;
DROP INDEX connections_lease_owner;
ALTER TABLE connections DROP COLUMN lease_until;
ALTER TABLE connections DROP COLUMN lease_owner;
