package consent

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/store/readerstore"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
)

const (
	fuzzSeed   = trinary.Trytes("FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9")
	fuzzDevice = "DEVICE999999999999999999999999999999999999999999999999999999999999999999999999"
)

// testFollower is a follower of an unpaired reader's fresh state file.
func testFollower(tb testing.TB) (*Follower, *readerstore.Store) {
	tb.Helper()
	ctx := context.Background()
	st, err := readerstore.Open(ctx, filepath.Join(tb.TempDir(), "r.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	state, err := mamch.NewState(fuzzSeed, mamch.Restricted, fuzzSeed)
	if err != nil {
		tb.Fatal(err)
	}
	js, _ := json.Marshal(state)
	if err := st.CreateIdentity(ctx, readerstore.Identity{Seed: string(fuzzSeed), Code: "ABCDEFGHIJKLMNOP", ChannelState: string(js), FirstRoot: string(state.NextRoot())}); err != nil {
		tb.Fatal(err)
	}
	return New(Config{Store: st, DeviceAddress: fuzzDevice, Log: slog.New(slog.DiscardHandler)}), st
}

// Whatever text is found on My Home's channel, applying it never panics,
// fails only for the state file, and always moves the cursor on.
func FuzzApply(f *testing.F) {
	ctx := context.Background()
	fl, st := testFollower(f)
	pub, _, _ := ntru.DeriveKeyPair(fuzzSeed)

	seeds := []protocol.Event{
		{Type: protocol.DeviceAdded, ID: "a", Device: fuzzDevice, DeviceAdded: &protocol.DeviceAddedBody{ClaimID: "claim"}},
		{Type: protocol.Authorized, ID: "b", Device: fuzzDevice, Authorized: &protocol.AuthorizedBody{PolicyID: "p",
			Provider: protocol.Provider{Address: fuzzDevice, PublicKey: string(pub.Trytes())}}},
		{Type: protocol.Authorized, ID: "r", Device: fuzzDevice, Authorized: &protocol.AuthorizedBody{PolicyID: "q", Replaces: "p",
			Provider: protocol.Provider{Address: fuzzDevice, PublicKey: string(pub.Trytes())}}},
		{Type: protocol.AuthorizationRevoked, ID: "c", Device: fuzzDevice, Revoked: &protocol.RevokedBody{PolicyID: "p"}},
		{Type: protocol.DeviceDeleted, ID: "d", Device: fuzzDevice},
	}
	for _, ev := range seeds {
		b, _ := json.Marshal(ev)
		f.Add(string(b))
	}
	f.Add(`{"type":"AUTHORIZED","id":"x","device":"` + fuzzDevice + `","authorized":null}`)
	f.Fuzz(func(t *testing.T, text string) {
		// Paired and armed, cursor at R.
		err := st.Update(ctx, func(tx *readerstore.Tx) error {
			return tx.SetPairing(readerstore.Pairing{Paired: true, Code: "X", HomeNextRoot: "R", ClaimID: "claim", Armed: true, PairedAt: time.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := fl.apply(ctx, "R", "N", text); err != nil {
			t.Fatalf("apply: %v", err)
		}
		p, err := st.Pairing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.Paired && p.HomeNextRoot != "N" {
			t.Fatalf("cursor %q after %q", p.HomeNextRoot, text)
		}
	})
}
