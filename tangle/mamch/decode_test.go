package mamch

import (
	"math/rand/v2"
	"testing"

	"github.com/iotaledger/iota.go/trinary"
)

func TestDecodeIntRoundTrip(t *testing.T) {
	values := []int64{0, 1, -1, 2, 13, 14, -14, 26, 27, 243, 6561, 19683, 1 << 20, -(1 << 20), 123456789, 1 << 40}
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		values = append(values, r.Int64N(1<<50)-(1<<49))
	}
	for _, v := range values {
		enc, size, err := trinary.EncodeInt64(v)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := decodeInt(append(enc[:size:size], 1, 0, -1, 1)) // trailing data is ignored
		if err != nil || got != v || n != size {
			t.Fatalf("decodeInt(EncodeInt64(%d)) = %d, %d, %v; want size %d", v, got, n, err, size)
		}
	}
}

// TestDecodeIntAgreesWithIotaGo compares with trinary.DecodeInt64 on
// random trits wherever the latter does not panic.
func TestDecodeIntAgreesWithIotaGo(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	compared := 0
	for range 5000 {
		in := make(trinary.Trits, 4+r.IntN(60))
		for i := range in {
			in[i] = int8(r.IntN(3) - 1)
		}
		theirV, theirN, theirErr, panicked := decodeInt64(in)
		v, n, err := decodeInt(in)
		if panicked || theirErr != nil {
			continue // iota.go rejects or crashes; any error of ours is fine
		}
		if err != nil {
			continue // we are stricter (e.g. no values over 13 trytes)
		}
		compared++
		if v != theirV || n != theirN {
			t.Fatalf("decodeInt(%v) = %d/%d, iota.go %d/%d", in, v, n, theirV, theirN)
		}
	}
	if compared < 1000 {
		t.Fatalf("only %d of 5000 random inputs compared", compared)
	}
}

func decodeInt64(in trinary.Trits) (v int64, n uint64, err error, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	v, n, err = trinary.DecodeInt64(in)
	return v, n, err, false
}
