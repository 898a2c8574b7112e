-- +goose Up
-- The P1 reader's state file. Single-row tables carry CHECK (id = 1).

-- Who the reader is: its IOTA seed (device address, NTRU key pair and MAM
-- channel all derive from it). Secret: the file must stay on the device.
CREATE TABLE identity (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    seed       TEXT    NOT NULL,
    created_at INTEGER NOT NULL -- unix ms
);

-- Pairing with one My Home, and the cursors of everything the reader follows.
CREATE TABLE pairing (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    paired          INTEGER NOT NULL DEFAULT 0,
    code            TEXT    NOT NULL,           -- current pairing code (used only while unpaired)
    home_address    TEXT    NOT NULL DEFAULT '',
    home_public_key TEXT    NOT NULL DEFAULT '',
    home_next_root  TEXT    NOT NULL DEFAULT '', -- root of the next unread event on My Home's channel
    claim_id        TEXT    NOT NULL DEFAULT '', -- the claim that paired us (arms event handling)
    armed           INTEGER NOT NULL DEFAULT 0,  -- DEVICE_ADDED for this pairing seen
    paired_at       INTEGER NOT NULL DEFAULT 0,
    direct_cursor   TEXT    NOT NULL DEFAULT ''  -- tangle/direct cursor on the device address
);

-- Claims answered with a CHALLENGE and waiting for ANSWER_CHALLENGE.
CREATE TABLE pending_claims (
    claim_id        TEXT PRIMARY KEY,
    home_address    TEXT    NOT NULL,
    home_public_key TEXT    NOT NULL,
    nonce           TEXT    NOT NULL,
    code            TEXT    NOT NULL, -- the code the device proof was made with
    created_at      INTEGER NOT NULL
);

-- Ids of direct messages and events already acted on, so a replay after a
-- restart does nothing twice. Written in the same transaction as the effect.
CREATE TABLE processed (
    id           TEXT PRIMARY KEY,
    processed_at INTEGER NOT NULL
);

-- Consent policies for this device, as learnt from My Home's events.
CREATE TABLE policies (
    policy_id        TEXT PRIMARY KEY,
    provider_address TEXT    NOT NULL,
    provider_key     TEXT    NOT NULL,
    goal             TEXT    NOT NULL DEFAULT '',
    state            TEXT    NOT NULL, -- active | revoked | expired | deleted
    expires_at       INTEGER,          -- unix ms, NULL = no expiry
    granted_at       INTEGER NOT NULL,
    ended_at         INTEGER
);
CREATE INDEX policies_active ON policies (state, expires_at);

-- The restricted channel: the mamch.State to prepare the next message from.
CREATE TABLE channel (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    state      TEXT    NOT NULL, -- JSON of mamch.State
    first_root TEXT    NOT NULL
);

-- Outbox of readings. seq comes from counters.next_seq so that it never goes
-- back, even when every row has been deleted. Readings with seq <=
-- counters.batched_seq are in a prepared channel message; they are deleted
-- once it is attached, except for a small recent window.
CREATE TABLE readings (
    seq     INTEGER PRIMARY KEY,
    body    TEXT    NOT NULL, -- JSON of protocol.Reading
    read_at INTEGER NOT NULL  -- unix ms when the telegram was read
);

-- Channel messages prepared (persist-before-publish) and not yet confirmed
-- attached, in channel order. A row is deleted once its message is attached.
-- The message is stored as its text and the channel state it was prepared
-- from (mamch.Prepare is deterministic), not as the MAM payload: the payload
-- is three times larger, and every byte here is written to the SD card.
CREATE TABLE channel_outbox (
    id          INTEGER PRIMARY KEY, -- channel order (no AUTOINCREMENT: one page less per write)
    message     TEXT    NOT NULL, -- the message text (JSON of protocol.ChannelMessage)
    state       TEXT    NOT NULL, -- JSON of the mamch.State it is prepared from
    kind        TEXT    NOT NULL, -- DATA | KEY_ROTATION
    first_seq   INTEGER,
    last_seq    INTEGER,
    created_at  INTEGER NOT NULL
);

-- Direct messages to send (CHALLENGE, CLAIM_RESULT, MAM_DATA).
CREATE TABLE direct_outbox (
    id         INTEGER PRIMARY KEY,
    to_address TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    body       TEXT    NOT NULL, -- JSON
    created_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE counters (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    next_seq           INTEGER NOT NULL DEFAULT 1, -- seq of the next reading
    batched_seq        INTEGER NOT NULL DEFAULT 0, -- highest seq put in a message or dropped
    read               INTEGER NOT NULL DEFAULT 0, -- telegrams accepted
    rejected           INTEGER NOT NULL DEFAULT 0, -- telegrams rejected by the parser
    published          INTEGER NOT NULL DEFAULT 0, -- readings in attached messages
    dropped            INTEGER NOT NULL DEFAULT 0, -- readings dropped because the queue was full
    messages           INTEGER NOT NULL DEFAULT 0, -- channel messages attached
    last_read_at       INTEGER NOT NULL DEFAULT 0,
    last_publish_at    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO counters (id) VALUES (1);

-- +goose Down
DROP TABLE counters;
DROP TABLE direct_outbox;
DROP TABLE channel_outbox;
DROP TABLE readings;
DROP TABLE channel;
DROP TABLE policies;
DROP TABLE processed;
DROP TABLE pending_claims;
DROP TABLE pairing;
DROP TABLE identity;
