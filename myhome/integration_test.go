package myhome

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/pi/pairing"
	"iotahome/protocol"
	"iotahome/store/myhomestore"
	"iotahome/tangle/direct"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
	"iotahome/tangle/tangletest"
)

// TestConsentLifecycle runs the whole owner story against the real dev
// node and two real reader agents: a wrong code fails, the right code
// pairs, consent for one device reaches only its provider, revocation
// rotates the key without the revoked provider, unpairing ends the other
// device's consent, and restoring the seed into an empty My Home rebuilds
// the same devices and policies and can carry on publishing.
func TestConsentLifecycle(t *testing.T) {
	ctx := context.Background()
	node := tangletest.StartNode(t, testMWM)
	h := startHome(t, node, testConfig)
	acct, err := h.CreateHome(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dA, dB := startDevice(t, node), startDevice(t, node)

	// Wrong code: the device answers, its proof does not match.
	codeA := dA.PairingCode()
	wrong := "AAAA-AAAA-AAAA-AAAA"
	if pairing.FormatCode(codeA) == wrong {
		wrong = "BBBB-BBBB-BBBB-BBBB"
	}
	if p := pair(t, h, acct, dA, wrong); p.Step != myhomestore.StepFailed || p.Reason != ReasonWrongCode {
		t.Fatalf("wrong code: step %s reason %q", p.Step, p.Reason)
	}
	// Right code, typed in lower case without dashes.
	if p := pair(t, h, acct, dA, lower(protocol.NormalizePairingCode(codeA))); p.Step != myhomestore.StepPaired {
		t.Fatalf("pair A: step %s reason %q", p.Step, p.Reason)
	}
	// B via the pasted QR text.
	id, err := h.StartPairing(ctx, acct, PairInput{QR: dB.Status().PairingQR})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "B paired", func() bool {
		p, _ := h.Pairing(ctx, acct, id)
		return p.Step == myhomestore.StepPaired
	})
	devices, err := h.Devices(ctx, acct)
	if err != nil || len(devices) != 2 {
		t.Fatalf("devices %v %v", devices, err)
	}
	for _, d := range devices {
		want := dA
		if d.Address == string(dB.DeviceAddress()) {
			want = dB
		}
		if d.Address != string(want.DeviceAddress()) || !d.Active() {
			t.Fatalf("unexpected device %+v", d)
		}
	}
	eventually(t, 60*time.Second, "readers following the home", func() bool {
		return dA.Status().Following && dB.Status().Following
	})

	// Grant P1 on A and P2 on B.
	p1, p2 := newProvider(t, node), newProvider(t, node)
	grant := func(p *provider, d *device, state string) (string, time.Time) {
		rid, err := h.NewConsentRequest(ctx, p.request(t, state))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		back, err := h.Grant(ctx, acct, rid, string(d.DeviceAddress()))
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(back)
		if "http://"+u.Host != p.site.URL || u.Query().Get("state") != state || u.Query().Get("result") != "granted" ||
			u.Query().Get("policy") == "" || u.Query().Get("x") != "1" {
			t.Fatalf("grant redirect %q", back)
		}
		return u.Query().Get("policy"), start
	}
	pol1, t1 := grant(p1, dA, "state-one-123")
	var key1 protocol.ChannelKey
	eventually(t, 60*time.Second, "MAM_DATA for P1", func() bool {
		for _, k := range p1.keys(t) {
			if k.Device != string(dA.DeviceAddress()) || k.State != "state-one-123" {
				t.Fatalf("P1 got a key it should not: device %s state %s", k.Device, k.State)
			}
			key1 = k
			return true
		}
		return false
	})
	t.Logf("grant -> MAM_DATA at provider: %s", time.Since(t1).Round(time.Millisecond))
	_, t2 := grant(p2, dB, "state-two-456")
	eventually(t, 60*time.Second, "MAM_DATA for P2", func() bool {
		for _, k := range p2.keys(t) {
			if k.Device != string(dB.DeviceAddress()) {
				t.Fatalf("P2 got a key of device %s", k.Device)
			}
			return true
		}
		return false
	})
	t.Logf("grant -> MAM_DATA at provider: %s", time.Since(t2).Round(time.Millisecond))
	if ks := p1.keys(t); len(ks) != 0 {
		t.Fatalf("P1 received keys of another device: %+v", ks)
	}

	// Revoke P1: A rotates its key and the rotation carries nothing for P1.
	t3 := time.Now()
	if err := h.Revoke(ctx, acct, pol1); err != nil {
		t.Fatal(err)
	}
	rot := awaitRotation(t, h, key1)
	t.Logf("revoke -> KEY_ROTATION on the reader's channel: %s", time.Since(t3).Round(time.Millisecond))
	for _, k := range rot.Keys {
		if k.ProviderAddress == string(p1.address) {
			t.Fatal("KEY_ROTATION still carries a key for the revoked provider")
		}
	}
	if err := h.Revoke(ctx, acct, pol1); err == nil {
		t.Fatal("revoking twice succeeded")
	}

	// Unpair B: its policy ends, and B goes back to unpaired.
	if err := h.Unpair(ctx, acct, string(dB.DeviceAddress())); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "B unpaired", func() bool { return !dB.Status().Paired })
	attached(t, h, acct)
	wantDevices, _ := h.Devices(ctx, acct)
	wantPolicies, _ := h.Policies(ctx, acct)
	for _, p := range wantPolicies {
		if p.RevokedAt == nil {
			t.Fatalf("policy %s still active after revoke/unpair", p.ID)
		}
	}

	// Restore the seed into a fresh My Home.
	sd, ok, err := h.RevealSeed(ctx, acct)
	if err != nil || !ok {
		t.Fatalf("reveal seed: %v %v", ok, err)
	}
	if _, again, _ := h.RevealSeed(ctx, acct); again {
		t.Fatal("seed shown twice")
	}
	h2 := startHome(t, node, testConfig)
	acct2, restoring, err := h2.RestoreHome(ctx, " "+lower(sd)+"\n")
	if err != nil || !restoring {
		t.Fatalf("restore: %v restoring=%v", err, restoring)
	}
	eventually(t, 60*time.Second, "restore to finish", func() bool {
		hm, err := h2.Home(ctx, acct2)
		return err == nil && !hm.Restoring
	})
	gotDevices, _ := h2.Devices(ctx, acct2)
	gotPolicies, _ := h2.Policies(ctx, acct2)
	if !sameDevices(gotDevices, wantDevices) {
		t.Fatalf("restored devices differ:\n got %+v\nwant %+v", gotDevices, wantDevices)
	}
	if !samePolicies(gotPolicies, wantPolicies) {
		t.Fatalf("restored policies differ:\n got %+v\nwant %+v", gotPolicies, wantPolicies)
	}
	ev1, _ := h.Events(ctx, acct, 100)
	ev2, _ := h2.Events(ctx, acct2, 100)
	if len(ev1) != len(ev2) || ev1[0].Bundle != ev2[0].Bundle {
		t.Fatalf("restored audit trail differs: %d vs %d events", len(ev2), len(ev1))
	}
	// The restored home continues the same channel: A follows it and unpairs.
	if err := h2.Unpair(ctx, acct2, string(dA.DeviceAddress())); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "A unpaired by the restored home", func() bool { return !dA.Status().Paired })
}

