package node

import (
	"fmt"
	"strings"

	"github.com/iotaledger/iota.go/trinary"
)

// Sizes in trytes of the values the API takes.
const (
	hashTrytes        = 81
	tagTrytes         = 27
	transactionTrytes = 2673
)

// badRequest is an error caused by the request, answered with 400 and its
// message.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badRequestf(format string, args ...any) error {
	return &badRequest{msg: fmt.Sprintf(format, args...)}
}

// firstNonTryte returns the index of the first byte of s that is not in the
// tryte alphabet (9A-Z), or -1.
func firstNonTryte(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '9' && (c < 'A' || c > 'Z') {
			return i
		}
	}
	return -1
}

func checkTrytes(name, s string, size int) error {
	if len(s) != size {
		return badRequestf("invalid %s: must be %d trytes, got %d characters", name, size, len(s))
	}
	if i := firstNonTryte(s); i >= 0 {
		return badRequestf("invalid %s: character %d (%q) is not a tryte (9, A-Z)", name, i, s[i])
	}
	return nil
}

// hashList checks a required list of 81-tryte hashes (or addresses without
// checksum).
func hashList(name string, items []string) ([]trinary.Hash, error) {
	if len(items) == 0 {
		return nil, badRequestf("invalid params: %q must be a non-empty list", name)
	}
	return optionalHashList(name, items)
}

// optionalHashList is hashList for a list that may be missing or empty.
func optionalHashList(name string, items []string) ([]trinary.Hash, error) {
	out := make([]trinary.Hash, len(items))
	for i, s := range items {
		if err := checkTrytes(fmt.Sprintf("%s[%d]", name, i), s, hashTrytes); err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// tagList checks tags of up to 27 trytes and pads them with 9s to 27, as
// IRI does.
func tagList(items []string) ([]trinary.Trytes, error) {
	out := make([]trinary.Trytes, len(items))
	for i, s := range items {
		if len(s) == 0 || len(s) > tagTrytes {
			return nil, badRequestf("invalid tags[%d]: must be 1 to %d trytes, got %d characters", i, tagTrytes, len(s))
		}
		if j := firstNonTryte(s); j >= 0 {
			return nil, badRequestf("invalid tags[%d]: character %d (%q) is not a tryte (9, A-Z)", i, j, s[j])
		}
		out[i] = s + strings.Repeat("9", tagTrytes-len(s))
	}
	return out, nil
}

// trytesList checks a required list of raw transaction trytes (length and
// alphabet only).
func trytesList(items []string) ([]trinary.Trytes, error) {
	if len(items) == 0 {
		return nil, badRequestf(`invalid params: "trytes" must be a non-empty list`)
	}
	out := make([]trinary.Trytes, len(items))
	for i, s := range items {
		if err := checkTrytes(fmt.Sprintf("trytes[%d]", i), s, transactionTrytes); err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
