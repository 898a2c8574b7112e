package consent

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"iotahome/protocol"
	"iotahome/store/readerstore"
	"iotahome/tangle/ntru"
)

// TestRenewalReplacesWithoutRotation: an AUTHORIZED that replaces the
// active policy of the same provider account ends it without a key
// rotation (no gap for the provider), sends one MAM_DATA for the new
// policy with the current root and key, and the old policy's expiry then
// rotates nothing. A replacement with another key, or one that is already
// expired, does rotate, so the old key's holder loses access.
func TestRenewalReplacesWithoutRotation(t *testing.T) {
	ctx := context.Background()
	fl, st := testFollower(t)
	err := st.Update(ctx, func(tx *readerstore.Tx) error {
		return tx.SetPairing(readerstore.Pairing{Paired: true, Code: "X", HomeNextRoot: "R0", ClaimID: "claim", Armed: true, PairedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ntru.DeriveKeyPair(strings.Repeat("K", 81))
	pub2, priv2, _ := ntru.DeriveKeyPair(strings.Repeat("L", 81))
	provider := strings.Repeat("P", 81)
	seq := 0
	apply := func(id string, a *protocol.AuthorizedBody) {
		t.Helper()
		ev, _ := json.Marshal(protocol.Event{Type: protocol.Authorized, ID: id, Device: fuzzDevice, Time: time.Now(), Authorized: a})
		root := "R" + string(rune('0'+seq))
		seq++
		if err := fl.apply(ctx, root, "R"+string(rune('0'+seq)), string(ev)); err != nil {
			t.Fatal(err)
		}
	}
	grant := func(policy, replaces, state string, key *ntru.PublicKey, exp time.Time) *protocol.AuthorizedBody {
		return &protocol.AuthorizedBody{PolicyID: policy, Replaces: replaces, State: state, ExpiresAt: &exp,
			Provider: protocol.Provider{Address: provider, PublicKey: string(key.Trytes())}}
	}
	rotations := func() int {
		t.Helper()
		ms, err := st.PendingChannelMessages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range ms {
			if m.Kind == string(protocol.KeyRotation) {
				n++
			}
		}
		return n
	}
	keys := func() []protocol.ChannelKey {
		t.Helper()
		ds, err := st.PendingDirect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []protocol.ChannelKey
		for _, d := range ds {
			var body protocol.MAMDataBody
			json.Unmarshal(d.Body, &body)
			plain, err := ntru.OpenString(priv, body.Sealed)
			if err != nil {
				plain, err = ntru.OpenString(priv2, body.Sealed)
			}
			if err != nil {
				t.Fatalf("MAM_DATA opens with neither key: %v", err)
			}
			var k protocol.ChannelKey
			json.Unmarshal(plain, &k)
			out = append(out, k)
		}
		return out
	}
	active := func() []string {
		t.Helper()
		ps, err := st.ActivePolicies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		return ids
	}

	now := time.Now()
	apply("e1", grant("p1", "", "state-1", pub, now.Add(time.Hour)))
	apply("e2", grant("p2", "p1", "state-2", pub, now.Add(2*time.Hour)))
	if got := active(); len(got) != 1 || got[0] != "p2" {
		t.Fatalf("active after renewal: %v, want [p2]", got)
	}
	if n := rotations(); n != 0 {
		t.Fatalf("renewal rotated the key (%d KEY_ROTATION)", n)
	}
	ks := keys()
	if len(ks) != 2 || ks[0].State != "state-1" || ks[1].State != "state-2" || ks[0].SideKey != ks[1].SideKey || ks[0].Root != ks[1].Root {
		t.Fatalf("MAM_DATA after renewal: %+v", ks)
	}
	var old readerstore.Policy
	st.Update(ctx, func(tx *readerstore.Tx) error { old, err = tx.Policy("p1"); return err })
	if old.State != readerstore.PolicyReplaced {
		t.Fatalf("replaced policy is %s", old.State)
	}
	// The old policy's end passes: nothing rotates, the renewal holds.
	if err := fl.ExpirePolicies(ctx, now.Add(time.Hour+time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := rotations(); n != 0 || len(active()) != 1 {
		t.Fatalf("old policy's expiry rotated (%d) or ended the renewal (%v)", n, active())
	}
	// A replaced policy cannot be replaced again, nor one of another
	// provider: those grants just add a policy.
	apply("e3", grant("p3", "p1", "state-3", pub, now.Add(2*time.Hour)))
	if got := active(); len(got) != 2 || rotations() != 0 {
		t.Fatalf("replacing an ended policy: active %v, %d rotations", got, rotations())
	}
	// Another key for the same address: the old key must lose access.
	apply("e4", grant("p4", "p3", "state-4", pub2, now.Add(2*time.Hour)))
	if n := rotations(); n != 1 {
		t.Fatalf("replacement with another key: %d KEY_ROTATION, want 1", n)
	}
	// Replaced by an already expired policy: rotate too.
	apply("e5", grant("p5", "p2", "state-5", pub, now.Add(-time.Minute)))
	if n := rotations(); n != 2 {
		t.Fatalf("replacement by an expired policy: %d KEY_ROTATION, want 2", n)
	}
	if got := active(); len(got) != 1 || got[0] != "p4" {
		t.Fatalf("active at the end: %v, want [p4]", got)
	}
}
