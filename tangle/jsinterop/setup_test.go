package jsinterop

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// stampFile in node_modules records which package.json and lockfile the
// installed packages came from.
const stampFile = ".iotahome-installed"

var (
	installOnce sync.Once
	installErr  error
	modulesDir  string
)

// nodeModules returns the node_modules folder with IOTA's JavaScript
// clients, installing them with npm ci first if they are missing or were
// installed from another package.json or lockfile. Without node or npm the
// test skips, or fails with CI=true.
func nodeModules(t *testing.T) string {
	t.Helper()
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed; CI must run the JavaScript interop tests (.ci/run installs Node.js)", bin)
			}
			t.Skipf("%s is not installed (apt-get install nodejs npm); skipping the JavaScript interop test", bin)
		}
	}
	installOnce.Do(func() { modulesDir, installErr = install() })
	if installErr != nil {
		t.Fatal(installErr)
	}
	return modulesDir
}

func install() (string, error) {
	dir, err := filepath.Abs(".")
	if err != nil {
		return "", err
	}
	modules := filepath.Join(dir, "node_modules")
	want, err := lockHash(dir)
	if err != nil {
		return "", err
	}
	if got, err := os.ReadFile(filepath.Join(modules, stampFile)); err == nil && string(got) == want {
		return modules, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
	}
	if err := os.WriteFile(filepath.Join(modules, stampFile), []byte(want), 0o644); err != nil {
		return "", err
	}
	return modules, nil
}

// lockHash identifies what npm ci installs: package.json, the lockfile and
// .npmrc.
func lockHash(dir string) (string, error) {
	h := sha256.New()
	for _, f := range []string{"package.json", "package-lock.json", ".npmrc"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// nodeCommand is a node process running script with the installed
// packages resolvable (NODE_PATH), also for scripts outside this folder.
func nodeCommand(ctx context.Context, t *testing.T, script string, args ...string) *exec.Cmd {
	t.Helper()
	modules := nodeModules(t)
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stderr = &testWriter{t: t, prefix: filepath.Base(script) + ": "}
	return cmd
}

// testWriter copies a process's stderr into the test log.
type testWriter struct {
	t      *testing.T
	prefix string
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s%s", w.prefix, p)
	return len(p), nil
}

// jsClient is one iota.js process: IOTA's JavaScript clients connected to
// a node.
type jsClient struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

// startJS runs iota.js against the node at url until the test ends.
func startJS(t *testing.T, url string) *jsClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := nodeCommand(ctx, t, "iota.js", url)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cancel()
			<-done
		}
		cancel()
	})
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	return &jsClient{t: t, in: in, out: sc}
}

// jsError is an error a JavaScript client threw (or rejected with).
type jsError struct{ msg string }

func (e *jsError) Error() string { return e.msg }

// call sends one request and decodes its result into result (if not nil).
// It returns a *jsError when the JavaScript side threw.
func (j *jsClient) call(req map[string]any, result any) error {
	j.t.Helper()
	if args, ok := req["args"].([]any); ok && args == nil {
		req["args"] = []any{}
	}
	b, err := json.Marshal(req)
	if err != nil {
		j.t.Fatal(err)
	}
	if _, err := j.in.Write(append(b, '\n')); err != nil {
		j.t.Fatalf("write to iota.js: %v", err)
	}
	if !j.out.Scan() {
		j.t.Fatalf("iota.js stopped: %v", j.out.Err())
	}
	var answer struct {
		Result json.RawMessage `json:"result"`
		Error  *string         `json:"error"`
	}
	if err := json.Unmarshal(j.out.Bytes(), &answer); err != nil {
		j.t.Fatalf("iota.js answered %q: %v", j.out.Bytes(), err)
	}
	if answer.Error != nil {
		return &jsError{*answer.Error}
	}
	if result != nil && len(answer.Result) > 0 {
		if err := json.Unmarshal(answer.Result, result); err != nil {
			j.t.Fatalf("iota.js result %s: %v", answer.Result, err)
		}
	}
	return nil
}

// core calls @iota/core's API method and fails the test if it throws.
func (j *jsClient) core(method string, result any, args ...any) {
	j.t.Helper()
	if err := j.call(map[string]any{"op": "core", "method": method, "args": args}, result); err != nil {
		j.t.Fatalf("@iota/core %s: %v", method, err)
	}
}

// coreErr calls @iota/core's method and returns what it threw (nil if it
// did not).
func (j *jsClient) coreErr(method string, args ...any) error {
	j.t.Helper()
	err := j.call(map[string]any{"op": "core", "method": method, "args": args}, nil)
	var jsErr *jsError
	if err != nil && !errors.As(err, &jsErr) {
		j.t.Fatal(err)
	}
	return err
}

// mamMessage is what @iota/mam.js's mamFetch returns, plus the message as
// text.
type mamMessage struct {
	Root     string `json:"root"`
	NextRoot string `json:"nextRoot"`
	Message  string `json:"message"`
	Text     string `json:"text"`
}

// mamFetchAll runs @iota/mam.js's mamFetchAll (limit 0: no limit).
func (j *jsClient) mamFetchAll(root, mode, sideKey string, limit int) ([]mamMessage, error) {
	j.t.Helper()
	args := []any{root, mode, nil} // no side key in private mode (mam.js refuses one)
	if sideKey != "" {
		args[2] = sideKey
	}
	if limit > 0 {
		args = append(args, limit)
	}
	var msgs []mamMessage
	err := j.call(map[string]any{"op": "mam", "fn": "mamFetchAll", "args": args}, &msgs)
	return msgs, err
}
