// Package migrations holds the SQL schema of every database in the product,
// one folder per database and dialect (SQLite; PostgreSQL for Wattt's
// production store, watttpg), embedded in the binaries and applied at
// start-up with goose. A change that SQL cannot express (e.g. hashing a
// column) is a Go migration in goMigrations, numbered among the SQL files.
// A migration file is never edited once it has shipped:
// add a new numbered file instead.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed tangle/*.sql reader/*.sql myhome/*.sql wattt/*.sql watttpg/*.sql
var files embed.FS

// Database names one folder of migrations.
type Database string

// The databases of the product.
const (
	Tangle Database = "tangle" // development Tangle node
	Reader Database = "reader" // P1 reader state, outbox and channel state
	MyHome Database = "myhome" // My Home sessions, accounts, channel cache
	Wattt  Database = "wattt"  // Wattt Insights accounts, connections, readings
	// WatttPostgres is Wattt's database on PostgreSQL (ApplyPostgres).
	WatttPostgres Database = "watttpg"
)

// Apply brings the SQLite database db up to the newest schema of the named
// database.
func Apply(ctx context.Context, db *sql.DB, name Database) error {
	return apply(ctx, db, name, goose.DialectSQLite3)
}

// ApplyPostgres brings the PostgreSQL database db up to the newest schema
// of the named database. An advisory lock makes processes that start at
// once (several followers) migrate one after the other.
func ApplyPostgres(ctx context.Context, db *sql.DB, name Database) error {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", name, err)
	}
	return apply(ctx, db, name, goose.DialectPostgres, goose.WithSessionLocker(locker))
}

func apply(ctx context.Context, db *sql.DB, name Database, dialect goose.Dialect, opts ...goose.ProviderOption) error {
	sub, err := fs.Sub(files, string(name))
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", name, err)
	}
	opts = append(opts, goose.WithGoMigrations(goMigrations[name]...))
	provider, err := goose.NewProvider(dialect, db, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", name, err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("apply %s migrations: %w", name, err)
	}
	return nil
}
