package node_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	iotaaddress "github.com/iotaledger/iota.go/address"
	"github.com/iotaledger/iota.go/api"
	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/tangletest"
)

// TestEmptyAndMissingLists: as IRI's getParameterAsList, a list parameter
// that is missing is refused ("Invalid parameters") and an empty one is
// answered. @iota/core sends getTrytes {"hashes": []} for every address
// without transactions.
func TestEmptyAndMissingLists(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	for _, tc := range []struct {
		command, param string
		extra          map[string]any
		field          string // the answer's field
		want           any    // its value for an empty list
	}{
		{"getTrytes", "hashes", nil, "trytes", []any{}},
		{"findTransactions", "addresses", nil, "hashes", []any{}},
		{"findTransactions", "bundles", nil, "hashes", []any{}},
		{"findTransactions", "tags", nil, "hashes", []any{}},
		{"findTransactions", "approvees", nil, "hashes", []any{}},
		{"getInclusionStates", "transactions", nil, "states", []any{}},
		{"getBalances", "addresses", nil, "balances", []any{}},
		{"wereAddressesSpentFrom", "addresses", nil, "states", []any{}},
		{"checkConsistency", "tails", nil, "state", true},
		{"storeTransactions", "trytes", nil, "duration", 0.0},
		{"broadcastTransactions", "trytes", nil, "duration", 0.0},
		{"attachToTangle", "trytes", map[string]any{"trunkTransaction": nullHash, "branchTransaction": nullHash, "minWeightMagnitude": 9}, "trytes", []any{}},
	} {
		t.Run(tc.command+"/"+tc.param, func(t *testing.T) {
			body := map[string]any{"command": tc.command, tc.param: []string{}}
			for k, v := range tc.extra {
				body[k] = v
			}
			out := mustOK(t, n.URL, body)
			if got := out[tc.field]; tc.field != "duration" && !equalJSON(got, tc.want) {
				t.Errorf("%s with empty %q: %s = %#v, want %#v", tc.command, tc.param, tc.field, got, tc.want)
			}
			if _, ok := out["duration"]; !ok {
				t.Errorf("no duration in %v", out)
			}
			if tc.command == "findTransactions" {
				return // absent keys are fine as long as another key is there
			}
			delete(body, tc.param)
			mustFail(t, n.URL, body, `Invalid parameters: "`+tc.param+`" is required`)
		})
	}
	// An empty key among non-empty ones intersects to nothing, as on IRI.
	a := newAPI(t, n.URL, true)
	sendMessage(t, a, address(60), "EMPTYKEY", "x", 9)
	if got := stringList(mustOK(t, n.URL, map[string]any{"command": "findTransactions", "addresses": []string{address(60)}, "tags": []string{}})["hashes"]); len(got) != 0 {
		t.Errorf("address ∩ no tags = %v, want nothing", got)
	}
	if got := stringList(mustOK(t, n.URL, map[string]any{"command": "findTransactions", "addresses": []string{address(60)}})["hashes"]); len(got) != 1 {
		t.Errorf("address alone = %v, want one transaction", got)
	}
	// Parameters a command does not use are not looked at (IRI ignores them).
	mustOK(t, n.URL, map[string]any{"command": "getNodeInfo", "hashes": slices.Repeat([]string{"x"}, 1001)})
}

func equalJSON(a, b any) bool {
	switch b := b.(type) {
	case []any:
		a, ok := a.([]any)
		return ok && len(a) == len(b)
	default:
		return a == b
	}
}

// TestNeighbourAndConfigurationCommands: the IRI commands about the
// network and the API's limits answer what is true of a single node.
func TestNeighbourAndConfigurationCommands(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	cfg := mustOK(t, n.URL, map[string]any{"command": "getNodeAPIConfiguration"})
	if cfg["maxRequestsList"] != 1000.0 || cfg["maxFindTransactions"] != 100000.0 || cfg["maxGetTrytes"] != 1000.0 || cfg["maxBodyLength"] != float64(4<<20) {
		t.Errorf("getNodeAPIConfiguration = %v", cfg)
	}
	if nb, ok := mustOK(t, n.URL, map[string]any{"command": "getNeighbors"})["neighbors"].([]any); !ok || len(nb) != 0 {
		t.Errorf("getNeighbors: %v", nb)
	}
	if h, ok := mustOK(t, n.URL, map[string]any{"command": "getMissingTransactions"})["hashes"].([]any); !ok || len(h) != 0 {
		t.Errorf("getMissingTransactions: %v", h)
	}
	for _, cmd := range []string{"addNeighbors", "removeNeighbors"} {
		status, out := call(t, n.URL, map[string]any{"command": cmd, "uris": []string{"tcp://127.0.0.1:15600"}})
		if msg, _ := out["error"].(string); status != http.StatusUnauthorized || !strings.HasPrefix(msg, "COMMAND "+cmd+" is not available on this node") {
			t.Errorf("%s: %d %v", cmd, status, out)
		}
	}
	info := mustOK(t, n.URL, map[string]any{"command": "getNodeInfo"})
	if size, _ := info["dbSizeInBytes"].(float64); size <= 0 {
		t.Errorf("getNodeInfo dbSizeInBytes = %v", info["dbSizeInBytes"])
	}
}

