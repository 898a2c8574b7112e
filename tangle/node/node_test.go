package node_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/tangletest"
)

func TestHTTPProtocol(t *testing.T) {
	n := tangletest.StartNode(t, 9)

	req, _ := http.NewRequest(http.MethodPost, n.URL, strings.NewReader(`{"command":"getNodeInfo"}`))
	if status, out := do(t, req); status != http.StatusBadRequest || !strings.Contains(out["error"].(string), "Invalid API Version") {
		t.Errorf("no version header: %d %v", status, out)
	}
	req, _ = http.NewRequest(http.MethodGet, n.URL, nil)
	req.Header.Set("X-IOTA-API-Version", "1")
	if status, out := do(t, req); status != http.StatusMethodNotAllowed || out["error"] == nil {
		t.Errorf("GET: %d %v", status, out)
	}
	req, _ = http.NewRequest(http.MethodOptions, n.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("OPTIONS: %d %v", resp.StatusCode, resp.Header)
	}

	for _, tc := range []struct {
		name, body, want string
	}{
		{"not JSON", `{"command":`, "Invalid JSON syntax"},
		{"not an object", `[1,2]`, "Invalid request payload: the body must be a JSON object"},
		{"null", `null`, "Invalid request payload: 'null'"},
		{"no command", `{"hashes":[]}`, "COMMAND parameter has not been specified in the request."},
		{"unknown command", `{"command":"getPeers"}`, "Command [getPeers] is unknown"},
		{"wrong type", `{"command":"getTrytes","hashes":"ABC"}`, "Invalid hashes input: must be a list of strings"},
		{"wrong element type", `{"command":"getTrytes","hashes":[1]}`, "Invalid hashes input: must be a list of strings"},
		{"wrong number", `{"command":"getTransactionsToApprove","depth":"3"}`, "Invalid depth input: must be an integer"},
		{"too many items", `{"command":"getTrytes","hashes":[` + strings.Repeat(`"A",`, 1000) + `"A"]}`, `Could not complete request: "hashes" has 1001 items, at most 1000`},
		{"body too large", `{"command":"getNodeInfo","x":"` + strings.Repeat("A", 5<<20) + `"}`, "Request too long"},
	} {
		req, _ := http.NewRequest(http.MethodPost, n.URL, bytes.NewReader([]byte(tc.body)))
		req.Header.Set("X-IOTA-API-Version", "1")
		status, out := do(t, req)
		if msg, _ := out["error"].(string); status != http.StatusBadRequest || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %v, want 400 with %q", tc.name, status, out, tc.want)
		}
	}
}

