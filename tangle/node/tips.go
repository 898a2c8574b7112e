package node

import (
	"context"
	"math/rand/v2"

	"github.com/iotaledger/iota.go/trinary"
)

type transactionsToApproveResponse struct {
	TrunkTransaction  trinary.Hash `json:"trunkTransaction"`
	BranchTransaction trinary.Hash `json:"branchTransaction"`
	timed
}

// tipPool is how many of the newest tips getTransactionsToApprove picks
// from: recent enough to keep the Tangle narrow, enough to spread approvals.
const tipPool = 64

// getTransactionsToApprove picks two random tips among the newest ones
// instead of IRI's weighted random walk: without milestones and with one
// writer there is nothing for a walk to weigh. An empty Tangle answers the
// null hash for both. With a reference, the branch is the reference itself,
// so the new transaction approves it as a promotion needs.
func (n *Node) getTransactionsToApprove(ctx context.Context, req *Request) (response, error) {
	var reference trinary.Hash
	if req.Reference != nil {
		var err error
		if reference, err = stringParam("reference", req.Reference, hashTrytes); err != nil {
			return nil, err
		}
	}
	if req.Depth == nil {
		return nil, badRequestf(`%s: "depth" is required`, invalidParams)
	}
	if *req.Depth < 0 || *req.Depth > MaxDepth {
		return nil, badRequestf("Invalid depth input: %d is not in 0..%d", *req.Depth, MaxDepth)
	}
	tips := n.store.Tips(tipPool)
	resp := &transactionsToApproveResponse{TrunkTransaction: nullHash, BranchTransaction: nullHash}
	switch len(tips) {
	case 0:
	case 1:
		resp.TrunkTransaction, resp.BranchTransaction = tips[0], tips[0]
	default:
		// Two different tips, so that every new transaction merges two
		// branches and the tip set stays small.
		perm := rand.Perm(len(tips))
		resp.TrunkTransaction, resp.BranchTransaction = tips[perm[0]], tips[perm[1]]
	}
	if reference != "" {
		found, err := n.store.Trytes(ctx, []trinary.Hash{reference})
		if err != nil {
			return nil, err
		}
		if found[0] == "" {
			return nil, badRequestf("reference transaction is invalid: %s is not known to this node", reference)
		}
		resp.BranchTransaction = reference
	}
	return resp, nil
}
