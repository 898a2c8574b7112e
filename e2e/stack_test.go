package e2e

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stack is a running devstack: the URLs a person opens and what the reader
// printed for pairing.
type stack struct {
	MyHome, Wattt string // base URLs, no trailing slash
	Address, Code string // the reader's device address and pairing code

	log *lockedBuffer // everything devstack printed
}

var (
	addressRe = regexp.MustCompile(`address:\s+([A-Z9]{81})\b`)
	codeRe    = regexp.MustCompile(`code:\s+([A-Z0-9]{4}(?:-[A-Z0-9]{4})+)\b`)
)

// startStack builds cmd/devstack and runs it the way a person would, on
// free ports with a fresh data directory and MWM 9. It
// returns once devstack printed its summary; t.Cleanup stops it with SIGINT
// (Ctrl-C) and kills whatever is left.
func startStack(t *testing.T) *stack {
	t.Helper()
	root := moduleRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "devstack")
	build := exec.Command("go", "build", "-o", bin, "./cmd/devstack")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build devstack: %v\n%s", err, out)
	}
	ports := freePorts(t, 3)
	s := &stack{
		MyHome: "http://" + ports[1],
		Wattt:  "http://" + ports[2],
		log:    &lockedBuffer{},
	}
	cmd := exec.Command(bin,
		"--data", filepath.Join(dir, "data"),
		"--node-listen", ports[0], "--myhome-listen", ports[1], "--wattt-listen", ports[2],
		// --rate 1: the simulated meter's clock then runs with the wall
		// clock, so "last reading" and "revoked on" times compare as a
		// person expects (a faster rate runs the meter's clock ahead).
		"--mwm", "9", "--rate", "1",
	)
	cmd.Dir = root
	// Its own process group: the cleanup can signal devstack (which stops
	// its children in order) and, as a last resort, kill the whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("start devstack: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		pw.Close()
		close(exited)
	}()
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			s.log.WriteLine(line)
			if strings.Contains(line, "Ctrl-C stops everything") {
				once.Do(func() { close(ready) })
			}
		}
		io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() {
		stopStack(t, cmd, exited)
		if t.Failed() {
			path := filepath.Join(artifactsDir(t), "devstack.log")
			if err := os.WriteFile(path, s.log.Bytes(), 0o644); err == nil {
				t.Logf("devstack output: %s", path)
			}
		}
	})

	select {
	case <-ready:
	case <-exited:
		t.Fatalf("devstack exited while starting:\n%s", s.log.Tail(60))
	case <-time.After(5 * time.Minute): // includes building three binaries on a busy machine
		t.Fatalf("devstack did not print its summary within 5 minutes:\n%s", s.log.Tail(60))
	}
	out := s.log.String()
	a, c := addressRe.FindStringSubmatch(out), codeRe.FindStringSubmatch(out)
	if a == nil || c == nil {
		t.Fatalf("devstack's output has no device address or pairing code:\n%s", s.log.Tail(80))
	}
	s.Address, s.Code = a[1], c[1]
	t.Logf("stack up: My Home %s, Wattt %s, device %s…, code %s", s.MyHome, s.Wattt, s.Address[:9], s.Code)
	return s
}

// stopStack sends SIGINT (what Ctrl-C does) and waits for devstack to stop
// its parts; if it hangs, the whole process group is killed.
func stopStack(t *testing.T, cmd *exec.Cmd, exited <-chan struct{}) {
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
		return
	case <-time.After(45 * time.Second):
	}
	t.Errorf("devstack did not stop within 45s of SIGINT; killing it")
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited
}

// moduleRoot is the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(string(bytes.TrimSpace(out)))
}

// freePorts returns n distinct free loopback addresses. (They are free when
// asked; devstack binds them a moment later, which is good enough on a
// test machine.)
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return addrs
}

// artifactsDir is where failure screenshots and logs go: $E2E_ARTIFACTS,
// or one fresh directory per test run under the system temp directory
// (not t.TempDir: that is removed when the test ends).
func artifactsDir(t *testing.T) string {
	artifactsOnce.Do(func() {
		dir := os.Getenv("E2E_ARTIFACTS")
		if dir == "" {
			d, err := os.MkdirTemp("", "iotahome-e2e-")
			if err != nil {
				t.Logf("artifacts directory: %v", err)
				return
			}
			dir = d
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Logf("artifacts directory: %v", err)
		}
		artifacts = dir
		t.Logf("artifacts: %s", dir)
	})
	return artifacts
}

var (
	artifactsOnce sync.Once
	artifacts     string
)

// lockedBuffer collects output lines from a goroutine for the test to read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) WriteLine(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
	b.buf.WriteByte('\n')
}

func (b *lockedBuffer) String() string { return string(b.Bytes()) }

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// Tail is the last n lines.
func (b *lockedBuffer) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
