package reader

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/pi/dsmr"
	"iotahome/protocol"
	"iotahome/store/readerstore"
	"iotahome/tangle/client"
	"iotahome/tangle/mamch"
	"iotahome/tangle/tangletest"
)

// testTelegram is a DSMR 5 telegram whose tariff-1 counter is n/1000 kWh, so
// a test can tell which telegram a reading came from.
func testTelegram(n int) []byte {
	ts := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second).
		In(time.FixedZone("CET", 3600)).Format("060102150405")
	body := strings.Join([]string{
		`/ISK5\2M550T-1012`,
		``,
		`1-3:0.2.8(50)`,
		`0-0:1.0.0(` + ts + `W)`,
		`0-0:96.1.1(4530303434303037313331363530363138)`,
		fmt.Sprintf(`1-0:1.8.1(%06d.%03d*kWh)`, n/1000, n%1000),
		`1-0:1.8.2(000456.789*kWh)`,
		`1-0:2.8.1(000000.000*kWh)`,
		`1-0:2.8.2(000000.000*kWh)`,
		`0-0:96.14.0(0002)`,
		`1-0:1.7.0(00.345*kW)`,
		`1-0:2.7.0(00.000*kW)`,
		`1-0:32.7.0(230.1*V)`,
		`1-0:31.7.0(001*A)`,
		`!`,
	}, "\r\n")
	return []byte(fmt.Sprintf("%s%04X\r\n", body, dsmr.CRC16([]byte(body))))
}

func testClient(t testing.TB, node *tangletest.Node) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{NodeURL: node.URL, MWM: node.MWM, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testConfig is a fast configuration for tests.
func testConfig(t testing.TB, node *tangletest.Node, path string) Config {
	return Config{
		StatePath:       path,
		Client:          testClient(t, node),
		BatchWindow:     200 * time.Millisecond,
		MaxReadings:     4,
		PollInterval:    150 * time.Millisecond,
		MaxBackoff:      500 * time.Millisecond,
		ClaimsPerMinute: 100,
		Log:             testLog(t),
	}
}

// testLog logs warnings and errors into the test's output.
func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// running is an Agent whose Run goroutine the test controls.
type running struct {
	*Agent
	telegrams chan []byte
	cancel    context.CancelFunc
	done      chan error
}

func start(t testing.TB, cfg Config) *running {
	t.Helper()
	a, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Agent: a, telegrams: make(chan []byte, 100), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx, r.telegrams) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels Run, waits for it and closes the agent; safe to call twice.
func (r *running) stop(t testing.TB) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// channelStart returns the first root and side key of a fresh agent's
// channel (before anything was published).
func channelStart(t testing.TB, a *Agent) (trinary.Trytes, trinary.Trytes) {
	t.Helper()
	raw, err := a.store.ChannelState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var st mamch.State
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		t.Fatal(err)
	}
	return st.NextRoot(), st.SideKey()
}

// channelReader follows a reader's channel the way a provider does: it
// dedupes readings by seq, switches key on KEY_ROTATION when it can open
// the new key, and fails the test on a gap.
type channelReader struct {
	root, key trinary.Trytes
	nextSeq   uint64
	readings  []protocol.Reading
	rotations []protocol.KeyRotationBody
	messages  int
	// wantPacked: DATA must (or must not) come DEFLATE-packed.
	wantPacked bool
}

// readAll reads every message present from the current root on.
func (cr *channelReader) readAll(t testing.TB, c *client.Client, onRotation func(protocol.KeyRotationBody) trinary.Trytes) {
	t.Helper()
	for {
		msg, next, err := mamch.FetchOne(context.Background(), c, cr.root, mamch.Restricted, cr.key)
		if err != nil {
			t.Fatalf("fetch %s: %v", cr.root, err)
		}
		if msg == nil {
			return
		}
		cr.messages++
		cr.root = next
		var m protocol.ChannelMessage
		if err := json.Unmarshal([]byte(msg.Text), &m); err != nil {
			t.Fatalf("channel message %q: %v", msg.Text, err)
		}
		switch m.Type {
		case protocol.Data:
			if m.Data.Schema != protocol.ReadingSchema {
				t.Fatalf("schema %q", m.Data.Schema)
			}
			readings, err := m.Data.AllReadings()
			if err != nil {
				t.Fatalf("DATA at seq %d: %v", m.Data.Seq, err)
			}
			if cr.wantPacked != (m.Data.Packed != "") {
				t.Fatalf("DATA packed %v, want %v", m.Data.Packed != "", cr.wantPacked)
			}
			for i, r := range readings {
				seq := m.Data.Seq + uint64(i)
				if seq < cr.nextSeq {
					continue // duplicate after a re-send
				}
				if cr.nextSeq != 0 && seq != cr.nextSeq {
					t.Fatalf("gap: got seq %d, want %d", seq, cr.nextSeq)
				}
				cr.nextSeq = seq + 1
				cr.readings = append(cr.readings, r)
			}
		case protocol.KeyRotation:
			cr.rotations = append(cr.rotations, *m.KeyRotation)
			if onRotation == nil {
				t.Fatalf("unexpected KEY_ROTATION")
			}
			cr.key = onRotation(*m.KeyRotation)
			if cr.key == "" {
				return // cannot follow any further
			}
		default:
			t.Fatalf("unexpected channel message type %q", m.Type)
		}
	}
}

// checkReadings asserts that the readings are telegrams first..last, in order.
func checkReadings(t testing.TB, got []protocol.Reading, first, last int) {
	t.Helper()
	if len(got) != last-first+1 {
		t.Fatalf("got %d readings, want %d", len(got), last-first+1)
	}
	for i, r := range got {
		want := float64(first+i) / 1000
		if r.DeliveredT1 == nil || *r.DeliveredT1 != want {
			t.Fatalf("reading %d: dT1 %v, want %v", i, r.DeliveredT1, want)
		}
	}
}

func statePath(t testing.TB) string { return filepath.Join(t.TempDir(), "reader.db") }

// readerstoreOpen opens a state file beside (or instead of) an agent.
func readerstoreOpen(t testing.TB, path string) *readerstore.Store {
	t.Helper()
	st, err := readerstore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
