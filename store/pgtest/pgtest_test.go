package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestClusterStartsStopsAndKeepsData runs a cluster through a crash-like
// stop: committed rows are there after the restart.
func TestClusterStartsStopsAndKeepsData(t *testing.T) {
	ctx := context.Background()
	c := New(t, Options{})
	dsn, err := c.CreateDatabase(ctx, "keep")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE t (v int); INSERT INTO t VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := c.Stop(ctx, "immediate"); err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.Connect(ctx, dsn); err == nil {
		t.Fatal("connected to a stopped server")
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, `SELECT v FROM t`).Scan(&v); err != nil || v != 42 {
		t.Fatalf("after restart: %d %v", v, err)
	}
}
