package node_test

import (
	"testing"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/tangletest"
)

// BenchmarkAttachToTangle measures the node's attachToTangle for one
// transaction at MWM 9, HTTP included, with the node's interruptible
// proof-of-work search (pow.go).
func BenchmarkAttachToTangle(b *testing.B) {
	n := tangletest.StartNode(b, 9)
	a := newAPI(b, n.URL, false)
	unattached := prepare(b, a, address(1), "", "benchmark")
	info := mustOK(b, n.URL, map[string]any{"command": "getNodeInfo"})
	b.Logf("node PoW implementation: %v", info["powImplementation"])
	for b.Loop() {
		if _, err := a.AttachToTangle(trinary.Hash(nullHash), trinary.Hash(nullHash), 9, unattached); err != nil {
			b.Fatal(err)
		}
	}
}
