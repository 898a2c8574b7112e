package reader

import (
	"strings"
	"testing"
	"time"

	"iotahome/protocol"
	"iotahome/tangle/tangletest"
)

func TestPairing(t *testing.T) {
	node := tangletest.StartNode(t, 9)
	cfg := testConfig(t, node, statePath(t))
	r := start(t, cfg)
	device := r.DeviceAddress()
	code := r.PairingCode()
	if len(protocol.NormalizePairingCode(code)) != protocol.PairingCodeLength || len(code) != 19 {
		t.Fatalf("pairing code %q", code)
	}
	home := newTestHome(t, cfg.Client)

	// Wrong code, and a third party without the code: the claims carry no
	// MAC of the device's code, so the device drops them without a word.
	wrong := home.sendClaim(t, device, "AAAA-BBBB-CCCC-DDDD")
	mallory := newTestHome(t, cfg.Client)
	guess := mallory.sendClaim(t, device, "MALL-ORYG-UESS-ES22")

	// Right code (typed in lower case, without dashes).
	id, ch := home.claim(t, device, strings.ToLower(protocol.NormalizePairingCode(code)))
	secret := home.openChallenge(t, ch)
	if !protocol.ProofEqual(secret.DeviceProof, protocol.DeviceProof(code, id, secret.Nonce, string(home.address), ch.DevicePublicKey)) {
		t.Fatalf("device proof does not match the right code")
	}
	home.quiet(t, protocol.Challenge, wrong, 0)
	mallory.quiet(t, protocol.Challenge, guess, 0)
	if home.count(t, protocol.Challenge) != 1 || mallory.count(t, protocol.Challenge) != 0 {
		t.Fatalf("claims without the code were answered")
	}

	// An answer for the home's claim (the claim id and the device key are
	// public), sealed by a third party who knows neither nonce nor code: it
	// is ignored and does not use the claim up.
	mallory.send(t, device, protocol.AnswerChallenge,
		mallory.sealAnswer(t, ch, protocol.HomeProof("MALL-ORYG-UESS-ES22", id, "", string(device))))
	home.quiet(t, protocol.ClaimResult, id, 2*time.Second)
	if r.Status().Paired {
		t.Fatal("forged answer paired the device")
	}
	answer := home.answer(t, ch, code)
	home.send(t, device, protocol.AnswerChallenge, answer)
	if res := home.result(t, id, secret.Nonce, code); !res.OK {
		t.Fatalf("right code: %+v", res)
	}
	st := r.Status()
	if !st.Paired || st.HomeAddress != string(home.address) || st.PairingCode != "" || r.PairingCode() != "" {
		t.Fatalf("after pairing: %+v", st)
	}

	// Claims while paired are dropped: no code they could carry was ever shown.
	paired := mallory.sendClaim(t, device, code)
	mallory.quiet(t, protocol.Challenge, paired, 2*time.Second)
	mallory.quiet(t, protocol.ClaimResult, paired, 0)

	// Unpairing gives a fresh code; replaying the old answer does nothing.
	home.publish(t, protocol.Event{Type: protocol.DeviceAdded, Device: string(device),
		DeviceAdded: &protocol.DeviceAddedBody{PublicKey: ch.DevicePublicKey, ClaimID: id}})
	home.publish(t, protocol.Event{Type: protocol.DeviceDeleted, Device: string(device), Deleted: &protocol.DeviceDeletedBody{}})
	eventually(t, 20*time.Second, "unpaired", func() bool { return !r.Status().Paired })
	newCode := r.PairingCode()
	if newCode == "" || newCode == code {
		t.Fatalf("code after unpairing %q (was %q)", newCode, code)
	}
	results := home.count(t, protocol.ClaimResult)
	home.send(t, device, protocol.AnswerChallenge, answer)
	time.Sleep(time.Second)
	if r.Status().Paired || home.count(t, protocol.ClaimResult) != results {
		t.Fatalf("replayed answer had an effect")
	}

	// Pairing again works with the new code only.
	old := home.sendClaim(t, device, code)
	if _, _, res := home.pair(t, device, newCode); !res.OK {
		t.Fatalf("re-pairing with the new code: %+v", res)
	}
	home.quiet(t, protocol.Challenge, old, 0)
}

// Regression (issue 13, claim flooding): claims from parties without the
// code are dropped before the rate limit, so a flood of them cannot push the
// owner's claim out. (Before, the device answered every claim until its
// limit and dropped the rest for good.) Deferral of claims over a limit is
// tested in pi/pairing.
func TestClaimFlood(t *testing.T) {
	node := tangletest.StartNode(t, 9)
	cfg := testConfig(t, node, statePath(t))
	cfg.ClaimsPerMinute = 2
	r := start(t, cfg)
	device, code := r.DeviceAddress(), r.PairingCode()
	mallory := newTestHome(t, cfg.Client)
	for range 8 {
		mallory.sendClaim(t, device, "MALL-ORYG-UESS-ES22")
	}
	home := newTestHome(t, cfg.Client)
	if _, _, res := home.pair(t, device, code); !res.OK {
		t.Fatalf("owner's pairing under a claim flood: %+v", res)
	}
	if mallory.count(t, protocol.Challenge) != 0 {
		t.Fatal("claims without the code were answered")
	}
}

// Regression (issue 13, forged CLAIM_RESULT): the reader's pairing is
// tentative. If My Home never publishes DEVICE_ADDED for it (its pairing
// failed, e.g. misled by a forged result), the reader goes back to unpaired
// and shows a new code, instead of refusing every retry as "already paired".
func TestUnconfirmedPairingReverts(t *testing.T) {
	node := tangletest.StartNode(t, 9)
	cfg := testConfig(t, node, statePath(t))
	cfg.ConfirmWait = 8 * time.Second
	r := start(t, cfg)
	device, code := r.DeviceAddress(), r.PairingCode()
	home := newTestHome(t, cfg.Client)
	if _, _, res := home.pair(t, device, code); !res.OK {
		t.Fatalf("pairing: %+v", res)
	}
	if !r.Status().Paired {
		t.Fatal("not paired after CLAIM_RESULT ok")
	}
	eventually(t, 60*time.Second, "unconfirmed pairing reverted", func() bool { return !r.Status().Paired })
	again := r.PairingCode()
	if again == "" || again == code {
		t.Fatalf("code after the revert %q (was %q)", again, code)
	}
	// And the owner can pair again with the code shown now; confirmed this
	// time, the pairing stays.
	id, _, res := home.pair(t, device, again)
	if !res.OK {
		t.Fatalf("pairing again: %+v", res)
	}
	home.publish(t, protocol.Event{Type: protocol.DeviceAdded, Device: string(device),
		DeviceAdded: &protocol.DeviceAddedBody{PublicKey: string(r.device.PublicKey.Trytes()), ClaimID: id}})
	eventually(t, 20*time.Second, "following My Home", func() bool { return r.Status().Following })
	time.Sleep(10 * time.Second)
	if !r.Status().Paired {
		t.Fatal("a confirmed pairing was reverted")
	}
}
