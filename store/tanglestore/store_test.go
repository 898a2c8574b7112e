package tanglestore_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/store/tanglestore"
)

const alphabet = "9ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func randomTrytes(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

var null = strings.Repeat("9", 81)

// row returns a transaction with random trytes whose indexed fields are
// consistent with them (the store does not check proof of work or hash).
func row(r *rand.Rand, addr, trunk, branch trinary.Hash, msgLen int, currentIndex uint64) tanglestore.Transaction {
	t := randomTrytes(r, msgLen) + strings.Repeat("9", 2187-msgLen) + addr + randomTrytes(r, 2673-2187-81)
	t = t[:2430] + trunk + branch + t[2592:]
	return tanglestore.Transaction{
		Hash: randomTrytes(r, 81), Address: addr, Bundle: t[2349:2430], Tag: t[2592:2619],
		Trunk: trunk, Branch: branch, CurrentIndex: currentIndex, ArrivedAt: 1, Trytes: t,
	}
}

func open(t testing.TB) *tanglestore.Store {
	t.Helper()
	st, err := tanglestore.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestRoundTripAndQueries(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	r := rand.New(rand.NewPCG(1, 1))
	addr := randomTrytes(r, 81)
	a := row(r, addr, null, null, 0, 0)
	b := row(r, addr, a.Hash, null, 2187, 0)
	c := row(r, randomTrytes(r, 81), null, a.Hash, 100, 1) // not a tail
	n, err := st.Insert(ctx, []tanglestore.Transaction{a, b, c, a})
	if err != nil || n != 3 {
		t.Fatalf("insert: %d, %v", n, err)
	}
	got, err := st.Trytes(ctx, []trinary.Hash{c.Hash, null, a.Hash, b.Hash})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []trinary.Trytes{c.Trytes, "", a.Trytes, b.Trytes}) {
		t.Fatalf("trytes round trip failed")
	}
	for _, tc := range []struct {
		q    tanglestore.Query
		want []trinary.Hash
	}{
		{tanglestore.Query{Addresses: []trinary.Hash{addr}}, []trinary.Hash{a.Hash, b.Hash}},
		{tanglestore.Query{Approvees: []trinary.Hash{a.Hash}}, []trinary.Hash{b.Hash, c.Hash}},
		{tanglestore.Query{Approvees: []trinary.Hash{a.Hash}, Addresses: []trinary.Hash{addr}}, []trinary.Hash{b.Hash}},
		{tanglestore.Query{Bundles: []trinary.Hash{c.Bundle, a.Bundle}}, []trinary.Hash{a.Hash, c.Hash}},
		{tanglestore.Query{Tags: []trinary.Trytes{b.Tag}}, []trinary.Hash{b.Hash}},
	} {
		got, err := st.Find(ctx, tc.q, 10)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("find %+v = %v, %v; want %v", tc.q, got, err, tc.want)
		}
	}
	if got, err := st.Find(ctx, tanglestore.Query{Addresses: []trinary.Hash{addr}}, 1); err != nil || len(got) != 1 {
		t.Errorf("find with limit 1: %v, %v", got, err)
	}
	// b approves a; c is not a tail, so b is the only tip.
	tips, err := st.Tips(10), error(nil)
	if err != nil || !slices.Equal(tips, []trinary.Hash{b.Hash}) {
		t.Fatalf("tips = %v, %v; want [b]", tips, err)
	}
	// A tail arriving after its approver never becomes a tip.
	late := row(r, addr, null, null, 10, 0)
	d := row(r, addr, late.Hash, null, 10, 0)
	if _, err := st.Insert(ctx, []tanglestore.Transaction{d}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Insert(ctx, []tanglestore.Transaction{late}); err != nil {
		t.Fatal(err)
	}
	tips, err = st.Tips(10), error(nil)
	if err != nil || !slices.Equal(tips, []trinary.Hash{d.Hash, b.Hash}) {
		t.Fatalf("tips after out-of-order arrival = %v, %v; want [d b]", tips, err)
	}
}

// BenchmarkInsert measures batches of 100 transactions into a store that
// already holds 20,000.
func BenchmarkInsert(b *testing.B) {
	ctx := context.Background()
	st := open(b)
	r := rand.New(rand.NewPCG(1, 1))
	prev := null
	batch := func() []tanglestore.Transaction {
		rows := make([]tanglestore.Transaction, 100)
		for i := range rows {
			rows[i] = row(r, randomTrytes(r, 81), prev, null, 2187, 0)
			prev = rows[i].Hash
		}
		return rows
	}
	for range 200 {
		if _, err := st.Insert(ctx, batch()); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		rows := batch()
		b.StartTimer()
		if _, err := st.Insert(ctx, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/tx")
}
