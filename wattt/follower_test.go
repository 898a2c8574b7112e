package wattt_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
	"iotahome/tangle/tangletest"
	"iotahome/wattt"
)

// channelWriter publishes on a restricted channel the way a reader does.
type channelWriter struct {
	t  *testing.T
	st mamch.State
	p  *provider
}

func (w *channelWriter) publish(text string) {
	w.t.Helper()
	p, err := mamch.Prepare(w.st, text)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := mamch.Attach(context.Background(), w.p.c, p); err != nil {
		w.t.Fatal(err)
	}
	w.st = p.Next
}

func (w *channelWriter) data(seq int) {
	w.t.Helper()
	text, _ := json.Marshal(protocol.ChannelMessage{Type: protocol.Data, Version: protocol.Version, Data: &protocol.DataBody{
		Schema: protocol.ReadingSchema, Seq: uint64(seq), Readings: readings(time.Now().Add(-time.Hour), seq)}})
	w.publish(string(text))
}

// packedData is data with the readings DEFLATE-packed, as p1reader --pack
// sends them.
func (w *channelWriter) packedData(seq int) {
	w.t.Helper()
	packed, err := protocol.PackReadings(readings(time.Now().Add(-time.Hour), seq))
	if err != nil {
		w.t.Fatal(err)
	}
	text, _ := json.Marshal(protocol.ChannelMessage{Type: protocol.Data, Version: protocol.Version, Data: &protocol.DataBody{
		Schema: protocol.ReadingSchema, Seq: uint64(seq), Packed: packed}})
	w.publish(string(text))
}

// rotate publishes KEY_ROTATION under the current key with the new key
// sealed to the given public keys, then switches to it.
func (w *channelWriter) rotate(to map[string]*ntru.PublicKey) {
	w.t.Helper()
	key, _ := mamch.RandomSideKey()
	var keys []protocol.SealedKey
	for addr, pub := range to {
		sealed, err := ntru.SealString(pub, []byte(key))
		if err != nil {
			w.t.Fatal(err)
		}
		keys = append(keys, protocol.SealedKey{ProviderAddress: addr, Sealed: sealed})
	}
	text, _ := json.Marshal(protocol.ChannelMessage{Type: protocol.KeyRotation, Version: protocol.Version, KeyRotation: &protocol.KeyRotationBody{Keys: keys}})
	w.publish(string(text))
	w.st = w.st.WithSideKey(trinary.Trytes(key))
}

// TestFollowerSkipsHostileMessagesAndFollowsRotations follows a channel this
// test writes itself: malformed messages are skipped without losing what
// comes after them, a KEY_ROTATION with a key for this provider is followed,
// one without is where the connection ends as revoked.
func TestFollowerSkipsHostileMessagesAndFollowsRotations(t *testing.T) {
	ctx := context.Background()
	node := tangletest.StartNode(t, 9)
	c := newClient(t, node)
	p := newProvider(t, c, wattt.Config{FollowInterval: 100 * time.Millisecond})
	acct, err := p.svc.CreateAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	to, err := p.svc.StartConsent(ctx, acct, "http://myhome.test", "live")
	if err != nil {
		t.Fatal(err)
	}
	req := requestOf(t, p.svc, to)
	addr := req.Address
	pub, err := ntru.ParsePublicKey(req.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := seed.New()
	key, _ := mamch.RandomSideKey()
	st, err := mamch.NewState(s, mamch.Restricted, key)
	if err != nil {
		t.Fatal(err)
	}
	w := &channelWriter{t: t, st: st, p: p}
	first := st.NextRoot()

	w.data(0)
	w.publish("not json at all")
	w.publish(`{"type":"SOMETHING_NEW","v":1}`)
	w.publish(`{"type":"DATA","v":1}`)
	w.data(10)
	other, _ := seed.New()
	otherPub, _, _ := ntru.DeriveKeyPair(other)
	w.rotate(map[string]*ntru.PublicKey{addr: pub, "SOMEONEELSE": otherPub})
	w.packedData(20)
	w.rotate(map[string]*ntru.PublicKey{"SOMEONEELSE": otherPub})
	w.data(30) // under a key this provider never gets

	conn, err := p.svc.Connect(ctx, acct, protocol.ChannelKey{Device: "DEVICE", Root: first, SideKey: key, State: req.State})
	if err != nil {
		t.Fatal(err)
	}
	p.run(t)
	eventually(t, 30*time.Second, "revoked at the second rotation", func() bool {
		c, _ := p.st.Connection(ctx, conn.ID)
		return c.Status == wattt.ConnectionRevoked
	})
	got, _ := p.st.Connection(ctx, conn.ID)
	if got.LastSeq != 29 || got.Messages != 8 || got.RevokedAt == nil {
		t.Fatalf("connection after the channel: last seq %d (want 29), %d messages (want 8), revoked at %v", got.LastSeq, got.Messages, got.RevokedAt)
	}
	var n int
	p.st.EachReading(ctx, conn.ID, time.Unix(0, 0), time.Now(), func(wattt.StoredReading) error { n++; return nil })
	if n != 30 {
		t.Fatalf("stored %d readings, want 30 (seq 0..29)", n)
	}
	if st := p.svc.Stats(); st.Skipped != 3 || st.Revocations != 1 {
		t.Fatalf("stats %+v: want 3 skipped, 1 revocation", st)
	}
}
