// Package readerstore is the P1 reader's state file: one SQLite database
// holding the reader's identity, pairing, consent policies, the channel
// state, the outbox of readings and the messages waiting to be sent.
//
// Everything that must not happen twice or be lost goes through Update, one
// SQLite transaction, so that an effect (a prepared channel message, a queued
// direct message) and the record that it was done commit together.
package readerstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"iotahome/migrations"
	"iotahome/store/sqlitedb"
)

// Store is an open state file. Safe for concurrent use.
type Store struct {
	db *sql.DB
}

// Open opens (creating and migrating if needed) the state file at path.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := sqlitedb.Open(ctx, path, migrations.Reader)
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Tx is one write transaction, handed to the function given to Update.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
}

// Update runs fn in one write transaction and commits it if fn returns nil.
// Write transactions are serialised (BEGIN IMMEDIATE), so fn may read state,
// compute, and write it back without a lost update.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	return sqlitedb.InTx(ctx, s.db, func(tx *sql.Tx) error { return fn(&Tx{ctx: ctx, tx: tx}) })
}

// ErrNoIdentity is returned by LoadIdentity on a fresh state file.
var ErrNoIdentity = errors.New("readerstore: no identity yet")

// Identity is what a reader is created with.
type Identity struct {
	Seed         string // 81-tryte IOTA seed; secret
	Code         string // first pairing code
	ChannelState string // JSON of the initial mamch.State
	FirstRoot    string // first root of the restricted channel
}

// CreateIdentity stores a new reader's identity, its first pairing code and
// its channel state. It fails if the file already has an identity.
func (s *Store) CreateIdentity(ctx context.Context, id Identity) error {
	return s.Update(ctx, func(tx *Tx) error {
		now := ms(time.Now())
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO identity (id, seed, created_at) VALUES (1, ?, ?)`, id.Seed, now); err != nil {
			return fmt.Errorf("readerstore: create identity: %w", err)
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO pairing (id, code) VALUES (1, ?)`, id.Code); err != nil {
			return fmt.Errorf("readerstore: create pairing: %w", err)
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO channel (id, state, first_root) VALUES (1, ?, ?)`, id.ChannelState, id.FirstRoot); err != nil {
			return fmt.Errorf("readerstore: create channel: %w", err)
		}
		return nil
	})
}

// LoadIdentity returns the reader's seed, or ErrNoIdentity.
func (s *Store) LoadIdentity(ctx context.Context) (seed string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT seed FROM identity WHERE id = 1`).Scan(&seed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNoIdentity
	}
	if err != nil {
		return "", fmt.Errorf("readerstore: load identity: %w", err)
	}
	return seed, nil
}

// FirstRoot returns the first root of the reader's restricted channel.
func (s *Store) FirstRoot(ctx context.Context) (string, error) {
	var root string
	if err := s.db.QueryRowContext(ctx, `SELECT first_root FROM channel WHERE id = 1`).Scan(&root); err != nil {
		return "", fmt.Errorf("readerstore: first root: %w", err)
	}
	return root, nil
}

// ChannelState returns the JSON of the mamch.State the next channel message
// is prepared from.
func (t *Tx) ChannelState() (string, error) {
	var st string
	if err := t.tx.QueryRowContext(t.ctx, `SELECT state FROM channel WHERE id = 1`).Scan(&st); err != nil {
		return "", fmt.Errorf("readerstore: channel state: %w", err)
	}
	return st, nil
}

// ChannelState is Tx.ChannelState outside a transaction.
func (s *Store) ChannelState(ctx context.Context) (string, error) {
	var st string
	if err := s.db.QueryRowContext(ctx, `SELECT state FROM channel WHERE id = 1`).Scan(&st); err != nil {
		return "", fmt.Errorf("readerstore: channel state: %w", err)
	}
	return st, nil
}

// MarkProcessed records that the message or event id has been acted on. It
// reports false if it already had been, in which case the caller must not act.
func (t *Tx) MarkProcessed(id string) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO processed (id, processed_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, ms(time.Now()))
	if err != nil {
		return false, fmt.Errorf("readerstore: mark %s processed: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("readerstore: mark %s processed: %w", id, err)
	}
	return n == 1, nil
}

// Processed reports whether id has been acted on.
func (s *Store) Processed(ctx context.Context, id string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM processed WHERE id = ?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("readerstore: processed %s: %w", id, err)
	}
	return n > 0, nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}
