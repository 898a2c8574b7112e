package seed

import (
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/address"
	"github.com/iotaledger/iota.go/trinary"
)

func TestNewIsValidAndRandom(t *testing.T) {
	seen := map[trinary.Trytes]bool{}
	for range 50 {
		s, err := New()
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(s); err != nil {
			t.Fatalf("New returned invalid seed %q: %v", s, err)
		}
		if seen[s] {
			t.Fatalf("seed repeated: %s", s)
		}
		seen[s] = true
	}
}

// TestNewUsesWholeAlphabet catches a wrong alphabet: over 200 seeds
// (16200 trytes) every letter should appear about 600 times.
func TestNewUsesWholeAlphabet(t *testing.T) {
	counts := map[rune]int{}
	const n = 200
	for range n {
		s, err := New()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range s {
			counts[r]++
		}
	}
	want := float64(n*Length) / 27
	for _, r := range alphabet {
		c := float64(counts[r])
		// ±25% is about 6 standard deviations: chance never fails this,
		// a missing or doubled letter always does.
		if c < want*0.75 || c > want*1.25 {
			t.Errorf("letter %c appeared %v times, want ≈%v", r, c, want)
		}
	}
}

func TestValidate(t *testing.T) {
	good := trinary.Trytes(strings.Repeat("A9Z", 27))
	if err := Validate(good); err != nil {
		t.Fatalf("valid seed rejected: %v", err)
	}
	for _, bad := range []string{"", strings.Repeat("A", 80), strings.Repeat("A", 82), strings.Repeat("a", 81), strings.Repeat("A", 80) + "1"} {
		if err := Validate(trinary.Trytes(bad)); err == nil {
			t.Errorf("Validate(%q) = nil, want error", bad)
		}
	}
}

func TestAddressDeterministic(t *testing.T) {
	s := trinary.Trytes(strings.Repeat("SEED9", 16) + "X")
	a1, err := Address(s, 0)
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := Address(s, 0)
	b, _ := Address(s, 1)
	if a1 != a2 {
		t.Fatalf("same seed and index gave %s and %s", a1, a2)
	}
	if a1 == b {
		t.Fatal("index 0 and 1 gave the same address")
	}
	if len(a1) != 81 {
		t.Fatalf("address length %d, want 81 (no checksum)", len(a1))
	}
	// Same as iota.go's wallet derivation at security level 2.
	want, err := address.GenerateAddress(s, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if a1 != want {
		t.Fatalf("Address = %s, want wallet address %s", a1, want)
	}
	if _, err := Address("BAD", 0); err == nil {
		t.Fatal("Address accepted a malformed seed")
	}
}
