package mamch

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"
)

var (
	testSeed = trinary.Trytes(strings.Repeat("MAMSEED9", 10) + "X")
	keyA     = trinary.Trytes(strings.Repeat("A", 81))
	keyB     = trinary.Trytes(strings.Repeat("B", 81))
)

func mustState(t testing.TB, mode Mode, key trinary.Trytes) State {
	t.Helper()
	s, err := NewState(testSeed, mode, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// asBundle cuts a payload into transactions the way a transfer does, so
// parse can be exercised without a node.
func asBundle(payload trinary.Trytes) bundle.Bundle {
	var b bundle.Bundle
	for len(payload) > 0 {
		n := min(len(payload), consts.SignatureMessageFragmentSizeInTrytes)
		b = append(b, transaction.Transaction{SignatureMessageFragment: trinary.MustPad(payload[:n], consts.SignatureMessageFragmentSizeInTrytes)})
		payload = payload[n:]
	}
	return b
}

func TestPrepareThenParse(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		key  trinary.Trytes
	}{{Restricted, keyA}, {Private, ""}} {
		t.Run(string(tc.mode), func(t *testing.T) {
			s := mustState(t, tc.mode, tc.key)
			root := s.NextRoot()
			msg := `{"type":"DATA","v":1,"name":"café ☕"}`
			p, err := Prepare(s, msg)
			if err != nil {
				t.Fatal(err)
			}
			if p.Root != root || p.Next.Index() != 1 || p.Next.NextRoot() == root || len(p.Address) != 81 {
				t.Fatalf("unexpected prepared message: root %s index %d next %s address %s", p.Root, p.Next.Index(), p.Next.NextRoot(), p.Address)
			}
			rootTrits, key, err := readerKeys(root, tc.mode, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if addr := channelAddress(rootTrits); addr != p.Address {
				t.Fatalf("reader computes address %s, writer %s", addr, p.Address)
			}
			text, next, err := parse(asBundle(p.Payload), key, rootTrits)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(text), &got); err != nil || got["name"] != "café ☕" {
				t.Fatalf("text %q decodes to %v, %v", text, got, err)
			}
			if next != p.Next.NextRoot() {
				t.Fatalf("next root %s, state says %s", next, p.Next.NextRoot())
			}
		})
	}
}

func TestParseRejectsWrongKeyAndRoot(t *testing.T) {
	s := mustState(t, Restricted, keyA)
	p, err := Prepare(s, "secret")
	if err != nil {
		t.Fatal(err)
	}
	root := trinary.MustTrytesToTrits(p.Root)
	if _, _, err := parse(asBundle(p.Payload), keyB, root); err == nil {
		t.Fatal("parse with the wrong side key succeeded")
	}
	other := trinary.MustTrytesToTrits(p.Next.NextRoot())
	if _, _, err := parse(asBundle(p.Payload), keyA, other); err == nil {
		t.Fatal("parse against the wrong root succeeded")
	}
	tampered := []byte(p.Payload)
	if tampered[300] == 'A' {
		tampered[300] = 'B'
	} else {
		tampered[300] = 'A'
	}
	if _, _, err := parse(asBundle(trinary.Trytes(tampered)), keyA, root); err == nil {
		t.Fatal("parse of a tampered payload succeeded")
	}
}

func TestPrepareIsDeterministicAndAdvances(t *testing.T) {
	s := mustState(t, Restricted, keyA)
	p1, err := Prepare(s, "one")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Prepare(s, "one")
	if again.Payload != p1.Payload || again.Address != p1.Address {
		t.Fatal("Prepare is not deterministic")
	}
	p2, err := Prepare(p1.Next, "two")
	if err != nil {
		t.Fatal(err)
	}
	if p2.Root != p1.Next.NextRoot() || p2.Address == p1.Address || p2.Next.Index() != 2 {
		t.Fatal("second message does not continue the first")
	}
}

// TestSideKeyChangeKeepsRootAndAddress: the address depends on the root
// only (mam.client.js, @iota/mam.js), so a reader with the old key finds
// the first message after a change but cannot read it.
func TestSideKeyChangeKeepsRootAndAddress(t *testing.T) {
	s := mustState(t, Restricted, keyA)
	p1, _ := Prepare(s, "under A")
	rotated := p1.Next.WithSideKey(keyB)
	if rotated.NextRoot() != p1.Next.NextRoot() || rotated.SideKey() != keyB {
		t.Fatal("WithSideKey changed the root or did not set the key")
	}
	pA, _ := Prepare(p1.Next, "x")
	pB, err := Prepare(rotated, "x")
	if err != nil {
		t.Fatal(err)
	}
	if pA.Address != pB.Address {
		t.Fatal("the side key changed the address")
	}
	root := trinary.MustTrytesToTrits(pB.Root)
	if _, _, err := parse(asBundle(pB.Payload), keyA, root); err == nil {
		t.Fatal("the old key read a message under the new one")
	}
	if _, err := Prepare(rotated.WithSideKey("SHORT"), "x"); err == nil {
		t.Fatal("Prepare accepted a short side key")
	}
	if _, err := Prepare(mustState(t, Private, "").WithSideKey(keyA), "x"); err == nil {
		t.Fatal("Prepare accepted a side key in private mode")
	}
}

// TestAddressIsCurlOfRoot pins the addressing to Curl-P81(root), what
// @iota/mam.js's maskHash computes, in both modes.
func TestAddressIsCurlOfRoot(t *testing.T) {
	for _, s := range []State{mustState(t, Restricted, keyA), mustState(t, Private, "")} {
		p, err := Prepare(s, "m")
		if err != nil {
			t.Fatal(err)
		}
		h := curl.NewCurlP81()
		if err := h.Absorb(trinary.MustTrytesToTrits(p.Root)); err != nil {
			t.Fatal(err)
		}
		want, err := h.SqueezeTrytes(consts.HashTrinarySize)
		if err != nil {
			t.Fatal(err)
		}
		if p.Address != want {
			t.Fatalf("%s address %s, want Curl-P81(root) %s", s.Mode(), p.Address, want)
		}
	}
}

func TestStateJSONRoundTrip(t *testing.T) {
	s := mustState(t, Restricted, keyA)
	p, _ := Prepare(s, "m")
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Prepared
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.Next != p.Next || back.Payload != p.Payload {
		t.Fatal("Prepared changed in a JSON round trip")
	}
	p2, err := Prepare(back.Next, "n")
	if err != nil || p2.Root != p.Next.NextRoot() {
		t.Fatalf("state from JSON does not continue the channel: %v", err)
	}

	var st State
	bad := strings.Replace(string(js), `"index":1`, `"index":5`, 1)
	if err := json.Unmarshal([]byte(bad), &back); err == nil {
		t.Fatal("state with index not matching its root accepted")
	}
	for _, bad := range []string{`{}`, `{"seed":"X","mode":"private","root":"` + string(s.NextRoot()) + `","security":1}`, `{"seed":"` + string(testSeed) + `","mode":"public","root":"` + string(s.NextRoot()) + `","security":1}`} {
		if err := json.Unmarshal([]byte(bad), &st); err == nil {
			t.Errorf("invalid state %s accepted", bad)
		}
	}
	if _, err := Prepare(State{}, "x"); err == nil {
		t.Fatal("Prepare accepted the zero State")
	}
}

func TestNewStateValidates(t *testing.T) {
	for _, tc := range []struct {
		seed trinary.Trytes
		mode Mode
		key  trinary.Trytes
	}{
		{"SHORT", Private, ""},
		{testSeed, Restricted, ""},
		{testSeed, Restricted, "ABC"},
		{testSeed, "public", ""},
		{testSeed, Private, keyA},
	} {
		if _, err := NewState(tc.seed, tc.mode, tc.key); err == nil {
			t.Errorf("NewState(%q, %q, %q) accepted", tc.seed, tc.mode, tc.key)
		}
	}
	k, err := RandomSideKey()
	if err != nil || len(k) != 81 {
		t.Fatalf("RandomSideKey = %q, %v", k, err)
	}
}
