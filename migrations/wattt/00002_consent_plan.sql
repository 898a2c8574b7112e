-- +goose Up
-- A consent request names the plan it asked for (live: every reading of
-- every kind; monthly: 15-minute values of electricity and gas), and keeps
-- the end of the consent My Home reports when the owner comes back
-- (NULL until then, or for requests from before consents ended).
ALTER TABLE consent_requests ADD COLUMN plan TEXT NOT NULL DEFAULT 'live';
ALTER TABLE consent_requests ADD COLUMN ends_at INTEGER;
CREATE INDEX consent_requests_connection ON consent_requests(connection_id, connected_at);

-- +goose Down
DROP INDEX consent_requests_connection;
ALTER TABLE consent_requests DROP COLUMN ends_at;
ALTER TABLE consent_requests DROP COLUMN plan;
