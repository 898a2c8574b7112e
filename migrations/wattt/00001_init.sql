-- +goose Up
-- Wattt Insights: a service provider's accounts, consent requests, the
-- connections (reader channels it follows), the readings received and their
-- downsampled aggregates. Times are unix milliseconds unless named *_s.

-- An account is one visitor's provider identity: an IOTA seed (sealed with
-- the server key, never stored in clear), the receive address and NTRU
-- public key derived from it, and the cursor of the direct-message listing
-- on that address (so key receipt resumes where it stopped).
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    address       TEXT    NOT NULL UNIQUE,
    public_key    TEXT    NOT NULL,
    sealed_seed   BLOB    NOT NULL,
    direct_cursor TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);

-- Browser sessions: the SHA-256 of the cookie value (never the value
-- itself, so a copy of the database cannot be replayed as a cookie) maps to
-- an account until expires_at.
CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_account ON sessions(account_id);

-- Consent requests sent to My Home. state is the random nonce that must come
-- back, sealed, inside MAM_DATA. status: pending (redirected to My Home),
-- granted (owner said yes, waiting for keys), denied, connected (keys
-- received).
CREATE TABLE consent_requests (
    state         TEXT    PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    myhome_url    TEXT    NOT NULL,
    goal          TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'granted', 'denied', 'connected')),
    created_at    INTEGER NOT NULL,
    returned_at   INTEGER,
    connected_at  INTEGER,
    connection_id INTEGER REFERENCES connections(id)
) WITHOUT ROWID;
CREATE INDEX consent_requests_account ON consent_requests(account_id, created_at);

-- A connection is one reader channel an account may follow. root is the root
-- of the next message to fetch and side_key the key it is read with (sealed
-- with the server key, base64, so a copy of the file reads no meter); both
-- advance in the same transaction as the readings they produced, so a restart
-- resumes without gaps or duplicates. last_seq is the highest reading
-- sequence number stored (-1: none yet).
CREATE TABLE connections (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    device          TEXT    NOT NULL,
    root            TEXT    NOT NULL,
    side_key        TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('live', 'revoked')),
    revoked_at      INTEGER,
    last_seq        INTEGER NOT NULL DEFAULT -1,
    last_reading_at INTEGER,
    messages        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (account_id, device)
);

-- Readings at full resolution, kept for a recent window only (see
-- docs/wattt.md); older data lives on in aggregates. Energy counters are the
-- sums over both tariffs (kWh); power in kW; gas in m³ with its own time.
-- phases is the JSON of []protocol.Phase (only the latest is ever shown and
-- CSV export prints it).
CREATE TABLE readings (
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    t             INTEGER NOT NULL,
    tariff        INTEGER,
    p_delivered   REAL,
    p_returned    REAL,
    e_delivered_t1 REAL,
    e_delivered_t2 REAL,
    e_returned_t1 REAL,
    e_returned_t2 REAL,
    gas           REAL,
    gas_t         INTEGER,
    phases        TEXT,
    PRIMARY KEY (connection_id, seq)
) WITHOUT ROWID;
CREATE INDEX readings_time ON readings(connection_id, t);

-- Aggregates per bucket of res seconds (60, 3600, 86400; day buckets start at
-- local midnight). Maintained incrementally with every insert. Energy and gas
-- counters only grow, so first = min and last = max; the energy of a bucket
-- is its last counter minus the previous bucket's last counter.
CREATE TABLE aggregates (
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    res           INTEGER NOT NULL,
    bucket_s      INTEGER NOT NULL,
    n             INTEGER NOT NULL,
    first_t       INTEGER NOT NULL,
    last_t        INTEGER NOT NULL,
    n_power       INTEGER NOT NULL DEFAULT 0,
    sum_pd        REAL    NOT NULL DEFAULT 0,
    sum_pr        REAL    NOT NULL DEFAULT 0,
    max_pd        REAL,
    max_pr        REAL,
    ed_first      REAL,
    ed_last       REAL,
    er_first      REAL,
    er_last       REAL,
    gas_first     REAL,
    gas_last      REAL,
    n_v1          INTEGER NOT NULL DEFAULT 0,
    sum_v1        REAL    NOT NULL DEFAULT 0,
    n_v2          INTEGER NOT NULL DEFAULT 0,
    sum_v2        REAL    NOT NULL DEFAULT 0,
    n_v3          INTEGER NOT NULL DEFAULT 0,
    sum_v3        REAL    NOT NULL DEFAULT 0,
    PRIMARY KEY (connection_id, res, bucket_s)
) WITHOUT ROWID;

-- Tariffs per account. Prices in euro.
CREATE TABLE tariffs (
    account_id        INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    per_kwh           REAL NOT NULL,
    per_kwh_returned  REAL NOT NULL,
    per_m3            REAL NOT NULL,
    standing_per_day  REAL NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- +goose Down
DROP TABLE tariffs;
DROP TABLE aggregates;
DROP TABLE readings;
DROP TABLE connections;
DROP TABLE consent_requests;
DROP TABLE sessions;
DROP TABLE accounts;
