package mamch

import (
	"math/rand/v2"
	"testing"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/mam/v1/merkle"
	"github.com/iotaledger/iota.go/mam/v1/signing"
	"github.com/iotaledger/iota.go/trinary"
)

// hashChainSlow is the reference: iota.go's Curl-P27, one chain at a time,
// the way mam/v1's signing package hashes segments.
func hashChainSlow(seg trinary.Trits, count int) trinary.Trits {
	h := curl.NewCurlP27()
	for range count {
		h.Absorb(seg)
		seg, _ = h.Squeeze(consts.HashTrinarySize)
		h.Reset()
	}
	return seg
}

func TestHashChainsMatchesCurl(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 70 // more than one batch of lanes
	segs := make([]trinary.Trits, n)
	want := make([]trinary.Trits, n)
	counts := make([]int, n)
	for i := range segs {
		segs[i] = make(trinary.Trits, consts.HashTrinarySize)
		for p := range segs[i] {
			segs[i][p] = int8(r.IntN(3) - 1)
		}
		counts[i] = r.IntN(27)
		want[i] = hashChainSlow(append(trinary.Trits(nil), segs[i]...), counts[i])
	}
	hashChains(segs, counts)
	for i := range segs {
		if eq, _ := trinary.TritsEqual(segs[i], want[i]); !eq {
			t.Fatalf("chain %d (count %d) differs from Curl-P27", i, counts[i])
		}
	}
}

func BenchmarkHashChains27(b *testing.B) {
	segs := make([]trinary.Trits, 27)
	counts := make([]int, 27)
	for i := range segs {
		segs[i] = make(trinary.Trits, consts.HashTrinarySize)
		counts[i] = 26
	}
	for b.Loop() {
		hashChains(segs, counts)
	}
}

func BenchmarkHashChainsSlow27(b *testing.B) {
	seg := make(trinary.Trits, consts.HashTrinarySize)
	for b.Loop() {
		for range 27 {
			hashChainSlow(seg, 26)
		}
	}
}

func TestSigningMatchesIotaGo(t *testing.T) {
	for _, sec := range []consts.SecurityLevel{1, 2, 3} {
		for index := uint64(0); index < 3; index++ {
			ours, err := merkleRoot(testSeed, index, sec)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := merkle.MerkleCreate(1, testSeed, index, sec, curl.NewCurlP27())
			if err != nil {
				t.Fatal(err)
			}
			if eq, _ := trinary.TritsEqual(ours, theirs); !eq {
				t.Fatalf("security %d index %d: root differs from merkle.MerkleCreate", sec, index)
			}
			key, err := privateKey(testSeed, index, sec)
			if err != nil {
				t.Fatal(err)
			}
			theirKey, _ := signing.Key(mustSubseed(t, index), sec, curl.NewCurlP27())
			if eq, _ := trinary.TritsEqual(key, theirKey); !eq {
				t.Fatalf("security %d: key differs from signing.Key", sec)
			}
			hash := hashWithLevel(t, sec)
			sig := sign(hash, key)
			theirSig, err := signing.SignatureFragment(hash, theirKey, 0, curl.NewCurlP27())
			if err != nil {
				t.Fatal(err)
			}
			if eq, _ := trinary.TritsEqual(sig, theirSig); !eq {
				t.Fatalf("security %d: signature differs from signing.SignatureFragment", sec)
			}
			if err := verify([]*decoded{{root: theirs, hash: hash, signature: sig}})[0]; err != nil {
				t.Fatalf("security %d: signature does not verify for the root: %v", sec, err)
			}
		}
	}
}

func mustSubseed(t *testing.T, index uint64) trinary.Trits {
	t.Helper()
	s, err := signing.Subseed(testSeed, index, curl.NewCurlP27())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hashWithLevel returns a sponge state whose first 243 trits have the
// given security level, as the MAM nonce search produces.
func hashWithLevel(t *testing.T, sec consts.SecurityLevel) trinary.Trits {
	t.Helper()
	enc := curl.NewCurlP27().(*curl.Curl)
	enc.Absorb(trinary.MustTrytesToTrits(testSeed))
	nonce, err := findNonce(enc, sec)
	if err != nil {
		t.Fatal(err)
	}
	enc.Absorb(nonce)
	return enc.State
}
