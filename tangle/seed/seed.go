// Package seed creates IOTA seeds and derives the addresses that identify a
// party on the Tangle (a reader's device address, My Home's reply address, a
// service provider's address).
package seed

import (
	"crypto/rand"
	"fmt"

	"github.com/iotaledger/iota.go/address"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"
	"github.com/iotaledger/iota.go/trinary"
)

// Length is the number of trytes in a seed.
const Length = consts.HashTrytesSize

// SecurityLevel is the security level of addresses derived by Address. 2 is
// what IOTA wallets use by default, so an address shown here is the same one
// a wallet would derive from the seed. Nothing in iotahome signs with these
// addresses (all transfers are zero-value), so the level only fixes which
// address a seed maps to; it must never change.
const SecurityLevel = consts.SecurityLevelMedium

// alphabet is the 27 tryte letters.
const alphabet = consts.TryteAlphabet

// New returns a random 81-tryte seed from crypto/rand. Each tryte is uniform
// over the 27 letters: bytes ≥ 243 (the largest multiple of 27 that fits in a
// byte) are rejected instead of reduced modulo 27, which would bias the
// first 13 letters.
func New() (trinary.Trytes, error) {
	out := make([]byte, 0, Length)
	buf := make([]byte, 2*Length)
	for len(out) < Length {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("seed: read random bytes: %w", err)
		}
		for _, b := range buf {
			if b >= 243 {
				continue
			}
			out = append(out, alphabet[b%27])
			if len(out) == Length {
				break
			}
		}
	}
	return trinary.Trytes(out), nil
}

// Validate reports whether s is a well-formed seed: exactly 81 trytes of
// the alphabet A–Z and 9.
func Validate(s trinary.Trytes) error {
	if !guards.IsTrytesOfExactLength(s, Length) {
		return fmt.Errorf("seed: want %d trytes of [A-Z9], got %d characters", Length, len(s))
	}
	return nil
}

// Address derives the address with the given index from seed (security
// level SecurityLevel, 81 trytes, without checksum). It is deterministic.
func Address(s trinary.Trytes, index uint64) (trinary.Hash, error) {
	if err := Validate(s); err != nil {
		return "", err
	}
	a, err := address.GenerateAddress(s, index, SecurityLevel)
	if err != nil {
		return "", fmt.Errorf("seed: generate address %d: %w", index, err)
	}
	return a, nil
}