// TestCommands runs every command's happy path and its bad-input error.
func TestCommands(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	a := newAPI(t, n.URL, true)
	url := n.URL

	info := mustOK(t, url, map[string]any{"command": "getNodeInfo"})
	if info["appName"] == "" || info["latestMilestone"] != nullHash || info["tips"] != 0.0 {
		t.Errorf("getNodeInfo on an empty node: %v", info)
	}

	// Empty Tangle: both tips are the null hash.
	tips := mustOK(t, url, map[string]any{"command": "getTransactionsToApprove", "depth": 3})
	if tips["trunkTransaction"] != nullHash || tips["branchTransaction"] != nullHash {
		t.Errorf("getTransactionsToApprove on an empty node: %v", tips)
	}
	mustFail(t, url, map[string]any{"command": "getTransactionsToApprove"}, `Invalid parameters: "depth" is required`)
	mustFail(t, url, map[string]any{"command": "getTransactionsToApprove", "depth": 16}, "Invalid depth input")
	mustFail(t, url, map[string]any{"command": "getTransactionsToApprove", "depth": 3, "reference": "ABC"}, "Invalid reference input")
	mustFail(t, url, map[string]any{"command": "getTransactionsToApprove", "depth": 3, "reference": ""}, "Invalid reference input")
	mustFail(t, url, map[string]any{"command": "getTransactionsToApprove", "depth": 3, "reference": address(9)}, "reference transaction is invalid")

	// attachToTangle: a two-transaction bundle, chained as IRI does.
	addr := address(10)
	unattached := prepare(t, a, addr, "CMDTEST", strings.Repeat("x", 1500))
	if len(unattached) != 2 {
		t.Fatalf("prepared %d transactions, want 2", len(unattached))
	}
	// A stored first transaction as trunk and the null hash as branch, so
	// the chaining below can tell trunk from branch.
	first := attached(t, a, address(9), "", "first", nullHash, nullHash, 9)
	mustOK(t, url, map[string]any{"command": "storeTransactions", "trytes": []string{first}})
	trunk, branch := hashOf(t, first), nullHash
	att := mustOK(t, url, map[string]any{"command": "attachToTangle", "trunkTransaction": trunk,
		"branchTransaction": branch, "minWeightMagnitude": 9, "trytes": unattached})
	txs := stringList(att["trytes"])
	if len(txs) != 2 {
		t.Fatalf("attachToTangle returned %d trytes", len(txs))
	}
	tail, last := parse(t, txs[0]), parse(t, txs[1])
	if tail.CurrentIndex != 0 || last.CurrentIndex != 1 {
		t.Fatalf("attachToTangle order: indexes %d, %d; want tail first", tail.CurrentIndex, last.CurrentIndex)
	}
	if last.TrunkTransaction != trunk || last.BranchTransaction != branch ||
		tail.TrunkTransaction != hashOf(t, txs[1]) || tail.BranchTransaction != trunk {
		t.Errorf("attachToTangle chaining wrong: last %s/%s, tail %s/%s", last.TrunkTransaction, last.BranchTransaction, tail.TrunkTransaction, tail.BranchTransaction)
	}
	if now := time.Now().UnixMilli(); tail.AttachmentTimestamp < now-60_000 || tail.AttachmentTimestamp > now ||
		tail.AttachmentTimestampUpperBound != 3812798742493 || tail.Tag[:7] != "CMDTEST" {
		t.Errorf("attachToTangle fields: timestamp %d, upper bound %d, tag %s", tail.AttachmentTimestamp, tail.AttachmentTimestampUpperBound, tail.Tag)
	}
	// IRI processes the transactions by descending currentIndex whatever
	// the order sent: tail first gives the same chaining.
	att = mustOK(t, url, map[string]any{"command": "attachToTangle", "trunkTransaction": trunk,
		"branchTransaction": branch, "minWeightMagnitude": 9, "trytes": []string{unattached[1], unattached[0]}})
	if tail2, last2 := parse(t, stringList(att["trytes"])[0]), parse(t, stringList(att["trytes"])[1]); tail2.CurrentIndex != 0 ||
		last2.TrunkTransaction != trunk || tail2.TrunkTransaction != last2.Hash {
		t.Errorf("attachToTangle with the tail sent first: chaining %s/%s", last2.TrunkTransaction, tail2.TrunkTransaction)
	}
	for _, mwm := range []int{8, 10, 20} {
		mustFail(t, url, map[string]any{"command": "attachToTangle", "trunkTransaction": trunk, "branchTransaction": branch,
			"minWeightMagnitude": mwm, "trytes": unattached}, fmt.Sprintf("Invalid minWeightMagnitude input: %d", mwm))
	}
	mustFail(t, url, map[string]any{"command": "attachToTangle", "trunkTransaction": "X", "branchTransaction": branch,
		"minWeightMagnitude": 9, "trytes": unattached}, "Invalid trunkTransaction input")
	mustFail(t, url, map[string]any{"command": "attachToTangle", "trunkTransaction": trunk, "branchTransaction": branch,
		"minWeightMagnitude": 9, "trytes": []string{"ABC"}}, "Invalid trytes input: trytes[0] must be 2673 trytes")
	mustFail(t, url, map[string]any{"command": "attachToTangle", "trunkTransaction": trunk, "branchTransaction": branch,
		"trytes": unattached}, `Invalid parameters: "minWeightMagnitude" is required`)
	mustFail(t, url, map[string]any{"command": "attachToTangle", "branchTransaction": branch,
		"minWeightMagnitude": 9, "trytes": unattached}, `Invalid parameters: "trunkTransaction" is required`)

	// Nothing running: interrupting is a no-op, under both names.
	mustOK(t, url, map[string]any{"command": "interruptAttachingToTangle"})
	mustOK(t, url, map[string]any{"command": "interruptAttachToTangle"})

	mustOK(t, url, map[string]any{"command": "storeTransactions", "trytes": txs})
	mustOK(t, url, map[string]any{"command": "storeTransactions", "trytes": txs}) // idempotent
	mustFail(t, url, map[string]any{"command": "storeTransactions"}, `Invalid parameters: "trytes" is required`)
	mustFail(t, url, map[string]any{"command": "broadcastTransactions", "trytes": []string{"9"}}, "Invalid trytes input: trytes[0] must be 2673 trytes")

	// The bundle's tail is now the only tip.
	tips = mustOK(t, url, map[string]any{"command": "getTransactionsToApprove", "depth": 3})
	if tips["trunkTransaction"] != tail.Hash || tips["branchTransaction"] != tail.Hash {
		t.Errorf("tips after one bundle: %v, want %s", tips, tail.Hash)
	}
	tips = mustOK(t, url, map[string]any{"command": "getTransactionsToApprove", "depth": 3, "reference": last.Hash})
	if tips["branchTransaction"] != last.Hash {
		t.Errorf("tips with reference: %v", tips)
	}
	info = mustOK(t, url, map[string]any{"command": "getNodeInfo"})
	if info["tips"] != 1.0 || info["transactions"] != 3.0 {
		t.Errorf("getNodeInfo after one bundle: tips %v, transactions %v", info["tips"], info["transactions"])
	}

	// broadcastTransactions stores too: a second message approving the tail.
	second := attached(t, a, addr, "OTHERTAG", "second", tail.Hash, tail.Hash, 9)
	mustOK(t, url, map[string]any{"command": "broadcastTransactions", "trytes": []string{second}})
	secondHash := hashOf(t, second)

	find := func(q map[string]any) []string {
		t.Helper()
		q["command"] = "findTransactions"
		return stringList(mustOK(t, url, q)["hashes"])
	}
	if got := find(map[string]any{"addresses": []string{addr}}); !slices.Equal(got, []string{tail.Hash, last.Hash, secondHash}) &&
		!slices.Equal(got, []string{last.Hash, tail.Hash, secondHash}) {
		t.Errorf("find by address: %v", got)
	}
	if got := find(map[string]any{"bundles": []string{tail.Bundle}}); len(got) != 2 {
		t.Errorf("find by bundle: %v", got)
	}
	if got := find(map[string]any{"tags": []string{"OTHERTAG"}}); !slices.Equal(got, []string{secondHash}) {
		t.Errorf("find by short tag: %v", got)
	}
	if got := find(map[string]any{"approvees": []string{tail.Hash}}); !slices.Equal(got, []string{secondHash}) {
		t.Errorf("find by approvee: %v", got)
	}
	// Several keys intersect; values within a key unite.
	if got := find(map[string]any{"addresses": []string{addr}, "tags": []string{"CMDTEST"}}); len(got) != 2 || slices.Contains(got, secondHash) {
		t.Errorf("find by address and tag: %v", got)
	}
	if got := find(map[string]any{"addresses": []string{addr}, "tags": []string{"CMDTEST", "OTHERTAG"}}); len(got) != 3 {
		t.Errorf("find by address and two tags: %v", got)
	}
	if got := find(map[string]any{"addresses": []string{address(11)}}); len(got) != 0 {
		t.Errorf("find by unused address: %v", got)
	}
	mustFail(t, url, map[string]any{"command": "findTransactions"}, "Invalid parameters: findTransactions needs at least one")
	mustFail(t, url, map[string]any{"command": "findTransactions", "addresses": []string{addr + "ABCDEFGHI"}}, "Invalid addresses input: addresses[0] must be 81 trytes")
	mustFail(t, url, map[string]any{"command": "findTransactions", "tags": []string{strings.Repeat("A", 28)}}, "Invalid tags input: tags[0]")
	mustFail(t, url, map[string]any{"command": "findTransactions", "tags": []string{"99"}}, "Invalid tag input")
	mustFail(t, url, map[string]any{"command": "findTransactions", "bundles": []string{strings.Repeat("a", 81)}}, "not a tryte")
	mustFail(t, url, map[string]any{"command": "findTransactions", "approvees": []string{nullHash}}, "Invalid approvees input: approvees[0] is the null hash")

	got := stringList(mustOK(t, url, map[string]any{"command": "getTrytes", "hashes": []string{secondHash, address(12)}})["trytes"])
	if len(got) != 2 || got[0] != second || got[1] != strings.Repeat("9", 2673) {
		t.Errorf("getTrytes: known %v, unknown all-9 %v", got[0] == second, len(got) == 2 && got[1] == strings.Repeat("9", 2673))
	}
	mustFail(t, url, map[string]any{"command": "getTrytes"}, `Invalid parameters: "hashes" is required`)

	bal := mustOK(t, url, map[string]any{"command": "getBalances", "addresses": []string{addr, address(13)}, "threshold": 100})
	if b := stringList(bal["balances"]); !slices.Equal(b, []string{"0", "0"}) {
		t.Errorf("getBalances: %v", bal)
	}
	mustFail(t, url, map[string]any{"command": "getBalances", "addresses": []string{"A"}}, "Invalid addresses input: addresses[0]")
	bal = mustOK(t, url, map[string]any{"command": "getBalances", "addresses": []string{addr}, "tips": []string{tail.Hash}})
	if refs := stringList(bal["references"]); !slices.Equal(refs, []string{tail.Hash}) {
		t.Errorf("getBalances references = %v, want the tips given", refs)
	}
	mustFail(t, url, map[string]any{"command": "getBalances", "addresses": []string{addr}, "tips": []string{address(13)}}, "Tip not found: "+address(13))

	spent := mustOK(t, url, map[string]any{"command": "wereAddressesSpentFrom", "addresses": []string{addr}})
	if s, _ := spent["states"].([]any); len(s) != 1 || s[0] != false {
		t.Errorf("wereAddressesSpentFrom: %v", spent)
	}
	mustFail(t, url, map[string]any{"command": "wereAddressesSpentFrom"}, `Invalid parameters: "addresses" is required`)

	incl := mustOK(t, url, map[string]any{"command": "getInclusionStates", "transactions": []string{tail.Hash, address(14)}, "tips": []string{secondHash}})
	if s, _ := incl["states"].([]any); len(s) != 2 || s[0] != true || s[1] != false {
		t.Errorf("getInclusionStates: %v", incl)
	}
	mustFail(t, url, map[string]any{"command": "getInclusionStates", "transactions": []string{"9"}}, "Invalid transactions input: transactions[0]")

	cons := mustOK(t, url, map[string]any{"command": "checkConsistency", "tails": []string{tail.Hash, secondHash}})
	if cons["state"] != true {
		t.Errorf("checkConsistency: %v", cons)
	}
	mustFail(t, url, map[string]any{"command": "checkConsistency", "tails": []string{last.Hash}}, "not a tail")
	mustFail(t, url, map[string]any{"command": "checkConsistency", "tails": []string{address(15)}}, "missing")

	// A stored tail whose approvees are unknown is not consistent.
	orphan := attached(t, a, address(16), "", "orphan", address(102), address(103), 9)
	mustOK(t, url, map[string]any{"command": "storeTransactions", "trytes": []string{orphan}})
	cons = mustOK(t, url, map[string]any{"command": "checkConsistency", "tails": []string{hashOf(t, orphan)}})
	if cons["state"] != false || !strings.Contains(cons["info"].(string), "not solid") {
		t.Errorf("checkConsistency of an orphan: %v", cons)
	}

	// Two tips now (second and the orphan): both get approved at once.
	tips = mustOK(t, url, map[string]any{"command": "getTransactionsToApprove", "depth": 3})
	got2 := []string{tips["trunkTransaction"].(string), tips["branchTransaction"].(string)}
	slices.Sort(got2)
	want2 := []string{secondHash, hashOf(t, orphan)}
	slices.Sort(want2)
	if !slices.Equal(got2, want2) {
		t.Errorf("tips = %v, want both of %v", got2, want2)
	}
}

