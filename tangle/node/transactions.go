package node

import (
	"context"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/store/tanglestore"
)

type trytesResponse struct {
	Trytes []trinary.Trytes `json:"trytes"`
	timed
}

func (n *Node) attachToTangle(ctx context.Context, req *Request) (response, error) {
	if err := checkTrytes("trunkTransaction", req.TrunkTransaction, hashTrytes); err != nil {
		return nil, err
	}
	if err := checkTrytes("branchTransaction", req.BranchTransaction, hashTrytes); err != nil {
		return nil, err
	}
	if req.MinWeightMagnitude == nil {
		return nil, badRequestf(`invalid params: "minWeightMagnitude" is required`)
	}
	mwm := *req.MinWeightMagnitude
	if mwm < int64(n.mwm) || mwm > MaxMWM {
		return nil, badRequestf("invalid minWeightMagnitude %d: this node requires %d to %d", mwm, n.mwm, MaxMWM)
	}
	trytes, err := trytesList(req.Trytes)
	if err != nil {
		return nil, err
	}
	out, err := n.attach(ctx, req.TrunkTransaction, req.BranchTransaction, int(mwm), trytes)
	if err != nil {
		return nil, err
	}
	return &trytesResponse{Trytes: out}, nil
}

// storeTransactions validates every transaction first and stores them all
// in one SQLite transaction, or none: one bad element fails the request.
// broadcastTransactions does the same, since this node's only "network" is
// its own store.
func (n *Node) storeTransactions(ctx context.Context, req *Request) (response, error) {
	txs, err := validateTransactions(req.Trytes, n.mwm, time.Now())
	if err != nil {
		return nil, err
	}
	added, err := n.store.Insert(ctx, txs)
	if err != nil {
		return nil, err
	}
	n.log.Debug("stored transactions", "command", req.Command, "received", len(txs), "new", added)
	return &timed{}, nil
}

type hashesResponse struct {
	Hashes []trinary.Hash `json:"hashes"`
	timed
}

func (n *Node) findTransactions(ctx context.Context, req *Request) (response, error) {
	q, err := findQuery(req)
	if err != nil {
		return nil, err
	}
	hashes, err := n.store.Find(ctx, q, MaxFindResults+1)
	if err != nil {
		return nil, err
	}
	if len(hashes) > MaxFindResults {
		return nil, badRequestf("Could not complete request: more than %d transactions match; narrow the query", MaxFindResults)
	}
	if hashes == nil {
		hashes = []trinary.Hash{}
	}
	return &hashesResponse{Hashes: hashes}, nil
}

// findQuery checks findTransactions' parameters: at least one non-empty
// list of addresses, bundles, tags or approvees.
func findQuery(req *Request) (tanglestore.Query, error) {
	var q tanglestore.Query
	var err error
	if q.Addresses, err = optionalHashList("addresses", req.Addresses); err != nil {
		return q, err
	}
	if q.Bundles, err = optionalHashList("bundles", req.Bundles); err != nil {
		return q, err
	}
	if q.Approvees, err = optionalHashList("approvees", req.Approvees); err != nil {
		return q, err
	}
	if q.Tags, err = tagList(req.Tags); err != nil {
		return q, err
	}
	if q.Empty() {
		return q, badRequestf(`invalid params: findTransactions needs at least one of "addresses", "bundles", "tags" or "approvees"`)
	}
	return q, nil
}

func (n *Node) getTrytes(ctx context.Context, req *Request) (response, error) {
	hashes, err := hashList("hashes", req.Hashes)
	if err != nil {
		return nil, err
	}
	trytes, err := n.store.Trytes(ctx, hashes)
	if err != nil {
		return nil, err
	}
	for i, t := range trytes {
		if t == "" {
			trytes[i] = unknownTrytes
		}
	}
	return &trytesResponse{Trytes: trytes}, nil
}