// TestForgedAndReplayedPairingMessages: a third party who reads the public
// CLAIM_DEVICE posts a forged CHALLENGE with its own key; the pairing still
// completes with the real device's key. Replaying the old CHALLENGE and
// ANSWER_CHALLENGE later achieves nothing.
func TestForgedAndReplayedPairingMessages(t *testing.T) {
	ctx := context.Background()
	node := tangletest.StartNode(t, testMWM)
	cfg := testConfig
	cfg.WrongCodeGrace = time.Minute // the real device starts only after the forged challenge
	h := startHome(t, node, cfg)
	acct, err := h.CreateHome(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := openDevice(t, node) // not running yet: the forged challenge arrives first
	attacker := newProvider(t, node)
	homeAddr := func() string { hm, _ := h.Home(ctx, acct); return hm.Address }()

	id, err := h.StartPairing(ctx, acct, PairInput{Address: string(d.DeviceAddress()), Code: d.PairingCode()})
	if err != nil {
		t.Fatal(err)
	}
	// The attacker reads the CLAIM_DEVICE at the device address and answers first.
	var claim protocol.ClaimDeviceBody
	var cur direct.Cursor
	eventually(t, 60*time.Second, "CLAIM_DEVICE on the Tangle", func() bool {
		msgs, c, err := direct.List(ctx, attacker.c, d.DeviceAddress(), cur)
		if err != nil {
			t.Fatal(err)
		}
		cur = c
		for _, m := range msgs {
			if m.Envelope.Type == protocol.ClaimDevice {
				json.Unmarshal(m.Envelope.Body, &claim)
				return true
			}
		}
		return false
	})
	if claim.HomeAddress != homeAddr {
		t.Fatalf("claim names home %s, want %s", claim.HomeAddress, homeAddr)
	}
	homeKey, err := ntru.ParsePublicKey(claim.HomePublicKey)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := json.Marshal(protocol.ChallengeSecret{ClaimID: claim.ClaimID, Nonce: "00112233",
		DeviceProof: protocol.DeviceProof("GUESSGUESSGUESS2", claim.ClaimID, "00112233", claim.HomeAddress, string(attacker.pub.Trytes()))})
	sealed, _ := ntru.SealString(homeKey, secret)
	forged := protocol.ChallengeBody{ClaimID: claim.ClaimID, DeviceAddress: string(d.DeviceAddress()),
		DevicePublicKey: string(attacker.pub.Trytes()), Sealed: sealed}
	if _, err := direct.Send(ctx, attacker.c, trinary.Hash(claim.HomeAddress), protocol.Challenge, forged); err != nil {
		t.Fatal(err)
	}
	var p Pairing
	eventually(t, 60*time.Second, "the forged challenge to be rejected", func() bool {
		p, _ = h.Pairing(ctx, acct, id)
		return p.BadChallenges > 0
	})
	if p.Step != myhomestore.StepClaimSent {
		t.Fatalf("a forged challenge moved the pairing to %s", p.Step)
	}
	d.run(t)
	eventually(t, 90*time.Second, "pairing to finish", func() bool {
		p, _ = h.Pairing(ctx, acct, id)
		return p.Done()
	})
	if p.Step != myhomestore.StepPaired {
		t.Fatalf("pairing under attack: %s %q", p.Step, p.Reason)
	}
	devs, _ := h.Devices(ctx, acct)
	if len(devs) != 1 || devs[0].PublicKey == string(attacker.pub.Trytes()) {
		t.Fatalf("device key is the attacker's: %+v", devs)
	}

	// The answer went to the device, sealed to the device's key: the
	// attacker cannot open it.
	msgs, _, err := direct.List(ctx, attacker.c, d.DeviceAddress(), "")
	if err != nil {
		t.Fatal(err)
	}
	var answer protocol.AnswerChallengeBody
	for _, m := range msgs {
		if m.Envelope.Type == protocol.AnswerChallenge {
			json.Unmarshal(m.Envelope.Body, &answer)
		}
	}
	if answer.ClaimID != claim.ClaimID {
		t.Fatal("no ANSWER_CHALLENGE for the claim on the Tangle")
	}
	if _, err := ntru.OpenString(attacker.priv, answer.Sealed); err == nil {
		t.Fatal("the attacker can open the answer")
	}

	// Unpair, then replay the old answer to the now unpaired device: it
	// must not pair it again with the old claim.
	if err := h.Unpair(ctx, acct, string(d.DeviceAddress())); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "device unpaired", func() bool { return !d.Status().Paired })
	if _, err := direct.Send(ctx, attacker.c, d.DeviceAddress(), protocol.AnswerChallenge, answer); err != nil {
		t.Fatal(err)
	}
	// And replay the forged challenge during a new, real pairing: ignored.
	id2, err := h.StartPairing(ctx, acct, PairInput{Address: string(d.DeviceAddress()), Code: d.PairingCode()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Send(ctx, attacker.c, trinary.Hash(claim.HomeAddress), protocol.Challenge, forged); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "second pairing to finish", func() bool {
		p, _ = h.Pairing(ctx, acct, id2)
		return p.Done()
	})
	if p.Step != myhomestore.StepPaired || p.BadChallenges != 0 {
		t.Fatalf("second pairing: %s %q bad=%d", p.Step, p.Reason, p.BadChallenges)
	}
	if st := d.Status(); !st.Paired || st.HomeAddress != homeAddr {
		t.Fatalf("device status after replays: %+v", st)
	}
}

// TestPairingUnknownDeviceTimesOut: nobody answers at the address.
func TestPairingUnknownDeviceTimesOut(t *testing.T) {
	ctx := context.Background()
	node := tangletest.StartNode(t, testMWM)
	cfg := testConfig
	cfg.PairingTimeout = 2 * time.Second
	h := startHome(t, node, cfg)
	acct, err := h.CreateHome(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nobody := newProvider(t, node)
	id, err := h.StartPairing(ctx, acct, PairInput{Address: string(nobody.address), Code: "ABCD-EFGH-IJKL-MNOP"})
	if err != nil {
		t.Fatal(err)
	}
	var p Pairing
	eventually(t, 60*time.Second, "timeout", func() bool {
		p, _ = h.Pairing(ctx, acct, id)
		return p.Done()
	})
	if p.Step != myhomestore.StepFailed || p.Reason != ReasonNoAnswer {
		t.Fatalf("unknown device: %s %q", p.Step, p.Reason)
	}
}

// awaitRotation follows the reader's channel from the key a provider got
// and returns the first KEY_ROTATION.
func awaitRotation(t testing.TB, h *home, k protocol.ChannelKey) protocol.KeyRotationBody {
	t.Helper()
	root, side := trinary.Trytes(k.Root), trinary.Trytes(k.SideKey)
	var rot *protocol.KeyRotationBody
	eventually(t, 60*time.Second, "KEY_ROTATION on the reader's channel", func() bool {
		msgs, next, err := mamch.Fetch(context.Background(), h.tangle, root, mamch.Restricted, side, 0)
		if err != nil {
			t.Fatal(err)
		}
		root = next
		for _, m := range msgs {
			var cm protocol.ChannelMessage
			if json.Unmarshal([]byte(m.Text), &cm) == nil && cm.Type == protocol.KeyRotation && cm.KeyRotation != nil {
				rot = cm.KeyRotation
				return true
			}
		}
		return false
	})
	return *rot
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func sameDevices(a, b []Device) bool {
	return slices.EqualFunc(a, b, func(x, y Device) bool {
		return x.Address == y.Address && x.PublicKey == y.PublicKey && x.Name == y.Name &&
			x.AddedAt.Equal(y.AddedAt) && (x.DeletedAt == nil) == (y.DeletedAt == nil)
	})
}

func samePolicies(a, b []Policy) bool {
	return slices.EqualFunc(a, b, func(x, y Policy) bool {
		return x.ID == y.ID && x.Device == y.Device && x.ProviderAddress == y.ProviderAddress && x.Goal == y.Goal &&
			x.State == y.State && x.GrantedAt.Equal(y.GrantedAt) && (x.RevokedAt == nil) == (y.RevokedAt == nil) &&
			x.RevokeReason == y.RevokeReason
	})
}
