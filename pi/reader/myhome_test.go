package reader

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

// party is anyone with a seed, an address and an NTRU key pair: My Home, a
// provider, an attacker.
type party struct {
	c       *client.Client
	address trinary.Hash
	pub     *ntru.PublicKey
	priv    *ntru.PrivateKey
	cursor  direct.Cursor
	inbox   []direct.Message
}

func newParty(t testing.TB, c *client.Client) *party {
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
	return &party{c: c, address: addr, pub: pub, priv: priv}
}

func (p *party) send(t testing.TB, to trinary.Hash, typ protocol.Type, body any) {
	t.Helper()
	if _, err := direct.Send(context.Background(), p.c, to, typ, body); err != nil {
		t.Fatalf("send %s: %v", typ, err)
	}
}

// poll adds the messages that arrived at the party's address to its inbox.
func (p *party) poll(t testing.TB) {
	t.Helper()
	msgs, cur, err := direct.List(context.Background(), p.c, p.address, p.cursor)
	if err != nil {
		t.Fatal(err)
	}
	p.cursor = cur
	p.inbox = append(p.inbox, msgs...)
}

// await waits for a message of type typ whose body has the given claim id
// ("" = any) and returns its body.
func (p *party) await(t testing.TB, typ protocol.Type, claimID string, timeout time.Duration) json.RawMessage {
	t.Helper()
	var found json.RawMessage
	eventually(t, timeout, string(typ), func() bool {
		p.poll(t)
		for _, m := range p.inbox {
			var c struct{ ClaimID string }
			json.Unmarshal(m.Envelope.Body, &c)
			if m.Envelope.Type == typ && (claimID == "" || c.ClaimID == claimID) {
				found = m.Envelope.Body
				return true
			}
		}
		return false
	})
	return found
}

// count returns how many messages of type typ the party has received.
func (p *party) count(t testing.TB, typ protocol.Type) int {
	t.Helper()
	p.poll(t)
	n := 0
	for _, m := range p.inbox {
		if m.Envelope.Type == typ {
			n++
		}
	}
	return n
}

// testHome is My Home's side of pairing and its private event channel,
// written from the protocol types (the real one lives in myhome/).
type testHome struct {
	*party
	channel   mamch.State
	firstRoot trinary.Trytes
}

func newTestHome(t testing.TB, c *client.Client) *testHome {
	t.Helper()
	s, err := seed.New()
	if err != nil {
		t.Fatal(err)
	}
	st, err := mamch.NewState(s, mamch.Private, "")
	if err != nil {
		t.Fatal(err)
	}
	return &testHome{party: newParty(t, c), channel: st, firstRoot: st.NextRoot()}
}

func randomID(t testing.TB) string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sendClaim sends CLAIM_DEVICE with the MAC of code and returns its id.
func (h *testHome) sendClaim(t testing.TB, device trinary.Hash, code string) string {
	t.Helper()
	id := randomID(t)
	body := protocol.ClaimDeviceBody{ClaimID: id, HomeAddress: string(h.address), HomePublicKey: string(h.pub.Trytes())}
	body.MAC = protocol.ClaimMAC(protocol.ClaimKey(code, string(device)), id, body.HomeAddress, body.HomePublicKey)
	h.send(t, device, protocol.ClaimDevice, body)
	return id
}

// claim sends CLAIM_DEVICE with the MAC of code and returns the claim id
// and the CHALLENGE.
func (h *testHome) claim(t testing.TB, device trinary.Hash, code string) (string, protocol.ChallengeBody) {
	t.Helper()
	id := h.sendClaim(t, device, code)
	var ch protocol.ChallengeBody
	if err := json.Unmarshal(h.await(t, protocol.Challenge, id, 20*time.Second), &ch); err != nil {
		t.Fatal(err)
	}
	return id, ch
}

