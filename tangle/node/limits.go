package node

// Limits on what one request may ask for. They keep a single client from
// tying up the node or its memory; docs/tangle-node.md lists them.
const (
	// MaxBodyBytes bounds a request body: 1000 transactions of 2673 trytes
	// as JSON strings are about 2.7 MB.
	MaxBodyBytes = 4 << 20
	// MaxListItems bounds every list parameter (IRI's maxRequestsList).
	MaxListItems = 1000
	// MaxFindResults is the most hashes findTransactions returns; a query
	// that matches more is refused, as IRI does with maxFindTransactions.
	MaxFindResults = 100_000
	// MaxDepth is the largest depth getTransactionsToApprove accepts (IRI's
	// default maxDepth).
	MaxDepth = 15
	// MaxMWM is the largest minimum weight magnitude the node accepts as
	// its own setting (attachToTangle works at exactly that MWM): every
	// extra trit triples the PoW time, and 20 already takes minutes per
	// transaction.
	MaxMWM = 20
)
