package pairing

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/store/readerstore"
	"iotahome/tangle/direct"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
)

// offline is a Handler on a real state file (code ABCDEFGHIJKLMNOP) and no
// node: handle's effects are in the store and the outbox. Its clock stands
// still until the test moves it.
func offline(t testing.TB, cfg Config) (*Handler, *readerstore.Store, *time.Time) {
	t.Helper()
	ctx := context.Background()
	addr, err := seed.Address(fuzzSeed, 0)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ntru.DeriveKeyPair(fuzzSeed)
	if err != nil {
		t.Fatal(err)
	}
	st, err := readerstore.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateIdentity(ctx, readerstore.Identity{Seed: string(fuzzSeed), Code: "ABCDEFGHIJKLMNOP", ChannelState: "{}", FirstRoot: "X"}); err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Device, cfg.Log = st, Device{Address: addr, PublicKey: pub, PrivateKey: priv}, quiet()
	h := New(cfg)
	now := time.Now()
	h.now = func() time.Time { return now }
	return h, st, &now
}

// claimFrom is a CLAIM_DEVICE from a home with the device's code.
func claimFrom(t *testing.T, h *Handler, home trinary.Hash, code string) direct.Message {
	t.Helper()
	s, _ := seed.New()
	pub, _, err := ntru.DeriveKeyPair(s)
	if err != nil {
		t.Fatal(err)
	}
	id := "claim-" + string(s[:12])
	body := protocol.ClaimDeviceBody{ClaimID: id, HomeAddress: string(home), HomePublicKey: string(pub.Trytes())}
	body.MAC = protocol.ClaimMAC(protocol.ClaimKey(code, string(h.cfg.Device.Address)), id, body.HomeAddress, body.HomePublicKey)
	js, _ := json.Marshal(body)
	return direct.Message{Envelope: direct.Envelope{Type: protocol.ClaimDevice, Version: 1, Body: js}, Bundle: trinary.Hash(s)}
}

func queued(t *testing.T, st *readerstore.Store) int {
	t.Helper()
	msgs, err := st.PendingDirect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(msgs)
}

// Regression (issue 13, claim flooding): a claim over the rate limit is not
// marked processed and dropped, but handled once the limit allows.
func TestClaimOverRateLimitHandledLater(t *testing.T) {
	h, st, now := offline(t, Config{ClaimsPerMinute: 1})
	ctx := context.Background()
	home := trinary.Hash(fuzzSeed)
	first, second := claimFrom(t, h, home, "ABCD-EFGH-IJKL-MNOP"), claimFrom(t, h, home, "abcdefghijklmnop")
	if err := h.handle(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := h.handle(ctx, second); !errors.Is(err, direct.ErrLater) {
		t.Fatalf("claim over the limit: %v, want ErrLater", err)
	}
	if done, err := st.Processed(ctx, "direct:"+string(second.Bundle)); err != nil || done {
		t.Fatalf("a rate-limited claim was marked processed (%v)", err)
	}
	*now = now.Add(61 * time.Second)
	if err := h.handle(ctx, second); err != nil {
		t.Fatal(err)
	}
	if n := queued(t, st); n != 2 {
		t.Fatalf("%d challenges queued, want 2", n)
	}
}

// At most ClaimsPerHome claims of one home address are pending; another
// home is not held up by it.
func TestClaimsPerHome(t *testing.T) {
	h, st, _ := offline(t, Config{ClaimsPerMinute: 100, ClaimsPerHome: 2})
	ctx := context.Background()
	busy, other := trinary.Hash(fuzzSeed), trinary.Hash("OTHER"+string(fuzzSeed[5:]))
	for range 2 {
		if err := h.handle(ctx, claimFrom(t, h, busy, "ABCDEFGHIJKLMNOP")); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.handle(ctx, claimFrom(t, h, busy, "ABCDEFGHIJKLMNOP")); !errors.Is(err, direct.ErrLater) {
		t.Fatalf("third claim of one home: %v, want ErrLater", err)
	}
	if err := h.handle(ctx, claimFrom(t, h, other, "ABCDEFGHIJKLMNOP")); err != nil {
		t.Fatalf("another home's claim: %v", err)
	}
	if n := queued(t, st); n != 3 {
		t.Fatalf("%d challenges queued, want 3", n)
	}
}

// A claim without the code's MAC is dropped before anything else: no
// challenge, no write, whatever the limits.
func TestClaimWithoutCodeDropped(t *testing.T) {
	h, st, _ := offline(t, Config{ClaimsPerMinute: 100})
	ctx := context.Background()
	m := claimFrom(t, h, trinary.Hash(fuzzSeed), "WRON-GCOD-EWRO-NGCO")
	if err := h.handle(ctx, m); err != nil {
		t.Fatal(err)
	}
	if n := queued(t, st); n != 0 {
		t.Fatalf("a claim without the code queued %d messages", n)
	}
	if done, _ := st.Processed(ctx, "direct:"+string(m.Bundle)); done {
		t.Fatal("a dropped claim cost a write")
	}
}
