package migrations

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"
)

// A My Home database from before migration 3 keeps its live sessions, but
// no longer holds any session id in clear.
func TestMyHomeSessionsHashed(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "myhome.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sub, err := fs.Sub(files, string(MyHome))
	if err != nil {
		t.Fatal(err)
	}
	old, err := goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithGoMigrations(goMigrations[MyHome]...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.UpTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	const cookie = "v2cJ2Ne1xWq8tD3rN5v7m6m2Tq3E0pKqJ2kP8b1Zc3A"
	if _, err := db.Exec(`INSERT INTO accounts (id, home_address, home_public_key, first_root, sealed_seed, sealed_channel, created_at)
		VALUES ('A', 'ADDR', 'KEY', 'ROOT', x'00', x'00', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO sessions (id, account_id, expires_at) VALUES (?, 'A', 1)`, cookie); err != nil {
		t.Fatal(err)
	}
	if err := Apply(ctx, db, MyHome); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sessions WHERE id = ?`, cookie).Scan(&n); err != nil || n != 0 {
		t.Fatalf("session id still stored in clear (%d rows, %v)", n, err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM sessions WHERE id = ?`, SessionKey(cookie)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("hashed session missing (%d rows, %v)", n, err)
	}
}
