package node_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"iotahome/tangle/tangletest"
)

// TestJavaScriptClient runs testdata/js/roundtrip.js, IOTA's @iota/core
// doing prepareTransfers -> sendTrytes -> findTransactionObjects, against
// the node. It needs node and the npm packages, which the repository does
// not ship: install them once with
//
//	npm install --prefix tangle/node/testdata/js
//
// (package.json pins every @iota package to 1.0.0-beta.30: a plain caret
// range resolves to an incompatible 1.0.0-beta.cda45022 build) or point
// IOTA_JS_NODE_MODULES at a node_modules folder that has them. Skipped
// otherwise.
func TestJavaScriptClient(t *testing.T) {
	modules := os.Getenv("IOTA_JS_NODE_MODULES")
	if modules == "" {
		modules, _ = filepath.Abs(filepath.Join("testdata", "js", "node_modules"))
	}
	if _, err := os.Stat(filepath.Join(modules, "@iota", "core")); err != nil {
		t.Skipf("@iota/core not installed in %s (see the test's comment)", modules)
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node binary")
	}
	n := tangletest.StartNode(t, 9)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, filepath.Join("testdata", "js", "roundtrip.js"), n.URL, "9")
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("roundtrip.js: %v; output %s", err, out)
	}
	var result struct {
		Sent, Found    int
		SameBundle     bool
		MessageMatches bool
		Consistent     bool
		Included       bool
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(out))), &result); err != nil {
		t.Fatalf("roundtrip.js output %q: %v", out, err)
	}
	if result.Sent != 2 || result.Found != 2 || !result.SameBundle || !result.MessageMatches || !result.Consistent || !result.Included {
		t.Fatalf("roundtrip.js: %+v", result)
	}
	t.Logf("@iota/core round trip: %s", out)
}
