package mamch

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	mam "github.com/iotaledger/iota.go/mam/v1"
	"github.com/iotaledger/iota.go/trinary"
)

func randomTrits(r *rand.Rand, n int) trinary.Trits {
	t := make(trinary.Trits, n)
	for i := range t {
		t[i] = int8(r.IntN(3) - 1)
	}
	return t
}

// TestSpongeMatchesCurl absorbs and squeezes random inputs of every kind
// of length (partial chunks included) with both sponges, 27 and 81 rounds,
// keeping each sponge's state across inputs.
func TestSpongeMatchesCurl(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, rounds := range []curl.CurlRounds{curl.CurlP27, curl.CurlP81} {
		ours, theirs := newSponge(rounds), curl.NewCurl(rounds).(*curl.Curl)
		for i := range 300 {
			in := randomTrits(r, r.IntN(3*consts.HashTrinarySize)+1)
			ours.absorb(in)
			theirs.Absorb(in)
			got, want := ours.squeeze(), theirs.MustSqueeze(consts.HashTrinarySize)
			if !slices.Equal(got, want) {
				t.Fatalf("Curl-P%d: squeeze %d after absorbing %d trits differs", rounds, i, len(in))
			}
			if i%50 == 49 {
				ours.reset()
				theirs.Reset()
			}
		}
	}
}

// TestSpongeUnmaskMatchesMAM decrypts random ciphertexts of random lengths
// with both implementations, on one running state as parse does.
func TestSpongeUnmaskMatchesMAM(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	ours, theirs := newSponge(curl.CurlP27), curl.NewCurlP27().(*curl.Curl)
	key, root := randomTrits(r, consts.HashTrinarySize), randomTrits(r, consts.HashTrinarySize)
	ours.absorb(key)
	ours.absorb(root)
	mam.MAMInitEncryption(key, root, theirs)
	for i := range 100 {
		n := uint64(r.IntN(2000) + 1)
		cipher := randomTrits(r, int(n)+r.IntN(10))
		got, want := ours.unmask(cipher, n), mam.Unmask(cipher, n, theirs)
		if !slices.Equal(got, want) {
			t.Fatalf("unmask %d of %d trits differs", i, n)
		}
		if !slices.Equal(ours.rate(), theirs.State[:consts.HashTrinarySize]) {
			t.Fatalf("state after unmask %d differs", i)
		}
	}
}

func BenchmarkSpongeTransform(b *testing.B) {
	s := newSponge(curl.CurlP27)
	for b.Loop() {
		s.transform()
	}
}

func BenchmarkCurlTransform(b *testing.B) {
	c := curl.NewCurlP27().(*curl.Curl)
	for b.Loop() {
		c.Transform()
	}
}
