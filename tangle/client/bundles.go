package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	txs, _, err := c.Fetch(ctx, hashes)
	if err != nil {
		return nil, fmt.Errorf("bundles at %s: %w", address, err)
	}
	return c.assemble(address, txs), nil
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

// errIncomplete marks a bundle of which a transaction is missing.
var errIncomplete = errors.New("incomplete")

func chain(tail *transaction.Transaction, txs map[trinary.Hash]*transaction.Transaction, address trinary.Hash) (bundle.Bundle, error) {
	if tail.LastIndex >= uint64(len(txs)) {
		return nil, fmt.Errorf("%w: last index %d but only %d transactions at the address", errIncomplete, tail.LastIndex, len(txs))
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
			return nil, fmt.Errorf("%w: transaction %d of %d missing", errIncomplete, i+1, tail.LastIndex+1)
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

// ErrTooManyResults means a findTransactions query matched more than the
// caller's limit, or more than the node answers (IRI and the dev node refuse
// such a query; Hornet cuts it off silently at its limit, 1,000 by
// default, which FindByTag cannot tell from a complete answer).
var ErrTooManyResults = errors.New("findTransactions: too many results")

// hashListBytes is what one hash costs in a findTransactions response:
// 81 trytes, quotes and a comma.
const hashListBytes = 84

// FindByTag returns the hashes of the transactions with the given tag,
// whatever their address, or ErrTooManyResults if there are more than
// limit. The response is read only up to the size of limit hashes, so a
// flooded tag costs this client a bounded download.
//
// Tags alone, not addresses ∩ tags: IRI intersects the two, but Hornet 0.4
// returns their union and Hornet 0.5 cuts the address's transactions off at
// its result limit before intersecting, so on Hornet a flood at the address
// would hide the tag's transactions (docs/tangle.md).
func (c *Client) FindByTag(ctx context.Context, tag trinary.Trytes, limit int) (trinary.Hashes, error) {
	a, err := c.composeLimited(ctx, int64(limit*hashListBytes+1024))
	if err != nil {
		return nil, err
	}
	hashes, err := a.FindTransactions(api.FindTransactionsQuery{Tags: trinary.Hashes{bundle.PadTag(tag)}})
	var reqErr *api.ErrRequestError
	switch {
	case errors.Is(err, errResponseTooLarge):
		return nil, fmt.Errorf("find tag %s: %w", tag, ErrTooManyResults)
	case errors.As(err, &reqErr) && reqErr.Code == http.StatusBadRequest && isOverMax(reqErr.ErrorMessage):
		return nil, fmt.Errorf("find tag %s: %w (%s)", tag, ErrTooManyResults, reqErr.ErrorMessage)
	case err != nil:
		return nil, fmt.Errorf("find tag %s: %w", tag, err)
	case len(hashes) > limit:
		return nil, fmt.Errorf("find tag %s: %d results: %w", tag, len(hashes), ErrTooManyResults)
	}
	return hashes, nil
}

// isOverMax recognises a node's refusal of a query with too many results:
// IRI's "Could not complete request", the dev node's "more than N
// transactions match".
func isOverMax(msg string) bool {
	return strings.Contains(msg, "Could not complete request") || strings.Contains(msg, "transactions match")
}

// Fetch returns the transactions with the given hashes that the node
// serves. A hash the node does not have (yet: a node may list a transaction
// before it serves it) comes back as all 9s and is left out, to be asked
// again later; a transaction that does not parse is in bad.
func (c *Client) Fetch(ctx context.Context, hashes trinary.Hashes) (txs map[trinary.Hash]*transaction.Transaction, bad trinary.Hashes, err error) {
	a, err := c.compose(ctx)
	if err != nil {
		return nil, nil, err
	}
	txs = make(map[trinary.Hash]*transaction.Transaction, len(hashes))
	for batch := range slices.Chunk(hashes, getTrytesBatch) {
		trytes, err := a.GetTrytes(batch...)
		if err != nil {
			return nil, nil, fmt.Errorf("getTrytes: %w", err)
		}
		if len(trytes) != len(batch) {
			return nil, nil, fmt.Errorf("getTrytes: asked for %d transactions, got %d", len(batch), len(trytes))
		}
		for i, t := range trytes {
			if strings.Trim(t, "9") == "" {
				continue
			}
			// The node's hash is taken as is: recomputing it (Curl-P81)
			// would cost more than everything else a fetch does, and
			// protects nothing that bundle validation and MAM signatures
			// do not (a lying node can withhold transactions anyway).
			tx, err := transaction.AsTransactionObject(t, batch[i])
			if err != nil {
				c.log.Warn("skipping unparsable transaction", "hash", batch[i], "err", err)
				bad = append(bad, batch[i])
				continue
			}
			txs[tx.Hash] = tx
		}
	}
	return txs, bad, nil
}

// Assembly is what Assemble makes of a set of transactions.
type Assembly struct {
	// Bundles are the complete, valid bundles, tail first, sorted by the
	// tail's attachment timestamp, then tail hash.
	Bundles []bundle.Bundle
	// Rejected are transactions that can never be part of a valid bundle at
	// the address: at another address, or tails of bundles that are
	// inconsistent or fail validation. Every other transaction that is in no
	// bundle may still complete one (its tail or a middle transaction may
	// not have reached the node yet).
	Rejected trinary.Hashes
}

// Assemble groups transactions into the bundles at address by following
// each tail's trunk chain, the way IRI links a bundle. Unlike Bundles it
// keeps every attachment of a bundle: a reader that tracks what it has
// processed by transaction hash decides itself what is a duplicate.
func (c *Client) Assemble(address trinary.Hash, txs map[trinary.Hash]*transaction.Transaction) Assembly {
	var out Assembly
	for h, tx := range txs {
		if tx.Address != address {
			out.Rejected = append(out.Rejected, h)
			continue
		}
		if tx.CurrentIndex != 0 {
			continue
		}
		b, err := chain(tx, txs, address)
		switch {
		case errors.Is(err, errIncomplete):
		case err != nil:
			// Debug: under a flood this would be a line per junk bundle;
			// the caller reports how many it skipped.
			c.log.Debug("skipping bundle", "address", address, "bundle", tx.Bundle, "tail", tx.Hash, "err", err)
			out.Rejected = append(out.Rejected, h)
		default:
			out.Bundles = append(out.Bundles, b)
		}
	}
	slices.SortFunc(out.Bundles, func(x, y bundle.Bundle) int {
		if attachedBefore(x[0], y[0]) {
			return -1
		}
		return 1
	})
	return out
}