// TestInclusionStatesOfInvalidBundles: a transaction whose bundle has a
// wrong signature, or whose bundle hash does not match its contents, is
// never confirmed (IRI's ledger never confirms one); a correctly signed
// value bundle and zero-value bundles are.
func TestInclusionStatesOfInvalidBundles(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	a := newAPI(t, n.URL, true)
	states := func(hashes ...string) []bool {
		t.Helper()
		raw, _ := mustOK(t, n.URL, map[string]any{"command": "getInclusionStates", "transactions": hashes, "tips": []string{nullHash}})["states"].([]any)
		out := make([]bool, len(raw))
		for i, v := range raw {
			out[i], _ = v.(bool)
		}
		return out
	}
	store := func(trytes []trinary.Trytes) []trinary.Hash {
		t.Helper()
		att, err := a.AttachToTangle(nullHash, nullHash, 9, trytes)
		if err != nil {
			t.Fatal(err)
		}
		mustOK(t, n.URL, map[string]any{"command": "storeTransactions", "trytes": att})
		hashes := make([]trinary.Hash, len(att))
		for i, tx := range att {
			hashes[i] = hashOf(t, tx)
		}
		return hashes // tail first
	}

	// A value bundle spending from an address of testSeed (the node has no
	// ledger; the signature is what matters here).
	from, err := iotaaddress.GenerateAddress(testSeed, 0, consts.SecurityLevelLow, true)
	if err != nil {
		t.Fatal(err)
	}
	to, _ := iotaaddress.GenerateAddress(testSeed, 1, consts.SecurityLevelLow, true)
	signed, err := a.PrepareTransfers(testSeed, bundle.Transfers{{Address: to, Value: 5}}, api.PrepareTransfersOptions{
		Inputs: []api.Input{{Address: from, KeyIndex: 0, Security: consts.SecurityLevelLow, Balance: 5}},
	})
	if err != nil {
		t.Fatal(err)
	}
	good := store(signed)
	// The same bundle with one signature trit changed: same bundle hash,
	// wrong signature.
	forged := slices.Clone(signed)
	for i, tx := range forged {
		if p := parse(t, tx); p.Value < 0 {
			b := []byte(tx)
			b[100] = map[bool]byte{true: 'B', false: 'A'}[b[100] == 'A']
			forged[i] = string(b)
		}
	}
	bad := store(forged)
	// A zero-value bundle whose second transaction was re-addressed after
	// the bundle hash was computed.
	msg := prepare(t, a, address(70), "", strings.Repeat("m", 3000))
	msg[0] = msg[0][:2187] + address(71) + msg[0][2187+81:]
	rehashed := store(msg)
	ok := store(prepare(t, a, address(72), "", "fine"))

	got := states(append(append(append(append([]string{}, good...), bad...), rehashed...), ok...)...)
	want := append(append(append(append([]bool{},
		slices.Repeat([]bool{true}, len(good))...), slices.Repeat([]bool{false}, len(bad))...),
		slices.Repeat([]bool{false}, len(rehashed))...), true)
	if !slices.Equal(got, want) {
		t.Fatalf("inclusion states %v, want %v (valid signed bundle, forged signature, wrong bundle hash, zero-value)", got, want)
	}
	for _, tails := range [][]string{bad[:1], rehashed[:1]} {
		if cons := mustOK(t, n.URL, map[string]any{"command": "checkConsistency", "tails": tails}); cons["state"] != false {
			t.Errorf("checkConsistency of an invalid bundle: %v", cons)
		}
	}
}
