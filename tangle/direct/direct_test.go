package direct_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

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

// read runs one Read with a fresh Reader and collects what it delivers.
func read(t *testing.T, c *client.Client, addr trinary.Hash, cur direct.Cursor) ([]direct.Message, direct.Cursor) {
	t.Helper()
	var msgs []direct.Message
	next, err := direct.NewReader(c, direct.Limits{}).Read(context.Background(), addr, cur, func(m direct.Message) error {
		msgs = append(msgs, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return msgs, next
}

func TestSendReadRoundTrip(t *testing.T) {
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
	msgs, cur := read(t, c, addr, "")
	if len(msgs) != 2 || msgs[0].Bundle != b1 || msgs[1].Bundle != b2 {
		t.Fatalf("Read delivered %d messages, want the two sent, in order", len(msgs))
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
	if again, _ := read(t, c, addr, cur); len(again) != 0 {
		t.Fatalf("Read with the cursor delivered %d messages, want 0", len(again))
	}
	b3, err := direct.Send(ctx, c, addr, protocol.ClaimResult, protocol.ClaimResultBody{ClaimID: "claim-1"})
	if err != nil {
		t.Fatal(err)
	}
	if msgs, _ = read(t, c, addr, cur); len(msgs) != 1 || msgs[0].Bundle != b3 {
		t.Fatalf("after a third send: %d messages, want just it", len(msgs))
	}
}

// Two messages of equal length sent to one address within a second get
// different bundle hashes (the random obsolete tag), though they share the
// day's tag.
func TestSendBundleHashesDiffer(t *testing.T) {
	c, addr := setup(t)
	ctx := context.Background()
	body := protocol.ClaimResultBody{ClaimID: "same-length-1"}
	b1, err := direct.Send(ctx, c, addr, protocol.ClaimResult, body)
	if err != nil {
		t.Fatal(err)
	}
	body.ClaimID = "same-length-2"
	b2, err := direct.Send(ctx, c, addr, protocol.ClaimResult, body)
	if err != nil {
		t.Fatal(err)
	}
	if b1 == b2 {
		t.Fatal("two messages share a bundle hash")
	}
	if msgs, _ := read(t, c, addr, ""); len(msgs) != 2 {
		t.Fatalf("delivered %d, want 2", len(msgs))
	}
}

// TestReadSkipsMalformed puts garbage of several kinds under the address's
// tag, around a good message: Read delivers the good one and no error.
func TestReadSkipsMalformed(t *testing.T) {
	c, addr := setup(t)
	ctx := context.Background()
	ascii := func(s string) trinary.Trytes {
		tr, err := client.ASCIIToTrytes(s)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	tag := direct.Tag(addr, time.Now())
	for _, junk := range []trinary.Trytes{
		"ZZZZZZZZZZ",                             // not ASCII
		ascii("hello"),                           // not JSON
		ascii(`{"type":"DATA","v":1}`),           // no body
		ascii(`{"type":"DATA","v":1,"body":[]}`), // body not an object
		trinary.Trytes(strings.Repeat("QD", 3000)),
	} {
		if _, err := c.SendTagged(ctx, addr, tag, junk); err != nil {
			t.Fatal(err)
		}
	}
	good, err := direct.Send(ctx, c, addr, protocol.ClaimResult, protocol.ClaimResultBody{ClaimID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTagged(ctx, addr, tag, ascii(`{"type":"x"`)); err != nil {
		t.Fatal(err)
	}
	msgs, cur := read(t, c, addr, "")
	if len(msgs) != 1 || msgs[0].Bundle != good {
		t.Fatalf("Read delivered %d messages, want only the good one", len(msgs))
	}
	// The garbage is done with too: nothing is fetched again.
	if again, _ := read(t, c, addr, cur); len(again) != 0 {
		t.Fatalf("redelivered %d", len(again))
	}
}

func TestReadRejectsBadCursor(t *testing.T) {
	c, addr := setup(t)
	for _, cur := range []direct.Cursor{"not-a-cursor", `{"v":3}`, `{"v":2,"b":{"yesterday":[]}}`, `{"v":2,"b":{"2026-01-01":["SHORT"]}}`, `{"v":2,"d":{"XYZ":1}}`} {
		if _, err := direct.NewReader(c, direct.Limits{}).Read(context.Background(), addr, cur, func(direct.Message) error { return nil }); err == nil {
			t.Errorf("Read accepted the cursor %s", cur)
		}
	}
	// A cursor of the earlier format starts over.
	if _, err := direct.NewReader(c, direct.Limits{}).Read(context.Background(), addr, "d1.0.", func(direct.Message) error { return nil }); err != nil {
		t.Fatalf("old cursor: %v", err)
	}
}

// TestReadAcrossNodeRestart: messages and the cursor survive a restart of
// the node.
func TestReadAcrossNodeRestart(t *testing.T) {
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
	first, err := direct.Send(ctx, c, addr, protocol.ClaimResult, protocol.ClaimResultBody{ClaimID: "before"})
	if err != nil {
		t.Fatal(err)
	}
	_, cur := read(t, c, addr, "")
	n.Restart(t)
	second, err := direct.Send(ctx, c, addr, protocol.ClaimResult, protocol.ClaimResultBody{ClaimID: "after"})
	if err != nil {
		t.Fatal(err)
	}
	if msgs, _ := read(t, c, addr, cur); len(msgs) != 1 || msgs[0].Bundle != second {
		t.Fatalf("after restart, Read with the cursor: %d messages, want only the new one", len(msgs))
	}
	if all, _ := read(t, c, addr, ""); len(all) != 2 || all[0].Bundle != first {
		t.Fatalf("after restart, Read from the start: %d messages, want both", len(all))
	}
}

// A message the handler cannot take now comes again; once taken, never.
func TestReadLater(t *testing.T) {
	c, addr := setup(t)
	if _, err := direct.Send(context.Background(), c, addr, protocol.ClaimResult, protocol.ClaimResultBody{ClaimID: "x"}); err != nil {
		t.Fatal(err)
	}
	r := direct.NewReader(c, direct.Limits{})
	calls := 0
	handle := func(direct.Message) error {
		calls++
		if calls == 1 {
			return fmt.Errorf("rate limit: %w", direct.ErrLater)
		}
		return nil
	}
	cur, err := r.Read(context.Background(), addr, "", handle)
	if err != nil || calls != 1 {
		t.Fatalf("first read: %d calls, %v", calls, err)
	}
	// A fresh Reader (a restart) sees it again too: it is not in the cursor.
	if cur2, err := direct.NewReader(c, direct.Limits{}).Read(context.Background(), addr, cur, func(direct.Message) error { return direct.ErrLater }); err != nil || cur2 != cur {
		t.Fatalf("deferred message was marked done: %v", err)
	}
	cur, err = r.Read(context.Background(), addr, cur, handle)
	if err != nil || calls != 2 {
		t.Fatalf("second read: %d calls, %v", calls, err)
	}
	if _, err := r.Read(context.Background(), addr, cur, handle); err != nil || calls != 2 {
		t.Fatalf("third read: %d calls, %v", calls, err)
	}
}
