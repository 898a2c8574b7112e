package node

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
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

// parseTransactions checks a "trytes" list parameter and the structure of
// each element the way IRI does before it stores or attaches anything:
// 2673 trytes of the tryte alphabet, the unused value trits zero, |value|
// within the total supply, currentIndex ≤ lastIndex, and a value
// transaction's address ending in a zero trit.
func parseTransactions(items []string) ([]trinary.Trits, []*transaction.Transaction, error) {
	if _, err := listParam("trytes", items, transactionTrytes); err != nil {
		return nil, nil, err
	}
	trits := make([]trinary.Trits, len(items))
	txs := make([]*transaction.Transaction, len(items))
	for i, s := range items {
		trits[i] = trinary.MustTrytesToTrits(s)
		tx, err := transaction.ParseTransaction(trits[i], true)
		if err != nil {
			return nil, nil, badRequestf("Invalid transaction: trytes[%d] is malformed: %v", i, err)
		}
		if tx.Value > int64(consts.TotalSupply) || tx.Value < -int64(consts.TotalSupply) {
			return nil, nil, badRequestf("Invalid transaction value: trytes[%d] has value %d, beyond the total supply", i, tx.Value)
		}
		if tx.Value != 0 && trinary.MustTrytesToTrits(tx.Address)[consts.HashTrinarySize-1] != 0 {
			return nil, nil, badRequestf("Invalid transaction address: trytes[%d] moves value with an address whose last trit is not 0", i)
		}
		txs[i] = tx
	}
	return trits, txs, nil
}

// attachable checks attachToTangle's "trytes" and returns them in the
// order IRI processes them: highest currentIndex first (a bundle's last
// transaction first), whatever order the client sent.
func attachable(items []string) ([]trinary.Trytes, error) {
	_, txs, err := parseTransactions(items)
	if err != nil {
		return nil, err
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(txs[b].CurrentIndex, txs[a].CurrentIndex) })
	out := make([]trinary.Trytes, len(items))
	for i, j := range order {
		out[i] = items[j]
	}
	return out, nil
}

// validateTransactions checks the elements of a "trytes" list the way IRI
// does before it stores them: parseTransactions, then a Curl-P81 hash with
// at least mwm trailing zero trits (the proof of work) that is not the null
// hash. It returns the transactions with the fields the store indexes, or
// the first error in list order (structure first, then proof of work).
func validateTransactions(items []string, mwm int, now time.Time) ([]tanglestore.Transaction, error) {
	trits, txs, err := parseTransactions(items)
	if err != nil {
		return nil, err
	}
	hashes, err := hashAll(trits)
	if err != nil {
		return nil, err
	}
	out := make([]tanglestore.Transaction, len(items))
	for i, h := range hashes {
		hash := trinary.MustTritsToTrytes(h)
		if hash == nullHash {
			// The all-9s transaction hashes to all zeros, which meets any
			// MWM: it is IRI's genesis placeholder, not a transaction (IRI
			// refuses it for its zero timestamp).
			return nil, badRequestf("Invalid transaction hash: trytes[%d] is the null transaction (all 9s, hash 999…9), which carries no proof of work", i)
		}
		if zeros := trinary.TrailingZeros(h); zeros < mwm {
			return nil, badRequestf(
				"Invalid transaction hash: trytes[%d] has insufficient proof of work: hash %s ends in %d zero trits, the node requires minWeightMagnitude %d",
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
