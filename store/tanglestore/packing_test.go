package tanglestore

import (
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/trinary"
)

// FuzzPackTransaction checks that any transaction's trytes survive packing
// and that unpacking arbitrary bytes (a damaged row) errs instead of
// panicking.
func FuzzPackTransaction(f *testing.F) {
	f.Add([]byte("HELLO"), []byte{0, 1, 2})
	f.Add([]byte(strings.Repeat("Z", 3000)), []byte{121, 135, 255})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, seed, raw []byte) {
		const alphabet = "9ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		b := make([]byte, transactionTrytes)
		for i := range b {
			b[i] = '9'
			if len(seed) > 0 {
				b[i] = alphabet[int(seed[i%len(seed)]+byte(i/len(seed)))%len(alphabet)]
			}
		}
		// Vary how much of the message is trailing 9s.
		cut := 0
		if len(seed) > 0 {
			cut = int(seed[0]) * 9 % messageTrytes
		}
		copy(b[messageTrytes-cut:messageTrytes], strings.Repeat("9", cut))
		tx := trinary.Trytes(b)
		packed, err := packTransaction(tx)
		if err != nil {
			t.Fatal(err)
		}
		back, err := unpackTransaction(packed)
		if err != nil || back != tx {
			t.Fatalf("round trip failed: %v", err)
		}
		if got, err := unpackTransaction(raw); err == nil && len(got) != transactionTrytes {
			t.Fatalf("unpacked %d trytes from %d bytes", len(got), len(raw))
		}
	})
}
