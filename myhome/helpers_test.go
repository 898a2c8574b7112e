package myhome

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/pi/reader"
	"iotahome/pi/simulator"
	"iotahome/protocol"
	"iotahome/protocol/providermeta"
	"iotahome/protocol/providermeta/providertest"
	"iotahome/store/myhomestore"
	"iotahome/store/serverkey"
	"iotahome/tangle/client"
	"iotahome/tangle/direct"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
	"iotahome/tangle/tangletest"
)

// testMWM is the proof-of-work difficulty of the tests' dev node.
const testMWM = 9

func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func testClient(t testing.TB, node *tangletest.Node) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{NodeURL: node.URL, MWM: node.MWM, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testConfig is fast enough for tests and still exercises every timeout.
var testConfig = Config{
	PairingTimeout: time.Minute, // generous: PoW is slow on a loaded machine
	WrongCodeGrace: 2 * time.Second,
	PollInterval:   100 * time.Millisecond,
	RetryBase:      100 * time.Millisecond,
	RetryMax:       time.Second,
	Providers:      providermeta.FetchConfig{AllowHTTPLoopback: true}, // providertest serves on 127.0.0.1
}

// home is a running My Home service with its own database.
type home struct {
	*Service
	st   *myhomestore.Store
	stop func() // stops the workers and closes the database (also at cleanup)
}

func startHome(t testing.TB, node *tangletest.Node, cfg Config) *home {
	t.Helper()
	return startHomeAt(t, node, cfg, filepath.Join(t.TempDir(), "myhome.db"))
}

// startHomeAt runs My Home on the database file at path.
func startHomeAt(t testing.TB, node *tangletest.Node, cfg Config, path string) *home {
	t.Helper()
	return startHomeWith(t, node, cfg, path, time.Now)
}

// startHomeWith runs My Home on the database at path with its own clock.
func startHomeWith(t testing.TB, node *tangletest.Node, cfg Config, path string, clock func() time.Time) *home {
	t.Helper()
	st, err := myhomestore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	key, err := serverkey.FromBytes(bytes.Repeat([]byte{1}, serverkey.Size))
	if err != nil {
		t.Fatal(err)
	}
	svc := New(st, key, testClient(t, node), testLog(t), cfg)
	svc.now = clock
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		svc.Run(ctx)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			st.Close()
		})
	}
	t.Cleanup(stop)
	return &home{Service: svc, st: st, stop: stop}
}

// device is a real P1 reader agent running in-process.
type device struct {
	*reader.Agent
}

func startDevice(t testing.TB, node *tangletest.Node) *device {
	t.Helper()
	d := openDevice(t, node)
	d.run(t)
	return d
}

// openDevice opens a reader agent without running it yet; it polls every
// 100 ms.
func openDevice(t testing.TB, node *tangletest.Node) *device {
	return openDeviceWithPoll(t, node, 100*time.Millisecond)
}

func openDeviceWithPoll(t testing.TB, node *tangletest.Node, poll time.Duration) *device {
	t.Helper()
	a, err := reader.Open(context.Background(), reader.Config{
		StatePath:       filepath.Join(t.TempDir(), "reader.db"),
		Client:          testClient(t, node),
		BatchWindow:     200 * time.Millisecond,
		PollInterval:    poll,
		MaxBackoff:      500 * time.Millisecond,
		ClaimsPerMinute: 100,
		Log:             testLog(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return &device{Agent: a}
}

// run starts the agent without a meter; it stops when the test ends.
func (d *device) run(t testing.TB) { d.runMeter(t, 0) }

// runMeter starts the agent reading a simulated meter at rate telegrams a
// second (0: no meter); it stops when the test ends.
func (d *device) runMeter(t testing.TB, rate float64) {
	ctx, cancel := context.WithCancel(context.Background())
	var telegrams <-chan []byte
	if rate > 0 {
		var err error
		if telegrams, err = reader.Simulated(ctx, simulator.Config{Seed: 1}, rate); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, telegrams) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("reader Run: %v", err)
		}
	})
}

// provider is a service provider account: an address and an NTRU key
// pair, at a provider site that publishes its metadata document and signs
// its requests.
type provider struct {
	c       *client.Client
	site    *providertest.Provider
	address trinary.Hash
	pub     *ntru.PublicKey
	priv    *ntru.PrivateKey
	cursor  direct.Cursor
}

func newProvider(t testing.TB, node *tangletest.Node) *provider {
	t.Helper()
	s, err := seed.New()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := seed.Address(s, 0)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ntru.DeriveKeyPair(s)
	if err != nil {
		t.Fatal(err)
	}
	return &provider{c: testClient(t, node), site: providertest.Start(t, "Test Provider"), address: addr, pub: pub, priv: priv}
}

// another is a second account of the same provider site.
func (p *provider) another(t testing.TB, node *tangletest.Node) *provider {
	t.Helper()
	q := newProvider(t, node)
	q.site = p.site
	return q
}

// signed is the query a provider puts on /new-policy: its signed request
// (all kinds, raw, returning to <site>/connect/return?x=1), changed by edit.
func (p *provider) signed(t testing.TB, state string, edit func(*providermeta.Request)) url.Values {
	t.Helper()
	r := p.site.Request(string(p.address), string(p.pub.Trytes()), state)
	r.URL += "?x=1"
	if edit != nil {
		edit(&r)
	}
	return url.Values{"request": {p.site.Sign(t, r)}}
}

// request is signed with no changes.
func (p *provider) request(t testing.TB, state string) url.Values { return p.signed(t, state, nil) }

// keys returns every channel key that arrived in MAM_DATA since the last call.
func (p *provider) keys(t testing.TB) []protocol.ChannelKey {
	t.Helper()
	msgs, cur, err := direct.List(context.Background(), p.c, p.address, p.cursor)
	if err != nil {
		t.Fatal(err)
	}
	p.cursor = cur
	var out []protocol.ChannelKey
	for _, m := range msgs {
		if m.Envelope.Type != protocol.MAMData {
			continue
		}
		var body protocol.MAMDataBody
		if err := json.Unmarshal(m.Envelope.Body, &body); err != nil {
			t.Fatalf("MAM_DATA body: %v", err)
		}
		plain, err := ntru.OpenString(p.priv, body.Sealed)
		if err != nil {
			t.Fatalf("MAM_DATA does not open with the provider key: %v", err)
		}
		var k protocol.ChannelKey
		if err := json.Unmarshal(plain, &k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
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

// pair pairs d with h's account and waits for the outcome.
func pair(t testing.TB, h *home, acct string, d *device, code string) Pairing {
	t.Helper()
	id, err := h.StartPairing(context.Background(), acct, PairInput{Address: string(d.DeviceAddress()), Code: code})
	if err != nil {
		t.Fatal(err)
	}
	var p Pairing
	eventually(t, 90*time.Second, "pairing to finish", func() bool {
		p, err = h.Pairing(context.Background(), acct, id)
		if err != nil {
			t.Fatal(err)
		}
		return p.Done()
	})
	return p
}

// attached waits until every event of the account is on the Tangle.
func attached(t testing.TB, h *home, acct string) {
	t.Helper()
	eventually(t, 60*time.Second, "events to be attached", func() bool {
		n, err := h.st.CountPending(context.Background(), acct)
		if err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}
