package sqlitedb_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"iotahome/migrations"
	"iotahome/store/sqlitedb"
)

func TestOpenMigrates(t *testing.T) {
	for _, name := range []migrations.Database{migrations.Tangle, migrations.Reader, migrations.MyHome, migrations.Wattt} {
		db, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var mode string
		if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Fatalf("journal mode %q, %v", mode, err)
		}
		db.Close()
	}
}

func TestInTxCommitsOrRollsBack(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, filepath.Join(t.TempDir(), "x.db"), migrations.Reader)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = sqlitedb.InTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO t VALUES (1)`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the function's error", err)
	}
	if err := sqlitedb.InTx(ctx, db, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO t VALUES (2)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := db.QueryRow(`SELECT COALESCE(SUM(v), 0) FROM t`).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if sum != 2 {
		t.Fatalf("sum %d: the failed transaction's row must be rolled back, the second committed", sum)
	}
}

// State files hold secrets: the database and the -wal and -shm files SQLite
// creates beside it are owner-only even when the process umask would allow
// more, and an existing world-readable file set is fixed on open.
func TestStateFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	check := func(when string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("%s: %s has mode %o, want 600", when, filepath.Base(p), perm)
			}
		}
	}
	db, err := sqlitedb.Open(ctx, path, migrations.Reader)
	if err != nil {
		t.Fatal(err)
	}
	check("new file")
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db2, err := sqlitedb.Open(ctx, path, migrations.Reader)
	if err != nil {
		t.Fatal(err)
	}
	check("existing world-readable files")
	db2.Close()
	db.Close()
}
