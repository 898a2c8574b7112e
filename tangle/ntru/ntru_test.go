package ntru

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/trinary"
	"github.com/katzenpost/sntrup4591761"
)

var (
	seedA = trinary.Trytes(strings.Repeat("A", 80) + "B")
	seedB = trinary.Trytes(strings.Repeat("B", 80) + "A")
)

func mustKeys(t testing.TB, s trinary.Trytes) (*PublicKey, *PrivateKey) {
	t.Helper()
	pub, priv, err := DeriveKeyPair(s)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestDeriveKeyPairDeterministic(t *testing.T) {
	pub1, priv1 := mustKeys(t, seedA)
	pub2, priv2 := mustKeys(t, seedA)
	if pub1.Trytes() != pub2.Trytes() || priv1.k != priv2.k {
		t.Fatal("same seed derived different key pairs")
	}
	pubB, _ := mustKeys(t, seedB)
	if pub1.Trytes() == pubB.Trytes() {
		t.Fatal("different seeds derived the same public key")
	}
	if priv1.Public().Trytes() != pub1.Trytes() {
		t.Fatal("PrivateKey.Public does not match the derived public key")
	}
	if _, _, err := DeriveKeyPair("NOTASEED"); err == nil {
		t.Fatal("DeriveKeyPair accepted a malformed seed")
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	pub, priv := mustKeys(t, seedA)
	for _, msg := range [][]byte{nil, []byte("x"), []byte(`{"root":"ABC","sideKey":"DEF"}`), bytes.Repeat([]byte{0xff}, 5000)} {
		box, err := Seal(pub, msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(box) != len(msg)+Overhead {
			t.Fatalf("box length %d, want %d", len(box), len(msg)+Overhead)
		}
		got, err := Open(priv, box)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("Open = %q, want %q", got, msg)
		}
	}
	b1, _ := Seal(pub, []byte("same"))
	b2, _ := Seal(pub, []byte("same"))
	if bytes.Equal(b1, b2) {
		t.Fatal("two seals of the same plaintext are identical")
	}
}

func TestOpenRejectsWrongKey(t *testing.T) {
	pubA, _ := mustKeys(t, seedA)
	_, privB := mustKeys(t, seedB)
	box, err := Seal(pubA, []byte("for A only"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(privB, box)
	if !errors.Is(err, ErrOpen) || got != nil {
		t.Fatalf("Open with wrong key = %q, %v; want nil, ErrOpen", got, err)
	}
}

// TestOpenRejectsTampering flips one bit in every region of the box: the
// version byte, the KEM ciphertext (its confirmation hash and its body),
// the nonce, the AEAD ciphertext and the tag.
func TestOpenRejectsTampering(t *testing.T) {
	pub, priv := mustKeys(t, seedA)
	box, err := Seal(pub, []byte("meter readings are private"))
	if err != nil {
		t.Fatal(err)
	}
	positions := map[string]int{
		"version":     0,
		"kem hash":    1,
		"kem body":    1 + 500,
		"kem end":     sntrup4591761.CiphertextSize,
		"nonce":       1 + sntrup4591761.CiphertextSize + 3,
		"ciphertext":  headerSize + 2,
		"tag":         len(box) - 1,
		"tag (first)": len(box) - tagSize,
	}
	for name, pos := range positions {
		t.Run(name, func(t *testing.T) {
			bad := bytes.Clone(box)
			bad[pos] ^= 0x04
			got, err := Open(priv, bad)
			if !errors.Is(err, ErrOpen) || got != nil {
				t.Fatalf("Open(tampered %s) = %q, %v; want nil, ErrOpen", name, got, err)
			}
		})
	}
}

func TestOpenRejectsTruncationAndExtension(t *testing.T) {
	pub, priv := mustKeys(t, seedA)
	box, err := Seal(pub, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 100, headerSize, Overhead - 1, len(box) - 1} {
		if got, err := Open(priv, box[:n]); !errors.Is(err, ErrOpen) || got != nil {
			t.Errorf("Open(first %d of %d bytes) = %q, %v; want nil, ErrOpen", n, len(box), got, err)
		}
	}
	if got, err := Open(priv, append(bytes.Clone(box), 0)); !errors.Is(err, ErrOpen) || got != nil {
		t.Errorf("Open(extended) = %q, %v; want nil, ErrOpen", got, err)
	}
}

func TestSealStringOpenString(t *testing.T) {
	pub, priv := mustKeys(t, seedA)
	s, err := SealString(pub, []byte("side key"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenString(priv, s)
	if err != nil || string(got) != "side key" {
		t.Fatalf("OpenString = %q, %v", got, err)
	}
	if _, err := OpenString(priv, "!!not base64!!"); !errors.Is(err, ErrOpen) {
		t.Fatalf("OpenString(garbage) err = %v, want ErrOpen", err)
	}
	if _, err := OpenString(priv, s[:len(s)-8]); !errors.Is(err, ErrOpen) {
		t.Fatalf("OpenString(truncated) err = %v, want ErrOpen", err)
	}
}

func TestPublicKeyTrytesRoundTrip(t *testing.T) {
	pub, priv := mustKeys(t, seedA)
	s := pub.Trytes()
	if len(s) != PublicKeyTrytesLength {
		t.Fatalf("encoded length %d, want %d", len(s), PublicKeyTrytesLength)
	}
	if err := trinary.ValidTrytes(s); err != nil {
		t.Fatalf("encoding is not trytes: %v", err)
	}
	parsed, err := ParsePublicKey(string(s))
	if err != nil {
		t.Fatal(err)
	}
	if parsed.k != pub.k {
		t.Fatal("parsed key differs")
	}
	box, err := Seal(parsed, []byte("via parsed key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(priv, box); err != nil {
		t.Fatalf("box sealed to parsed key does not open: %v", err)
	}
}

func TestParsePublicKeyRejectsMalformed(t *testing.T) {
	pub, _ := mustKeys(t, seedA)
	good := string(pub.Trytes())
	cases := map[string]string{
		"empty":      "",
		"short":      good[:len(good)-2],
		"long":       good + "AA",
		"lower case": strings.ToLower(good[:2]) + good[2:],
		"bad char":   "1" + good[1:],
		"over 255":   good[:2] + "ZZ" + good[4:], // 26 + 27*26
	}
	for name, s := range cases {
		if _, err := ParsePublicKey(s); err == nil {
			t.Errorf("%s: ParsePublicKey accepted malformed input", name)
		}
	}
}

func BenchmarkDeriveKeyPair(b *testing.B) {
	for b.Loop() {
		if _, _, err := DeriveKeyPair(seedA); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	pub, _ := mustKeys(b, seedA)
	msg := bytes.Repeat([]byte("k"), 200)
	for b.Loop() {
		if _, err := Seal(pub, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	pub, priv := mustKeys(b, seedA)
	box, err := Seal(pub, bytes.Repeat([]byte("k"), 200))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Open(priv, box); err != nil {
			b.Fatal(err)
		}
	}
}
