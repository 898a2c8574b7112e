package tanglestore

import (
	"fmt"
	"slices"
	"testing"

	"github.com/iotaledger/iota.go/trinary"
)

func TestTipSetNewestAndBound(t *testing.T) {
	s := newTipSet()
	h := func(i int) trinary.Hash { return trinary.Hash(fmt.Sprintf("%081d", i)) }
	for i := range 5 {
		s.add(h(i), int64(i))
	}
	s.remove(h(4))
	s.remove(h(2))
	if got := s.newest(2); !slices.Equal(got, []trinary.Hash{h(3), h(1)}) {
		t.Fatalf("newest(2) = %v", got)
	}
	// Far more tips than the bound: the oldest are dropped, the slice of
	// entries stays proportional to the live ones.
	for i := 5; i < 3*maxTips; i++ {
		s.add(h(i), int64(i))
		if i%3 == 0 {
			s.remove(h(i - 1))
		}
	}
	if len(s.seqs) > maxTips {
		t.Fatalf("%d tips kept, bound is %d", len(s.seqs), maxTips)
	}
	if len(s.order) > 2*len(s.seqs)+1024 {
		t.Fatalf("%d entries for %d tips", len(s.order), len(s.seqs))
	}
	if got := s.newest(1); !slices.Equal(got, []trinary.Hash{h(3*maxTips - 1)}) {
		t.Fatalf("newest(1) = %v", got)
	}
	if _, ok := s.seqs[h(1)]; ok {
		t.Fatal("oldest tip survived the bound")
	}
}
