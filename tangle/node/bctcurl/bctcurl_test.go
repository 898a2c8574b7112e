package bctcurl_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/node/bctcurl"
)

func randomTrits(r *rand.Rand, n int) trinary.Trits {
	t := make(trinary.Trits, n)
	for i := range t {
		t[i] = int8(r.IntN(3)) - 1
	}
	return t
}

// TestMatchesCurl compares every lane against iota.go's Curl-P81 for
// batches of several sizes and input lengths.
func TestMatchesCurl(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ lanes, trits int }{{1, 8019}, {7, 243}, {64, 8019}, {33, 486}} {
		inputs := make([]trinary.Trits, tc.lanes)
		for i := range inputs {
			inputs[i] = randomTrits(r, tc.trits)
		}
		got, err := bctcurl.Hash(inputs)
		if err != nil {
			t.Fatal(err)
		}
		for i, in := range inputs {
			want, err := curl.HashTrits(in)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got[i], want) {
				t.Fatalf("%d lanes of %d trits: lane %d differs from curl.HashTrits", tc.lanes, tc.trits, i)
			}
		}
	}
}

func TestRejectsBadInput(t *testing.T) {
	for name, inputs := range map[string][]trinary.Trits{
		"too many":       make([]trinary.Trits, 65),
		"bad length":     {make(trinary.Trits, 100)},
		"unequal length": {make(trinary.Trits, 243), make(trinary.Trits, 486)},
		"bad trit":       {append(make(trinary.Trits, 242), 2)},
	} {
		if _, err := bctcurl.Hash(inputs); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func BenchmarkHash64Transactions(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	inputs := make([]trinary.Trits, bctcurl.Lanes)
	for i := range inputs {
		inputs[i] = randomTrits(r, 8019)
	}
	for b.Loop() {
		if _, err := bctcurl.Hash(inputs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*bctcurl.Lanes), "ns/tx")
}

func BenchmarkCurlOneTransaction(b *testing.B) {
	in := randomTrits(rand.New(rand.NewPCG(1, 2)), 8019)
	for b.Loop() {
		curl.HashTrits(in)
	}
}
