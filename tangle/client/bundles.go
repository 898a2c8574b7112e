package client

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/iotaledger/iota.go/api"
	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"
)

// getTrytesBatch is how many hashes go into one getTrytes request; IRI's
// default limit is 10,000, smaller requests keep memory flat.
const getTrytesBatch = 1000

// Bundles returns every complete, valid bundle that has all its
// transactions at address, tail first, sorted by the tail's attachment
// timestamp, then tail hash. Several attachments of the same bundle (same
// bundle hash and message) are returned once, as the earliest.
//
// The bundle hash does not cover the message fragments, so bundles with
// one hash but different messages are distinct bundles here: otherwise a
// copy of a bundle with another message and an earlier (self-declared)
// attachment time could hide the genuine one.
//
// Anything else found at the address is logged and skipped, never an
// error: transactions that do not parse, and bundles that are incomplete, inconsistent or
// fail bundle validation (wrong bundle hash, non-zero sum). Only failing
// to talk to the node is an error.
func (c *Client) Bundles(ctx context.Context, address trinary.Hash) ([]bundle.Bundle, error) {
	a, err := c.compose(ctx)
	if err != nil {
		return nil, err
	}
	address, err = withoutChecksum(address)
	if err != nil {
		return nil, fmt.Errorf("bundles: %w", err)
	}
	// iota.go's FindTransactions insists on a checksum (and strips it).
	query, err := withChecksum(address)
	if err != nil {
		return nil, fmt.Errorf("bundles: %w", err)
	}
	hashes, err := a.FindTransactions(api.FindTransactionsQuery{Addresses: trinary.Hashes{query}})
	if err != nil {
		return nil, fmt.Errorf("bundles: findTransactions at %s: %w", address, err)
	}
	txs, err := c.transactions(a, hashes)
	if err != nil {
		return nil, fmt.Errorf("bundles at %s: %w", address, err)
	}
	return c.assemble(address, txs), nil
}

// transactions fetches and parses the transactions with the given hashes,
// skipping (and logging) those that do not parse.
func (c *Client) transactions(a *api.API, hashes trinary.Hashes) (map[trinary.Hash]*transaction.Transaction, error) {
	txs := make(map[trinary.Hash]*transaction.Transaction, len(hashes))
	for batch := range slices.Chunk(hashes, getTrytesBatch) {
		trytes, err := a.GetTrytes(batch...)
		if err != nil {
			return nil, fmt.Errorf("getTrytes: %w", err)
		}
		if len(trytes) != len(batch) {
			return nil, fmt.Errorf("getTrytes: asked for %d transactions, got %d", len(batch), len(trytes))
		}
		for i, t := range trytes {
			// The node's hash is taken as is: recomputing it (Curl-P81)
			// would cost more than everything else a fetch does, and
			// protects nothing that bundle validation and MAM signatures
			// do not (a lying node can withhold transactions anyway).
			tx, err := transaction.AsTransactionObject(t, batch[i])
			if err != nil {
				c.log.Warn("skipping unparsable transaction", "hash", batch[i], "err", err)
				continue
			}
			txs[tx.Hash] = tx
		}
	}
	return txs, nil
}

// assemble groups transactions into bundles by following each tail's
// trunk chain, the way IRI links a bundle.
func (c *Client) assemble(address trinary.Hash, txs map[trinary.Hash]*transaction.Transaction) []bundle.Bundle {
	// Keyed by bundle hash and message: see Bundles.
	byContent := map[string]bundle.Bundle{}
	for _, tail := range txs {
		if tail.CurrentIndex != 0 {
			continue
		}
		b, err := chain(tail, txs, address)
		if err != nil {
			c.log.Warn("skipping bundle", "address", address, "bundle", tail.Bundle, "tail", tail.Hash, "err", err)
			continue
		}
		key := tail.Bundle + string(Message(b))
		if prev, ok := byContent[key]; ok && !attachedBefore(b[0], prev[0]) {
			continue // a later re-attachment of a bundle we already have
		}
		byContent[key] = b
	}
	out := make([]bundle.Bundle, 0, len(byContent))
	for _, b := range byContent {
		out = append(out, b)
	}
	slices.SortFunc(out, func(x, y bundle.Bundle) int {
		if attachedBefore(x[0], y[0]) {
			return -1
		}
		return 1
	})
	return out
}

func attachedBefore(x, y transaction.Transaction) bool {
	if x.AttachmentTimestamp != y.AttachmentTimestamp {
		return x.AttachmentTimestamp < y.AttachmentTimestamp
	}
	return strings.Compare(x.Hash, y.Hash) < 0
}

func chain(tail *transaction.Transaction, txs map[trinary.Hash]*transaction.Transaction, address trinary.Hash) (bundle.Bundle, error) {
	if tail.LastIndex >= uint64(len(txs)) {
		return nil, fmt.Errorf("incomplete: last index %d but only %d transactions at the address", tail.LastIndex, len(txs))
	}
	b := make(bundle.Bundle, 0, tail.LastIndex+1)
	tx := tail
	for i := uint64(0); ; i++ {
		switch {
		case tx.Bundle != tail.Bundle:
			return nil, fmt.Errorf("transaction %d belongs to bundle %s", i, tx.Bundle)
		case tx.CurrentIndex != i || tx.LastIndex != tail.LastIndex:
			return nil, fmt.Errorf("transaction %d has index %d/%d, want %d/%d", i, tx.CurrentIndex, tx.LastIndex, i, tail.LastIndex)
		case tx.Address != address:
			return nil, fmt.Errorf("transaction %d is at another address", i)
		}
		b = append(b, *tx)
		if i == tail.LastIndex {
			break
		}
		next, ok := txs[tx.TrunkTransaction]
		if !ok {
			return nil, fmt.Errorf("incomplete: transaction %d of %d missing", i+1, tail.LastIndex+1)
		}
		tx = next
	}
	if err := bundle.ValidBundle(b); err != nil {
		return nil, fmt.Errorf("invalid: %w", err)
	}
	return b, nil
}

// Message concatenates the signature-message fragments of a bundle, in
// index order.
func Message(b bundle.Bundle) trinary.Trytes {
	var s strings.Builder
	s.Grow(len(b) * 2187)
	for _, tx := range b {
		s.WriteString(tx.SignatureMessageFragment)
	}
	return trinary.Trytes(s.String())
}
