-- +goose Up
-- My Home's database. The source of truth is each home's private MAM event
-- stream on the Tangle; everything here is either a credential mapping
-- (sessions -> accounts, the seed sealed with the server key), channel state
-- needed to continue the stream, a cache of the stream (devices, policies,
-- events) that a restore rebuilds by replaying it, or work in progress
-- (pending writes, pairings, consent requests). Times are Unix milliseconds.

CREATE TABLE accounts (
	id              TEXT PRIMARY KEY,            -- random, 128 bits hex
	home_address    TEXT NOT NULL UNIQUE,        -- seed address 0: pairing replies arrive here
	home_public_key TEXT NOT NULL,               -- NTRU public key (trytes), derived from the seed
	first_root      TEXT NOT NULL,               -- root of the first event of the private channel
	sealed_seed     BLOB NOT NULL,               -- serverkey.Seal(seed, id)
	sealed_channel  BLOB NOT NULL,               -- serverkey.Seal(json(mamch.State to prepare the next event from), id)
	next_seq        INTEGER NOT NULL DEFAULT 0,  -- index of the next event on the channel
	reply_cursor    TEXT NOT NULL DEFAULT '',    -- direct.Cursor on home_address
	created_at      INTEGER NOT NULL,
	seed_shown_at   INTEGER,                     -- the seed is shown once
	restore_state   TEXT NOT NULL DEFAULT 'none' CHECK (restore_state IN ('none', 'running', 'done', 'failed')),
	restore_read    INTEGER NOT NULL DEFAULT 0,  -- events replayed so far
	restore_error   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE sessions (
	id         TEXT PRIMARY KEY,                 -- 256-bit random, base64url
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Every event of a home's stream, in channel order. bundle = '' while the
-- event waits to be attached (the write queue); sealed_prepared then holds
-- the prepared MAM message so a retry attaches exactly the same message.
CREATE TABLE events (
	account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	seq             INTEGER NOT NULL,
	event_id        TEXT NOT NULL,
	type            TEXT NOT NULL,
	device          TEXT NOT NULL,
	at              INTEGER NOT NULL,
	body            TEXT NOT NULL,               -- json(protocol.Event)
	root            TEXT NOT NULL,
	sealed_prepared BLOB,                        -- NULL once attached (or when replayed)
	bundle          TEXT NOT NULL DEFAULT '',
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (account_id, seq)
);
CREATE UNIQUE INDEX events_id ON events(account_id, event_id);
CREATE INDEX events_pending ON events(next_attempt_at) WHERE bundle = '';

CREATE TABLE devices (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	address    TEXT NOT NULL,
	name       TEXT NOT NULL DEFAULT '',
	public_key TEXT NOT NULL,
	added_at   INTEGER NOT NULL,
	added_seq  INTEGER NOT NULL,
	deleted_at INTEGER,
	deleted_seq INTEGER,
	PRIMARY KEY (account_id, address)
);

CREATE TABLE policies (
	account_id          TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	policy_id           TEXT NOT NULL,
	device              TEXT NOT NULL,
	provider_address    TEXT NOT NULL,
	provider_public_key TEXT NOT NULL,
	provider_origin     TEXT NOT NULL,
	goal                TEXT NOT NULL,
	state               TEXT NOT NULL,
	scope               TEXT NOT NULL DEFAULT '',  -- comma-separated
	expires_at          INTEGER,
	granted_at          INTEGER NOT NULL,
	granted_seq         INTEGER NOT NULL,
	revoked_at          INTEGER,
	revoked_seq         INTEGER,
	revoke_reason       TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (account_id, policy_id)
);
CREATE INDEX policies_by_time ON policies(account_id, granted_at DESC);

-- Pairing in progress (and its outcome, shown on the devices page).
CREATE TABLE pairings (
	id                TEXT PRIMARY KEY,          -- the claimId
	account_id        TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	device_address    TEXT NOT NULL,
	device_name       TEXT NOT NULL DEFAULT '',
	sealed_code       BLOB NOT NULL,             -- serverkey.Seal(code, account id)
	step              TEXT NOT NULL CHECK (step IN ('queued', 'claim_sent', 'answer_queued', 'answer_sent', 'paired', 'failed')),
	reason            TEXT NOT NULL DEFAULT '',
	device_public_key TEXT NOT NULL DEFAULT '',
	nonce             TEXT NOT NULL DEFAULT '',
	bad_challenges    INTEGER NOT NULL DEFAULT 0,
	first_bad_at      INTEGER,
	claim_bundle      TEXT NOT NULL DEFAULT '',
	answer_bundle     TEXT NOT NULL DEFAULT '',
	attempts          INTEGER NOT NULL DEFAULT 0,
	next_attempt_at   INTEGER NOT NULL DEFAULT 0,
	last_error        TEXT NOT NULL DEFAULT '',
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	deadline_at       INTEGER NOT NULL
);
CREATE INDEX pairings_account ON pairings(account_id, created_at DESC);
CREATE INDEX pairings_active ON pairings(step) WHERE step NOT IN ('paired', 'failed');

-- A provider's consent request as the owner saw it. The redirect after the
-- decision goes to return_url from this row, never to a posted value.
CREATE TABLE consent_requests (
	id                  TEXT PRIMARY KEY,        -- random, in the consent page's URL
	account_id          TEXT REFERENCES accounts(id) ON DELETE CASCADE, -- set when decided
	provider_address    TEXT NOT NULL,
	provider_public_key TEXT NOT NULL,
	goal                TEXT NOT NULL,
	return_url          TEXT NOT NULL,
	origin              TEXT NOT NULL,
	state               TEXT NOT NULL,
	scope               TEXT NOT NULL DEFAULT '',
	duration_ms         INTEGER NOT NULL DEFAULT 0, -- 0 = until revoked
	created_at          INTEGER NOT NULL,
	decided_at          INTEGER,
	result              TEXT NOT NULL DEFAULT '' CHECK (result IN ('', 'granted', 'denied')),
	policy_id           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consent_requests_age ON consent_requests(created_at);
