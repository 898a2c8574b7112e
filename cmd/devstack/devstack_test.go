package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestRestartResumesAndFreshStartsOver runs the real stack three times on
// one data directory: a second run must come back with the same reader
// (same device address: its identity and state were kept), a --fresh run
// with a new one; every Ctrl-C (ctx cancel) must stop all parts, which the
// test sees as the ports being free again.
func TestRestartResumesAndFreshStartsOver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the whole stack")
	}
	cfg := config{
		dataDir: t.TempDir(), mwm: 9, rate: 1, meter: "dsmr5", avx: avxAvailable(),
	}
	ports := freePorts(t, 3)
	cfg.nodeListen, cfg.myhomeAddr, cfg.watttAddr = ports[0], ports[1], ports[2]

	first := runOnce(t, cfg)
	again := runOnce(t, cfg)
	if again != first {
		t.Errorf("second run has device %s, want the first run's %s (resume)", again, first)
	}
	cfg.fresh = true
	fresh := runOnce(t, cfg)
	if fresh == first {
		t.Errorf("--fresh run kept the device address %s, want a new reader", fresh)
	}
}

// runOnce starts the stack, waits for the reader's device address, stops
// the stack as Ctrl-C would and checks that every port is free again.
func runOnce(t *testing.T, cfg config) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()

	state := filepath.Join(cfg.dataDir, "reader", "reader.db")
	p1reader := filepath.Join(cfg.dataDir, "bin", "p1reader")
	var address string
	deadline := time.Now().Add(3 * time.Minute) // includes building on a busy machine
	for address == "" {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("devstack stopped while starting: %v", err)
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatal("no device address within 3 minutes")
		}
		if !servesHTTP("http://"+cfg.myhomeAddr+"/healthz") || !servesHTTP("http://"+cfg.watttAddr+"/") {
			continue
		}
		out, err := exec.Command(p1reader, "status", "--json", "--state", state).Output()
		if err != nil {
			continue
		}
		var st struct{ DeviceAddress string }
		if json.Unmarshal(out, &st) == nil {
			address = st.DeviceAddress
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("devstack after Ctrl-C: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("devstack did not stop within a minute of Ctrl-C")
	}
	for _, addr := range []string{cfg.nodeListen, cfg.myhomeAddr, cfg.watttAddr} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("%s still in use after devstack stopped: %v", addr, err)
		}
		ln.Close()
	}
	return address
}

func servesHTTP(url string) bool {
	return pageAnswers(context.Background(), url) == nil
}

// freePorts returns n free loopback addresses.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return addrs
}
