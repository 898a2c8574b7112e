package node

import (
	"context"
	"fmt"

	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"
)

type consistencyResponse struct {
	State bool   `json:"state"`
	Info  string `json:"info,omitempty"`
	timed
}

// checkConsistency follows IRI: unknown or non-tail transactions are a bad
// request; a tail is consistent when its whole bundle is stored, valid
// (structure, bundle hash, signatures) and everything the bundle approves
// is stored or is the null hash. Without a ledger there are no conflicting
// spends to find, and solidity is checked one level deep, not down to a
// milestone.
func (n *Node) checkConsistency(ctx context.Context, req *Request) (response, error) {
	tails, err := hashList("tails", req.Tails)
	if err != nil {
		return nil, err
	}
	trytes, err := n.store.Trytes(ctx, tails)
	if err != nil {
		return nil, err
	}
	txs := make([]*transaction.Transaction, len(tails))
	for i, t := range trytes {
		if t == "" {
			return nil, badRequestf("Invalid transaction, missing: %s", tails[i])
		}
		tx, err := transaction.AsTransactionObject(t, tails[i])
		if err != nil {
			return nil, fmt.Errorf("parse stored transaction %s: %w", tails[i], err)
		}
		if tx.CurrentIndex != 0 {
			return nil, badRequestf("Invalid transaction, not a tail: %s", tails[i])
		}
		txs[i] = tx
	}
	for _, tail := range txs {
		if info, err := n.bundleProblem(ctx, tail); err != nil {
			return nil, err
		} else if info != "" {
			return &consistencyResponse{State: false, Info: info}, nil
		}
	}
	return &consistencyResponse{State: true}, nil
}

// bundleProblem describes why the bundle starting at tail is not consistent,
// or returns "".
func (n *Node) bundleProblem(ctx context.Context, tail *transaction.Transaction) (string, error) {
	bndl := bundle.Bundle{*tail}
	for cur := tail; cur.CurrentIndex < cur.LastIndex; {
		found, err := n.store.Trytes(ctx, []trinary.Hash{cur.TrunkTransaction})
		if err != nil {
			return "", err
		}
		if found[0] == "" {
			return "tails are not solid (missing a referenced tx): " + tail.Hash, nil
		}
		next, err := transaction.AsTransactionObject(found[0], cur.TrunkTransaction)
		if err != nil {
			return "", fmt.Errorf("parse stored transaction %s: %w", cur.TrunkTransaction, err)
		}
		if next.Bundle != tail.Bundle || next.CurrentIndex != cur.CurrentIndex+1 {
			return "tails are not consistent (bundle is invalid): " + tail.Hash, nil
		}
		bndl = append(bndl, *next)
		cur = next
	}
	if err := bundle.ValidBundle(bndl); err != nil {
		return "tails are not consistent (bundle is invalid): " + tail.Hash, nil
	}
	// The bundle's own chain is stored; what it approves from outside must
	// be too.
	var outside []trinary.Hash
	for _, tx := range bndl {
		if tx.CurrentIndex == tx.LastIndex {
			outside = append(outside, tx.TrunkTransaction)
		}
		outside = append(outside, tx.BranchTransaction)
	}
	var lookup []trinary.Hash
	for _, h := range outside {
		if h != nullHash {
			lookup = append(lookup, h)
		}
	}
	found, err := n.store.Trytes(ctx, lookup)
	if err != nil {
		return "", err
	}
	for i, t := range found {
		if t == "" {
			return fmt.Sprintf("tails are not solid (missing a referenced tx): %s approves unknown %s", tail.Hash, lookup[i]), nil
		}
	}
	return "", nil
}
