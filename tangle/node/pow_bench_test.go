package node

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/pow"
)

// BenchmarkSearchNonceVsIotaGo times the node's interruptible search and
// iota.go's pure-Go proof of work on the same transactions at MWM 9,
// alternating, on all cores, and reports both means and their ratio. One
// transaction's time is random (geometric): use many iterations, e.g.
// -benchtime=200x.
func BenchmarkSearchNonceVsIotaGo(b *testing.B) {
	const mwm = 9
	r := rand.New(rand.NewPCG(9, 1))
	var running atomic.Int32
	var ours, theirs time.Duration
	n := 0
	for b.Loop() {
		tx := []byte(unknownTrytes)
		for i := range 2187 { // a random message
			tx[i] = "9ABCDEFGHIJKLMNOPQRSTUVWXYZ"[r.IntN(27)]
		}
		start := time.Now()
		if _, err := searchNonce(context.Background(), string(tx), mwm, runtime.NumCPU(), &running); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
		start = time.Now()
		if _, err := pow.GoProofOfWork(string(tx), mwm, runtime.NumCPU()); err != nil {
			b.Fatal(err)
		}
		theirs += time.Since(start)
		n++
	}
	b.ReportMetric(ours.Seconds()*1000/float64(n), "node-ms/tx")
	b.ReportMetric(theirs.Seconds()*1000/float64(n), "iotago-ms/tx")
	b.ReportMetric(float64(theirs)/float64(ours), "iotago/node")
}
