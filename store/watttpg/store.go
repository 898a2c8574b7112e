// Package watttpg is Wattt Insights' store on PostgreSQL (wattt.Store, with
// pgx), for a provider that outgrows one SQLite file: follower workers in
// several processes, on several machines, share the meters through leases
// in the database (SELECT … FOR UPDATE SKIP LOCKED), readings live in a
// table partitioned by month, and aggregates are maintained with every
// insert as in store/watttsqlite. Both stores pass store/watttstoretest.
// Its SQL lives here; the schema is migrations/watttpg.
package watttpg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"iotahome/migrations"
	"iotahome/wattt"
)

// Store is the Wattt database on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var _ wattt.Store = (*Store)(nil)

// Open connects to the database at dsn (postgres://…, or key=value pairs;
// pgx reads the PG* environment variables too), migrates it to the newest
// schema and makes sure this month's and the next months' reading
// partitions exist.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("watttpg: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("watttpg: connect: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	err = migrations.ApplyPostgres(ctx, db, migrations.WatttPostgres)
	db.Close()
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("watttpg: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.ensurePartitions(ctx, time.Now()); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// tx runs fn in a transaction, committing if it returns nil.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// notFound turns pgx's no-rows into wattt.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return wattt.ErrNotFound
	}
	return err
}

// wrap names the operation that failed, and says plainly when the disk is
// full (SQLSTATE 53100): the server refused the write and kept its data.
func wrap(op string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "53100" {
		return fmt.Errorf("watttpg: %s: the database server's disk is full (nothing was written): %w", op, err)
	}
	return fmt.Errorf("watttpg: %s: %w", op, err)
}
