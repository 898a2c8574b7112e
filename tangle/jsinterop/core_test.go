package jsinterop

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
	"iotahome/tangle/seed"
	"iotahome/tangle/tangletest"
)

// jsTransaction is the part of @iota/core's transaction objects the tests
// look at.
type jsTransaction struct {
	Hash                     string `json:"hash"`
	Address                  string `json:"address"`
	Bundle                   string `json:"bundle"`
	CurrentIndex             int    `json:"currentIndex"`
	LastIndex                int    `json:"lastIndex"`
	SignatureMessageFragment string `json:"signatureMessageFragment"`
}

func newAddress(t *testing.T) trinary.Hash {
	t.Helper()
	return newProvider(t).address
}

func goClient(t *testing.T, n *tangletest.Node) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{NodeURL: n.URL, MWM: n.MWM, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCoreValueZeroTransfer: @iota/core sends a two-transaction zero-value
// message through the node's attachToTangle and finds it again; our Go
// client reads the same bundle; every call on an unused address (which
// sends empty lists to the node) answers empty instead of throwing.
func TestCoreValueZeroTransfer(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	js := startJS(t, n.URL)

	var info struct {
		AppName string `json:"appName"`
	}
	js.core("getNodeInfo", &info)
	if info.AppName == "" {
		t.Fatal("getNodeInfo without appName")
	}

	s, _ := seed.New()
	to := newAddress(t)
	text := `{"hello":"from @iota/core","filler":"` + strings.Repeat("x", 1300) + `"}`
	msg, err := client.ASCIIToTrytes(text)
	if err != nil {
		t.Fatal(err)
	}
	var prepared []string
	js.core("prepareTransfers", &prepared, s, []map[string]any{{"address": to, "value": 0, "tag": "JSINTEROP", "message": msg}})
	var sent []jsTransaction
	js.core("sendTrytes", &sent, prepared, 3, 9)
	if len(sent) != 2 {
		t.Fatalf("sendTrytes returned %d transactions, want 2", len(sent))
	}

	var found []jsTransaction
	js.core("findTransactionObjects", &found, map[string]any{"addresses": []string{to}})
	slices.SortFunc(found, func(a, b jsTransaction) int { return a.CurrentIndex - b.CurrentIndex })
	if len(found) != 2 || found[0].Bundle != sent[0].Bundle {
		t.Fatalf("findTransactionObjects: %+v", found)
	}
	got, err := client.TrytesToASCII(strings.TrimRight(found[0].SignatureMessageFragment+found[1].SignatureMessageFragment, "9"))
	if err != nil || strings.TrimRight(got, "\x00") != text {
		t.Fatalf("message read back by @iota/core: %q (%v)", got, err)
	}
	var consistent bool
	js.core("checkConsistency", &consistent, sent[0].Hash)
	var states []bool
	js.core("getInclusionStates", &states, []string{sent[0].Hash, sent[1].Hash})
	var bundle []jsTransaction
	js.core("getBundle", &bundle, sent[0].Hash)
	if !consistent || !slices.Equal(states, []bool{true, true}) || len(bundle) != 2 {
		t.Fatalf("consistent %v, states %v, getBundle %d transactions", consistent, states, len(bundle))
	}

	// Our Go client reads what @iota/core sent.
	bundles, err := goClient(t, n).Bundles(context.Background(), to)
	if err != nil || len(bundles) != 1 {
		t.Fatalf("Go client: %d bundles (%v)", len(bundles), err)
	}
	if goText, err := client.TrytesToASCII(strings.TrimRight(client.Message(bundles[0]), "9")); err != nil || goText != text {
		t.Fatalf("Go client reads %q (%v)", goText, err)
	}

	// An unused address: findTransactions answers [], then @iota/core asks
	// getTrytes for [] (issue 10: the node used to answer 400).
	unused := newAddress(t)
	var none []jsTransaction
	js.core("findTransactionObjects", &none, map[string]any{"addresses": []string{unused}})
	var hashes []string
	js.core("findTransactions", &hashes, map[string]any{"addresses": []string{unused}})
	var trytes []string
	js.core("getTrytes", &trytes, []string{})
	var balances struct {
		Balances []int `json:"balances"`
	}
	js.core("getBalances", &balances, []string{unused})
	var spent []bool
	js.core("wereAddressesSpentFrom", &spent, []string{unused})
	if len(none) != 0 || len(hashes) != 0 || len(trytes) != 0 || !slices.Equal(balances.Balances, []int{0}) || !slices.Equal(spent, []bool{false}) {
		t.Fatalf("unused address: objects %v, hashes %v, getTrytes([]) %v, balances %v, spent %v", none, hashes, trytes, balances, spent)
	}
}

// TestCoreBadInputsRefused: what a broken or hostile client sends through
// @iota/core is refused by the node with an error @iota/core surfaces
// (its "Request error: …" carries the node's text), and nothing is stored.
func TestCoreBadInputsRefused(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	js := startJS(t, n.URL)
	s, _ := seed.New()
	to := newAddress(t)
	msg, _ := client.ASCIIToTrytes("bad inputs")
	var prepared []string
	js.core("prepareTransfers", &prepared, s, []map[string]any{{"address": to, "value": 0, "message": msg}})

	null := strings.Repeat("9", 81)
	var attached []string
	js.core("attachToTangle", &attached, null, null, 9, prepared)
	flip := func(tx string, i int) string {
		b := []byte(tx)
		b[i] = map[bool]byte{true: 'B', false: 'A'}[b[i] == 'A']
		return string(b)
	}
	noPoW := flip(attached[0], 2672)  // another nonce
	tampered := flip(attached[0], 10) // another message, same nonce
	badValue := []byte(attached[0])
	badValue[2290] = 'A' // an unused trit of the value field
	store := func(trytes string) map[string]any {
		return map[string]any{"command": "storeTransactions", "trytes": []string{trytes}}
	}

	count := func() float64 {
		var info map[string]any
		js.core("getNodeInfo", &info)
		return info["transactions"].(float64)
	}
	before := count()
	// @iota/core checks some inputs itself before sending.
	if err := js.coreErr("storeTransactions", []string{strings.Repeat("9", 2673)}); err == nil || !strings.Contains(err.Error(), "Invalid attached trytes") {
		t.Errorf("@iota/core storeTransactions of the null transaction: %v", err)
	}
	// What passes its checks, and the raw IRI calls of its HTTP client,
	// the node refuses.
	for _, tc := range []struct {
		name, method string
		args         []any
		want         string
	}{
		{"no proof of work", "storeTransactions", []any{[]string{noPoW}}, "Request error: Invalid transaction hash: trytes[0] has insufficient proof of work"},
		{"tampered after PoW", "broadcastTransactions", []any{[]string{tampered}}, "Request error: Invalid transaction hash"},
		{"null transaction", "send", []any{store(strings.Repeat("9", 2673))}, "Request error: Invalid transaction hash: trytes[0] is the null transaction"},
		{"bad value field", "send", []any{store(string(badValue))}, "Request error: Invalid transaction: trytes[0] is malformed"},
		{"unattached", "send", []any{store(prepared[0])}, "Request error: Invalid transaction hash: trytes[0] has insufficient proof of work"},
		{"MWM above the node's", "attachToTangle", []any{null, null, 14, prepared}, "Request error: Invalid minWeightMagnitude input: 14"},
		{"depth beyond 15", "getTransactionsToApprove", []any{16}, "Request error: Invalid depth input"},
		{"unknown reference", "getTransactionsToApprove", []any{3, to}, "Request error: reference transaction is invalid"},
		{"unknown tip", "getBalances", []any{[]string{to}, []string{to}}, "Request error: Tip not found"},
		{"checkConsistency of an unknown tail", "checkConsistency", []any{[]string{to}}, "Request error: Invalid transaction, missing"},
	} {
		var err error
		if tc.method == "send" {
			err = js.call(map[string]any{"op": "send", "command": tc.args[0]}, nil)
		} else {
			err = js.coreErr(tc.method, tc.args...)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: @iota/core %s threw %v, want %q", tc.name, tc.method, err, tc.want)
		}
	}
	var hashes []string
	js.core("findTransactions", &hashes, map[string]any{"addresses": []string{to}})
	if after := count(); after != before || len(hashes) != 0 {
		t.Fatalf("refused requests stored something: %v transactions before, %v after; at the address %v", before, after, hashes)
	}
	b, _ := json.Marshal(hashes)
	t.Logf("nothing stored at the address: %s", b)
}
