package mamch

import (
	"testing"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/trinary"
)

// asTrytes maps any string to trytes of the same length, keeping tryte
// letters, so that every fuzz input is a payload the client could hand
// over (transactions only carry trytes).
func asTrytes(s string) trinary.Trytes {
	b := []byte(s)
	for i, c := range b {
		if trinary.ValidTryte(rune(c)) != nil {
			b[i] = consts.TryteAlphabet[int(c)%27]
		}
	}
	return trinary.Trytes(b)
}

// FuzzParse feeds arbitrary payloads to the MAM parser as they could
// appear at a channel address: it must not panic or run away, and must
// not accept anything but the genuine message.
func FuzzParse(f *testing.F) {
	s := mustState(f, Restricted, keyA)
	p, err := Prepare(s, `{"type":"DATA","v":1}`)
	if err != nil {
		f.Fatal(err)
	}
	root := trinary.MustTrytesToTrits(p.Root)
	f.Add(string(p.Payload))
	f.Add(string(p.Payload[:500]))
	f.Add("")
	f.Add("MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM")
	f.Fuzz(func(t *testing.T, in string) {
		text, _, err := parse(asBundle(asTrytes(in)), keyA, root)
		if err == nil && text != `{"type":"DATA","v":1}` {
			t.Fatalf("parse accepted a forged message: %q", text)
		}
	})
}
