package mamch

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
	"iotahome/tangle/tangletest"
)

// forge returns a payload for the message at root that reads like a
// genuine one with the channel's side key (anyone the channel is shared
// with has it) but is signed by another seed, and points to next.
func forge(t *testing.T, text string, sideKey, root, next trinary.Trytes) trinary.Trytes {
	t.Helper()
	msg, err := client.ASCIIToTrytes(text)
	if err != nil {
		t.Fatal(err)
	}
	other := trinary.Trytes(strings.Repeat("FORGER9", 11) + "FORG")
	payload, err := createPayload(msg, sideKey, trinary.MustTrytesToTrits(root), trinary.MustTrytesToTrits(next), 0, other, SecurityLevel)
	if err != nil {
		t.Fatal(err)
	}
	if r := len(payload) % 3; r != 0 {
		payload = trinary.MustPadTrits(payload, len(payload)+3-r)
	}
	return trinary.MustTritsToTrytes(payload)
}

func fetchedTexts(msgs []Message) string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return strings.Join(out, ",")
}

// TestFetchStopsAtForgeryAndRecovers: message 5 of a ten-message channel
// is at first only a forgery (readable, wrongly signed) whose next root
// skips to message 8. Fetch decrypts ahead along it, but must deliver
// exactly messages 0..4 and stop at root 5, as FetchOne does. Once the
// genuine message 5 is attached (after the forgery, so the forgery is
// still the one read ahead along), Fetch discards what it read past the
// forgery and delivers 0..9 in order, in one call and in small steps.
func TestFetchStopsAtForgeryAndRecovers(t *testing.T) {
	ctx := context.Background()
	n := tangletest.StartNode(t, 9)
	c, err := client.New(client.Config{NodeURL: n.URL, MWM: 9, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	st := mustState(t, Restricted, keyA)
	var ps []Prepared
	var want []string
	for i := range 10 {
		p, err := Prepare(st, fmt.Sprintf("message %d", i))
		if err != nil {
			t.Fatal(err)
		}
		ps, want, st = append(ps, p), append(want, fmt.Sprintf("message %d", i)), p.Next
	}
	if _, err := c.Send(ctx, ps[5].Address, forge(t, "forged", keyA, ps[5].Root, ps[8].Root)); err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		if i != 5 {
			if _, err := Attach(ctx, c, p); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The forgery must be one that decrypts (so that Fetch reads ahead
	// past it) and fails only the signature check.
	bundles, err := c.Bundles(ctx, ps[5].Address)
	if err != nil || len(bundles) != 1 {
		t.Fatalf("%d bundles at root 5 (%v)", len(bundles), err)
	}
	d, err := decode(bundles[0], keyA, trinary.MustTrytesToTrits(ps[5].Root))
	if err != nil || d.text != "forged" || d.next != ps[8].Root {
		t.Fatalf("forgery does not decode as intended: %v", err)
	}
	if err := verify([]*decoded{d})[0]; err == nil {
		t.Fatal("forgery verifies")
	}

	got, next, err := Fetch(ctx, c, ps[0].Root, Restricted, keyA, 0)
	if err != nil || fetchedTexts(got) != strings.Join(want[:5], ",") || next != ps[5].Root {
		t.Fatalf("Fetch = %q, next %s (%v); want messages 0..4 and root 5", fetchedTexts(got), next, err)
	}
	if m, next, err := FetchOne(ctx, c, ps[5].Root, Restricted, keyA); err != nil || m != nil || next != ps[5].Root {
		t.Fatalf("FetchOne at the forgery = %v, %s (%v)", m, next, err)
	}

	if _, err := Attach(ctx, c, ps[5]); err != nil {
		t.Fatal(err)
	}
	bundles, err = c.Bundles(ctx, ps[5].Address)
	if err != nil || len(bundles) != 2 {
		t.Fatalf("%d bundles at root 5 (%v)", len(bundles), err)
	}
	if d, err := decode(bundles[0], keyA, trinary.MustTrytesToTrits(ps[5].Root)); err != nil || d.text != "forged" {
		t.Fatal("the forgery is not the first bundle at root 5 (the one Fetch reads ahead along)")
	}
	got, next, err = Fetch(ctx, c, ps[0].Root, Restricted, keyA, 0)
	if err != nil || fetchedTexts(got) != strings.Join(want, ",") || next != st.NextRoot() {
		t.Fatalf("Fetch = %q, next %s (%v); want all ten in order", fetchedTexts(got), next, err)
	}
	for i, m := range got {
		if m.Root != ps[i].Root {
			t.Fatalf("message %d read at root %s, want %s", i, m.Root, ps[i].Root)
		}
	}
	var steps []Message
	for root := ps[0].Root; ; {
		got, next, err := Fetch(ctx, c, root, Restricted, keyA, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		steps, root = append(steps, got...), next
	}
	if fetchedTexts(steps) != strings.Join(want, ",") {
		t.Fatalf("Fetch 3 at a time = %q", fetchedTexts(steps))
	}
}

// TestFetchStopsAtTamperedMessage: in a channel of eight messages,
// message 3 is only there with one tryte changed. Fetch and FetchOne
// deliver messages 0..2 and stop at root 3, although Fetch reads on.
func TestFetchStopsAtTamperedMessage(t *testing.T) {
	ctx := context.Background()
	n := tangletest.StartNode(t, 9)
	c, err := client.New(client.Config{NodeURL: n.URL, MWM: 9, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	st := mustState(t, Restricted, keyB)
	var roots []trinary.Trytes
	for i := range 8 {
		p, err := Prepare(st, fmt.Sprintf("message %d", i))
		if err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			tampered := []byte(p.Payload)
			at := len(tampered) / 3 // in the message text
			if tampered[at] == 'A' {
				tampered[at] = 'B'
			} else {
				tampered[at] = 'A'
			}
			_, err = c.Send(ctx, p.Address, trinary.Trytes(tampered))
		} else {
			_, err = Attach(ctx, c, p)
		}
		if err != nil {
			t.Fatal(err)
		}
		roots, st = append(roots, p.Root), p.Next
	}
	got, next, err := Fetch(ctx, c, roots[0], Restricted, keyB, 0)
	if err != nil || fetchedTexts(got) != "message 0,message 1,message 2" || next != roots[3] {
		t.Fatalf("Fetch = %q, next %s (%v); want messages 0..2 and root 3", fetchedTexts(got), next, err)
	}
	for root, i := roots[0], 0; ; i++ {
		m, next, err := FetchOne(ctx, c, root, Restricted, keyB)
		if err != nil {
			t.Fatal(err)
		}
		if m == nil {
			if i != 3 || next != roots[3] {
				t.Fatalf("FetchOne stopped after %d messages", i)
			}
			break
		}
		root = next
	}
}
