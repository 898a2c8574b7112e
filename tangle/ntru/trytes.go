package ntru

import (
	"fmt"
	"strings"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/trinary"
	"github.com/katzenpost/sntrup4591761"
)

// PublicKeyTrytesLength is the length of an encoded public key: two trytes
// per byte of the 1218-byte sntrup public key.
const PublicKeyTrytesLength = 2 * sntrup4591761.PublicKeySize

// Trytes encodes the public key as trytes, two per byte: byte b becomes
// alphabet[b%27] followed by alphabet[b/27]. This is iota.go's
// converter.ASCIIToTrytes scheme extended from 0..127 to 0..255 (b/27 ≤ 9),
// so the encoding of a byte below 128 is exactly iota.go's.
func (pub *PublicKey) Trytes() trinary.Trytes {
	var b strings.Builder
	b.Grow(PublicKeyTrytesLength)
	for _, c := range pub.k {
		b.WriteByte(consts.TryteAlphabet[c%27])
		b.WriteByte(consts.TryteAlphabet[c/27])
	}
	return trinary.Trytes(b.String())
}

// String is Trytes.
func (pub *PublicKey) String() string { return string(pub.Trytes()) }

// ParsePublicKey decodes a public key encoded by Trytes. It accepts only the
// canonical encoding: exactly PublicKeyTrytesLength trytes, every pair
// denoting a value 0..255.
func ParsePublicKey(s string) (*PublicKey, error) {
	if len(s) != PublicKeyTrytesLength {
		return nil, fmt.Errorf("ntru: public key: want %d trytes, got %d characters", PublicKeyTrytesLength, len(s))
	}
	pub := new(PublicKey)
	for i := range pub.k {
		lo := strings.IndexByte(consts.TryteAlphabet, s[2*i])
		hi := strings.IndexByte(consts.TryteAlphabet, s[2*i+1])
		if lo < 0 || hi < 0 {
			return nil, fmt.Errorf("ntru: public key: invalid tryte at position %d", 2*i)
		}
		v := lo + 27*hi
		if v > 255 {
			return nil, fmt.Errorf("ntru: public key: trytes %q at position %d do not encode a byte", s[2*i:2*i+2], 2*i)
		}
		pub.k[i] = byte(v)
	}
	return pub, nil
}
