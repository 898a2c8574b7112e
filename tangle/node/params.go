package node

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/iotaledger/iota.go/trinary"
)

// Sizes in trytes of the values the API takes.
const (
	hashTrytes        = 81
	tagTrytes         = 27
	transactionTrytes = 2673
)

// apiError is an error caused by the request (or by the node's limits),
// answered with its HTTP status and {"error": msg}.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// badRequestf is a 400, IRI's status for an ErrorResponse.
func badRequestf(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// Texts IRI uses; the node's messages start with them and add detail after
// a colon, so that a client matching IRI's text still matches.
const (
	invalidParams = "Invalid parameters"         // a required parameter is missing
	overMax       = "Could not complete request" // a list or result is too long
)

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

// checkTrytes checks that s is size trytes; param names the parameter (for
// IRI's "Invalid <param> input") and what the element is called in detail.
func checkTrytes(param, what, s string, size int) error {
	if len(s) != size {
		return badRequestf("Invalid %s input: %s must be %d trytes, got %d characters", param, what, size, len(s))
	}
	if i := firstNonTryte(s); i >= 0 {
		return badRequestf("Invalid %s input: %s character %d (%q) is not a tryte (9, A-Z)", param, what, i, s[i])
	}
	return nil
}

// stringParam checks a required scalar of size trytes.
func stringParam(name string, v *string, size int) (string, error) {
	if v == nil {
		return "", badRequestf("%s: %q is required", invalidParams, name)
	}
	if err := checkTrytes(name, name, *v, size); err != nil {
		return "", err
	}
	return *v, nil
}

// listParam checks a list parameter the way IRI's getParameterAsList does:
// it must be present (an empty list is fine), hold at most MaxListItems
// elements, and each element must be size trytes (size 0: tags, checked
// by tagList).
func listParam(name string, items []string, size int) ([]string, error) {
	if items == nil {
		return nil, badRequestf("%s: %q is required", invalidParams, name)
	}
	if len(items) > MaxListItems {
		return nil, badRequestf("%s: %q has %d items, at most %d allowed", overMax, name, len(items), MaxListItems)
	}
	if size > 0 {
		for i, s := range items {
			if err := checkTrytes(name, fmt.Sprintf("%s[%d]", name, i), s, size); err != nil {
				return nil, err
			}
		}
	}
	return items, nil
}

// hashList is listParam for 81-tryte hashes (or addresses without
// checksum).
func hashList(name string, items []string) ([]trinary.Hash, error) {
	return listParam(name, items, hashTrytes)
}

// findSet is hashList for findTransactions' keys: like IRI's
// getParameterAsSet it refuses the null hash, which every transaction of
// an empty Tangle approves and no real address or bundle has.
func findSet(name string, items []string) ([]trinary.Hash, error) {
	hashes, err := hashList(name, items)
	if err != nil {
		return nil, err
	}
	for i, h := range hashes {
		if h == nullHash {
			return nil, badRequestf("Invalid %s input: %s[%d] is the null hash (all 9s)", name, name, i)
		}
	}
	return hashes, nil
}

// tagList checks tags of up to 27 trytes and pads them with 9s to 27, as
// IRI does. A tag of only 9s pads to the null tag, which IRI refuses
// ("Invalid tag input").
func tagList(items []string) ([]trinary.Trytes, error) {
	if _, err := listParam("tags", items, 0); err != nil {
		return nil, err
	}
	out := make([]trinary.Trytes, len(items))
	for i, s := range items {
		if len(s) > tagTrytes {
			return nil, badRequestf("Invalid tags input: tags[%d] must be at most %d trytes, got %d characters", i, tagTrytes, len(s))
		}
		if j := firstNonTryte(s); j >= 0 {
			return nil, badRequestf("Invalid tags input: tags[%d] character %d (%q) is not a tryte (9, A-Z)", i, j, s[j])
		}
		if strings.Trim(s, "9") == "" {
			return nil, badRequestf("Invalid tag input: tags[%d] is empty or only 9s", i)
		}
		out[i] = s + strings.Repeat("9", tagTrytes-len(s))
	}
	return out, nil
}
