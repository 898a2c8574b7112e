// Package node is a single-node development Tangle: it speaks the IRI HTTP
// API (the commands IOTA's client libraries use to send and find zero-value
// transactions), validates and stores transactions in SQLite, tracks tips and
// does proof of work for attachToTangle. There is no gossip, no milestone and
// no ledger; docs/tangle-node.md lists where it differs from IRI.
package node

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"iotahome/store/tanglestore"
)

// Config configures a node.
type Config struct {
	// DBPath is the SQLite file (created if missing).
	DBPath string
	// MWM is the minimum weight magnitude every stored transaction's hash
	// must meet, 1 to MaxMWM.
	MWM int
	// Logger receives the node's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Node is a running development Tangle node.
type Node struct {
	mwm     int
	log     *slog.Logger
	store   *tanglestore.Store
	dbPath  string
	started time.Time

	// gate admits attachToTangle requests, one at a time.
	gate *attachGate
	// powRunning counts live proof-of-work goroutines.
	powRunning atomic.Int32
}

// Open opens the node's store and prepares the node.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.MWM < 1 || cfg.MWM > MaxMWM {
		return nil, fmt.Errorf("open tangle node: minimum weight magnitude %d out of range 1..%d", cfg.MWM, MaxMWM)
	}
	if cfg.DBPath == "" {
		return nil, fmt.Errorf("open tangle node: no database path")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	st, err := tanglestore.Open(ctx, cfg.DBPath)
	if err != nil {
		return nil, fmt.Errorf("open tangle node: %w", err)
	}
	n := &Node{mwm: cfg.MWM, log: log, store: st, dbPath: cfg.DBPath, started: time.Now(), gate: newAttachGate()}
	log.Info("tangle node open", "db", cfg.DBPath, "mwm", cfg.MWM, "pow", powName, "cores", runtime.NumCPU())
	return n, nil
}

// Close stops attaching (Shutdown) and closes the store. Requests still
// running fail; stop the HTTP server first.
func (n *Node) Close() error {
	n.Shutdown()
	return n.store.Close()
}

// MWM returns the minimum weight magnitude the node demands.
func (n *Node) MWM() int { return n.mwm }

// Handler returns the IRI HTTP API handler.
func (n *Node) Handler() http.Handler { return http.HandlerFunc(n.serveHTTP) }
