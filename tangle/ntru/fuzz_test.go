package ntru

import (
	"bytes"
	"testing"
)

// FuzzOpen feeds hostile boxes to Open: it must never panic, and the only
// plaintext it may ever return is the one sealed for the seed corpus (a
// fuzz worker runs in another process, so it cannot compare with the very
// box sealed here).
func FuzzOpen(f *testing.F) {
	pub, priv := mustKeys(f, seedA)
	const sealed = "seed corpus"
	box, err := Seal(pub, []byte(sealed))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(box)
	f.Add(box[:Overhead])
	f.Add([]byte{1})
	f.Add(bytes.Repeat([]byte{0xff}, Overhead+4))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := Open(priv, in)
		if err == nil && string(got) != sealed {
			t.Fatalf("Open accepted a box it never sealed: %q", got)
		}
	})
}

// FuzzParsePublicKey checks that whatever ParsePublicKey accepts encodes
// back to exactly the same string (the encoding is canonical).
func FuzzParsePublicKey(f *testing.F) {
	pub, _ := mustKeys(f, seedA)
	f.Add(string(pub.Trytes()))
	f.Add("")
	f.Add("ZZ")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePublicKey(s)
		if err != nil {
			return
		}
		if got := string(k.Trytes()); got != s {
			t.Fatalf("ParsePublicKey(%q) re-encodes as %q", s, got)
		}
	})
}
