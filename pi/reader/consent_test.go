package reader

import (
	"context"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/mamch"
	"iotahome/tangle/tangletest"
)

// pairedAgent starts an agent paired with a fresh test home and waits until
// it follows the home's events. Before the pairing, the home's channel gets
// an AUTHORIZED for the device from an earlier pairing, which must be
// skipped.
func pairedAgent(t *testing.T, cfg Config, stale *party) (*running, *testHome) {
	t.Helper()
	r := start(t, cfg)
	device := r.DeviceAddress()
	home := newTestHome(t, cfg.Client)
	home.authorize(t, device, "stale-policy", stale, "stale", nil)
	id, ok, res := home.pair(t, device, r.PairingCode())
	if !ok || !res.OK {
		t.Fatalf("pairing failed: %+v", res)
	}
	home.publish(t, protocol.Event{Type: protocol.DeviceAdded, Device: string(device),
		DeviceAdded: &protocol.DeviceAddedBody{PublicKey: string(r.device.PublicKey.Trytes()), ClaimID: id}})
	eventually(t, 20*time.Second, "following My Home", func() bool { return r.Status().Following })
	return r, home
}

func TestConsent(t *testing.T) {
	node := tangletest.StartNode(t, 9)
	cfg := testConfig(t, node, statePath(t))
	c := cfg.Client
	stale, a, b, other, late := newParty(t, c), newParty(t, c), newParty(t, c), newParty(t, c), newParty(t, c)
	r, home := pairedAgent(t, cfg, stale)
	device := r.DeviceAddress()

	// Grants for this device (A, B) and for another device (other).
	home.authorize(t, device, "policy-a", a, "nonce-a", nil)
	home.authorize(t, device, "policy-b", b, "nonce-b", nil)
	home.authorize(t, "OTHERDEVICE9999999999999999999999999999999999999999999999999999999999999999999", "policy-x", other, "nonce-x", nil)
	home.publish(t, protocol.Event{Type: "SOMETHING_NEW", Device: string(device)})
	keyA, keyB := a.channelKey(t, 20*time.Second), b.channelKey(t, 20*time.Second)
	for _, k := range []struct {
		got   protocol.ChannelKey
		state string
	}{{keyA, "nonce-a"}, {keyB, "nonce-b"}} {
		if k.got.Device != string(device) || k.got.State != k.state || len(k.got.Root) != 81 || len(k.got.SideKey) != 81 {
			t.Fatalf("channel key %+v", k.got)
		}
	}
	if st := r.Status(); st.Providers != 2 {
		t.Fatalf("providers %d", st.Providers)
	}

	for i := 1; i <= 3; i++ {
		r.telegrams <- testTelegram(i)
	}
	eventually(t, 20*time.Second, "readings 1-3 published", func() bool { return r.Status().Published == 3 })

	// Revoke A: KEY_ROTATION with the new key for B only.
	home.publish(t, protocol.Event{Type: protocol.AuthorizationRevoked, Device: string(device),
		Revoked: &protocol.RevokedBody{PolicyID: "policy-a", ProviderAddress: string(a.address)}})
	eventually(t, 20*time.Second, "revocation handled", func() bool { return r.Status().Providers == 1 })
	for i := 4; i <= 6; i++ {
		r.telegrams <- testTelegram(i)
	}
	eventually(t, 20*time.Second, "readings 4-6 published", func() bool { return r.Status().Published == 6 })

	readerA := &channelReader{root: trinary.Trytes(keyA.Root), key: trinary.Trytes(keyA.SideKey)}
	readerA.readAll(t, c, func(kr protocol.KeyRotationBody) trinary.Trytes { return a.rotationKey(t, kr) })
	checkReadings(t, readerA.readings, 1, 3)
	if len(readerA.rotations) != 1 || len(readerA.rotations[0].Keys) != 1 || readerA.rotations[0].Keys[0].ProviderAddress != string(b.address) {
		t.Fatalf("A saw rotations %+v", readerA.rotations)
	}
	// A cannot go on with its old key.
	if msg, _, err := mamch.FetchOne(context.Background(), c, readerA.root, mamch.Restricted, trinary.Trytes(keyA.SideKey)); err != nil || msg != nil {
		t.Fatalf("revoked provider read on: %v %v", msg, err)
	}
	readerB := &channelReader{root: trinary.Trytes(keyB.Root), key: trinary.Trytes(keyB.SideKey)}
	readerB.readAll(t, c, func(kr protocol.KeyRotationBody) trinary.Trytes { return b.rotationKey(t, kr) })
	checkReadings(t, readerB.readings, 1, 6)

	// Restart: an event published while the reader is down is caught up,
	// and nothing already done is done again.
	r.stop(t)
	home.authorize(t, device, "policy-late", late, "nonce-late", nil)
	r = start(t, cfg)
	if k := late.channelKey(t, 20*time.Second); k.State != "nonce-late" {
		t.Fatalf("late key %+v", k)
	}
	if st := r.Status(); st.Providers != 2 {
		t.Fatalf("providers after restart %d", st.Providers)
	}

	// Expiry: a short grant is sent its key, then rotated out.
	expiring := newParty(t, c)
	// Long enough that publishing the grant (seconds of proof of work on a
	// loaded machine) does not outlast it.
	soon := time.Now().Add(10 * time.Second)
	home.authorize(t, device, "policy-short", expiring, "nonce-short", &soon)
	expiring.channelKey(t, 20*time.Second)
	eventually(t, 40*time.Second, "expiry", func() bool { return r.Status().Providers == 2 && time.Now().After(soon) })

	// Unpair: every provider forgotten, key rotated for nobody, fresh code.
	home.publish(t, protocol.Event{Type: protocol.DeviceDeleted, Device: string(device), Deleted: &protocol.DeviceDeletedBody{}})
	eventually(t, 20*time.Second, "unpaired", func() bool { return !r.Status().Paired })
	eventually(t, 20*time.Second, "rotations published", func() bool { return r.Status().PendingMessages == 0 })
	st := r.Status()
	if st.Providers != 0 || st.PairingCode == "" || st.Following {
		t.Fatalf("after unpairing: %+v", st)
	}
	readerB.readAll(t, c, func(kr protocol.KeyRotationBody) trinary.Trytes { return b.rotationKey(t, kr) })
	if n := len(readerB.rotations); n != 3 || len(readerB.rotations[2].Keys) != 0 {
		t.Fatalf("B saw rotations %+v", readerB.rotations)
	}
	if readerB.key != "" {
		t.Fatalf("B can still read after unpairing")
	}

	// Each provider got exactly one MAM_DATA; the stale grant and the grant
	// for another device none.
	for name, p := range map[string]*party{"A": a, "B": b, "late": late, "expiring": expiring} {
		if n := p.count(t, protocol.MAMData); n != 1 {
			t.Errorf("%s got %d MAM_DATA", name, n)
		}
	}
	for name, p := range map[string]*party{"stale": stale, "other device": other} {
		if n := p.count(t, protocol.MAMData); n != 0 {
			t.Errorf("%s got %d MAM_DATA", name, n)
		}
	}
}
