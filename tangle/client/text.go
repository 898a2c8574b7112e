package client

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/trinary"
)

// The Tangle carries trytes; iotahome's messages are ASCII text (JSON) in
// iota.go's encoding: each character c becomes the two trytes
// alphabet[c%27], alphabet[c/27]. These are linear-time versions of
// iota.go's converter.ASCIIToTrytes / TrytesToASCII (which build strings
// by repeated concatenation) with the same output.

// ASCIIToTrytes encodes ASCII text as trytes. Non-ASCII input is an error;
// run it through EscapeNonASCII first.
func ASCIIToTrytes(s string) (trinary.Trytes, error) {
	out := make([]byte, 2*len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 127 {
			return "", fmt.Errorf("non-ASCII byte 0x%02x at %d", c, i)
		}
		out[2*i] = consts.TryteAlphabet[c%27]
		out[2*i+1] = consts.TryteAlphabet[c/27]
	}
	return trinary.Trytes(out), nil
}

// TrytesToASCII decodes trytes made by ASCIIToTrytes. A trailing odd tryte
// must be the padding tryte '9' and is dropped, so a padded transaction
// message (2187 trytes per transaction) decodes; trailing NUL characters
// (from "99" padding) are removed. Pairs that do not encode ASCII are an
// error.
func TrytesToASCII(t trinary.Trytes) (string, error) {
	n := len(t) / 2
	if len(t)%2 == 1 && t[len(t)-1] != '9' {
		return "", errors.New("odd number of trytes")
	}
	out := make([]byte, n)
	for i := range n {
		lo := strings.IndexByte(consts.TryteAlphabet, t[2*i])
		hi := strings.IndexByte(consts.TryteAlphabet, t[2*i+1])
		if lo < 0 || hi < 0 {
			return "", fmt.Errorf("invalid tryte at %d", 2*i)
		}
		v := lo + 27*hi
		if v > 127 {
			return "", fmt.Errorf("trytes at %d do not encode ASCII", 2*i)
		}
		out[i] = byte(v)
	}
	return strings.TrimRight(string(out), "\x00"), nil
}

// EscapeNonASCII replaces every non-ASCII character of s by its JSON
// escape (\uXXXX, a surrogate pair above U+FFFF; invalid UTF-8 becomes
// \ufffd). ASCII is left alone, so JSON stays valid JSON that decodes to
// the same value.
func EscapeNonASCII(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}
