// Package pgtest runs throwaway PostgreSQL clusters for tests and
// benchmarks: initdb in a temporary directory, the server on a free
// loopback port, stopped and removed at the end. It uses the PostgreSQL
// installed on the machine (Debian's postgresql package: the binaries under
// /usr/lib/postgresql/<version>/bin, or $PGTEST_BIN). initdb refuses to run
// as root, so as root the cluster runs as the postgres user (runuser), in a
// directory that user owns.
//
// Without PostgreSQL a test skips, except with CI=true, where it fails.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is one running (or stopped) PostgreSQL cluster.
type Cluster struct {
	bin  string // directory of initdb, pg_ctl
	dir  string // owns data/ and the socket
	Port int
	run  []string // command prefix that runs a binary as the cluster's owner
	log  string   // server log file
	// Settings are extra postgres -c settings, applied at every start.
	settings []string
}

// Options tune a cluster.
type Options struct {
	// Durable keeps fsync on (benchmarks). Tests run with fsync off:
	// faster, and a clean or crashed server still loses nothing that
	// was committed unless the machine itself goes down.
	Durable bool
	// Settings are extra "name=value" server settings.
	Settings []string
}

// ErrNoPostgres means no PostgreSQL installation was found.
var ErrNoPostgres = errors.New("pgtest: PostgreSQL is not installed (initdb not found); on Debian: apt-get install postgresql")

// FindBin returns the directory of initdb and pg_ctl: $PGTEST_BIN, else
// the newest /usr/lib/postgresql/<version>/bin, else the directory of
// initdb on PATH.
func FindBin() (string, error) {
	if d := os.Getenv("PGTEST_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", ErrNoPostgres
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// Start creates and starts a cluster in a new temporary directory.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, dir: dir, log: filepath.Join(dir, "server.log"), settings: o.Settings}
	if !o.Durable {
		c.settings = append([]string{"fsync=off", "full_page_writes=off"}, c.settings...)
	}
	if os.Geteuid() == 0 {
		// initdb will not run as root: hand the directory to postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: running as root needs the postgres user (from the postgresql package): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.run = []string{"runuser", "-u", "postgres", "--"}
	}
	if out, err := c.command(ctx, "initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	if c.Port, err = freePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	full := append(append(append([]string{}, c.run...), filepath.Join(c.bin, name)), args...)
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	cmd.Dir = c.dir
	return cmd
}

// Start starts the (stopped) server and waits until it accepts connections.
func (c *Cluster) Start(ctx context.Context) error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", c.Port, c.dir)
	for _, s := range c.settings {
		opts += " -c " + s
	}
	if out, err := c.command(ctx, "pg_ctl", "-D", c.data(), "-l", c.log, "-o", opts, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		logTail, _ := os.ReadFile(c.log)
		return fmt.Errorf("pgtest: pg_ctl start: %v\n%s\n%s", err, out, tail(string(logTail), 2000))
	}
	return nil
}

// Stop stops the server. mode is pg_ctl's: "fast" (roll back sessions,
// clean shutdown) or "immediate" (like a crash: recovery at next start).
func (c *Cluster) Stop(ctx context.Context, mode string) error {
	if out, err := c.command(ctx, "pg_ctl", "-D", c.data(), "-m", mode, "-w", "-t", "60", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// Close stops the server and removes the cluster.
func (c *Cluster) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := c.Stop(ctx, "immediate")
	return errors.Join(err, os.RemoveAll(c.dir))
}

// DSN is the connection string of a database in the cluster.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// CreateDatabase makes a new, empty database and returns its DSN.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return c.DSN(name), nil
}

// Log returns the end of the server log (for failing tests).
func (c *Cluster) Log() string {
	raw, _ := os.ReadFile(c.log)
	return tail(string(raw), 4000)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Missing ends a test that has no PostgreSQL: a skip, or with CI=true a
// failure (CI installs PostgreSQL, so missing it there is a bug).
func Missing(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("PostgreSQL needed (CI=true): %v", err)
	}
	tb.Skipf("PostgreSQL not available: %v", err)
}

// New starts a cluster of the test's own (stopped and removed at the end).
func New(tb testing.TB, o Options) *Cluster {
	tb.Helper()
	c, err := Start(context.Background(), o)
	if errors.Is(err, ErrNoPostgres) {
		Missing(tb, err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("PostgreSQL log:\n%s", c.Log())
		}
		c.Close()
	})
	return c
}

// shared is the cluster of a test binary, started by the first Database
// call and stopped by Main.
var shared struct {
	sync.Mutex
	c   *Cluster
	err error
	n   int
}

// Database returns the DSN of a new database in the test binary's shared
// cluster. The package's TestMain must call Main, which stops it.
func Database(tb testing.TB) string {
	tb.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.c == nil && shared.err == nil {
		shared.c, shared.err = Start(context.Background(), Options{})
	}
	if errors.Is(shared.err, ErrNoPostgres) {
		Missing(tb, shared.err)
	}
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	shared.n++
	dsn, err := shared.c.CreateDatabase(context.Background(), fmt.Sprintf("test_%d", shared.n))
	if err != nil {
		tb.Fatal(err)
	}
	return dsn
}

// Main runs the tests and stops the shared cluster: use it in TestMain,
// os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.c != nil {
		if err := shared.c.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}
