package direct_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/client"
	"iotahome/tangle/direct"
	"iotahome/tangle/seed"
	"iotahome/tangle/tangletest"
)

func setup(t *testing.T) (*client.Client, trinary.Hash) {
	t.Helper()
	n := tangletest.StartNode(t, 9)
	c, err := client.New(client.Config{NodeURL: n.URL, MWM: 9, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	s, err := seed.New()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := seed.Address(s, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c, addr
}

func TestSendListRoundTrip(t *testing.T) {
	c, addr := setup(t)
	ctx := context.Background()

	claim := protocol.ClaimDeviceBody{ClaimID: "claim-1", HomeAddress: "HOME", HomePublicKey: "KEY"}
	b1, err := direct.Send(ctx, c, addr, protocol.ClaimDevice, claim)
	if err != nil {
		t.Fatal(err)
	}
	// An NTRU public key alone is 2436 trytes: this envelope spans several
	// transactions.
	big := protocol.ChallengeBody{ClaimID: "claim-1", DeviceAddress: string(addr), DevicePublicKey: strings.Repeat("K", 2436), Sealed: strings.Repeat("c2VhbGVk", 300)}
	b2, err := direct.Send(ctx, c, addr, protocol.Challenge, big)
	if err != nil {
		t.Fatal(err)
	}

	msgs, cur, err := direct.List(ctx, c, addr, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Bundle != b1 || msgs[1].Bundle != b2 {
		t.Fatalf("List returned %d messages, want the two sent, in order", len(msgs))
	}
	var gotClaim protocol.ClaimDeviceBody
	if err := json.Unmarshal(msgs[0].Envelope.Body, &gotClaim); err != nil || gotClaim != claim || msgs[0].Envelope.Type != protocol.ClaimDevice || msgs[0].Envelope.Version != protocol.Version {
		t.Fatalf("first message = %+v (%v)", msgs[0].Envelope, err)
	}
	var gotBig protocol.ChallengeBody
	if err := json.Unmarshal(msgs[1].Envelope.Body, &gotBig); err != nil || gotBig != big {
		t.Fatalf("multi-transaction envelope did not survive (%v)", err)
	}
	if msgs[0].Time.IsZero() || msgs[1].Time.Before(msgs[0].Time) {
		t.Fatalf("times %v, %v", msgs[0].Time, msgs[1].Time)
	}

	again, cur, err := direct.List(ctx, c, addr, cur)
	if err != nil || len(again) != 0 {
		t.Fatalf("List with the cursor returned %d messages (%v), want 0", len(again), err)
	}
	result := protocol.ClaimResultBody{ClaimID: "claim-1", OK: true}
	b3, err := direct.Send(ctx, c, addr, protocol.ClaimResult, result)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _, err = direct.List(ctx, c, addr, cur)
	if err != nil || len(msgs) != 1 || msgs[0].Bundle != b3 {
		t.Fatalf("after a third send: %d messages (%v), want just it", len(msgs), err)
	}
}

// TestListSkipsMalformed puts garbage of several kinds at the address,
// around a good message: List returns the good one and no error.
func TestListSkipsMalformed(t *testing.T) {
	c, addr := setup(t)
	ctx := context.Background()
	ascii := func(s string) trinary.Trytes {
		tr, err := client.ASCIIToTrytes(s)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	for _, junk := range []trinary.Trytes{
		"ZZZZZZZZZZ",                             // not ASCII
		ascii("hello"),                           // not JSON
		ascii(`{"type":"DATA","v":1}`),           // no body
		ascii(`{"type":"DATA","v":1,"body":[]}`), // body not an object
		trinary.Trytes(strings.Repeat("QD", 3000)),
	} {
		if _, err := c.Send(ctx, addr, junk); err != nil {
			t.Fatal(err)
		}
	}
	good, err := direct.Send(ctx, c, addr, protocol.ClaimResult, protocol.ClaimResultBody{ClaimID: "x", OK: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, addr, ascii(`{"type":"x"`)); err != nil {
		t.Fatal(err)
	}
	msgs, _, err := direct.List(ctx, c, addr, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Bundle != good {
		t.Fatalf("List returned %d messages, want only the good one", len(msgs))
	}
}

func TestListRejectsBadCursor(t *testing.T) {
	c, addr := setup(t)
	if _, _, err := direct.List(context.Background(), c, addr, "not-a-cursor"); err == nil {
		t.Fatal("List accepted a malformed cursor")
	}
}

// TestListAcrossNodeRestart: messages and the cursor survive a restart of
// the node.
func TestListAcrossNodeRestart(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	c, err := client.New(client.Config{NodeURL: n.URL, MWM: 9, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := seed.New()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := seed.Address(s, 7)
	if err != nil {
		t.Fatal(err)
	}
	first, err := direct.Send(ctx, c, addr, protocol.ClaimResult, protocol.ClaimResultBody{ClaimID: "before", OK: true})
	if err != nil {
		t.Fatal(err)
	}
	_, cur, err := direct.List(ctx, c, addr, "")
	if err != nil {
		t.Fatal(err)
	}
	n.Restart(t)
	second, err := direct.Send(ctx, c, addr, protocol.ClaimResult, protocol.ClaimResultBody{ClaimID: "after", OK: true})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _, err := direct.List(ctx, c, addr, cur)
	if err != nil || len(msgs) != 1 || msgs[0].Bundle != second {
		t.Fatalf("after restart, List with the cursor: %d messages (%v), want only the new one", len(msgs), err)
	}
	all, _, err := direct.List(ctx, c, addr, "")
	if err != nil || len(all) != 2 || all[0].Bundle != first {
		t.Fatalf("after restart, List from the start: %d messages (%v), want both", len(all), err)
	}
}
