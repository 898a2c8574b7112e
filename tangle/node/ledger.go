package node

import (
	"context"
	"fmt"

	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/store/tanglestore"
)

// The node has no ledger and no coordinator: these commands answer what a
// zero-value Tangle implies (docs/tangle-node.md, "Deviations from IRI").

type balancesResponse struct {
	Balances   []string       `json:"balances"`
	References []trinary.Hash `json:"references"`
	// Milestone is not in IRI 1.8's answer; iota.go reads it.
	Milestone      trinary.Hash `json:"milestone"`
	MilestoneIndex int64        `json:"milestoneIndex"`
	timed
}

// getBalances answers zero for every address: the development Tangle only
// carries zero-value transactions and has no ledger. As on IRI, "tips" (if
// present) must be stored transactions and become the references; without
// them the reference is the (null) latest milestone.
func (n *Node) getBalances(ctx context.Context, req *Request) (response, error) {
	addrs, err := hashList("addresses", req.Addresses)
	if err != nil {
		return nil, err
	}
	refs := []trinary.Hash{nullHash}
	if req.Tips != nil {
		if refs, err = hashList("tips", req.Tips); err != nil {
			return nil, err
		}
		found, err := n.store.Trytes(ctx, refs)
		if err != nil {
			return nil, err
		}
		for i, t := range found {
			if t == "" {
				return nil, badRequestf("Tip not found: %s", refs[i])
			}
		}
	}
	balances := make([]string, len(addrs))
	for i := range balances {
		balances[i] = "0"
	}
	return &balancesResponse{Balances: balances, References: refs, Milestone: nullHash}, nil
}

type statesResponse struct {
	States []bool `json:"states"`
	timed
}

// wereAddressesSpentFrom answers false for every address: nothing is ever
// spent on a zero-value Tangle.
func wereAddressesSpentFrom(req *Request) (response, error) {
	addrs, err := hashList("addresses", req.Addresses)
	if err != nil {
		return nil, err
	}
	return &statesResponse{States: make([]bool, len(addrs))}, nil
}

// getInclusionStates answers true for a stored transaction that belongs to
// a complete, valid bundle (structure, bundle hash, signatures), false for
// anything else. There is no coordinator to confirm anything, so the node
// treats storing as confirming, except where IRI's ledger would never
// confirm: an invalid bundle. "tips" is ignored, as IRI 1.8 does.
func (n *Node) getInclusionStates(ctx context.Context, req *Request) (response, error) {
	hashes, err := hashList("transactions", req.Transactions)
	if err != nil {
		return nil, err
	}
	trytes, err := n.store.Trytes(ctx, hashes)
	if err != nil {
		return nil, err
	}
	states := make([]bool, len(hashes))
	valid := map[trinary.Hash]bool{} // by tail, within this request
	for i, t := range trytes {
		if t == "" {
			continue
		}
		tx, err := transaction.AsTransactionObject(t, hashes[i])
		if err != nil {
			return nil, fmt.Errorf("parse stored transaction %s: %w", hashes[i], err)
		}
		if states[i], err = n.inValidBundle(ctx, tx, valid); err != nil {
			return nil, err
		}
	}
	return &statesResponse{States: states}, nil
}

// maxTailCandidates bounds the search for the tails of a transaction's
// bundle: transactions with the same bundle hash that approve it as their
// trunk. A genuine bundle has one; more only come from someone attaching
// look-alikes.
const maxTailCandidates = 16

// inValidBundle reports whether tx is part of a complete, valid bundle:
// some tail from which the trunk chain passes through tx and forms a valid
// bundle. The tails are found as IRI's findTail does, walking up through
// the transactions that approve tx by trunk with the same bundle hash and
// the previous index. valid caches the verdict per tail.
func (n *Node) inValidBundle(ctx context.Context, tx *transaction.Transaction, valid map[trinary.Hash]bool) (bool, error) {
	level := []*transaction.Transaction{tx}
	for index := tx.CurrentIndex; index > 0; index-- {
		var up []*transaction.Transaction
		for _, cur := range level {
			approvers, err := n.approversInBundle(ctx, cur)
			if err != nil {
				return false, err
			}
			up = append(up, approvers...)
		}
		if len(up) == 0 {
			return false, nil // the bundle's lower part is missing
		}
		level = up[:min(len(up), maxTailCandidates)]
	}
	for _, tail := range level {
		ok, seen := valid[tail.Hash]
		if !seen {
			_, problem, err := n.tailBundle(ctx, tail)
			if err != nil {
				return false, err
			}
			ok = problem == ""
			valid[tail.Hash] = ok
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// approversInBundle returns the stored transactions of cur's bundle that
// approve cur as their trunk and sit right before it (index − 1).
func (n *Node) approversInBundle(ctx context.Context, cur *transaction.Transaction) ([]*transaction.Transaction, error) {
	hashes, err := n.store.Find(ctx, tanglestore.Query{Approvees: []trinary.Hash{cur.Hash}, Bundles: []trinary.Hash{cur.Bundle}}, maxTailCandidates)
	if err != nil {
		return nil, err
	}
	trytes, err := n.store.Trytes(ctx, hashes)
	if err != nil {
		return nil, err
	}
	var out []*transaction.Transaction
	for i, t := range trytes {
		if t == "" {
			continue
		}
		a, err := transaction.AsTransactionObject(t, hashes[i])
		if err != nil {
			return nil, fmt.Errorf("parse stored transaction %s: %w", hashes[i], err)
		}
		if a.TrunkTransaction == cur.Hash && a.CurrentIndex+1 == cur.CurrentIndex && a.LastIndex == cur.LastIndex {
			out = append(out, a)
		}
	}
	return out, nil
}
