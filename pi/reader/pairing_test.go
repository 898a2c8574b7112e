package reader

import (
	"encoding/json"
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

	// Wrong code: the device's proof does not match it, and the device
	// refuses an answer made with it.
	_, proofOK, res := home.pair(t, device, "AAAA-BBBB-CCCC-DDDD")
	if proofOK || res.OK || res.Reason != "wrong pairing code" {
		t.Fatalf("wrong code: proof ok %v, result %+v", proofOK, res)
	}
	if r.Status().Paired || r.PairingCode() != code {
		t.Fatalf("wrong code changed the pairing: %+v", r.Status())
	}

	// A third party claims the device: it gets a challenge sealed to its own
	// key, but without the code it cannot produce an answer that works.
	mallory := newTestHome(t, cfg.Client)
	_, proofOK, res = mallory.pair(t, device, "MALL-ORYG-UESS-ES22")
	if proofOK || res.OK {
		t.Fatalf("forged claim: proof ok %v, result %+v", proofOK, res)
	}

	// An answer for someone else's claim (the claim id and the device key
	// are public), sealed by a third party who does not know the nonce.
	id, ch := home.claim(t, device)
	mallory.send(t, device, protocol.AnswerChallenge,
		mallory.sealAnswer(t, ch, protocol.HomeProof("MALL-ORYG-UESS-ES22", id, "", string(device))))
	var forged protocol.ClaimResultBody
	decode(t, home.await(t, protocol.ClaimResult, id, 20*time.Second), &forged)
	if forged.OK || r.Status().Paired {
		t.Fatalf("forged answer accepted: %+v", forged)
	}

	// Right code (typed in lower case, without dashes).
	id, ch = home.claim(t, device)
	if secret := home.openChallenge(t, ch); !protocol.ProofEqual(secret.DeviceProof,
		protocol.DeviceProof(code, id, secret.Nonce, string(home.address), ch.DevicePublicKey)) {
		t.Fatalf("device proof does not match the right code")
	}
	answer := home.answer(t, ch, strings.ToLower(protocol.NormalizePairingCode(code)))
	home.send(t, device, protocol.AnswerChallenge, answer)
	decode(t, home.await(t, protocol.ClaimResult, id, 20*time.Second), &res)
	if !res.OK {
		t.Fatalf("right code: %+v", res)
	}
	st := r.Status()
	if !st.Paired || st.HomeAddress != string(home.address) || st.PairingCode != "" || r.PairingCode() != "" {
		t.Fatalf("after pairing: %+v", st)
	}

	// Claims while paired are refused without a challenge.
	id2 := randomID(t)
	mallory.send(t, device, protocol.ClaimDevice, protocol.ClaimDeviceBody{
		ClaimID: id2, HomeAddress: string(mallory.address), HomePublicKey: string(mallory.pub.Trytes()),
	})
	decode(t, mallory.await(t, protocol.ClaimResult, id2, 20*time.Second), &res)
	if res.OK || res.Reason != "already paired" || mallory.count(t, protocol.Challenge) != 1 {
		t.Fatalf("claim while paired: %+v", res)
	}

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
	if _, _, res = home.pair(t, device, code); res.OK {
		t.Fatalf("old code accepted after unpairing")
	}
	if _, _, res = home.pair(t, device, newCode); !res.OK {
		t.Fatalf("re-pairing with the new code: %+v", res)
	}
}

func decode(t testing.TB, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}
