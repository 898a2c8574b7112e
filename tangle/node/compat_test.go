package node_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/api"
	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/checksum"
	"github.com/iotaledger/iota.go/converter"
	"github.com/iotaledger/iota.go/pow"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/tangletest"
)

const testSeed = "IOTAHOMETESTSEED9IOTAHOMETESTSEED9IOTAHOMETESTSEED9IOTAHOMETESTSEED9IOTAHOMETESTS"

// newAPI returns an iota.go client of the node; localPoW selects client-side
// proof of work instead of the node's attachToTangle.
func newAPI(t testing.TB, url string, localPoW bool) *api.API {
	t.Helper()
	settings := api.HTTPClientSettings{URI: url}
	if localPoW {
		_, fn := pow.GetFastestProofOfWorkUnsyncImpl()
		settings.LocalProofOfWorkFunc = func(trytes trinary.Trytes, mwm int, _ ...int) (trinary.Trytes, error) {
			return fn(trytes, mwm, runtime.NumCPU())
		}
	}
	a, err := api.ComposeAPI(settings)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// address returns a deterministic 81-tryte address for test number i.
func address(i int) trinary.Hash {
	a := trinary.IntToTrytes(int64(i), 9)
	return trinary.Hash("TESTADDRESS" + strings.Repeat("9", 81-11-len(a)) + a)
}

// sendMessage sends a zero-value bundle of one or more transactions carrying
// msg to addr, the way the product's clients do.
func sendMessage(t testing.TB, a *api.API, addr trinary.Hash, tag string, msg string, mwm uint64) bundle.Bundle {
	t.Helper()
	encoded, err := converter.ASCIIToTrytes(msg)
	if err != nil {
		t.Fatal(err)
	}
	withChecksum, err := checksum.AddChecksum(addr, true, 9)
	if err != nil {
		t.Fatal(err)
	}
	prepared, err := a.PrepareTransfers(testSeed, bundle.Transfers{{Address: withChecksum, Value: 0, Tag: tag, Message: encoded}}, api.PrepareTransfersOptions{})
	if err != nil {
		t.Fatalf("prepare transfers: %v", err)
	}
	bndl, err := a.SendTrytes(prepared, 3, mwm)
	if err != nil {
		t.Fatalf("send trytes: %v", err)
	}
	return bndl
}

func TestIotaGoClientEndToEnd(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	for _, tc := range []struct {
		name     string
		localPoW bool
	}{{"node attaches", false}, {"local PoW", true}} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPI(t, n.URL, tc.localPoW)
			info, err := a.GetNodeInfo()
			if err != nil {
				t.Fatalf("getNodeInfo: %v", err)
			}
			if info.AppName == "" {
				t.Fatalf("getNodeInfo: no appName in %+v", info)
			}
			addr := address(map[bool]int{false: 1, true: 2}[tc.localPoW])
			// Long enough for a two-transaction bundle (2187 trytes each).
			msg := `{"hello":"` + strings.Repeat("tangle ", 200) + `"}`
			sent := sendMessage(t, a, addr, "IOTAHOME", msg, 9)
			if len(sent) != 2 {
				t.Fatalf("sent bundle has %d transactions, want 2", len(sent))
			}

			// iota.go's FindTransactions strips checksums and insists on them.
			withChecksum, err := checksum.AddChecksum(addr, true, 9)
			if err != nil {
				t.Fatal(err)
			}
			txs, err := a.FindTransactionObjects(api.FindTransactionsQuery{Addresses: trinary.Hashes{withChecksum}})
			if err != nil {
				t.Fatalf("findTransactionObjects: %v", err)
			}
			if len(txs) != 2 {
				t.Fatalf("found %d transactions at the address, want 2", len(txs))
			}
			for _, tx := range txs {
				if !transaction.HasValidNonce(&tx, 9) {
					t.Errorf("transaction %s does not meet MWM 9", tx.Hash)
				}
			}
			bndl, err := a.GetBundle(bundle.TailTransactionHash(sent))
			if err != nil {
				t.Fatalf("getBundle: %v", err)
			}
			got, err := transaction.ExtractJSON(bndl)
			if err != nil {
				t.Fatalf("extract message: %v", err)
			}
			if got != msg {
				t.Fatalf("message = %.40q..., want %.40q...", got, msg)
			}
			byBundle, err := a.FindTransactions(api.FindTransactionsQuery{Bundles: trinary.Hashes{sent[0].Bundle}})
			if err != nil || len(byBundle) != 2 {
				t.Fatalf("find by bundle: %v, %v", byBundle, err)
			}
			ok, info2, err := a.CheckConsistency(bundle.TailTransactionHash(sent))
			if err != nil || !ok {
				t.Fatalf("checkConsistency: %v %q %v", ok, info2, err)
			}
			states, err := a.GetLatestInclusion(trinary.Hashes{bundle.TailTransactionHash(sent)})
			if err != nil || len(states) != 1 || !states[0] {
				t.Fatalf("inclusion states: %v, %v", states, err)
			}
		})
	}
}
