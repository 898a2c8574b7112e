package pairing

import (
	"log/slog"
	"strings"
	"testing"

	"iotahome/protocol"
)

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		c, err := NewCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != protocol.PairingCodeLength || strings.Trim(c, protocol.PairingCodeAlphabet) != "" {
			t.Fatalf("code %q", c)
		}
		if seen[c] {
			t.Fatalf("code %q drawn twice", c)
		}
		seen[c] = true
	}
}

func TestFormatCode(t *testing.T) {
	if got := FormatCode("abcd efgh-ijklmnop"); got != "ABCD-EFGH-IJKL-MNOP" {
		t.Fatalf("FormatCode: %q", got)
	}
	if got := QRText("ADDR", "ABCDEFGHIJKLMNOP"); got != "iotahome:pair?address=ADDR&code=ABCD-EFGH-IJKL-MNOP" {
		t.Fatalf("QRText: %q", got)
	}
	// The proofs do not care how the code was typed.
	if protocol.HomeProof("abcd-efgh-ijkl-mnop", "c", "n", "a") != protocol.HomeProof("ABCDEFGHIJKLMNOP", "c", "n", "a") {
		t.Fatal("proof depends on the code's formatting")
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }
