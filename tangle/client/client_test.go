package client_test

import (
	"context"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/api"
	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/checksum"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
	"iotahome/tangle/seed"
	"iotahome/tangle/tangletest"
)

func newClient(t *testing.T, pow string) *client.Client {
	t.Helper()
	n := tangletest.StartNode(t, 9)
	c, err := client.New(client.Config{NodeURL: n.URL, MWM: 9, PoW: pow})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func randomAddress(t *testing.T) trinary.Hash {
	t.Helper()
	s, err := seed.New()
	if err != nil {
		t.Fatal(err)
	}
	a, err := seed.Address(s, 0)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSendAndBundles(t *testing.T) {
	for _, pow := range []string{client.PoWLocal, client.PoWRemote} {
		t.Run(pow, func(t *testing.T) {
			c := newClient(t, pow)
			if !strings.HasPrefix(c.PoW(), pow) {
				t.Fatalf("PoW() = %q", c.PoW())
			}
			ctx := context.Background()
			addr := randomAddress(t)
			long := trinary.Trytes(strings.Repeat("LONGMESSAGE", 500)) // 5500 trytes: 3 transactions
			b1, err := c.Send(ctx, addr, "SHORT")
			if err != nil {
				t.Fatal(err)
			}
			b2, err := c.Send(ctx, addr, long)
			if err != nil {
				t.Fatal(err)
			}
			if len(b1) != 1 || len(b2) != 3 || b2[0].CurrentIndex != 0 {
				t.Fatalf("bundle lengths %d, %d; want 1, 3 tail first", len(b1), len(b2))
			}
			got, err := c.Bundles(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0][0].Bundle != b1[0].Bundle || got[1][0].Bundle != b2[0].Bundle {
				t.Fatalf("Bundles returned %d bundles, want the two sent in order", len(got))
			}
			if m := client.Message(got[1]); !strings.HasPrefix(string(m), string(long)) || strings.Trim(string(m[len(long):]), "9") != "" {
				t.Fatal("multi-transaction message not reassembled")
			}
			if other, err := c.Bundles(ctx, randomAddress(t)); err != nil || len(other) != 0 {
				t.Fatalf("empty address: %d bundles, %v", len(other), err)
			}
		})
	}
}

// TestBundlesSkipsBroken stores an incomplete bundle and a re-attachment
// at the address: the first is skipped, the second counted once.
func TestBundlesSkipsBroken(t *testing.T) {
	c := newClient(t, client.PoWLocal)
	ctx := context.Background()
	a := c.API()
	addr := randomAddress(t)

	// A three-transaction bundle of which only the tail reaches the node.
	to, err := checksum.AddChecksum(addr, true, consts.AddressChecksumTrytesSize)
	if err != nil {
		t.Fatal(err)
	}
	trytes, err := a.PrepareTransfers(consts.NullHashTrytes, bundle.Transfers{{Address: to, Message: trinary.Trytes(strings.Repeat("X", 5000))}}, api.PrepareTransfersOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tips, err := a.GetTransactionsToApprove(3)
	if err != nil {
		t.Fatal(err)
	}
	attached, err := a.AttachToTangle(tips.TrunkTransaction, tips.BranchTransaction, 9, trytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.StoreTransactions(attached[len(attached)-1]); err != nil { // the tail
		t.Fatal(err)
	}

	good, err := c.Send(ctx, addr, "GOOD")
	if err != nil {
		t.Fatal(err)
	}
	// Re-attach the good bundle (new PoW, same bundle hash).
	if _, err := a.ReplayBundle(good[0].Hash, 3, 9); err != nil {
		t.Fatal(err)
	}
	got, err := c.Bundles(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0][0].Bundle != good[0].Bundle || got[0][0].Hash != good[0].Hash {
		t.Fatalf("got %d bundles; want only the good one, earliest attachment", len(got))
	}
}

func TestContextCancels(t *testing.T) {
	c := newClient(t, client.PoWLocal)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Send(ctx, randomAddress(t), "X"); err == nil {
		t.Fatal("Send with a cancelled context succeeded")
	}
	if _, err := c.Bundles(ctx, randomAddress(t)); err == nil {
		t.Fatal("Bundles with a cancelled context succeeded")
	}
}

func TestNodeDown(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	c, err := client.New(client.Config{NodeURL: n.URL, MWM: 9, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	n.Stop()
	if _, err := c.Bundles(context.Background(), randomAddress(t)); err == nil {
		t.Fatal("Bundles against a stopped node succeeded")
	}
}

// TestBundlesAtMatchesBundles sends to several addresses and reads them all
// in requests of two addresses: each address gets exactly what Bundles
// returns for it, and an empty address is absent.
func TestBundlesAtMatchesBundles(t *testing.T) {
	c := newClient(t, client.PoWLocal)
	ctx := context.Background()
	var addrs []trinary.Hash
	for i := range 5 {
		a := randomAddress(t)
		addrs = append(addrs, a)
		for j := range i % 3 {
			if _, err := c.Send(ctx, a, trinary.Trytes(strings.Repeat("M", 100*(j+1)))); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := c.BundlesAt(ctx, addrs, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range addrs {
		want, err := c.Bundles(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if len(got[a]) != len(want) || len(want) != i%3 {
			t.Fatalf("address %d: BundlesAt gave %d bundles, Bundles %d, sent %d", i, len(got[a]), len(want), i%3)
		}
		for j := range want {
			if got[a][j][0].Hash != want[j][0].Hash {
				t.Fatalf("address %d bundle %d differs", i, j)
			}
		}
		if _, ok := got[a]; len(want) == 0 && ok {
			t.Fatalf("empty address %d present", i)
		}
	}
	if _, err := c.BundlesAt(ctx, []trinary.Hash{"TOOSHORT"}, 0); err == nil {
		t.Fatal("accepted a malformed address")
	}
}
