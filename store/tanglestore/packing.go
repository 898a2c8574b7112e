package tanglestore

import (
	"fmt"
	"strings"

	"github.com/iotaledger/iota.go/trinary"
)

// Hashes, addresses, bundles and tags are stored packed 5 trits per byte
// (iota.go's trinary byte encoding): 49 bytes for 81 trytes instead of 81,
// which keeps the five indexes about 40% smaller.

const (
	transactionTrytes = 2673
	// messageTrytes is the signature/message fragment at the start of every
	// transaction. Zero-value messages are mostly 9-padding, so the packed
	// form stores the fixed 486-tryte suffix first and the fragment with its
	// trailing 9s cut off after it.
	messageTrytes = 2187
)

func packTrytes(t trinary.Trytes) ([]byte, error) {
	b, err := trinary.TrytesToBytes(t)
	if err != nil {
		return nil, fmt.Errorf("pack %.20q: %w", t, err)
	}
	return b, nil
}

func unpackTrytes(b []byte, n int) (trinary.Trytes, error) {
	t, err := trinary.BytesToTrytes(b, n)
	if err != nil {
		return "", fmt.Errorf("unpack %d bytes: %w", len(b), err)
	}
	return t, nil
}

// packTransaction packs 2673 trytes into about 330 bytes for a short message
// and at most 1604 bytes.
func packTransaction(t trinary.Trytes) ([]byte, error) {
	if len(t) != transactionTrytes {
		return nil, fmt.Errorf("pack transaction: %d trytes, want %d", len(t), transactionTrytes)
	}
	reordered := t[messageTrytes:] + trinary.Trytes(strings.TrimRight(string(t[:messageTrytes]), "9"))
	return packTrytes(reordered)
}

// unpackTransaction reverses packTransaction. Trits beyond the packed ones
// decode as zero, i.e. as the 9s that packing cut off.
func unpackTransaction(b []byte) (trinary.Trytes, error) {
	n := (len(b)*5 + 2) / 3
	t, err := unpackTrytes(b, n)
	if err != nil {
		return "", err
	}
	suffixLen := transactionTrytes - messageTrytes
	if len(t) < suffixLen {
		return "", fmt.Errorf("unpack transaction: only %d trytes", len(t))
	}
	msg := string(t[suffixLen:])
	if len(msg) > messageTrytes {
		msg = msg[:messageTrytes]
	}
	return trinary.Trytes(msg+strings.Repeat("9", messageTrytes-len(msg))) + t[:suffixLen], nil
}
