package node

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/trinary"
)

// openNode opens a node demanding mwm on a temp database.
func openNode(t *testing.T, mwm int) *Node {
	t.Helper()
	n, err := Open(context.Background(), Config{DBPath: filepath.Join(t.TempDir(), "t.db"), MWM: mwm, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// serve sends one request to the node's handler as client (an IP address).
func serve(n *Node, client string, body any) (int, map[string]any) {
	b, _ := json.Marshal(body)
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(b)))
	r.Header.Set("X-IOTA-API-Version", "1")
	r.RemoteAddr = client + ":40000"
	w := httptest.NewRecorder()
	n.Handler().ServeHTTP(w, r)
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

// unattached is a zero-value transaction to an address of its own.
func unattached(i int) string {
	tx := []byte(unknownTrytes)
	copy(tx[2187:], "ATTACHTEST"+trinary.IntToTrytes(int64(i), 9))
	return string(tx)
}

func attachRequest(n *Node, txs ...string) map[string]any {
	return map[string]any{"command": "attachToTangle", "trunkTransaction": nullHash, "branchTransaction": nullHash,
		"minWeightMagnitude": n.MWM(), "trytes": txs}
}

// waitFor polls cond for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// cpuTime is the CPU time this process has used so far.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestAttachAboveNodeMWMRefused (issue 13): one attachToTangle asking for
// MWM 20 used to hold the node's proof of work for hours and block every
// other attach. The node attaches at its own MWM only, as Hornet does.
func TestAttachAboveNodeMWMRefused(t *testing.T) {
	n := openNode(t, 9)
	start := time.Now()
	req := attachRequest(n, unattached(1))
	req["minWeightMagnitude"] = 20
	status, out := serve(n, "192.0.2.1", req)
	if msg, _ := out["error"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "Invalid minWeightMagnitude input: 20") {
		t.Fatalf("attach at MWM 20: %d %v", status, out)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("refusing took %v", took)
	}
	status, out = serve(n, "192.0.2.1", attachRequest(n, unattached(2)))
	if status != http.StatusOK {
		t.Fatalf("attach at the node's MWM: %d %v", status, out)
	}
	txs := out["trytes"].([]any)
	h, _ := curl.HashTrytes(txs[0].(string))
	if zeros := trinary.TrailingZeros(trinary.MustTrytesToTrits(h)); zeros < 9 {
		t.Fatalf("attached hash %s has %d trailing zeros", h, zeros)
	}
}

// slowNode is a node whose MWM makes one transaction's proof of work take
// minutes: long enough to interrupt, never finished in a test.
func slowNode(t *testing.T) *Node { return openNode(t, 18) }

// TestInterruptStopsProofOfWork (issue 13): interrupting used to answer at
// once but leave iota.go's search running in the background, holding the
// cores and every later attach. Now the search itself stops.
func TestInterruptStopsProofOfWork(t *testing.T) {
	n := slowNode(t)
	done := make(chan int, 1)
	var out map[string]any
	go func() {
		var status int
		status, out = serve(n, "192.0.2.1", attachRequest(n, unattached(1)))
		done <- status
	}()
	if !waitFor(5*time.Second, func() bool { return n.powRunning.Load() > 0 }) {
		t.Fatal("proof of work did not start")
	}
	n.InterruptAttach()
	select {
	case status := <-done:
		if msg, _ := out["error"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "interrupted after 0 of 1") {
			t.Fatalf("interrupted attach: %d %v", status, out)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("attach did not answer within 2 s of the interrupt")
	}
	if !waitFor(time.Second, func() bool { return n.powRunning.Load() == 0 }) {
		t.Fatalf("%d proof-of-work goroutines still run after the interrupt", n.powRunning.Load())
	}
	// The symptom as a user sees it: the process stops burning CPU.
	before := cpuTime(t)
	time.Sleep(time.Second)
	if used := cpuTime(t) - before; used > 400*time.Millisecond {
		t.Fatalf("the process used %v of CPU in the second after the interrupt", used)
	}
}

// TestAttachQueueIsBounded (issue 13): attaches queued without bound, and
// one client could fill the queue. Now a client has at most
// MaxAttachPerClient running or waiting (429 beyond), at most
// MaxAttachWaiting wait in all (503 beyond), and Shutdown ends the running
// and the waiting ones at once.
func TestAttachQueueIsBounded(t *testing.T) {
	n := slowNode(t)
	type result struct {
		status int
		msg    string
	}
	results := make(chan result, 64)
	var wg sync.WaitGroup
	send := func(client string, i int) {
		wg.Go(func() {
			status, out := serve(n, client, attachRequest(n, unattached(i)))
			msg, _ := out["error"].(string)
			results <- result{status, msg}
		})
	}
	waiting := func() int {
		n.gate.mu.Lock()
		defer n.gate.mu.Unlock()
		return n.gate.waiting
	}
	// Client A: one running, MaxAttachPerClient-1 waiting, then one too many.
	for i := range MaxAttachPerClient {
		send("192.0.2.1", i)
		if !waitFor(5*time.Second, func() bool { return waiting() == i }) {
			t.Fatalf("attach %d of client A not admitted", i)
		}
	}
	status, out := serve(n, "192.0.2.1", attachRequest(n, unattached(99)))
	if msg, _ := out["error"].(string); status != http.StatusTooManyRequests || !strings.Contains(msg, "this client already has") {
		t.Fatalf("client A's attach beyond its bound: %d %v", status, out)
	}
	// Other clients fill the queue; the next one is turned away.
	for c := 0; waiting() < MaxAttachWaiting; c++ {
		want := waiting() + 1
		send(fmt.Sprintf("192.0.2.%d", 10+c), 100+c)
		if !waitFor(5*time.Second, func() bool { return waiting() == want }) {
			t.Fatalf("attach of client %d not queued", c)
		}
	}
	status, out = serve(n, "192.0.2.200", attachRequest(n, unattached(200)))
	if msg, _ := out["error"].(string); status != http.StatusServiceUnavailable || !strings.Contains(msg, "already waiting") {
		t.Fatalf("attach beyond a full queue: %d %v", status, out)
	}
	// Other commands are not held up by the queue.
	if status, out := serve(n, "192.0.2.1", map[string]any{"command": "getNodeInfo"}); status != http.StatusOK {
		t.Fatalf("getNodeInfo while attaches queue: %d %v", status, out)
	}

	start := time.Now()
	n.Shutdown()
	wg.Wait()
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Shutdown took %v to end the running and waiting attaches", took)
	}
	close(results)
	count := 0
	for r := range results {
		count++
		if r.status != http.StatusServiceUnavailable || r.msg != errShutdown.Error() {
			t.Errorf("attach ended by Shutdown: %d %q", r.status, r.msg)
		}
	}
	if want := MaxAttachPerClient + MaxAttachWaiting - (MaxAttachPerClient - 1); count != want {
		t.Errorf("%d attaches ended, want %d", count, want)
	}
	if !waitFor(time.Second, func() bool { return n.powRunning.Load() == 0 }) {
		t.Fatalf("%d proof-of-work goroutines still run after Shutdown", n.powRunning.Load())
	}
	if status, out := serve(n, "192.0.2.1", attachRequest(n, unattached(300))); status != http.StatusServiceUnavailable {
		t.Fatalf("attach after Shutdown: %d %v", status, out)
	}
}

// TestSearchNonceMeetsMWM: the node's own search finds valid nonces.
func TestSearchNonceMeetsMWM(t *testing.T) {
	n := openNode(t, 9)
	for i := range 5 {
		tx := unattached(i)
		nonce, err := searchNonce(context.Background(), tx, 9, 2, &n.powRunning)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := curl.HashTrytes(tx[:len(tx)-27] + nonce)
		if z := trinary.TrailingZeros(trinary.MustTrytesToTrits(h)); z < 9 {
			t.Fatalf("nonce %s gives hash %s with %d trailing zeros", nonce, h, z)
		}
	}
}
