package node

import (
	"context"
	"strings"

	"github.com/iotaledger/iota.go/trinary"
)

// nullHash is IRI's all-9s hash: the genesis that an empty Tangle's first
// transactions approve, and the milestone this node never has.
var nullHash = trinary.Hash(strings.Repeat("9", hashTrytes))

// unknownTrytes is what getTrytes answers for a hash the node does not have.
var unknownTrytes = trinary.Trytes(strings.Repeat("9", transactionTrytes))

// execute runs one decoded request.
func (n *Node) execute(ctx context.Context, req *Request) (response, error) {
	switch req.Command {
	case "getNodeInfo":
		return n.getNodeInfo(ctx)
	case "getTransactionsToApprove":
		return n.getTransactionsToApprove(ctx, req)
	case "attachToTangle":
		return n.attachToTangle(ctx, req)
	// IRI's name is interruptAttachingToTangle; iota.go sends
	// interruptAttachToTangle. Both work.
	case "interruptAttachingToTangle", "interruptAttachToTangle":
		n.InterruptAttach()
		return &timed{}, nil
	case "storeTransactions", "broadcastTransactions":
		return n.storeTransactions(ctx, req)
	case "findTransactions":
		return n.findTransactions(ctx, req)
	case "getTrytes":
		return n.getTrytes(ctx, req)
	case "getBalances":
		return n.getBalances(ctx, req)
	case "wereAddressesSpentFrom":
		return wereAddressesSpentFrom(req)
	case "checkConsistency":
		return n.checkConsistency(ctx, req)
	case "getInclusionStates":
		return n.getInclusionStates(ctx, req)
	default:
		return nil, badRequestf("Command [%s] is unknown", req.Command)
	}
}
