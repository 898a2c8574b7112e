package node

import (
	"context"
	"fmt"

	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"
)

type consistencyResponse struct {
	State bool `json:"state"`
	// Info is always there, "" when consistent, as in IRI's answer.
	Info string `json:"info"`
	timed
}

// checkConsistency follows IRI: unknown or non-tail transactions are a bad
// request; a tail is consistent when its whole bundle is stored, valid
// (structure, bundle hash, signatures) and everything the bundle approves
// is stored or is the null hash. Without a ledger there are no conflicting
// spends to find, and solidity is checked one level deep, not down to a
// milestone. An empty list is consistent.
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
		if info, err := n.consistencyProblem(ctx, tail); err != nil {
			return nil, err
		} else if info != "" {
			return &consistencyResponse{State: false, Info: info}, nil
		}
	}
	return &consistencyResponse{State: true}, nil
}

// consistencyProblem describes why the bundle starting at tail is not
// consistent, or returns "".
func (n *Node) consistencyProblem(ctx context.Context, tail *transaction.Transaction) (string, error) {
	bndl, problem, err := n.tailBundle(ctx, tail)
	if err != nil || problem != "" {
		return problem, err
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

// tailBundle follows the trunk chain from tail to the bundle's last
// transaction and validates the bundle (iota.go's bundle.ValidBundle:
// indexes, bundle hash, zero sum, signatures). problem says, in IRI's
// words, why there is no valid bundle ("" when there is).
func (n *Node) tailBundle(ctx context.Context, tail *transaction.Transaction) (bundle.Bundle, string, error) {
	bndl := bundle.Bundle{*tail}
	for cur := tail; cur.CurrentIndex < cur.LastIndex; {
		found, err := n.store.Trytes(ctx, []trinary.Hash{cur.TrunkTransaction})
		if err != nil {
			return nil, "", err
		}
		if found[0] == "" {
			return nil, "tails are not solid (missing a referenced tx): " + tail.Hash, nil
		}
		next, err := transaction.AsTransactionObject(found[0], cur.TrunkTransaction)
		if err != nil {
			return nil, "", fmt.Errorf("parse stored transaction %s: %w", cur.TrunkTransaction, err)
		}
		if next.Bundle != tail.Bundle || next.CurrentIndex != cur.CurrentIndex+1 {
			return nil, "tails are not consistent (bundle is invalid): " + tail.Hash, nil
		}
		bndl = append(bndl, *next)
		cur = next
	}
	if err := bundle.ValidBundle(bndl); err != nil {
		return nil, "tails are not consistent (bundle is invalid): " + tail.Hash, nil
	}
	return bndl, "", nil
}
