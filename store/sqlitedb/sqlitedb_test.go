package sqlitedb_test

import (
	"context"
	"path/filepath"
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
