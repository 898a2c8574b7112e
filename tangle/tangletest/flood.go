package tangletest

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iotaledger/iota.go/api"
	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/store/tanglestore"
)

// Flood attaches n junk zero-value transactions to address on the node at
// nodeURL, each a valid one-transaction bundle with a random message, under
// tag ("" gives each a random tag), as an attacker flooding the address
// would. It attaches 100 at a time at the given
// MWM, so flooding is fast on a node started with MWM 1.
func Flood(nodeURL string, mwm uint64, address trinary.Hash, tag trinary.Trytes, n int) error {
	a, err := api.ComposeAPI(api.HTTPClientSettings{URI: nodeURL})
	if err != nil {
		return err
	}
	ts := uint64(time.Now().Unix())
	for chunk := range slices.Chunk(make([]struct{}, n), 100) {
		var trytes []trinary.Trytes
		for range chunk {
			t := tag
			if t == "" {
				t = randomTrytes(consts.TagTrinarySize / 3)
			}
			b := bundle.AddEntry(nil, bundle.BundleEntry{
				Address: address, Length: 1, Tag: t, Timestamp: ts,
				SignatureMessageFragments: []trinary.Trytes{trinary.MustPad(randomTrytes(200), consts.SignatureMessageFragmentSizeInTrytes)},
			})
			b[0].ObsoleteTag = bundle.PadTag(randomTrytes(27))
			b, err := bundle.Finalize(b)
			if err != nil {
				return fmt.Errorf("tangletest: flood: %w", err)
			}
			trytes = append(trytes, transaction.MustTransactionToTrytes(&b[0]))
		}
		tips, err := a.GetTransactionsToApprove(3)
		if err != nil {
			return fmt.Errorf("tangletest: flood: tips: %w", err)
		}
		attached, err := a.AttachToTangle(tips.TrunkTransaction, tips.BranchTransaction, mwm, trytes)
		if err != nil {
			return fmt.Errorf("tangletest: flood: attach: %w", err)
		}
		if _, err := a.StoreTransactions(attached...); err != nil {
			return fmt.Errorf("tangletest: flood: store: %w", err)
		}
	}
	return nil
}

func randomTrytes(n int) trinary.Trytes {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = "9ABCDEFGHIJKLMNOPQRSTUVWXYZ"[b[i]%27]
	}
	return trinary.Trytes(b)
}

// Inject writes n junk transactions at address under tag ("" gives each a
// random tag) straight into the node's database, skipping proof of work and
// validation: a quick way to give an address 100,000 transactions for a
// benchmark of what reading it costs. Each is a one-transaction zero-value
// bundle with a random message (and a wrong bundle hash, as much junk is).
func (n *Node) Inject(address trinary.Hash, tag trinary.Trytes, count int) error {
	ctx := context.Background()
	st, err := tanglestore.Open(ctx, n.DBPath)
	if err != nil {
		return fmt.Errorf("tangletest: inject: %w", err)
	}
	defer st.Close()
	now := time.Now()
	for chunk := range slices.Chunk(make([]struct{}, count), 5000) {
		txs := make([]tanglestore.Transaction, len(chunk))
		for i := range chunk {
			t := tag
			if t == "" {
				t = randomTrytes(consts.TagTrinarySize / 3)
			}
			tx := transaction.Transaction{
				SignatureMessageFragment: trinary.MustPad(randomTrytes(200), consts.SignatureMessageFragmentSizeInTrytes),
				Address:                  address, ObsoleteTag: bundle.PadTag(t), Tag: bundle.PadTag(t),
				Timestamp: uint64(now.Unix()), Bundle: randomTrytes(81),
				TrunkTransaction: nullHash, BranchTransaction: nullHash,
				AttachmentTimestamp: now.UnixMilli(), AttachmentTimestampUpperBound: 3812798742493,
				Nonce: randomTrytes(27),
			}
			hash := randomTrytes(78) + "999"
			txs[i] = tanglestore.Transaction{Hash: hash, Address: address, Bundle: tx.Bundle, Tag: tx.Tag,
				Trunk: nullHash, Branch: nullHash, ArrivedAt: now.UnixMilli(), Trytes: transaction.MustTransactionToTrytes(&tx)}
		}
		if _, err := st.Insert(ctx, txs); err != nil {
			return fmt.Errorf("tangletest: inject: %w", err)
		}
	}
	return nil
}

var nullHash = trinary.Hash(strings.Repeat("9", consts.HashTrytesSize))
