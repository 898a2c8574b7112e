package wattt

import (
	"encoding/json"
	"log/slog"
	"testing"

	"iotahome/protocol"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
)

// fuzzService is a Service with one account's key pair in its cache: enough
// for the decoding paths, which touch neither the store nor the node.
func fuzzService(f *testing.F) (*Service, Account, *keyPair) {
	f.Helper()
	sd := "FUZZSEED9999999999999999999999999999999999999999999999999999999999999999999999999"
	addr, err := seed.Address(sd, 0)
	if err != nil {
		f.Fatal(err)
	}
	pub, priv, err := ntru.DeriveKeyPair(sd)
	if err != nil {
		f.Fatal(err)
	}
	kp := &keyPair{pub: pub, priv: priv}
	s := &Service{log: slog.New(slog.DiscardHandler), keys: map[int64]*keyPair{1: kp}}
	return s, Account{ID: 1, Address: addr}, kp
}

// FuzzChannelMessage feeds arbitrary channel message texts to the follower's
// decoding: it must never panic, and whatever it keeps must be sane.
func FuzzChannelMessage(f *testing.F) {
	s, a, kp := fuzzService(f)
	v := 1.5
	data, _ := json.Marshal(protocol.ChannelMessage{Type: protocol.Data, Version: 1, Data: &protocol.DataBody{Schema: protocol.ReadingSchema, Seq: 7,
		Readings: []protocol.Reading{{PowerDelivered: &v}}}})
	sealed, _ := ntru.SealString(kp.pub, []byte(a.Address))
	rot, _ := json.Marshal(protocol.ChannelMessage{Type: protocol.KeyRotation, Version: 1, KeyRotation: &protocol.KeyRotationBody{
		Keys: []protocol.SealedKey{{ProviderAddress: a.Address, Sealed: sealed}, {ProviderAddress: "X", Sealed: "!!"}}}})
	for _, seed := range []string{string(data), string(rot), `{"type":"DATA"}`, `{"type":"DATA","data":{"seq":18446744073709551615,"r":[{"t":"2026-01-01T00:00:00Z"}]}}`, `{"type":"KEY_ROTATION","keyRotation":{}}`, "", "null", "[]"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p := Progress{SideKey: "OLD"}
		stop, err := s.apply(mamch.Message{Text: text}, a.Address, func() (*keyPair, error) { return kp, nil }, &p)
		if err != nil && (stop || len(p.Readings) > 0) {
			t.Fatalf("an ignored message changed the progress: stop=%v readings=%d", stop, len(p.Readings))
		}
		for _, r := range p.Readings {
			if r.Seq < 0 || r.Reading.Time.IsZero() {
				t.Fatalf("kept reading %+v", r)
			}
		}
		if p.SideKey != "OLD" && len(p.SideKey) != 81 {
			t.Fatalf("switched to side key %q", p.SideKey)
		}
	})
}

// FuzzMAMData feeds arbitrary MAM_DATA bodies to key receipt's decoding.
func FuzzMAMData(f *testing.F) {
	s, a, kp := fuzzService(f)
	key, _ := json.Marshal(protocol.ChannelKey{Device: a.Address, Root: a.Address, SideKey: a.Address, State: "s"})
	sealed, _ := ntru.SealString(kp.pub, key)
	good, _ := json.Marshal(protocol.MAMDataBody{Device: a.Address, Sealed: sealed})
	f.Add(good)
	f.Add([]byte(`{"device":"A","sealed":"AAAA"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		k, err := s.openKey(a, body)
		if err != nil {
			return
		}
		if len(k.Device) != 81 || len(k.Root) != 81 || len(k.SideKey) != 81 || k.State == "" {
			t.Fatalf("accepted key %+v", k)
		}
	})
}
