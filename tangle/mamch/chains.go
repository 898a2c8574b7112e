package mamch

import (
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/trinary"
)

// MAM's one-time signatures hash each of 27 (per security level) key or
// signature segments up to 26 times with Curl-P27, one segment after the
// other: about 700 Curl transforms per message, 90% of the cost of
// reading a channel. The chains are independent, so hashChains runs 64 of
// them at once, bit-sliced (one bit per chain in each of two uint64 words
// per trit, the representation of iota.go's pow package), at about the
// cost of one transform per step. A lane whose chain is done takes the
// next chain, so verifying many messages' signatures in one call costs
// about (total chain length)/64 transforms: a signature's chains are 13
// steps long on average but 26 for the longest.

const lanes = 64

// hashChains replaces every segs[i] (243 trits) by the result of hashing
// it counts[i] times, each time as iota.go's mam/v1 signing code does:
// reset a Curl-P27 sponge, absorb the segment, take the first 243 trits of
// the state.
func hashChains(segs []trinary.Trits, counts []int) {
	var (
		seg     bitState // the chains' current values; only the first 243 trits are used
		st, tmp bitState
		chain   [lanes]int // which chain a lane is hashing
		left    [lanes]int // how many steps that chain still needs
		active  uint64     // lanes with a chain
		next    int        // the next chain to start
	)
	// start puts the next chain that needs hashing into lane l.
	start := func(l int) {
		for next < len(segs) && counts[next] <= 0 {
			next++
		}
		if next == len(segs) {
			active &^= 1 << l
			return
		}
		setLane(&seg, l, segs[next])
		chain[l], left[l] = next, counts[next]
		active |= 1 << l
		next++
	}
	for l := range lanes {
		start(l)
	}
	for active != 0 {
		copy(st.low[:consts.HashTrinarySize], seg.low[:consts.HashTrinarySize])
		copy(st.high[:consts.HashTrinarySize], seg.high[:consts.HashTrinarySize])
		for p := consts.HashTrinarySize; p < curl.StateSize; p++ {
			st.low[p], st.high[p] = ^uint64(0), ^uint64(0)
		}
		transform(&st, &tmp, int(curl.CurlP27))
		for p := range consts.HashTrinarySize {
			seg.low[p] = st.low[p]&active | seg.low[p]&^active
			seg.high[p] = st.high[p]&active | seg.high[p]&^active
		}
		for l := range lanes {
			if active>>l&1 == 0 {
				continue
			}
			if left[l]--; left[l] == 0 {
				getLane(&seg, l, segs[chain[l]])
				start(l)
			}
		}
	}
}

// bitState is a Curl state of 64 lanes: trit 0 is (1,1), 1 is (0,1),
// -1 is (1,0) in (low, high).
type bitState struct {
	low, high [curl.StateSize]uint64
}

// setLane and getLane move a segment in and out of a lane without
// branches (trits are random: a branch per trit would be mispredicted
// half the time).
func setLane(b *bitState, lane int, t trinary.Trits) {
	keep := ^(uint64(1) << lane)
	for p, v := range t[:consts.HashTrinarySize] {
		l := uint64(uint8(v-1) >> 7) // v ≤ 0
		h := uint64(uint8(^v) >> 7)  // v ≥ 0
		b.low[p] = b.low[p]&keep | l<<lane
		b.high[p] = b.high[p]&keep | h<<lane
	}
}

func getLane(b *bitState, lane int, t trinary.Trits) {
	for p := range t[:consts.HashTrinarySize] {
		t[p] = int8(b.high[p]>>lane&1) - int8(b.low[p]>>lane&1)
	}
}

// transform applies the Curl permutation to all lanes and leaves the
// first 243 trits of the result (all that hashChains reads) in st; the rest
// of st and tmp are scratch space. Like sponge.transform it keeps the
// state permuted so that a round pairs trit j with trit j+d (mod 729)
// instead of looking up curl.Indices, and puts the hash part back in order
// at the end.
func transform(st, tmp *bitState, rounds int) {
	from, to := st, tmp
	d := 1
	for range rounds {
		d = d * 364 % curl.StateSize
		n := curl.StateSize - d
		sbox(to.low[:n], to.high[:n], from.low[:n], from.high[:n], from.low[d:], from.high[d:])
		sbox(to.low[n:], to.high[n:], from.low[n:], from.high[n:], from.low[:d], from.high[:d])
		from, to = to, from
	}
	var low, high [consts.HashTrinarySize]uint64
	j := 0 // trit k is at k·d
	for k := range low {
		low[k], high[k] = from.low[j], from.high[j]
		if j += d; j >= curl.StateSize {
			j -= curl.StateSize
		}
	}
	copy(st.low[:], low[:])
	copy(st.high[:], high[:])
}

// sbox sets trit i of t to Curl's S-box of a[i] and b[i], bit-sliced
// (the formula of iota.go's pow package).
func sbox(tLow, tHigh, aLow, aHigh, bLow, bHigh []uint64) {
	n := len(tLow)
	_, _, _, _, _ = tHigh[n-1], aLow[n-1], aHigh[n-1], bLow[n-1], bHigh[n-1]
	for i := range n {
		alpha, beta, gamma := aLow[i], aHigh[i], bHigh[i]
		delta := (alpha | ^gamma) & (bLow[i] ^ beta)
		tLow[i] = ^delta
		tHigh[i] = (alpha ^ gamma) | delta
	}
}
