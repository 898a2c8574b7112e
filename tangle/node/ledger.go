package node

import (
	"context"

	"github.com/iotaledger/iota.go/trinary"
)

// The node has no ledger and no coordinator: these commands answer what a
// zero-value Tangle implies (docs/tangle-node.md, "Deviations from IRI").

type balancesResponse struct {
	Balances       []string       `json:"balances"`
	References     []trinary.Hash `json:"references"`
	Milestone      trinary.Hash   `json:"milestone"`
	MilestoneIndex int64          `json:"milestoneIndex"`
	timed
}

// getBalances answers zero for every address: the development Tangle only
// carries zero-value transactions and has no ledger.
func (n *Node) getBalances(ctx context.Context, req *Request) (response, error) {
	addrs, err := hashList("addresses", req.Addresses)
	if err != nil {
		return nil, err
	}
	if _, err := optionalHashList("tips", req.Tips); err != nil {
		return nil, err
	}
	balances := make([]string, len(addrs))
	for i := range balances {
		balances[i] = "0"
	}
	return &balancesResponse{Balances: balances, References: []trinary.Hash{nullHash}, Milestone: nullHash}, nil
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

// getInclusionStates answers true for every stored transaction and false
// for unknown ones. There is no coordinator to confirm anything, so the node
// treats storing as confirming: clients that wait for confirmation (or
// reattach/promote until it comes) see it at once instead of never.
func (n *Node) getInclusionStates(ctx context.Context, req *Request) (response, error) {
	hashes, err := hashList("transactions", req.Transactions)
	if err != nil {
		return nil, err
	}
	if _, err := optionalHashList("tips", req.Tips); err != nil {
		return nil, err
	}
	trytes, err := n.store.Trytes(ctx, hashes)
	if err != nil {
		return nil, err
	}
	states := make([]bool, len(hashes))
	for i, t := range trytes {
		states[i] = t != ""
	}
	return &statesResponse{States: states}, nil
}