// openChallenge opens the sealed part of a CHALLENGE.
func (h *testHome) openChallenge(t testing.TB, ch protocol.ChallengeBody) protocol.ChallengeSecret {
	t.Helper()
	plain, err := ntru.OpenString(h.priv, ch.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	var s protocol.ChallengeSecret
	if err := json.Unmarshal(plain, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// answer builds ANSWER_CHALLENGE for a challenge with the given code.
func (h *testHome) answer(t testing.TB, ch protocol.ChallengeBody, code string) protocol.AnswerChallengeBody {
	t.Helper()
	secret := h.openChallenge(t, ch)
	return h.sealAnswer(t, ch, protocol.HomeProof(code, ch.ClaimID, secret.Nonce, ch.DeviceAddress))
}

// sealAnswer seals an answer with the given proof to the device's key.
// Anyone can do this; only the proof tells My Home from a forger.
func (h *testHome) sealAnswer(t testing.TB, ch protocol.ChallengeBody, proof string) protocol.AnswerChallengeBody {
	t.Helper()
	devKey, err := ntru.ParsePublicKey(ch.DevicePublicKey)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(protocol.AnswerSecret{ClaimID: ch.ClaimID, HomeProof: proof, HomeRoot: string(h.firstRoot)})
	sealed, err := ntru.SealString(devKey, plain)
	if err != nil {
		t.Fatal(err)
	}
	return protocol.AnswerChallengeBody{ClaimID: ch.ClaimID, Sealed: sealed}
}

// pair runs the whole exchange with code and returns the claim id, whether
// the device's proof matched code and the CLAIM_RESULT, opened and checked.
func (h *testHome) pair(t testing.TB, device trinary.Hash, code string) (string, bool, protocol.ResultSecret) {
	t.Helper()
	id, ch := h.claim(t, device, code)
	secret := h.openChallenge(t, ch)
	if ch.DeviceAddress != string(device) || secret.ClaimID != id {
		t.Fatalf("challenge for %s/%s, want %s/%s", ch.DeviceAddress, secret.ClaimID, device, id)
	}
	want := protocol.DeviceProof(code, id, secret.Nonce, string(h.address), ch.DevicePublicKey)
	proofOK := protocol.ProofEqual(secret.DeviceProof, want)
	h.send(t, device, protocol.AnswerChallenge, h.answer(t, ch, code))
	return id, proofOK, h.result(t, id, secret.Nonce, code)
}

// result waits for the CLAIM_RESULT of claim id and opens and checks it
// as My Home does.
func (h *testHome) result(t testing.TB, id, nonce, code string) protocol.ResultSecret {
	t.Helper()
	var body protocol.ClaimResultBody
	if err := json.Unmarshal(h.await(t, protocol.ClaimResult, id, 20*time.Second), &body); err != nil {
		t.Fatal(err)
	}
	plain, err := ntru.OpenString(h.priv, body.Sealed)
	if err != nil {
		t.Fatalf("CLAIM_RESULT does not open with the home key: %v", err)
	}
	var res protocol.ResultSecret
	if err := json.Unmarshal(plain, &res); err != nil || res.ClaimID != id {
		t.Fatalf("CLAIM_RESULT secret %s (%v)", plain, err)
	}
	if !protocol.ProofEqual(res.Proof, protocol.ResultProof(code, id, nonce, res.OK, res.Reason)) {
		t.Fatalf("CLAIM_RESULT proof does not check: %+v", res)
	}
	return res
}

// quiet fails if a message of type typ for claim id arrives within d.
func (p *party) quiet(t testing.TB, typ protocol.Type, claimID string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		p.poll(t)
		for _, m := range p.inbox {
			var c struct{ ClaimID string }
			json.Unmarshal(m.Envelope.Body, &c)
			if m.Envelope.Type == typ && c.ClaimID == claimID {
				t.Fatalf("unexpected %s for claim %s", typ, claimID)
			}
		}
	}
}

// publish appends an event to My Home's private channel.
func (h *testHome) publish(t testing.TB, ev protocol.Event) {
	t.Helper()
	ev.Version = protocol.Version
	if ev.ID == "" {
		ev.ID = randomID(t)
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
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

// authorize publishes AUTHORIZED for device and provider p.
func (h *testHome) authorize(t testing.TB, device trinary.Hash, policyID string, p *party, state string, expires *time.Time) {
	t.Helper()
	h.publish(t, protocol.Event{Type: protocol.Authorized, Device: string(device), Authorized: &protocol.AuthorizedBody{
		PolicyID: policyID, Goal: "test", State: state, ExpiresAt: expires,
		Provider: protocol.Provider{Address: string(p.address), PublicKey: string(p.pub.Trytes()), Origin: "http://provider.test"},
	}})
}

// channelKey waits for the provider's MAM_DATA and opens it.
func (p *party) channelKey(t testing.TB, timeout time.Duration) protocol.ChannelKey {
	t.Helper()
	var body protocol.MAMDataBody
	if err := json.Unmarshal(p.await(t, protocol.MAMData, "", timeout), &body); err != nil {
		t.Fatal(err)
	}
	plain, err := ntru.OpenString(p.priv, body.Sealed)
	if err != nil {
		t.Fatalf("provider cannot open its MAM_DATA: %v", err)
	}
	var k protocol.ChannelKey
	if err := json.Unmarshal(plain, &k); err != nil {
		t.Fatal(err)
	}
	return k
}

// rotationKey opens the provider's entry of a KEY_ROTATION ("" if none).
func (p *party) rotationKey(t testing.TB, kr protocol.KeyRotationBody) trinary.Trytes {
	t.Helper()
	for _, k := range kr.Keys {
		if k.ProviderAddress == string(p.address) {
			plain, err := ntru.OpenString(p.priv, k.Sealed)
			if err != nil {
				t.Fatalf("open rotated key: %v", err)
			}
			return trinary.Trytes(plain)
		}
	}
	return ""
}
