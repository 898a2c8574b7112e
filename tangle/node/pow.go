package node

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/pow"
	"github.com/iotaledger/iota.go/trinary"
)

// Trit offsets of the nonce within the 243 trits the PoW search hashes
// last: the nonce is the last 81 of them. The 64 lanes differ in its first
// four trits, pow.Loop counts up from the fifth, and each worker starts at
// its own value of the nonce's last 27 trits, which that count never
// reaches, so workers never try the same nonce. (iota.go's own search
// offsets its workers where pow.Loop counts, so they mostly repeat each
// other's work.)
const (
	nonceStart  = consts.HashTrinarySize - consts.NonceTrinarySize
	workerStart = consts.HashTrinarySize - consts.NonceTrinarySize/3
)

// powName is the implementation getNodeInfo reports.
const powName = "Go (interruptible)"

// searchNonce finds a nonce that gives the transaction's Curl-P81 hash at
// least mwm trailing zero trits, on workers goroutines, and stops as soon
// as ctx ends. It is iota.go's pure-Go search (PearlDiver: 64 nonces per
// step, bit-sliced, on iota.go's pow.Loop) driven so that it can be
// stopped: iota.go's own entry points, and its AVX and C searches, run
// until they find a nonce. running counts the node's live search
// goroutines (tests check that none survives an interrupt).
func searchNonce(ctx context.Context, trytes trinary.Trytes, mwm, workers int, running *atomic.Int32) (trinary.Trytes, error) {
	tr, err := trinary.TrytesToTrits(trytes)
	if err != nil || len(tr) != consts.TransactionTrinarySize {
		return "", errors.New("proof of work: not a transaction")
	}
	// Absorb everything but the last 243 trits once; only the last block
	// (which holds the nonce) is hashed per try.
	c := curl.NewCurlP81().(*curl.Curl)
	if err := c.Absorb(tr[:consts.TransactionTrinarySize-consts.HashTrinarySize]); err != nil {
		return "", err
	}
	copy(c.State, tr[consts.TransactionTrinarySize-consts.HashTrinarySize:])

	var stop int32
	found := make(chan trinary.Trits, workers)
	var wg sync.WaitGroup
	for w := range workers {
		running.Add(1)
		wg.Go(func() {
			defer running.Add(-1)
			low, high := pow.Para(c.State)
			// The first four nonce trits spread the 64 lanes over the
			// values PearlDiver uses.
			low[nonceStart], high[nonceStart] = pow.PearlDiverMidStateLow0, pow.PearlDiverMidStateHigh0
			low[nonceStart+1], high[nonceStart+1] = pow.PearlDiverMidStateLow1, pow.PearlDiverMidStateHigh1
			low[nonceStart+2], high[nonceStart+2] = pow.PearlDiverMidStateLow2, pow.PearlDiverMidStateHigh2
			low[nonceStart+3], high[nonceStart+3] = pow.PearlDiverMidStateLow3, pow.PearlDiverMidStateHigh3
			for range w {
				incrementLanes(low, high, workerStart, consts.HashTrinarySize)
			}
			nonce, _, lane := pow.Loop(low, high, mwm, &stop, zeroLane, int(curl.CurlP81))
			if lane >= 0 {
				found <- nonce
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var nonce trinary.Trits
	select {
	case nonce = <-found:
	case <-ctx.Done():
	case <-done: // cannot happen before a find or a stop
	}
	atomic.StoreInt32(&stop, 1)
	<-done
	if nonce == nil {
		return "", ctx.Err()
	}
	return trinary.MustTritsToTrytes(nonce), nil
}

// incrementLanes adds one to the bit-sliced number in trits [from, to) of
// every lane (least significant trit first).
func incrementLanes(low, high *[curl.StateSize]uint64, from, to int) {
	carry := ^uint64(0)
	for i := from; i < to && carry != 0; i++ {
		l, h := low[i], high[i]
		// Per lane: -1 → 0, 0 → 1, 1 → -1 with a carry; only lanes that
		// still carry change.
		nl, nh := h^l, l
		low[i] = l&^carry | nl&carry
		high[i] = h&^carry | nh&carry
		carry &= h &^ l
	}
}

// zeroLane returns a lane whose last m hash trits are all zero, or -1.
// (In the bit-sliced encoding a trit is zero when its low and high bits
// are both set.)
func zeroLane(low, high *[curl.StateSize]uint64, m int) int {
	lanes := ^uint64(0)
	for i := consts.HashTrinarySize - m; i < consts.HashTrinarySize; i++ {
		lanes &= low[i] & high[i]
		if lanes == 0 {
			return -1
		}
	}
	for lane := range 64 {
		if lanes>>lane&1 == 1 {
			return lane
		}
	}
	return -1
}
