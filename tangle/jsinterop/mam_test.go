package jsinterop

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/client"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
	"iotahome/tangle/tangletest"
)

// provider is a service provider's keys: an address and an NTRU key pair
// derived from its seed.
type provider struct {
	address trinary.Hash
	pub     *ntru.PublicKey
	priv    *ntru.PrivateKey
}

func newProvider(t *testing.T) provider {
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
	return provider{address: addr, pub: pub, priv: priv}
}

// openRotation returns the new side key a KEY_ROTATION's keys hold for p,
// opened with p's NTRU key (in Go: the JavaScript clients do not speak our
// sealing), and fails the test if they hold one for revoked.
func openRotation(t *testing.T, keys []protocol.SealedKey, p, revoked provider) string {
	t.Helper()
	var opened string
	for _, k := range keys {
		if k.ProviderAddress == string(revoked.address) {
			t.Fatal("KEY_ROTATION carries a key for the revoked provider")
		}
		if k.ProviderAddress == string(p.address) {
			b, err := ntru.OpenString(p.priv, k.Sealed)
			if err != nil {
				t.Fatal(err)
			}
			opened = string(b)
		}
	}
	return opened
}

// newSideKey draws a side key.
func newSideKey(t *testing.T) trinary.Trytes {
	t.Helper()
	k, err := mamch.RandomSideKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// dataMessage is a DATA channel message with one reading per seq.
func dataMessage(t *testing.T, seq uint64, n int) string {
	t.Helper()
	rs := make([]protocol.Reading, n)
	for i := range rs {
		v := float64(seq) + float64(i)
		rs[i] = protocol.Reading{TariffMeaning: "NL", DeliveredT1: &v}
	}
	b, err := json.Marshal(protocol.ChannelMessage{Type: protocol.Data, Version: protocol.Version,
		Data: &protocol.DataBody{Schema: protocol.ReadingSchema, Seq: seq, Readings: rs}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// publishGo prepares and attaches texts on a channel with mamch.
func publishGo(t *testing.T, c *client.Client, s mamch.State, texts ...string) mamch.State {
	t.Helper()
	for _, text := range texts {
		p, err := mamch.Prepare(s, text)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mamch.Attach(context.Background(), c, p); err != nil {
			t.Fatal(err)
		}
		s = p.Next
	}
	return s
}

func jsTexts(msgs []mamMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

// TestMamJSReadsGoChannel: a restricted channel written by our Go
// publisher (mamch) with DATA, a KEY_ROTATION sealed to the provider that
// stays, and DATA under the new side key, read by @iota/mam.js's
// mamFetchAll: up to the rotation with the first key, then — with the key
// the provider opens from KEY_ROTATION (NTRU in Go: the JavaScript clients
// do not speak our sealing) — to the end of the channel. A revoked
// provider finds the first message after the rotation but cannot read it.
// A private channel (My Home's kind) reads too.
func TestMamJSReadsGoChannel(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	c := goClient(t, n)
	js := startJS(t, n.URL)
	stays, revoked := newProvider(t), newProvider(t)

	key1, key2 := newSideKey(t), newSideKey(t)
	chSeed, _ := seed.New()
	s, err := mamch.NewState(chSeed, mamch.Restricted, key1)
	if err != nil {
		t.Fatal(err)
	}
	start := s.NextRoot()
	before := []string{dataMessage(t, 0, 2), dataMessage(t, 2, 2), dataMessage(t, 4, 3)}
	s = publishGo(t, c, s, before...)
	sealed, err := ntru.SealString(stays.pub, []byte(key2))
	if err != nil {
		t.Fatal(err)
	}
	rotation, _ := json.Marshal(protocol.ChannelMessage{Type: protocol.KeyRotation, Version: protocol.Version,
		KeyRotation: &protocol.KeyRotationBody{Keys: []protocol.SealedKey{{ProviderAddress: string(stays.address), Sealed: sealed}}}})
	s = publishGo(t, c, s, string(rotation))
	rotatedAt := s.NextRoot()
	after := []string{dataMessage(t, 7, 1), dataMessage(t, 8, 4), dataMessage(t, 12, 2)}
	end := publishGo(t, c, s.WithSideKey(key2), after...)

	// Up to and including the rotation, with the first key.
	got, err := js.mamFetchAll(string(start), "restricted", string(key1), len(before)+1)
	if err != nil {
		t.Fatalf("mamFetchAll with the first key: %v", err)
	}
	if want := append(slices.Clone(before), string(rotation)); !slices.Equal(jsTexts(got), want) {
		t.Fatalf("mamFetchAll read %q\nwant %q", jsTexts(got), want)
	}
	if got[len(got)-1].NextRoot != string(rotatedAt) {
		t.Fatalf("the rotation's next root is %s, want %s", got[len(got)-1].NextRoot, rotatedAt)
	}

	// The provider that stays opens its new key from the message mam.js read.
	var m protocol.ChannelMessage
	if err := json.Unmarshal([]byte(got[len(got)-1].Text), &m); err != nil || m.Type != protocol.KeyRotation {
		t.Fatalf("last message %q is not a KEY_ROTATION (%v)", got[len(got)-1].Text, err)
	}
	opened := openRotation(t, m.KeyRotation.Keys, stays, revoked)
	if opened != string(key2) {
		t.Fatalf("opened side key %q, want the new one", opened)
	}

	// With the new key, to the end of the channel: mamFetchAll stops at
	// the empty address after the last message.
	rest, err := js.mamFetchAll(got[len(got)-1].NextRoot, "restricted", opened, 0)
	if err != nil {
		t.Fatalf("mamFetchAll with the new key: %v", err)
	}
	if !slices.Equal(jsTexts(rest), after) || rest[len(rest)-1].NextRoot != string(end.NextRoot()) {
		t.Fatalf("mamFetchAll after the rotation read %q, next %s", jsTexts(rest), rest[len(rest)-1].NextRoot)
	}

	// The revoked provider, with only the first key: the address is
	// Curl(root), so it finds the message, and mam.js fails to read it.
	if msgs, err := js.mamFetchAll(string(rotatedAt), "restricted", string(key1), 0); err == nil || !strings.Contains(err.Error(), "Failed while trying to read MAM channel") {
		t.Fatalf("revoked provider at the rotated root: %q, %v; want mam.js's read failure", jsTexts(msgs), err)
	}
	// mam.js throws (rather than stopping) at a message it cannot read, so
	// a reader switches keys message by message or in chunks, as
	// examples/js-provider does; unbounded, the first key fails at the
	// rotation.
	if _, err := js.mamFetchAll(string(start), "restricted", string(key1), 0); err == nil {
		t.Fatal("mamFetchAll with the first key read past the rotation")
	}

	// examples/js-provider follows the same channel: readings in order
	// ("r" form), the rotation, the key the test hands it, the end.
	events := runProviderOnce(t, n.URL, start, key1, func(e providerEvent) string {
		if e.Type != "keyRotation" || len(e.Keys) != 1 || e.Keys[0].ProviderAddress != string(stays.address) {
			t.Fatalf("provider event %+v", e)
		}
		return opened
	})
	var seqs []uint64
	for _, e := range events {
		if e.Type == "reading" {
			seqs = append(seqs, e.Seq)
		}
	}
	if last := events[len(events)-1]; last.Type != "end" || last.Root != string(end.NextRoot()) ||
		!slices.Equal(seqs, []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}) {
		t.Fatalf("example provider: readings %v, last event %+v", seqs, last)
	}

	// A private channel, as My Home publishes.
	privSeed, _ := seed.New()
	ps, _ := mamch.NewState(privSeed, mamch.Private, "")
	private := []string{`{"type":"DEVICE_ADDED","v":1}`, `{"type":"AUTHORIZED","v":1}`}
	publishGo(t, c, ps, private...)
	pm, err := js.mamFetchAll(string(ps.NextRoot()), "private", "", 0)
	if err != nil || !slices.Equal(jsTexts(pm), private) {
		t.Fatalf("mamFetchAll of a private channel: %q (%v)", jsTexts(pm), err)
	}
}

// TestGoReadsMamJSChannel: channels written by @iota/mam.js (restricted
// with a side-key change, and private) read by our reader, mamch.Fetch (as
// Wattt's follower and the P1 reader do).
func TestGoReadsMamJSChannel(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	c := goClient(t, n)
	js := startJS(t, n.URL)
	ctx := context.Background()

	key1, key2 := newSideKey(t), newSideKey(t)
	chSeed, _ := seed.New()
	first := []string{dataMessage(t, 0, 3), "plain text, not JSON"}
	second := []string{dataMessage(t, 3, 2), dataMessage(t, 5, 5)}
	steps := []map[string]string{}
	for _, m := range first {
		steps = append(steps, map[string]string{"text": m})
	}
	steps = append(steps, map[string]string{"sideKey": string(key2)})
	for _, m := range second {
		steps = append(steps, map[string]string{"text": m})
	}
	var pub struct {
		Published []struct{ Root, Address string }
		NextRoot  string
	}
	if err := js.call(map[string]any{"op": "mamPublish", "seed": chSeed, "mode": "restricted", "sideKey": key1, "mwm": 9, "steps": steps}, &pub); err != nil {
		t.Fatalf("mam.js publish: %v", err)
	}
	// The same seed gives the same first root in mam.js and mamch.
	if st, _ := mamch.NewState(chSeed, mamch.Restricted, key1); pub.Published[0].Root != string(st.NextRoot()) {
		t.Fatalf("mam.js first root %s, mamch %s", pub.Published[0].Root, st.NextRoot())
	}

	got, next, err := mamch.Fetch(ctx, c, trinary.Trytes(pub.Published[0].Root), mamch.Restricted, key1, 0)
	if err != nil || !slices.Equal(texts(got), first) || string(next) != pub.Published[len(first)].Root {
		t.Fatalf("mamch.Fetch with the first key: %q, next %s (%v)", texts(got), next, err)
	}
	rest, end, err := mamch.Fetch(ctx, c, next, mamch.Restricted, key2, 0)
	if err != nil || !slices.Equal(texts(rest), second) || string(end) != pub.NextRoot {
		t.Fatalf("mamch.Fetch with the second key: %q, next %s (%v)", texts(rest), end, err)
	}
	for i, m := range append(got, rest...) {
		if a := pub.Published[i].Address; a != string(mamAddress(t, m.Root)) {
			t.Fatalf("message %d: mam.js attached at %s", i, a)
		}
	}
	readings := 0
	for _, m := range append(got, rest...) {
		var cm protocol.ChannelMessage
		if json.Unmarshal([]byte(m.Text), &cm) == nil && cm.Type == protocol.Data {
			rs, err := cm.Data.AllReadings()
			if err != nil {
				t.Fatal(err)
			}
			readings += len(rs)
		}
	}
	if readings != 10 {
		t.Fatalf("%d readings in the DATA mam.js wrote, want 10", readings)
	}

	var priv struct {
		Published []struct{ Root string }
	}
	privSeed, _ := seed.New()
	if err := js.call(map[string]any{"op": "mamPublish", "seed": privSeed, "mode": "private", "mwm": 9,
		"steps": []map[string]string{{"text": "event 1"}, {"text": "event 2"}}}, &priv); err != nil {
		t.Fatalf("mam.js private publish: %v", err)
	}
	pm, _, err := mamch.Fetch(ctx, c, trinary.Trytes(priv.Published[0].Root), mamch.Private, "", 0)
	if err != nil || !slices.Equal(texts(pm), []string{"event 1", "event 2"}) {
		t.Fatalf("mamch.Fetch of a mam.js private channel: %q (%v)", texts(pm), err)
	}
}

func texts(msgs []mamch.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

// mamAddress is Curl-P81(root), where mamch and mam.js put a message.
func mamAddress(t *testing.T, root trinary.Trytes) trinary.Hash {
	t.Helper()
	h := curl.NewCurlP81()
	if err := h.Absorb(trinary.MustTrytesToTrits(root)); err != nil {
		t.Fatal(err)
	}
	a, err := h.SqueezeTrytes(consts.HashTrinarySize)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
