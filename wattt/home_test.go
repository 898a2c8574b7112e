package wattt_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/client"
	"iotahome/tangle/direct"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
)

// testHome plays My Home's part of the protocol from the protocol types:
// it pairs with a reader over the Tangle and publishes consent events on its
// private MAM channel, which the reader follows. (The real My Home lives in
// myhome/; this keeps Wattt's tests independent of its pages.)
type testHome struct {
	c       *client.Client
	address trinary.Hash
	pub     *ntru.PublicKey
	priv    *ntru.PrivateKey
	cursor  direct.Cursor
	channel mamch.State
	first   trinary.Trytes
}

func newTestHome(t testing.TB, c *client.Client) *testHome {
	t.Helper()
	s, err := seed.New()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := seed.Address(s, 0)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ntru.DeriveKeyPair(s)
	if err != nil {
		t.Fatal(err)
	}
	chSeed, _ := seed.New()
	st, err := mamch.NewState(chSeed, mamch.Private, "")
	if err != nil {
		t.Fatal(err)
	}
	return &testHome{c: c, address: addr, pub: pub, priv: priv, channel: st, first: st.NextRoot()}
}

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// await waits for a direct message of type typ with the given claim id.
func (h *testHome) await(t testing.TB, typ protocol.Type, claimID string) json.RawMessage {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		msgs, cur, err := direct.List(context.Background(), h.c, h.address, h.cursor)
		if err != nil {
			t.Fatal(err)
		}
		h.cursor = cur
		for _, m := range msgs {
			var body struct{ ClaimID string }
			json.Unmarshal(m.Envelope.Body, &body)
			if m.Envelope.Type == typ && body.ClaimID == claimID {
				return m.Envelope.Body
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", typ)
	return nil
}

// pair runs CLAIM_DEVICE → CHALLENGE → ANSWER_CHALLENGE → CLAIM_RESULT with
// the reader's code and then publishes DEVICE_ADDED, as My Home does.
func (h *testHome) pair(t testing.TB, device trinary.Hash, code string) {
	t.Helper()
	ctx := context.Background()
	id := randomID()
	claim := protocol.ClaimDeviceBody{ClaimID: id, HomeAddress: h.address, HomePublicKey: string(h.pub.Trytes())}
	claim.MAC = protocol.ClaimMAC(protocol.ClaimKey(code, device), id, claim.HomeAddress, claim.HomePublicKey)
	if _, err := direct.Send(ctx, h.c, device, protocol.ClaimDevice, claim); err != nil {
		t.Fatal(err)
	}
	var ch protocol.ChallengeBody
	if err := json.Unmarshal(h.await(t, protocol.Challenge, id), &ch); err != nil {
		t.Fatal(err)
	}
	plain, err := ntru.OpenString(h.priv, ch.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	var secret protocol.ChallengeSecret
	if err := json.Unmarshal(plain, &secret); err != nil {
		t.Fatal(err)
	}
	if !protocol.ProofEqual(secret.DeviceProof, protocol.DeviceProof(code, id, secret.Nonce, h.address, ch.DevicePublicKey)) {
		t.Fatal("device proof does not match the pairing code")
	}
	devKey, err := ntru.ParsePublicKey(ch.DevicePublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ans, _ := json.Marshal(protocol.AnswerSecret{ClaimID: id, HomeProof: protocol.HomeProof(code, id, secret.Nonce, device), HomeRoot: h.first})
	sealed, err := ntru.SealString(devKey, ans)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Send(ctx, h.c, device, protocol.AnswerChallenge, protocol.AnswerChallengeBody{ClaimID: id, Sealed: sealed}); err != nil {
		t.Fatal(err)
	}
	var body protocol.ClaimResultBody
	if err := json.Unmarshal(h.await(t, protocol.ClaimResult, id), &body); err != nil {
		t.Fatal(err)
	}
	plain, err = ntru.OpenString(h.priv, body.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	var res protocol.ResultSecret
	if err := json.Unmarshal(plain, &res); err != nil || !res.OK || !protocol.ProofEqual(res.Proof, protocol.ResultProof(code, id, secret.Nonce, true, "")) {
		t.Fatalf("pairing failed: %+v %v", res, err)
	}
	h.publish(t, protocol.Event{Type: protocol.DeviceAdded, Device: device,
		DeviceAdded: &protocol.DeviceAddedBody{PublicKey: ch.DevicePublicKey, ClaimID: id}})
}

// publish appends an event to the home's private channel.
func (h *testHome) publish(t testing.TB, ev protocol.Event) {
	t.Helper()
	ev.Version, ev.ID, ev.Time = protocol.Version, randomID(), time.Now()
	text, _ := json.Marshal(ev)
	p, err := mamch.Prepare(h.channel, string(text))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mamch.Attach(context.Background(), h.c, p); err != nil {
		t.Fatal(err)
	}
	h.channel = p.Next
}