func TestStoreValidation(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	a := newAPI(t, n.URL, true)
	url := n.URL

	good := attached(t, a, address(20), "", "good", nullHash, nullHash, 9)
	mustOK(t, url, map[string]any{"command": "storeTransactions", "trytes": []string{good}})

	// A transaction whose hash has fewer than 9 trailing zero trits.
	var weak trinary.Trytes
	for i := 0; weak == ""; i++ {
		c := attached(t, a, address(21), "", "weak"+strings.Repeat(" ", i), nullHash, nullHash, 1)
		if trinary.TrailingZeros(trinary.MustTrytesToTrits(hashOf(t, c))) < 9 {
			weak = c
		}
	}
	// Change the message but keep the nonce; try other positions in the
	// (1 in 3^9) case that the changed transaction still meets MWM 9.
	original := attached(t, a, address(22), "", "tampered", nullHash, nullHash, 9)
	var tampered []byte
	for i := 0; tampered == nil || trinary.TrailingZeros(trinary.MustTrytesToTrits(hashOf(t, string(tampered)))) >= 9; i++ {
		tampered = []byte(original)
		tampered[i] = map[bool]byte{true: 'B', false: 'A'}[tampered[i] == 'A']
	}
	badValue := []byte(attached(t, a, address(23), "", "value", nullHash, nullHash, 9))
	badValue[2290] = 'A' // an unused value trit

	valid := attached(t, a, address(24), "", "valid but in a bad batch", nullHash, nullHash, 9)
	for _, tc := range []struct {
		name   string
		trytes string
		want   string
	}{
		{"short", good[:2672], "Invalid trytes input: trytes[1] must be 2673 trytes"},
		{"long", good + "9", "must be 2673 trytes"},
		{"lower case", strings.ToLower(good[:10]) + good[10:], "not a tryte"},
		{"insufficient PoW", weak, "Invalid transaction hash: trytes[1] has insufficient proof of work"},
		{"tampered", string(tampered), "insufficient proof of work"},
		{"bad value field", string(badValue), "Invalid transaction: trytes[1] is malformed"},
		// All 9s hashes to all 9s, which "meets" any MWM (issue 13).
		{"null transaction", strings.Repeat("9", 2673), "trytes[1] is the null transaction"},
	} {
		// The valid transaction comes first: a bad one later in the same
		// request must keep it from being stored.
		mustFail(t, url, map[string]any{"command": "storeTransactions", "trytes": []string{valid, tc.trytes}}, tc.want)
	}
	hashes := stringList(mustOK(t, url, map[string]any{"command": "findTransactions", "addresses": []string{address(24)}})["hashes"])
	if len(hashes) != 0 {
		t.Errorf("a rejected batch stored %v", hashes)
	}
	// The null transaction alone is refused too, and is not stored.
	mustFail(t, url, map[string]any{"command": "broadcastTransactions", "trytes": []string{strings.Repeat("9", 2673)}}, "null transaction")
	if info := mustOK(t, url, map[string]any{"command": "getNodeInfo"}); info["transactions"] != 1.0 || info["tips"] != 1.0 {
		t.Errorf("after refused batches the node holds %v transactions and %v tips, want 1 and 1", info["transactions"], info["tips"])
	}
	// What was stored before is untouched.
	got := stringList(mustOK(t, url, map[string]any{"command": "getTrytes", "hashes": []string{hashOf(t, good)}})["trytes"])
	if len(got) != 1 || got[0] != good {
		t.Errorf("earlier transaction changed after rejected batches")
	}
}

