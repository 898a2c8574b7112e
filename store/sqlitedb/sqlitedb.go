// Package sqlitedb opens the product's SQLite files (modernc.org/sqlite, no
// cgo) with the settings every store wants, and applies their migrations.
package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"iotahome/migrations"
)

// Open opens (creating if needed) the SQLite file at path and migrates it to
// the newest schema of the named database. WAL mode lets readers run while a
// writer commits; busy_timeout makes concurrent writers wait instead of
// failing; synchronous=NORMAL is durable across process crashes in WAL mode
// (a power cut may lose the last transactions, never corrupt the file).
//
// Every state file holds secrets (seeds, pairing codes, side keys, sessions),
// so the file is created owner-only before SQLite opens it (SQLite gives
// the -wal and -shm files it creates the main file's mode), and an existing
// file and its -wal, -shm and -journal are made owner-only first.
func Open(ctx context.Context, path string, name migrations.Database) (*sql.DB, error) {
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Keep connections open: every new modernc connection re-reads the
	// schema, which under load costs more than the query itself.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := migrations.Apply(ctx, db, name); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// stateFileMode is the mode of every state file and its companions.
const stateFileMode = 0o600

// ownerOnly creates path (and its directory, 0700) if needed and makes it
// and the files SQLite keeps beside it readable by the owner only.
func ownerOnly(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create directory for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, stateFileMode)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("protect %s: %w", p, err)
		}
		if fi.Mode().Perm() != stateFileMode {
			if err := os.Chmod(p, stateFileMode); err != nil {
				return fmt.Errorf("protect %s: %w", p, err)
			}
		}
	}
	return nil
}

// InTx runs fn in one transaction on db and commits it if fn returns nil,
// rolling back otherwise. Databases opened by Open begin write transactions
// IMMEDIATE, so fn may read, compute and write back without a lost update.
func InTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Scanner is what *sql.Row and *sql.Rows have in common, so one scan
// function reads a row either way. (An alias, so that a store's
// func(interface{ Scan(...any) error }) can be passed to All as is.)
type Scanner = interface{ Scan(dest ...any) error }

// All reads every row with scan, closes rows and returns what was read, or
// the first error.
func All[T any](rows *sql.Rows, scan func(Scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
