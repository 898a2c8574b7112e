//go:build pow_avx && cgo && amd64

package node_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/pow"
	"github.com/iotaledger/iota.go/trinary"
)

// BenchmarkPoWGoVsAVX times iota.go's pure-Go and AVX proof of work on the
// same transactions, alternating, on all cores, and reports both means and
// their ratio. One transaction's PoW time is random (geometric), so use
// many iterations: -benchtime=200x at MWM 9, 20x or more at MWM 14.
// The AVX implementation only exists with -tags pow_avx, hence this file's
// build tag.
func BenchmarkPoWGoVsAVX(b *testing.B) {
	for _, mwm := range []int{9, 14} {
		b.Run(fmt.Sprintf("mwm=%d", mwm), func(b *testing.B) {
			r := rand.New(rand.NewPCG(uint64(mwm), 1))
			var goTime, avxTime time.Duration
			n := 0
			for b.Loop() {
				tx := randomTransactionTrytes(r)
				for _, impl := range []struct {
					fn    pow.ProofOfWorkFunc
					total *time.Duration
				}{{pow.GoProofOfWork, &goTime}, {pow.AVXProofOfWork, &avxTime}} {
					start := time.Now()
					nonce, err := impl.fn(tx, mwm, runtime.NumCPU())
					*impl.total += time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
					hash := curl.MustHashTrytes(tx[:len(tx)-27] + nonce)
					if trinary.TrailingZeros(trinary.MustTrytesToTrits(hash)) < mwm {
						b.Fatalf("nonce does not meet MWM %d", mwm)
					}
				}
				n++
			}
			b.ReportMetric(goTime.Seconds()*1000/float64(n), "go-ms/tx")
			b.ReportMetric(avxTime.Seconds()*1000/float64(n), "avx-ms/tx")
			b.ReportMetric(float64(goTime)/float64(avxTime), "go/avx")
		})
	}
}

func randomTransactionTrytes(r *rand.Rand) trinary.Trytes {
	const alphabet = "9ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var sb strings.Builder
	for range 2673 {
		sb.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	t := sb.String()
	// Unused value trits must be zero for a parsable transaction.
	return t[:2279] + strings.Repeat("9", 16) + t[2295:]
}
