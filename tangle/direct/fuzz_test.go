package direct

import (
	"testing"

	"github.com/iotaledger/iota.go/trinary"
)

// FuzzDecodeEnvelope: whatever arrives at an address, DecodeEnvelope must
// not panic, and what it accepts must re-encode to an envelope that
// decodes to the same thing.
func FuzzDecodeEnvelope(f *testing.F) {
	good, err := EncodeEnvelope(Envelope{Type: "CLAIM_DEVICE", Version: 1, Body: []byte(`{"claimId":"x","homeAddress":"A9"}`)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(good))
	f.Add(string(good) + "9999")
	f.Add("")
	f.Add("9")
	f.Add("ZZ")
	f.Fuzz(func(t *testing.T, in string) {
		e, err := DecodeEnvelope(trinary.Trytes(in))
		if err != nil {
			return
		}
		again, err := EncodeEnvelope(e)
		if err != nil {
			t.Fatalf("accepted envelope does not re-encode: %v", err)
		}
		e2, err := DecodeEnvelope(again)
		if err != nil || e2.Type != e.Type || e2.Version != e.Version || string(e2.Body) != string(e.Body) {
			t.Fatalf("re-encoded envelope decodes differently: %+v vs %+v (%v)", e2, e, err)
		}
	})
}
