package node

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/store/tanglestore"
	"iotahome/tangle/node/bctcurl"
)

// minBatchHash is the smallest group of transactions worth hashing with the
// 64-lane bctcurl: one bctcurl pass costs about four single Curl hashes.
const minBatchHash = 4

// validateTransactions checks the elements of a "trytes" list the way IRI
// does before it stores them: 2673 trytes of the tryte alphabet, well-formed
// value and index fields, and a Curl-P81 hash with at least mwm trailing
// zero trits (the proof of work). It returns the transactions with the
// fields the store indexes, or the first error in list order (structure
// first, then proof of work).
func validateTransactions(items []string, mwm int, now time.Time) ([]tanglestore.Transaction, error) {
	if len(items) == 0 {
		return nil, badRequestf(`invalid params: "trytes" must be a non-empty list`)
	}
	trits := make([]trinary.Trits, len(items))
	txs := make([]*transaction.Transaction, len(items))
	for i, s := range items {
		name := fmt.Sprintf("trytes[%d]", i)
		if err := checkTrytes(name, s, transactionTrytes); err != nil {
			return nil, err
		}
		trits[i] = trinary.MustTrytesToTrits(s)
		tx, err := transaction.ParseTransaction(trits[i], true)
		if err != nil {
			return nil, badRequestf("invalid %s: malformed transaction: %v", name, err)
		}
		if tx.Value > int64(consts.TotalSupply) || tx.Value < -int64(consts.TotalSupply) {
			return nil, badRequestf("invalid %s: value %d exceeds the total supply", name, tx.Value)
		}
		txs[i] = tx
	}
	hashes, err := hashAll(trits)
	if err != nil {
		return nil, err
	}
	out := make([]tanglestore.Transaction, len(items))
	for i, h := range hashes {
		hash := trinary.MustTritsToTrytes(h)
		if zeros := trinary.TrailingZeros(h); zeros < mwm {
			return nil, badRequestf(
				"invalid trytes[%d]: insufficient proof of work: hash %s ends in %d zero trits, the node requires minWeightMagnitude %d",
				i, hash, zeros, mwm)
		}
		tx := txs[i]
		out[i] = tanglestore.Transaction{
			Hash:         hash,
			Address:      tx.Address,
			Bundle:       tx.Bundle,
			Tag:          tx.Tag,
			Trunk:        tx.TrunkTransaction,
			Branch:       tx.BranchTransaction,
			CurrentIndex: tx.CurrentIndex,
			ArrivedAt:    now.UnixMilli(),
			Trytes:       items[i],
		}
	}
	return out, nil
}

// hashAll computes the Curl-P81 hashes of valid transaction trits on all
// cores: in groups of up to 64 with bctcurl, or one by one with iota.go's
// Curl when the groups would be too small to pay off.
func hashAll(trits []trinary.Trits) ([]trinary.Trits, error) {
	workers := runtime.GOMAXPROCS(0)
	group := min(bctcurl.Lanes, (len(trits)+workers-1)/workers)
	if group < minBatchHash {
		group = 1
	}
	hashes := make([]trinary.Trits, len(trits))
	errs := make([]error, (len(trits)+group-1)/group)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for g := range errs {
		start, end := g*group, min((g+1)*group, len(trits))
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if group == 1 {
				hashes[start], errs[g] = curl.HashTrits(trits[start])
				return
			}
			var hs []trinary.Trits
			hs, errs[g] = bctcurl.Hash(trits[start:end])
			copy(hashes[start:end], hs)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("hash transactions: %w", err)
		}
	}
	return hashes, nil
}
