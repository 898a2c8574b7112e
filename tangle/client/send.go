package client

import (
	"context"
	"fmt"
	"time"

	"github.com/iotaledger/iota.go/address"
	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/checksum"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/seed"
)

// tipDepth is the depth passed to getTransactionsToApprove; 3 is what
// iota.go and the IOTA wallets use.
const tipDepth = 3

// Send attaches message (any number of trytes; split over as many
// transactions as needed, 2187 trytes each) to address as one zero-value
// bundle with a random tag: tip selection, proof of work (local or remote),
// store and broadcast. It returns the attached bundle, tail first.
func (c *Client) Send(ctx context.Context, address trinary.Hash, message trinary.Trytes) (bundle.Bundle, error) {
	return c.SendTagged(ctx, address, "", message)
}

// SendTagged is Send with the given tag (at most 27 trytes; "" means a
// random one), which readers can find the bundle by (findTransactions by
// tag).
//
// The first transaction's obsolete tag is random either way. The bundle
// hash covers address, value, obsolete tag, timestamp (seconds) and indexes
// but not the message or the tag, so without it two messages of equal
// length sent to one address within a second would share a bundle hash.
func (c *Client) SendTagged(ctx context.Context, address trinary.Hash, tag, message trinary.Trytes) (bundle.Bundle, error) {
	a, err := c.compose(ctx)
	if err != nil {
		return nil, err
	}
	if err := trinary.ValidTrytes(message); err != nil && message != "" {
		return nil, fmt.Errorf("send: message: %w", err)
	}
	if len(tag) > consts.TagTrinarySize/3 || (tag != "" && trinary.ValidTrytes(tag) != nil) {
		return nil, fmt.Errorf("send: tag %q is not at most 27 trytes", tag)
	}
	to, err := withoutChecksum(address)
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	random, err := seed.New()
	if err != nil {
		return nil, fmt.Errorf("send: random tag: %w", err)
	}
	if tag == "" {
		tag = random[consts.TagTrinarySize/3:][:consts.TagTrinarySize/3]
	}
	trytes, err := zeroValueBundle(to, tag, random[:consts.TagTrinarySize/3], message)
	if err != nil {
		return nil, fmt.Errorf("send: prepare transfer to %s: %w", address, err)
	}
	b, err := a.SendTrytes(trytes, tipDepth, c.cfg.MWM)
	if err != nil {
		return nil, fmt.Errorf("send: attach bundle to %s via %s: %w", address, c.cfg.NodeURL, err)
	}
	return tailFirst(b), nil
}

// zeroValueBundle builds the transactions of a zero-value bundle carrying
// message to address, as iota.go's PrepareTransfers does, but with the
// first transaction's obsolete tag set to obsoleteTag.
func zeroValueBundle(to trinary.Hash, tag, obsoleteTag, message trinary.Trytes) ([]trinary.Trytes, error) {
	entries, err := bundle.TransfersToBundleEntries(uint64(time.Now().Unix()),
		bundle.Transfer{Address: to, Value: 0, Message: message, Tag: tag})
	if err != nil {
		return nil, err
	}
	var txs bundle.Bundle
	for _, e := range entries {
		txs = bundle.AddEntry(txs, e)
	}
	txs[0].ObsoleteTag = bundle.PadTag(obsoleteTag)
	txs, err = bundle.Finalize(txs)
	if err != nil {
		return nil, err
	}
	return transaction.FinalTransactionTrytes(txs)
}

// withoutChecksum accepts an address of 81 trytes, or 90 with a valid
// checksum, and returns the 81-tryte form.
func withoutChecksum(a trinary.Hash) (trinary.Hash, error) {
	switch {
	case guards.IsTrytesOfExactLength(a, consts.HashTrytesSize):
		return a, nil
	case guards.IsTrytesOfExactLength(a, consts.AddressWithChecksumTrytesSize):
		if err := address.ValidAddress(a); err != nil {
			return "", fmt.Errorf("address %s: %w", a, err)
		}
		return a[:consts.HashTrytesSize], nil
	}
	return "", fmt.Errorf("address %q: want 81 trytes, or 90 with checksum", a)
}

// withChecksum returns the 90-tryte form iota.go's PrepareTransfers wants.
func withChecksum(a trinary.Hash) (trinary.Hash, error) {
	a, err := withoutChecksum(a)
	if err != nil {
		return "", err
	}
	return checksum.AddChecksum(a, true, consts.AddressChecksumTrytesSize)
}

// tailFirst orders a bundle's transactions by currentIndex.
func tailFirst(b bundle.Bundle) bundle.Bundle {
	out := make(bundle.Bundle, len(b))
	for _, tx := range b {
		if tx.CurrentIndex < uint64(len(out)) {
			out[tx.CurrentIndex] = tx
		}
	}
	return out
}
