// Package watttsqlite is Wattt Insights' store in one SQLite file, the
// embedded default (wattt.Store; store/watttpg is the PostgreSQL one):
// accounts (with their seeds sealed by the server key), browser sessions,
// consent requests, connections to reader channels and their follower
// leases, readings and their aggregates, tariffs. Its SQL lives here.
package watttsqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"iotahome/migrations"
	"iotahome/store/sqlitedb"
	"iotahome/wattt"
)

// Store is the Wattt database in SQLite. It is safe for concurrent use,
// also by several processes on one machine (WAL); followers in several
// processes share connections through leases as on PostgreSQL.
type Store struct {
	db *sql.DB
}

var _ wattt.Store = (*Store)(nil)

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

// IntegrityCheck runs SQLite's integrity check (operators, and the tests
// that fill the disk up).
func (s *Store) IntegrityCheck(ctx context.Context) error {
	var res string
	if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("watttsqlite: integrity check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("watttsqlite: integrity check: %s", res)
	}
	return nil
}

// full says plainly when SQLite could not write because the disk (or the
// file's size limit) is full: the transaction was rolled back, the file is
// intact.
func full(op string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return fmt.Errorf("watttsqlite: %s: the disk is full (nothing was written): %w", op, err)
	}
	return fmt.Errorf("watttsqlite: %s: %w", op, err)
}
