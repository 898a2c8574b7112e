// Package watttstore is Wattt Insights' SQLite store: accounts (with their
// seeds sealed by the server key), browser sessions, consent requests,
// connections to reader channels, readings and their aggregates, tariffs.
// All of Wattt's SQL lives here.
package watttstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"iotahome/migrations"
	"iotahome/store/sqlitedb"
)

// ErrNotFound means the row asked for does not exist (or is not the
// caller's).
var ErrNotFound = errors.New("watttstore: not found")

// Store is the Wattt database. It is safe for concurrent use.
type Store struct {
	db *sql.DB
}

// Open opens (creating and migrating) the database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := sqlitedb.Open(ctx, path, migrations.Wattt)
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// tx runs fn in a transaction, committing if it returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return sqlitedb.InTx(ctx, s.db, fn)
}

// ms and fromMS convert between time and the unix milliseconds stored.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

func optTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func optFloat(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	f := v.Float64
	return &f
}

func nullFloat(p *float64) sql.NullFloat64 {
	if p == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *p, Valid: true}
}