func TestPersistsAcrossRestart(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	a := newAPI(t, n.URL, false)
	sent := sendMessage(t, a, address(30), "RESTART", "before the restart", 9)
	tail := sent[0].Hash

	n.Restart(t)

	got := stringList(mustOK(t, n.URL, map[string]any{"command": "findTransactions", "addresses": []string{address(30)}})["hashes"])
	if !slices.Equal(got, []string{tail}) {
		t.Fatalf("after restart, find by address = %v, want [%s]", got, tail)
	}
	trytes := stringList(mustOK(t, n.URL, map[string]any{"command": "getTrytes", "hashes": []string{tail}})["trytes"])
	if hashOf(t, trytes[0]) != tail {
		t.Fatalf("after restart, getTrytes returned other trytes")
	}
	tips := mustOK(t, n.URL, map[string]any{"command": "getTransactionsToApprove", "depth": 3})
	if tips["trunkTransaction"] != tail {
		t.Fatalf("after restart, tips = %v, want %s", tips, tail)
	}
	// And the restarted node keeps accepting transactions.
	sendMessage(t, a, address(30), "RESTART", "after the restart", 9)
	got = stringList(mustOK(t, n.URL, map[string]any{"command": "findTransactions", "addresses": []string{address(30)}})["hashes"])
	if len(got) != 2 || got[0] != tail {
		t.Fatalf("after restart and a second message: %v", got)
	}
}

