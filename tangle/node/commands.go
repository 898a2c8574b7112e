package node

import (
	"context"
	"net/http"
	"strings"

	"github.com/iotaledger/iota.go/trinary"
)

// nullHash is IRI's all-9s hash: the genesis that an empty Tangle's first
// transactions approve, and the milestone this node never has.
var nullHash = trinary.Hash(strings.Repeat("9", hashTrytes))

// unknownTrytes is what getTrytes answers for a hash the node does not have.
var unknownTrytes = trinary.Trytes(strings.Repeat("9", transactionTrytes))

// execute runs one decoded request from client (see clientOf).
func (n *Node) execute(ctx context.Context, req *Request, client string) (response, error) {
	switch req.Command {
	case "getNodeInfo":
		return n.getNodeInfo(ctx)
	case "getNodeAPIConfiguration":
		return nodeAPIConfiguration(), nil
	case "getTransactionsToApprove":
		return n.getTransactionsToApprove(ctx, req)
	case "attachToTangle":
		return n.attachToTangle(ctx, req, client)
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
	case "getNeighbors":
		return &neighborsResponse{Neighbors: []struct{}{}}, nil
	case "getMissingTransactions":
		// Nothing is ever requested from neighbours: there are none.
		return &hashesResponse{Hashes: []trinary.Hash{}}, nil
	case "addNeighbors", "removeNeighbors":
		// IRI's answer for a command its remote-limit list forbids.
		return nil, &apiError{status: http.StatusUnauthorized, msg: "COMMAND " + req.Command + " is not available on this node: it has no network"}
	default:
		return nil, badRequestf("Command [%s] is unknown", req.Command)
	}
}

type neighborsResponse struct {
	Neighbors []struct{} `json:"neighbors"`
	timed
}

type apiConfigurationResponse struct {
	MaxFindTransactions int  `json:"maxFindTransactions"`
	MaxRequestsList     int  `json:"maxRequestsList"`
	MaxGetTrytes        int  `json:"maxGetTrytes"`
	MaxBodyLength       int  `json:"maxBodyLength"`
	TestNet             bool `json:"testNet"`
	MilestoneStartIndex int  `json:"milestoneStartIndex"`
	timed
}

// nodeAPIConfiguration reports the node's limits under IRI's names, so
// that a client can size its requests.
func nodeAPIConfiguration() response {
	return &apiConfigurationResponse{
		MaxFindTransactions: MaxFindResults,
		MaxRequestsList:     MaxListItems,
		MaxGetTrytes:        MaxListItems,
		MaxBodyLength:       MaxBodyBytes,
		TestNet:             true,
	}
}
