// Package myhomestore is My Home's SQLite access: accounts and sessions,
// the cached event stream with its write queue, the devices and policies
// rebuilt from it, pairings in progress and consent requests. It holds no
// logic beyond keeping those tables consistent; myhome decides what to write.
package myhomestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"iotahome/migrations"
	"iotahome/store/sqlitedb"
)

// ErrNotFound is returned when a row does not exist (or belongs to another account).
var ErrNotFound = errors.New("myhomestore: not found")

// ErrConflict is returned when a write lost a race (e.g. the channel moved on).
var ErrConflict = errors.New("myhomestore: conflicting write")

// maxConns bounds the open SQLite connections (readers; writers queue on
// SQLite's own lock with busy_timeout).
const maxConns = 8

// Store is My Home's database.
type Store struct {
	db *sql.DB
}

// Open opens (creating and migrating) the database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := sqlitedb.Open(ctx, path, migrations.MyHome)
	if err != nil {
		return nil, err
	}
	// Keep connections open: database/sql keeps only 2 idle ones by
	// default, and under load every extra SQLite connection is opened (and
	// its schema parsed) per request. WAL lets these readers run beside the
	// one writer.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// ms converts a time to the Unix milliseconds stored in every time column.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS is the inverse of ms.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// optTime turns a nullable millisecond column into *time.Time.
func optTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

// optMS turns *time.Time into a nullable column value.
func optMS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ms(*t)
}

// tx runs fn in a transaction (BEGIN IMMEDIATE, see sqlitedb).
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return sqlitedb.InTx(ctx, s.db, fn)
}
