package mamch

import (
	"fmt"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/mam/v1/signing"
	"github.com/iotaledger/iota.go/trinary"
)

// MAM's signature scheme (mam/v1/signing with Curl-P27), with the hash
// chains run by hashChains. Results are identical to iota.go's; the tests
// compare them.

const segment = consts.HashTrinarySize

// privateKey is the one-time key of channel message index: 27 segments
// of 243 trits per security level.
func privateKey(s trinary.Trytes, index uint64, security consts.SecurityLevel) (trinary.Trits, error) {
	h := curl.NewCurlP27()
	sub, err := signing.Subseed(s, index, h)
	if err != nil {
		return nil, fmt.Errorf("subseed: %w", err)
	}
	h.Reset()
	if err := h.Absorb(sub); err != nil {
		return nil, err
	}
	key, err := h.Squeeze(consts.KeyFragmentLength * int(security))
	if err != nil {
		return nil, err
	}
	segs, counts := split(key, func(int) int { return 1 })
	hashChains(segs, counts)
	return key, nil
}

// merkleRoot is the root of the one-leaf Merkle tree of message index
// (what merkle.MerkleCreate(1, s, index, security) returns): the address
// of its key.
func merkleRoot(s trinary.Trytes, index uint64, security consts.SecurityLevel) (trinary.Trits, error) {
	key, err := privateKey(s, index, security)
	if err != nil {
		return nil, fmt.Errorf("mamch: key %d: %w", index, err)
	}
	segs, counts := split(key, func(int) int { return consts.KeySegmentHashRounds })
	hashChains(segs, counts)
	return address(key), nil
}

// sign returns the signature of hash (a sponge state whose security level
// is security) with key.
func sign(hash, key trinary.Trits) trinary.Trits {
	sig := append(trinary.Trits(nil), key...)
	segs, counts := split(sig, func(i int) int { return consts.MaxTryteValue - tryteAt(hash, i) })
	hashChains(segs, counts)
	return sig
}

// signatureChains returns a copy of signature cut into segments, with
// the number of times each must be hashed to become the signing key's
// hashed segment (its address follows with address).
func signatureChains(hash, signature trinary.Trits) (trinary.Trits, []trinary.Trits, []int) {
	sig := append(trinary.Trits(nil), signature...)
	segs, counts := split(sig, func(i int) int { return tryteAt(hash, i) - consts.MinTryteValue })
	return sig, segs, counts
}

// address is Curl-P27(Curl-P27(digests)): the digest of the hashed key
// segments, then its address, as mam/v1/signing's Digests and Address.
func address(hashedSegments trinary.Trits) trinary.Trits {
	h := newSponge(curl.CurlP27)
	h.absorb(hashedSegments)
	digest := h.squeeze()
	h.reset()
	h.absorb(digest)
	return h.squeeze()
}

// split cuts t into 243-trit segments (sharing t's memory) with the chain
// length count(i) for segment i.
func split(t trinary.Trits, count func(i int) int) ([]trinary.Trits, []int) {
	n := len(t) / segment
	segs := make([]trinary.Trits, n)
	counts := make([]int, n)
	for i := range n {
		segs[i] = t[i*segment : (i+1)*segment]
		counts[i] = count(i)
	}
	return segs, counts
}

// tryteAt is the value of tryte i of hash (-13..13). Segment i of a key
// or signature is paired with tryte i of the hash: fragment f covers
// trytes 27f..27f+26.
func tryteAt(hash trinary.Trits, i int) int {
	return int(hash[3*i]) + 3*int(hash[3*i+1]) + 9*int(hash[3*i+2])
}