func TestInterruptAttach(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	a := newAPI(t, n.URL, false)
	var unattached []trinary.Trytes
	for i := range 300 {
		unattached = append(unattached, prepare(t, a, address(40+i), "", "interrupt me")...)
	}
	var wg sync.WaitGroup
	var status int
	var out map[string]any
	wg.Go(func() {
		// 300 transactions keep the PoW busy for seconds (this is not a
		// PoW measurement).
		status, out = call(t, n.URL, map[string]any{"command": "attachToTangle", "trunkTransaction": nullHash,
			"branchTransaction": nullHash, "minWeightMagnitude": 9, "trytes": unattached})
	})
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	mustOK(t, n.URL, map[string]any{"command": "interruptAttachingToTangle"})
	wg.Wait()
	if msg, _ := out["error"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "interrupted") {
		t.Fatalf("interrupted attach: %d %v", status, out)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("attach answered %v after the interrupt", took)
	}
	// The node attaches again at once.
	a2 := newAPI(t, n.URL, false)
	if _, err := a2.AttachToTangle(nullHash, nullHash, 9, prepare(t, a2, address(39), "", "after")); err != nil {
		t.Fatalf("attach after an interrupt: %v", err)
	}
}

// TestConcurrentClients has several clients send through the node's
// attachToTangle at once while another polls findTransactions: everything
// sent is found, and the tips end up approving one another rather than
// piling up.
func TestConcurrentClients(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	const clients, each = 4, 5
	addr := address(50)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				mustOK(t, n.URL, map[string]any{"command": "findTransactions", "addresses": []string{addr}})
			}
		}
	})
	var senders sync.WaitGroup
	for c := range clients {
		// Half the clients do their own PoW, half use the node's.
		a := newAPI(t, n.URL, c%2 == 0)
		var messages [][]trinary.Trytes
		for i := range each {
			messages = append(messages, prepare(t, a, addr, "", fmt.Sprintf("client %d message %d", c, i)))
		}
		senders.Go(func() {
			for i, m := range messages {
				if _, err := a.SendTrytes(m, 3, 9); err != nil {
					t.Errorf("client %d message %d: %v", c, i, err)
				}
			}
		})
	}
	senders.Wait()
	close(stop)
	wg.Wait()
	got := stringList(mustOK(t, n.URL, map[string]any{"command": "findTransactions", "addresses": []string{addr}})["hashes"])
	if len(got) != clients*each {
		t.Fatalf("found %d transactions, want %d", len(got), clients*each)
	}
	// Concurrent senders may pick the same tips, so several can be left.
	// Each further (sequential) transaction approves two different tips and
	// adds one, so the Tangle must converge to a single tip.
	tips := int(mustOK(t, n.URL, map[string]any{"command": "getNodeInfo"})["tips"].(float64))
	if tips < 1 || tips > clients*each/2 {
		t.Fatalf("%d tips after %d concurrent senders", tips, clients)
	}
	a := newAPI(t, n.URL, false)
	for i := 1; i < tips; i++ {
		if _, err := a.SendTrytes(prepare(t, a, address(51), "", fmt.Sprint("merge ", i)), 3, 9); err != nil {
			t.Fatal(err)
		}
	}
	if after := mustOK(t, n.URL, map[string]any{"command": "getNodeInfo"})["tips"]; after != 1.0 {
		t.Fatalf("%d tips, then %v after %d merging transactions; want 1", tips, after, tips-1)
	}
}
