package client

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/converter"
)

// TestASCIIMatchesIotaGo pins the encoding to iota.go's converter, which
// mam/v1 and other IOTA clients use.
func TestASCIIMatchesIotaGo(t *testing.T) {
	var all strings.Builder
	for c := range 128 {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{"a", `{"type":"DATA","v":1}`, all.String()} {
		got, err := ASCIIToTrytes(s)
		if err != nil {
			t.Fatal(err)
		}
		want, err := converter.ASCIIToTrytes(s)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("ASCIIToTrytes(%q) = %s, iota.go gives %s", s, got, want)
		}
		back, err := TrytesToASCII(got)
		if err != nil {
			t.Fatal(err)
		}
		if back != strings.TrimRight(s, "\x00") {
			t.Fatalf("round trip of %q gave %q", s, back)
		}
	}
}

func TestTrytesToASCIIPaddingAndErrors(t *testing.T) {
	tr, _ := ASCIIToTrytes("hi")
	padded := tr + strings.Repeat("9", 2187-len(tr))
	if s, err := TrytesToASCII(padded); err != nil || s != "hi" {
		t.Fatalf("padded decode = %q, %v", s, err)
	}
	for _, bad := range []string{"A", "ZZ", "a9", "9A9A9Z"} {
		if _, err := TrytesToASCII(bad); err == nil {
			t.Errorf("TrytesToASCII(%q) accepted", bad)
		}
	}
	if _, err := ASCIIToTrytes("é"); err == nil {
		t.Error("ASCIIToTrytes accepted non-ASCII")
	}
}

func TestEscapeNonASCII(t *testing.T) {
	in := `{"name":"Meterkast café ☕ 𝄞","bad":"` + "\xff" + `"}`
	esc := EscapeNonASCII(in)
	for i := 0; i < len(esc); i++ {
		if esc[i] > 127 {
			t.Fatalf("escaped output has non-ASCII byte at %d: %q", i, esc)
		}
	}
	var a, b map[string]string
	if err := json.Unmarshal([]byte(esc), &a); err != nil {
		t.Fatalf("escaped JSON invalid: %v (%s)", err, esc)
	}
	if err := json.Unmarshal([]byte(in), &b); err != nil {
		t.Fatal(err)
	}
	if a["name"] != b["name"] || a["bad"] != "\ufffd" {
		t.Fatalf("escaped JSON decodes to %q, want %q", a, b)
	}
	if s := "plain ascii"; EscapeNonASCII(s) != s {
		t.Fatal("ASCII input changed")
	}
}
