package node

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzSeeds are well-formed and almost well-formed requests of every
// command; testdata/fuzz holds more, found by fuzzing.
var fuzzSeeds = []string{
	`{"command":"getNodeInfo"}`,
	`{"command":"getTransactionsToApprove","depth":3}`,
	`{"command":"getTransactionsToApprove","depth":3,"reference":"` + strings.Repeat("A", 81) + `"}`,
	`{"command":"findTransactions","addresses":["` + strings.Repeat("A", 81) + `"],"tags":["ABC"]}`,
	`{"command":"findTransactions","approvees":["` + strings.Repeat("9", 81) + `"],"bundles":[]}`,
	`{"command":"getTrytes","hashes":["` + strings.Repeat("B", 81) + `"]}`,
	`{"command":"storeTransactions","trytes":["` + strings.Repeat("9", 2673) + `"]}`,
	`{"command":"broadcastTransactions","trytes":[null]}`,
	`{"command":"attachToTangle","trunkTransaction":"` + strings.Repeat("9", 81) + `","branchTransaction":"` + strings.Repeat("9", 81) + `","minWeightMagnitude":1,"trytes":["ABC"]}`,
	`{"command":"getBalances","addresses":["` + strings.Repeat("C", 81) + `"],"threshold":100}`,
	`{"command":"wereAddressesSpentFrom","addresses":[]}`,
	`{"command":"getInclusionStates","transactions":["` + strings.Repeat("D", 81) + `"],"tips":[]}`,
	`{"command":"checkConsistency","tails":["` + strings.Repeat("E", 81) + `"]}`,
	`{"command":"interruptAttachingToTangle"}`,
	`{"command":1}`, `{"command":"getTrytes","hashes":{}}`, `{"depth":-1}`, `[]`, `null`, ``,
}

// FuzzDecodeRequest checks that decoding and the commands' parameter checks
// never panic and that whatever decodes keeps within the limits.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRequest(body)
		if err != nil {
			if req != nil {
				t.Fatalf("error %v with a request", err)
			}
			return
		}
		if req.Command == "" {
			t.Fatal("decoded a request without a command")
		}
		// The pure parameter checks: any result is fine, a panic is not;
		// what passes keeps within the limits.
		if q, _, err := findQuery(req); err == nil && len(q.Addresses)+len(q.Bundles)+len(q.Tags)+len(q.Approvees) > 4*MaxListItems {
			t.Fatalf("findTransactions query of %d values accepted", len(q.Addresses)+len(q.Bundles)+len(q.Tags)+len(q.Approvees))
		}
		if h, err := hashList("hashes", req.Hashes); err == nil && len(h) > MaxListItems {
			t.Fatalf("list of %d hashes accepted", len(h))
		}
		attachable(req.Trytes)
		validateTransactions(req.Trytes, 9, time.Now())
	})
}

// FuzzHandler sends arbitrary bodies through the whole HTTP handler of a
// real node: every answer must be 200, 400 or (addNeighbors and
// removeNeighbors) 401 with a JSON body, and an error status must carry an
// error message. (A 500 would mean an input reached the store or PoW
// unchecked.)
func FuzzHandler(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	n, err := Open(context.Background(), Config{
		DBPath: filepath.Join(f.TempDir(), "fuzz.db"), MWM: 9, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.Close() })
	h := n.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		r.Header.Set("X-IOTA-API-Version", "1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("status %d, body not a JSON object: %v: %.200s", w.Code, err, w.Body.Bytes())
		}
		switch w.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusUnauthorized:
			if msg, _ := out["error"].(string); msg == "" {
				t.Fatalf("400 without an error message: %v", out)
			}
		default:
			t.Fatalf("status %d: %v", w.Code, out)
		}
	})
}
