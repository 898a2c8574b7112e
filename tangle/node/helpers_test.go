package node_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/api"
	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/checksum"
	"github.com/iotaledger/iota.go/converter"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"
)

var nullHash = strings.Repeat("9", 81)

// call posts a raw IRI request (with the API version header) and decodes
// the JSON answer.
func call(t testing.TB, url string, body any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-IOTA-API-Version", "1")
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("answer is not JSON: %v: %.200s", err, raw)
		}
	}
	return resp.StatusCode, out
}

// mustOK calls and fails the test unless the node answers 200.
func mustOK(t testing.TB, url string, body any) map[string]any {
	t.Helper()
	status, out := call(t, url, body)
	if status != http.StatusOK {
		t.Fatalf("%v: status %d: %v", body, status, out)
	}
	return out
}

// mustFail calls and fails the test unless the node answers 400 with an
// error message containing want.
func mustFail(t testing.TB, url string, body any, want string) {
	t.Helper()
	status, out := call(t, url, body)
	msg, _ := out["error"].(string)
	if status != http.StatusBadRequest || !strings.Contains(msg, want) {
		t.Fatalf("%.300v: status %d, %v; want 400 with error containing %q", body, status, out, want)
	}
}

func stringList(v any) []string {
	items, _ := v.([]any)
	out := make([]string, len(items))
	for i, x := range items {
		out[i], _ = x.(string)
	}
	return out
}

// prepare returns the unattached trytes of a zero-value bundle carrying msg
// to addr, last transaction first (as iota.go hands them to attachToTangle).
func prepare(t testing.TB, a *api.API, addr trinary.Hash, tag, msg string) []trinary.Trytes {
	t.Helper()
	withChecksum, err := checksum.AddChecksum(addr, true, 9)
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := converter.ASCIIToTrytes(msg)
	if err != nil {
		t.Fatal(err)
	}
	trytes, err := a.PrepareTransfers(testSeed, bundle.Transfers{{Address: withChecksum, Tag: tag, Message: encoded}}, api.PrepareTransfersOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return trytes
}

// attached returns attached trytes of a one-transaction bundle, PoW done
// locally at mwm, approving trunk and branch.
func attached(t testing.TB, a *api.API, addr trinary.Hash, tag, msg string, trunk, branch trinary.Hash, mwm uint64) trinary.Trytes {
	t.Helper()
	out, err := a.AttachToTangle(trunk, branch, mwm, prepare(t, a, addr, tag, msg))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 {
		t.Fatalf("message %q needs %d transactions, want 1", msg, len(out))
	}
	return out[0]
}

func hashOf(t testing.TB, trytes trinary.Trytes) trinary.Hash {
	t.Helper()
	h, err := curl.HashTrytes(trytes)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func parse(t testing.TB, trytes trinary.Trytes) *transaction.Transaction {
	t.Helper()
	tx, err := transaction.AsTransactionObject(trytes)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}
