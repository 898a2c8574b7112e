-- +goose Up
-- Consent requests are signed by their provider and verified against the
-- metadata document at its origin (protocol/providermeta); the verified
-- name, description and privacy policy go with the request, and the name
-- and privacy policy with the policy (they travel in AUTHORIZED, so a
-- restore rebuilds them). Requests and policies name a resolution. A
-- renewal or a repeated request of the same provider account for the same
-- device replaces the active policy (replaces / replaced_by) instead of
-- adding a second one.
ALTER TABLE consent_requests ADD COLUMN provider_name TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_requests ADD COLUMN provider_description TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_requests ADD COLUMN provider_privacy_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_requests ADD COLUMN resolution TEXT NOT NULL DEFAULT 'raw';
ALTER TABLE consent_requests ADD COLUMN issued_at INTEGER NOT NULL DEFAULT 0;
-- A request is looked up by the provider's origin and state, so that the
-- same signed request opened twice (the back button) is one request.
CREATE INDEX consent_requests_state ON consent_requests(origin, state);
-- Unsigned requests waiting for an answer were never verified: drop them
-- (the provider starts again; decided ones stay as the record).
DELETE FROM consent_requests WHERE decided_at IS NULL;

ALTER TABLE policies ADD COLUMN provider_name TEXT NOT NULL DEFAULT '';
ALTER TABLE policies ADD COLUMN provider_privacy_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE policies ADD COLUMN resolution TEXT NOT NULL DEFAULT 'raw';
ALTER TABLE policies ADD COLUMN replaces TEXT NOT NULL DEFAULT '';
ALTER TABLE policies ADD COLUMN replaced_by TEXT NOT NULL DEFAULT '';

-- +goose Down
DROP INDEX consent_requests_state;
ALTER TABLE consent_requests DROP COLUMN provider_name;
ALTER TABLE consent_requests DROP COLUMN provider_description;
ALTER TABLE consent_requests DROP COLUMN provider_privacy_policy;
ALTER TABLE consent_requests DROP COLUMN resolution;
ALTER TABLE consent_requests DROP COLUMN issued_at;
ALTER TABLE policies DROP COLUMN provider_name;
ALTER TABLE policies DROP COLUMN provider_privacy_policy;
ALTER TABLE policies DROP COLUMN resolution;
ALTER TABLE policies DROP COLUMN replaces;
ALTER TABLE policies DROP COLUMN replaced_by;
