// Package migrations holds the SQL schema of every SQLite database in the
// product, one folder per database, embedded in the binaries and applied at
// start-up with goose. A change that SQL cannot express (e.g. hashing a
// column) is a Go migration in goMigrations, numbered among the SQL files. A migration file is never edited once it has shipped:
// add a new numbered file instead.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed tangle/*.sql reader/*.sql myhome/*.sql wattt/*.sql
var files embed.FS

// Database names one folder of migrations.
type Database string

// The databases of the product.
const (
	Tangle Database = "tangle" // development Tangle node
	Reader Database = "reader" // P1 reader state, outbox and channel state
	MyHome Database = "myhome" // My Home sessions, accounts, channel cache
	Wattt  Database = "wattt"  // Wattt Insights accounts, connections, readings
)

// Apply brings db up to the newest schema of the named database.
func Apply(ctx context.Context, db *sql.DB, name Database) error {
	sub, err := fs.Sub(files, string(name))
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", name, err)
	}
	provider, err := goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithGoMigrations(goMigrations[name]...))
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", name, err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("apply %s migrations: %w", name, err)
	}
	return nil
}
