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

func (n *Node) attachToTangle(ctx context.Context, req *Request, client string) (response, error) {
	trunk, err := stringParam("trunkTransaction", req.TrunkTransaction, hashTrytes)
	if err != nil {
		return nil, err
	}
	branch, err := stringParam("branchTransaction", req.BranchTransaction, hashTrytes)
	if err != nil {
		return nil, err
	}
	if req.MinWeightMagnitude == nil {
		return nil, badRequestf(`%s: "minWeightMagnitude" is required`, invalidParams)
	}
	// As Hornet does: the node attaches at its own minimum weight
	// magnitude and no higher, so that one request cannot occupy the PoW
	// for hours (every trit more triples the work); lower would not be
	// stored.
	if mwm := *req.MinWeightMagnitude; mwm != int64(n.mwm) {
		return nil, badRequestf("Invalid minWeightMagnitude input: %d; this node attaches at exactly its minimum weight magnitude, %d", mwm, n.mwm)
	}
	txs, err := attachable(req.Trytes)
	if err != nil {
		return nil, err
	}
	if len(txs) == 0 {
		return &trytesResponse{Trytes: []trinary.Trytes{}}, nil
	}
	out, err := n.attach(ctx, client, trunk, branch, txs)
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
	if len(txs) == 0 {
		return &timed{}, nil
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
	q, anyEmpty, err := findQuery(req)
	if err != nil {
		return nil, err
	}
	if anyEmpty {
		// An empty list intersects to nothing, as on IRI.
		return &hashesResponse{Hashes: []trinary.Hash{}}, nil
	}
	hashes, err := n.store.Find(ctx, q, MaxFindResults+1)
	if err != nil {
		return nil, err
	}
	if len(hashes) > MaxFindResults {
		return nil, badRequestf("%s: more than %d transactions match; narrow the query", overMax, MaxFindResults)
	}
	if hashes == nil {
		hashes = []trinary.Hash{}
	}
	return &hashesResponse{Hashes: hashes}, nil
}

// findQuery checks findTransactions' parameters as IRI does: at least one
// of "addresses", "bundles", "tags" or "approvees" must be present; each
// present one is checked, and anyEmpty reports that one of them is an
// empty list (the result is then empty).
func findQuery(req *Request) (q tanglestore.Query, anyEmpty bool, err error) {
	present := false
	for _, k := range []struct {
		name  string
		items []string
		dst   *[]trinary.Hash
	}{
		{"addresses", req.Addresses, &q.Addresses},
		{"bundles", req.Bundles, &q.Bundles},
		{"approvees", req.Approvees, &q.Approvees},
	} {
		if k.items == nil {
			continue
		}
		present, anyEmpty = true, anyEmpty || len(k.items) == 0
		if *k.dst, err = findSet(k.name, k.items); err != nil {
			return q, false, err
		}
	}
	if req.Tags != nil {
		present, anyEmpty = true, anyEmpty || len(req.Tags) == 0
		if q.Tags, err = tagList(req.Tags); err != nil {
			return q, false, err
		}
	}
	if !present {
		return q, false, badRequestf(`%s: findTransactions needs at least one of "addresses", "bundles", "tags" or "approvees"`, invalidParams)
	}
	return q, anyEmpty, nil
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
