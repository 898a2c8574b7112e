// Package tangletest runs the real development Tangle node in-process for
// tests: a temp SQLite file, a free 127.0.0.1 port, stopped in t.Cleanup.
package tangletest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"iotahome/tangle/node"
)

// Node is a development Tangle node serving on URL.
type Node struct {
	// URL is the node's IRI API endpoint, e.g. http://127.0.0.1:41234.
	URL string
	// DBPath is the node's SQLite file.
	DBPath string
	// MWM is the minimum weight magnitude the node demands.
	MWM uint64

	addr string

	mu     sync.Mutex
	node   *node.Node
	server *http.Server
	done   chan struct{}
}

// StartNode starts a node demanding mwm (tests use 9 or less) and stops it
// when the test ends.
func StartNode(t testing.TB, mwm uint64) *Node {
	t.Helper()
	n := &Node{DBPath: filepath.Join(t.TempDir(), "tangle.db"), MWM: mwm}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("tangletest: listen: %v", err)
	}
	n.addr = ln.Addr().String()
	n.URL = "http://" + n.addr
	if err := n.start(ln); err != nil {
		ln.Close()
		t.Fatalf("tangletest: %v", err)
	}
	t.Cleanup(n.Stop)
	return n
}

// Restart closes the node and its database and opens them again on the same
// file and port, as a process restart would.
func (n *Node) Restart(t testing.TB) {
	t.Helper()
	n.Stop()
	var ln net.Listener
	var err error
	// The port was just released; another process could grab it in the
	// meantime, so retry briefly before giving up.
	for range 50 {
		if ln, err = net.Listen("tcp", n.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("tangletest: listen again on %s: %v", n.addr, err)
	}
	if err := n.start(ln); err != nil {
		ln.Close()
		t.Fatalf("tangletest: restart: %v", err)
	}
}

func (n *Node) start(ln net.Listener) error {
	nd, err := node.Open(context.Background(), node.Config{
		DBPath: n.DBPath,
		MWM:    int(n.MWM),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: nd.Handler(), ReadHeaderTimeout: 10 * time.Second}
	srv.RegisterOnShutdown(nd.Shutdown)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic("tangletest: serve: " + err.Error())
		}
	}()
	n.mu.Lock()
	n.node, n.server, n.done = nd, srv, done
	n.mu.Unlock()
	return nil
}

// Stop stops the node; it is safe to call more than once.
func (n *Node) Stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.server == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.server.Shutdown(ctx); err != nil {
		n.server.Close()
	}
	<-n.done
	n.node.Close()
	n.node, n.server, n.done = nil, nil, nil
}
