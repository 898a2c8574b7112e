package mamch

import (
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/trinary"
)

// sponge is Curl-P (iota.go's curl.Curl, same results) for one message at
// a time. Reading a channel message is about a hundred sequential Curl-P27
// transforms (decryption absorbs each 243-trit chunk before the next key
// stream is known, and the signature's digests are absorbed in order);
// iota.go runs them one trit at a time through a lookup table (in C when
// built with cgo). Here the 729-trit state is two 729-bit masks, and a round is a
// rotation and the bit-sliced S-box of chains.go on 12 words.
//
// Why a rotation: a Curl round is S'[i] = f(S[364i], S[364i+364]) (indices
// mod 729; iota.go's curl.Indices). Storing the state permuted, trit k of
// S at bit k·d (mod 729), turns that into X'[j] = f(X[j], X[j+ρ]) with
// ρ = 364·d, after which trit k sits at bit k·364·d: so each round
// multiplies d by 364 and rotates by the new d. Trits are only moved into
// natural order where they are read or written (the 243-trit rate part).
type sponge struct {
	lo, hi bitTrits // as in chains.go: 0 is (1,1), 1 is (0,1), -1 is (1,0)
	d      int      // trit k of the state is at bit k·d mod 729
	rounds int
}

const (
	stateWords = (curl.StateSize + 63) / 64
	// topMask keeps the bits of the last word that are state trits.
	topMask = 1<<(curl.StateSize-64*(stateWords-1)) - 1
)

// bitTrits is one bit of each of the 729 state trits.
type bitTrits [stateWords]uint64

func newSponge(rounds curl.CurlRounds) *sponge {
	s := &sponge{rounds: int(rounds)}
	s.reset()
	return s
}

// reset sets every trit to 0.
func (s *sponge) reset() {
	for w := range stateWords {
		s.lo[w], s.hi[w] = ^uint64(0), ^uint64(0)
	}
	s.lo[stateWords-1] &= topMask
	s.hi[stateWords-1] &= topMask
	s.d = 1
}

func (s *sponge) get(j int) int8 {
	w, b := j>>6, uint(j&63)
	return int8(s.hi[w]>>b&1) - int8(s.lo[w]>>b&1)
}

// set stores trit t at bit j without branches (trits are random: a
// branch per trit would be mispredicted half the time).
func (s *sponge) set(j int, t int8) {
	w, b := j>>6, uint(j&63)
	l := uint64(uint8(t-1) >> 7) // t ≤ 0
	h := uint64(uint8(^t) >> 7)  // t ≥ 0
	s.lo[w] = s.lo[w]&^(1<<b) | l<<b
	s.hi[w] = s.hi[w]&^(1<<b) | h<<b
}

// next is the bit of the trit after the one at bit j, in natural order.
func (s *sponge) next(j int) int {
	j += s.d
	if j >= curl.StateSize {
		j -= curl.StateSize
	}
	return j
}

// absorb is curl.Curl's Absorb.
func (s *sponge) absorb(in trinary.Trits) {
	for len(in) > 0 {
		n := min(len(in), consts.HashTrinarySize)
		j := 0
		for _, t := range in[:n] {
			s.set(j, t)
			j = s.next(j)
		}
		in = in[n:]
		s.transform()
	}
}

// rate returns the first 243 trits of the state (the hash).
func (s *sponge) rate() trinary.Trits {
	out := make(trinary.Trits, consts.HashTrinarySize)
	j := 0
	for k := range out {
		out[k] = s.get(j)
		j = s.next(j)
	}
	return out
}

// squeeze is curl.Curl's Squeeze of one hash.
func (s *sponge) squeeze() trinary.Trits {
	out := s.rate()
	s.transform()
	return out
}

// unmask is mam/v1's Unmask: it decrypts length trits of cipher,
// absorbing the plaintext.
func (s *sponge) unmask(cipher trinary.Trits, length uint64) trinary.Trits {
	dest := make(trinary.Trits, length)
	// balanced[a-b+2] is a-b mod 3 in balanced ternary (trinary.Sum(a, -b))
	balanced := [5]int8{1, -1, 0, 1, -1}
	for i := 0; i < len(dest); i += consts.HashTrinarySize {
		j := 0
		for k := i; k < min(i+consts.HashTrinarySize, len(dest)); k++ {
			t := balanced[cipher[k]-s.get(j)+2]
			dest[k] = t
			s.set(j, t)
			j = s.next(j)
		}
		s.transform()
	}
	return dest
}

// transform is curl.Curl's Transform.
func (s *sponge) transform() {
	var rlo, rhi bitTrits
	for range s.rounds {
		s.d = s.d * 364 % curl.StateSize
		rotate(&rlo, &s.lo, s.d)
		rotate(&rhi, &s.hi, s.d)
		for w := range stateWords {
			alpha, beta, gamma := s.lo[w], s.hi[w], rhi[w]
			delta := (alpha | ^gamma) & (rlo[w] ^ beta)
			s.lo[w] = ^delta
			s.hi[w] = (alpha ^ gamma) | delta
		}
		s.lo[stateWords-1] &= topMask
		s.hi[stateWords-1] &= topMask
	}
}

// rotate sets dst[j] = src[(j+k) mod 729] for 0 ≤ k < 729: it lays out
// src twice in a row and takes 729 bits from bit k. Bits past 729 of src
// are zero and stay zero in dst.
func rotate(dst, src *bitTrits, k int) {
	const w0, b0 = curl.StateSize / 64, curl.StateSize % 64 // where the copy starts
	var twice [2 * stateWords]uint64
	copy(twice[:], src[:])
	for i := range stateWords {
		twice[w0+i] |= src[i] << b0
		twice[w0+i+1] |= src[i] >> (64 - b0)
	}
	w, b := k>>6, uint(k&63)
	from := twice[w : w+stateWords+1]
	for i := range stateWords {
		dst[i] = from[i]>>b | from[i+1]<<(64-b)
	}
	dst[stateWords-1] &= topMask
}
