package direct

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/client"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	body, _ := json.Marshal(protocol.ResultSecret{ClaimID: "c1", OK: false, Reason: "wrong pairing code — één"})
	e := Envelope{Type: protocol.ClaimResult, Version: protocol.Version, Body: body}
	tr, err := EncodeEnvelope(e)
	if err != nil {
		t.Fatal(err)
	}
	// As a transaction message: padded with 9s to a whole fragment.
	padded := tr + trinary.Trytes(strings.Repeat("9", 2187-len(tr)%2187))
	got, err := DecodeEnvelope(padded)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != e.Type || got.Version != e.Version {
		t.Fatalf("got %+v", got)
	}
	var b protocol.ResultSecret
	if err := json.Unmarshal(got.Body, &b); err != nil || b.Reason != "wrong pairing code — één" {
		t.Fatalf("body %s decodes to %+v, %v", got.Body, b, err)
	}
}

func TestEncodeEnvelopeRejects(t *testing.T) {
	for name, e := range map[string]Envelope{
		"lower-case type": {Type: "data", Version: 1, Body: json.RawMessage(`{}`)},
		"no type":         {Version: 1, Body: json.RawMessage(`{}`)},
		"version 0":       {Type: protocol.Data, Body: json.RawMessage(`{}`)},
		"null body":       {Type: protocol.Data, Version: 1, Body: json.RawMessage(`null`)},
		"array body":      {Type: protocol.Data, Version: 1, Body: json.RawMessage(`[1]`)},
		"too big":         {Type: protocol.Data, Version: 1, Body: json.RawMessage(`{"x":"` + strings.Repeat("a", MaxEnvelopeSize) + `"}`)},
	} {
		if _, err := EncodeEnvelope(e); err == nil {
			t.Errorf("%s: EncodeEnvelope accepted %+v", name, e.Type)
		}
	}
}

func TestDecodeEnvelopeRejects(t *testing.T) {
	enc := func(s string) trinary.Trytes {
		tr, err := client.ASCIIToTrytes(s)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	for name, in := range map[string]trinary.Trytes{
		"empty":          "",
		"all padding":    trinary.Trytes(strings.Repeat("9", 2187)),
		"not ascii":      "ZZZZ",
		"not json":       enc("hello"),
		"json array":     enc(`[1,2]`),
		"missing body":   enc(`{"type":"DATA","v":1}`),
		"string body":    enc(`{"type":"DATA","v":1,"body":"x"}`),
		"bad type":       enc(`{"type":"dAtA","v":1,"body":{}}`),
		"zero version":   enc(`{"type":"DATA","v":0,"body":{}}`),
		"version string": enc(`{"type":"DATA","v":"1","body":{}}`),
		"trailing data":  enc(`{"type":"DATA","v":1,"body":{}}{"type":"DATA","v":1,"body":{}}`),
		"nul inside":     enc("{\"type\":\"DATA\",\x00\"v\":1,\"body\":{}}"),
	} {
		if e, err := DecodeEnvelope(in); err == nil {
			t.Errorf("%s: DecodeEnvelope accepted it as %+v", name, e)
		}
	}
}
