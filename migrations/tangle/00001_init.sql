-- +goose Up
-- One row per stored transaction. Hashes, addresses, bundles, trunk/branch
-- and tags are stored packed (5 trits per byte: 49 bytes for 81 trytes,
-- 17 for a 27-tryte tag) so the indexes stay small; trytes holds the whole
-- transaction in the same packing, with the trailing 9s of the message
-- fragment cut off (see store/tanglestore/packing.go).
-- seq is the arrival order: clients list "what arrived since" in this order.
CREATE TABLE transactions (
    seq           INTEGER PRIMARY KEY,
    hash          BLOB    NOT NULL UNIQUE,
    address       BLOB    NOT NULL,
    bundle        BLOB    NOT NULL,
    tag           BLOB    NOT NULL,
    trunk         BLOB    NOT NULL,
    branch        BLOB    NOT NULL,
    current_index INTEGER NOT NULL,
    arrived_at    INTEGER NOT NULL, -- unix milliseconds
    trytes        BLOB    NOT NULL
);
CREATE INDEX transactions_address ON transactions (address);
CREATE INDEX transactions_bundle ON transactions (bundle);
CREATE INDEX transactions_tag ON transactions (tag);
CREATE INDEX transactions_trunk ON transactions (trunk);
CREATE INDEX transactions_branch ON transactions (branch);
-- The tips live in memory (store/tanglestore/tipset.go), rebuilt from the
-- newest transactions at start-up.

