package jsinterop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"iotahome/myhome"
	"iotahome/pi/reader"
	"iotahome/pi/simulator"
	"iotahome/protocol"
	"iotahome/protocol/providermeta"
	"iotahome/protocol/providermeta/providertest"
	"iotahome/store/myhomestore"
	"iotahome/store/serverkey"
	"iotahome/tangle/client"
	"iotahome/tangle/direct"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
	"iotahome/tangle/tangletest"
)

func quietLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

// startHome runs the real My Home service on its own database.
func startHome(t *testing.T, n *tangletest.Node) *myhome.Service {
	t.Helper()
	st, err := myhomestore.Open(context.Background(), filepath.Join(t.TempDir(), "myhome.db"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := serverkey.FromBytes(bytes.Repeat([]byte{7}, serverkey.Size))
	if err != nil {
		t.Fatal(err)
	}
	svc := myhome.New(st, key, goClient(t, n), quietLog(t), myhome.Config{
		PairingTimeout: 2 * time.Minute, WrongCodeGrace: 2 * time.Second,
		PollInterval: 100 * time.Millisecond, RetryBase: 100 * time.Millisecond, RetryMax: time.Second,
		Providers: providermeta.FetchConfig{AllowHTTPLoopback: true}, // providertest serves on 127.0.0.1
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { svc.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); st.Close() })
	return svc
}

// startReader runs the real P1 reader agent, fed by the simulated DSMR 5
// meter at 5 telegrams a second, publishing packed DATA.
func startReader(t *testing.T, n *tangletest.Node) *reader.Agent {
	t.Helper()
	a, err := reader.Open(context.Background(), reader.Config{
		StatePath: filepath.Join(t.TempDir(), "reader.db"), Client: goClient(t, n),
		BatchWindow: 300 * time.Millisecond, MaxReadings: 10, PollInterval: 200 * time.Millisecond,
		MaxBackoff: time.Second, ClaimsPerMinute: 100, Pack: true, Log: quietLog(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	meter, err := simulator.NewMeter(simulator.Config{Seed: 10, Start: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	telegrams := make(chan []byte)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.Run(ctx, telegrams); err != nil {
			t.Errorf("reader: %v", err)
		}
	})
	wg.Go(func() { meter.Feed(ctx, 200*time.Millisecond, telegrams) })
	t.Cleanup(func() { cancel(); wg.Wait(); a.Close() })
	return a
}

// grant asks My Home for consent as provider p, with a request signed by
// p's site, and grants it on device; it returns the policy id.
func grant(t *testing.T, h *myhome.Service, acct string, site *providertest.Provider, p provider, device, state string) string {
	t.Helper()
	ctx := context.Background()
	req := site.Sign(t, site.Request(string(p.address), string(p.pub.Trytes()), state))
	rid, err := h.NewConsentRequest(ctx, url.Values{"request": {req}})
	if err != nil {
		t.Fatal(err)
	}
	back, err := h.Grant(ctx, acct, rid, device)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(back)
	if err != nil || u.Query().Get("policy") == "" {
		t.Fatalf("grant redirect %q", back)
	}
	return u.Query().Get("policy")
}

// awaitKey waits for MAM_DATA at p's address and opens it with p's NTRU
// key, in Go: the JavaScript clients do not speak our sealing.
func awaitKey(t *testing.T, c *client.Client, p provider) protocol.ChannelKey {
	t.Helper()
	var cursor direct.Cursor
	var key *protocol.ChannelKey
	eventually(t, 90*time.Second, "MAM_DATA", func() bool {
		msgs, next, err := direct.List(context.Background(), c, p.address, cursor)
		if err != nil {
			t.Fatal(err)
		}
		cursor = next
		for _, m := range msgs {
			var body protocol.MAMDataBody
			if m.Envelope.Type != protocol.MAMData || json.Unmarshal(m.Envelope.Body, &body) != nil {
				continue
			}
			plain, err := ntru.OpenString(p.priv, body.Sealed)
			if err != nil {
				t.Fatalf("MAM_DATA does not open with the provider's key: %v", err)
			}
			var k protocol.ChannelKey
			if err := json.Unmarshal(plain, &k); err != nil {
				t.Fatal(err)
			}
			key = &k
		}
		return key != nil
	})
	return *key
}

// providerEvent is one line examples/js-provider prints.
type providerEvent struct {
	Type    string          `json:"type"`
	Seq     uint64          `json:"seq"`
	Next    string          `json:"next"`
	Reading json.RawMessage `json:"reading"`
	Keys    []protocol.SealedKey
	From    uint64 `json:"from"`
	To      uint64 `json:"to"`
	Root    string `json:"root"`
}

// runProviderOnce runs examples/js-provider with --once from root with
// sideKey, answers each KEY_ROTATION with onRotation's key, and returns
// every event up to "end".
func runProviderOnce(t *testing.T, nodeURL, root, sideKey string, onRotation func(providerEvent) string) []providerEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := nodeCommand(ctx, t, "../../examples/js-provider/provider.js", "--node", nodeURL, "--once")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	writeLine(t, stdin, map[string]string{"root": root, "sideKey": sideKey})
	var events []providerEvent
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e providerEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("provider printed %q: %v", sc.Bytes(), err)
		}
		events = append(events, e)
		if e.Type == "keyRotation" {
			writeLine(t, stdin, map[string]string{"sideKey": onRotation(e)})
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("provider: %v", err)
	}
	if len(events) == 0 {
		t.Fatal("the provider printed nothing")
	}
	return events
}

// TestRealReaderChannelWithJSProvider: the real P1 reader, paired with the
// real My Home, grants two providers; one of them is
// examples/js-provider (@iota/mam.js), given the root and side key our Go
// code opened from its real MAM_DATA. @iota/mam.js's mamFetchAll reads the
// channel as our reader does; the example provider prints every reading
// once and in order, also across the KEY_ROTATION that revoking the other
// provider causes, and every reading it prints is what docs/reading-schema.md
// documents and what our Go reader reads from the same channel.
func TestRealReaderChannelWithJSProvider(t *testing.T) {
	ctx := context.Background()
	n := tangletest.StartNode(t, 9)
	c := goClient(t, n)
	js := startJS(t, n.URL) // installs the packages before the clock matters
	schema := loadReadingSchema(t)

	home := startHome(t, n)
	acct, err := home.CreateHome(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dev := startReader(t, n)
	device := string(dev.DeviceAddress())
	pairing, err := home.StartPairing(ctx, acct, myhome.PairInput{Address: device, Code: dev.PairingCode()})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Minute, "pairing", func() bool {
		p, err := home.Pairing(ctx, acct, pairing)
		if err != nil {
			t.Fatal(err)
		}
		if p.Done() && p.Step != myhomestore.StepPaired {
			t.Fatalf("pairing ended %s: %s", p.Step, p.Reason)
		}
		return p.Step == myhomestore.StepPaired
	})
	eventually(t, time.Minute, "reader following My Home", func() bool { return dev.Status().Following })

	jsProvider, other := newProvider(t), newProvider(t)
	grant(t, home, acct, providertest.Start(t, "JavaScript Provider"), jsProvider, device, "state-js-provider-1")
	otherPolicy := grant(t, home, acct, providertest.Start(t, "Other Provider"), other, device, "state-other-provider-1")
	key := awaitKey(t, c, jsProvider)
	if key.Device != device || key.State != "state-js-provider-1" {
		t.Fatalf("channel key for device %s state %s", key.Device, key.State)
	}

	// mamFetchAll reads what our reader reads (the channel grows meanwhile:
	// compare what both have).
	eventually(t, time.Minute, "three messages on the channel", func() bool {
		msgs, _, err := mamch.Fetch(ctx, c, key.Root, mamch.Restricted, key.SideKey, 3)
		return err == nil && len(msgs) == 3
	})
	jsMsgs, err := js.mamFetchAll(key.Root, "restricted", key.SideKey, 0)
	if err != nil {
		t.Fatalf("mamFetchAll of the reader's channel: %v", err)
	}
	goMsgs, _, err := mamch.Fetch(ctx, c, key.Root, mamch.Restricted, key.SideKey, len(jsMsgs))
	if err != nil || len(jsMsgs) < 3 || !slices.Equal(jsTexts(jsMsgs), texts(goMsgs)) {
		t.Fatalf("mamFetchAll read %d messages, our reader %d (%v); texts equal: %v", len(jsMsgs), len(goMsgs), err, slices.Equal(jsTexts(jsMsgs), texts(goMsgs)))
	}

	// The example provider.
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := nodeCommand(pctx, t, "../../examples/js-provider/provider.js", "--node", n.URL, "--poll", "200")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	events := make(chan providerEvent, 1000)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e providerEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Errorf("provider printed %q: %v", sc.Bytes(), err)
				continue
			}
			events <- e
		}
	}()
	writeLine(t, stdin, map[string]string{"root": key.Root, "sideKey": key.SideKey})

	var readings []providerEvent
	await := func(what string, until func(providerEvent) bool) {
		t.Helper()
		timeout := time.After(2 * time.Minute)
		for {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatalf("the provider exited while waiting for %s", what)
				}
				switch e.Type {
				case "reading":
					readings = append(readings, e)
				case "gap":
					t.Fatalf("the provider saw a gap: %d..%d", e.From, e.To)
				}
				if until(e) {
					return
				}
			case <-timeout:
				t.Fatalf("timed out waiting for %s (%d readings so far)", what, len(readings))
			}
		}
	}
	await("10 readings", func(providerEvent) bool { return len(readings) >= 10 })

	// Revoke the other provider: the reader rotates its side key.
	if err := home.Revoke(ctx, acct, otherPolicy); err != nil {
		t.Fatal(err)
	}
	var rotation providerEvent
	await("KEY_ROTATION", func(e providerEvent) bool { rotation = e; return e.Type == "keyRotation" })
	beforeRotation := len(readings)
	newKey := openRotation(t, rotation.Keys, jsProvider, other)
	if len(newKey) != 81 || newKey == key.SideKey {
		t.Fatalf("no new side key for the JavaScript provider in %+v", rotation.Keys)
	}
	writeLine(t, stdin, map[string]string{"sideKey": newKey})
	await("10 readings after the rotation", func(providerEvent) bool { return len(readings) >= beforeRotation+10 })
	stop()
	cmd.Wait()

	// In order, once each, documented, and what our reader reads.
	first, phases, mbus := readings[0].Seq, 0, 0
	for i, r := range readings {
		if r.Seq != first+uint64(i) {
			t.Fatalf("reading %d has seq %d, want %d", i, r.Seq, first+uint64(i))
		}
		var m map[string]any
		if err := json.Unmarshal(r.Reading, &m); err != nil {
			t.Fatal(err)
		}
		if err := schema.check(m); err != nil {
			t.Fatalf("reading seq %d: %v\n%s", r.Seq, err, r.Reading)
		}
		if m["phases"] != nil {
			phases++
		}
		if m["mbus"] != nil {
			mbus++
		}
	}
	if phases == 0 || mbus == 0 {
		t.Fatalf("of %d readings %d have phases and %d M-Bus values: the schema check did not see every table", len(readings), phases, mbus)
	}
	t.Logf("a reading as the JavaScript provider printed it: %s", readings[len(readings)-1].Reading)
	want := goReadings(t, c, key.Root, key.SideKey, rotation.Next, newKey)
	for _, r := range readings {
		w, ok := want[r.Seq]
		if !ok {
			t.Fatalf("our reader has no reading seq %d", r.Seq)
		}
		var got, exp any
		json.Unmarshal(r.Reading, &got)
		json.Unmarshal(w, &exp)
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("seq %d: the JavaScript provider read\n%s\nour reader\n%s", r.Seq, r.Reading, w)
		}
	}
	t.Logf("the JavaScript provider read %d readings (seq %d..%d), %d of them after the key rotation",
		len(readings), first, readings[len(readings)-1].Seq, len(readings)-beforeRotation)
}

func writeLine(t *testing.T, w io.Writer, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if _, err := fmt.Fprintf(w, "%s\n", b); err != nil {
		t.Fatal(err)
	}
}

// goReadings reads the channel with our Go reader, from root with key up
// to the rotation and from rotated with newKey on, and returns each
// reading as JSON by seq.
func goReadings(t *testing.T, c *client.Client, root, key, rotated, newKey string) map[uint64]json.RawMessage {
	t.Helper()
	out := map[uint64]json.RawMessage{}
	for _, part := range [][2]string{{root, key}, {rotated, newKey}} {
		msgs, _, err := mamch.Fetch(context.Background(), c, part[0], mamch.Restricted, part[1], 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			var cm protocol.ChannelMessage
			if err := json.Unmarshal([]byte(m.Text), &cm); err != nil {
				t.Fatal(err)
			}
			if cm.Type != protocol.Data {
				continue
			}
			rs, err := cm.Data.AllReadings()
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rs {
				b, _ := json.Marshal(r)
				out[cm.Data.Seq+uint64(i)] = b
			}
		}
	}
	return out
}
