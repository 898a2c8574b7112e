package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDuringAttach (issue 13): with one attachToTangle doing proof
// of work and another waiting for its turn, SIGTERM used to wait the full
// 15 s shutdown grace (the waiting request never noticed) while the PoW
// went on. The node must stop both and exit at once, as docs/tangle-node.md
// says.
func TestSIGTERMDuringAttach(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tangle")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// MWM 18: one transaction's proof of work takes minutes.
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "t.db"), "--mwm", "18")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	var log bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := regexp.MustCompile(`url=(http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	var url string
	select {
	case url = <-urls:
	case <-time.After(30 * time.Second):
		t.Fatalf("node did not start:\n%s", log.String())
	}

	tx := strings.Repeat("9", 2673)
	body, _ := json.Marshal(map[string]any{"command": "attachToTangle", "trunkTransaction": strings.Repeat("9", 81),
		"branchTransaction": strings.Repeat("9", 81), "minWeightMagnitude": 18, "trytes": []string{tx}})
	answered := make(chan int, 2)
	for range 2 { // one runs, one waits
		go func() {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("X-IOTA-API-Version", "1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answered <- 0
				return
			}
			resp.Body.Close()
			answered <- resp.StatusCode
		}()
	}
	time.Sleep(500 * time.Millisecond)

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, log.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after SIGTERM\n%s", log.String())
	}
	took := time.Since(start)
	for range 2 {
		if status := <-answered; status != http.StatusServiceUnavailable {
			t.Errorf("attach during shutdown answered %d, want 503", status)
		}
	}
	if took > 3*time.Second {
		t.Fatalf("exit took %v after SIGTERM", took)
	}
	t.Logf("exited %v after SIGTERM", took.Round(time.Millisecond))
}
