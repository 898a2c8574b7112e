package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/store/tanglestore"
	"iotahome/tangle/node/bctcurl"
)

const tryteAlphabet = "9ABCDEFGHIJKLMNOPQRSTUVWXYZ"

var nullHash = trinary.Hash(strings.Repeat("9", 81))

func randomTrytes(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tryteAlphabet[r.IntN(len(tryteAlphabet))]
	}
	return string(b)
}

// newTransaction builds the trytes of a zero-value single-transaction
// bundle with a full random message (a MAM-sized payload, the least
// compressible case for the store) and an all-9 nonce.
func newTransaction(r *rand.Rand, addr, trunk, branch trinary.Hash) trinary.Trytes {
	now := time.Now()
	tx := transaction.Transaction{
		SignatureMessageFragment:      randomTrytes(r, 2187),
		Address:                       addr,
		ObsoleteTag:                   "TANGLEBENCH9999999999999999",
		Timestamp:                     uint64(now.Unix()),
		Bundle:                        randomTrytes(r, 81),
		TrunkTransaction:              trunk,
		BranchTransaction:             branch,
		Tag:                           "TANGLEBENCH9999999999999999",
		AttachmentTimestamp:           now.UnixMilli(),
		AttachmentTimestampUpperBound: 3812798742493,
		Nonce:                         strings.Repeat("9", 27),
	}
	return transaction.MustTransactionToTrytes(&tx)
}

// hashGroup hashes up to 64 transactions with bctcurl.
func hashGroup(txs []trinary.Trytes) []trinary.Trits {
	trits := make([]trinary.Trits, len(txs))
	for i, t := range txs {
		trits[i] = trinary.MustTrytesToTrits(t)
	}
	hashes, err := bctcurl.Hash(trits)
	if err != nil {
		panic(err) // generated trytes are always valid
	}
	return hashes
}

// attachedTransactions makes n valid transactions meeting mwm (keep it at
// 1 or 2) on every core. Instead of a PoW search per transaction it draws
// random nonces for 64 candidates at a time and keeps those whose hash
// meets mwm: at MWM 1 one in three does. Each worker's transactions approve
// the worker's previous group (trunk), so the tip set stays small as in
// normal use.
func attachedTransactions(n int, mwm int) ([]trinary.Trytes, error) {
	if mwm > 2 {
		return nil, fmt.Errorf("attachedTransactions: MWM %d would take too long", mwm)
	}
	workers := runtime.NumCPU()
	parts := make([][]trinary.Trytes, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			want := n/workers + map[bool]int{true: 1}[w < n%workers]
			prev := nullHash
			for len(parts[w]) < want {
				group := make([]trinary.Trytes, bctcurl.Lanes)
				for i := range group {
					t := newTransaction(r, trinary.Hash(randomTrytes(r, 81)), prev, nullHash)
					group[i] = t[:len(t)-27] + randomTrytes(r, 27)
				}
				for i, h := range hashGroup(group) {
					if trinary.TrailingZeros(h) >= mwm && len(parts[w]) < want {
						parts[w] = append(parts[w], group[i])
						prev = trinary.MustTritsToTrytes(h)
					}
				}
			}
		})
	}
	wg.Wait()
	var out []trinary.Trytes
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}

// seed fills a new store at path with size transactions spread over
// size/perAddr random addresses (transaction i goes to address i mod
// count, so an address's transactions are scattered over the file) and
// returns the addresses. Rows are exactly what the node stores for such a
// transaction, real Curl-P81 hash included; only the proof of work is
// missing (all-9 nonce).
func seed(ctx context.Context, path string, size, perAddr int) ([]trinary.Hash, error) {
	r := rand.New(rand.NewPCG(1, 2))
	addrs := make([]trinary.Hash, max(1, size/perAddr))
	for i := range addrs {
		addrs[i] = randomTrytes(r, 81)
	}
	_, statErr := os.Stat(path)
	st, err := tanglestore.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if statErr == nil {
		// Seeded by an earlier run with -dir: the addresses are the same
		// (fixed random source), so reuse the file.
		if n, err := st.LastSeq(ctx); err != nil || n < int64(size) {
			return nil, fmt.Errorf("%s exists but holds %d transactions, not %d: remove it", path, n, size)
		}
		return addrs, nil
	}

	const batch = 1024
	batches := make(chan []tanglestore.Transaction, 4)
	workers := runtime.NumCPU()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 3))
			prev := nullHash
			for start := w * batch; start < size; start += workers * batch {
				rows := make([]tanglestore.Transaction, 0, batch)
				for g := start; g < min(start+batch, size); g += bctcurl.Lanes {
					group := make([]trinary.Trytes, 0, bctcurl.Lanes)
					for i := g; i < min(g+bctcurl.Lanes, start+batch, size); i++ {
						group = append(group, newTransaction(r, addrs[i%len(addrs)], prev, nullHash))
					}
					hashes := hashGroup(group)
					for i, t := range group {
						rows = append(rows, tanglestore.Transaction{
							Hash: trinary.MustTritsToTrytes(hashes[i]), Address: t[2187:2268], Bundle: t[2349:2430],
							Tag: t[2592:2619], Trunk: prev, Branch: nullHash, ArrivedAt: time.Now().UnixMilli(), Trytes: t,
						})
					}
					prev = rows[len(rows)-1].Hash
				}
				select {
				case batches <- rows:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(batches) }()
	for rows := range batches {
		if _, err := st.Insert(ctx, rows); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}
