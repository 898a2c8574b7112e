package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// run builds the binaries, starts the parts in dependency order, prints how
// to use them and waits for Ctrl-C or for a part to die.
func run(ctx context.Context, cfg config, logger *slog.Logger) error {
	if cfg.fresh {
		logger.Info("--fresh: removing data directory", "dir", cfg.dataDir)
		if err := os.RemoveAll(cfg.dataDir); err != nil {
			return fmt.Errorf("remove %s: %w", cfg.dataDir, err)
		}
	}
	bins, err := build(ctx, filepath.Join(cfg.dataDir, "bin"), cfg.avx, logger)
	if err != nil {
		return err
	}
	out := lineWriter{mu: &sync.Mutex{}, out: os.Stdout}
	nodeURL := "http://" + cfg.nodeListen
	myhomeURL := "http://" + cfg.myhomeAddr
	watttURL := "http://" + cfg.watttAddr
	mwm := fmt.Sprint(cfg.mwm)
	var running []*process
	defer func() {
		// Stop in reverse order: the reader first (it may be mid-publish and
		// has durable state), the node last.
		for i := len(running) - 1; i >= 0; i-- {
			logger.Info("stopping", "part", running[i].name)
			running[i].stop(15 * time.Second)
		}
	}()
	launch := func(name, bin string, args []string, watch func(string)) (*process, error) {
		p, err := start(name, bin, args, out, watch)
		if err != nil {
			return nil, err
		}
		running = append(running, p)
		return p, nil
	}
	// A Ctrl-C while starting is a normal way to stop, not an error.
	startErr := func(err error) error {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	// alive wraps a start-up check so that a part dying while others are
	// awaited (a port in use, a bad flag) ends the wait at once with the
	// reason in its output just above.
	alive := func(check func() error) func() error {
		return func() error {
			for _, p := range running {
				select {
				case <-p.done:
					return errDead{fmt.Errorf("%s exited while starting: %v", p.name, p.err)}
				default:
				}
			}
			return check()
		}
	}

	if _, err := launch("tangle", bins["tangle"], []string{
		"--listen", cfg.nodeListen, "--db", filepath.Join(cfg.dataDir, "tangle", "tangle.db"), "--mwm", mwm,
	}, nil); err != nil {
		return err
	}
	if err := waitFor(ctx, "the dev Tangle node at "+nodeURL, 30*time.Second, alive(func() error { return nodeAnswers(ctx, nodeURL) })); err != nil {
		return startErr(err)
	}
	if _, err := launch("server", bins["server"], []string{
		"--site", "both", "--data", filepath.Join(cfg.dataDir, "server"),
		"--myhome-listen", cfg.myhomeAddr, "--wattt-listen", cfg.watttAddr,
		"--myhome-url", myhomeURL,
		// Wattt serves plain http on this machine: let My Home fetch its
		// provider document there (production requires https).
		"--myhome-provider-loopback",
		"--node", nodeURL, "--mwm", mwm,
	}, nil); err != nil {
		return err
	}

	ptyPath := make(chan string, 1)
	ptyRe := regexp.MustCompile(`/dev/pts/[0-9]+`)
	if _, err := launch("meter", bins["p1reader"], []string{
		"simulate", "--out", "pty", "--rate", fmt.Sprint(cfg.rate), "--meter", cfg.meter,
	}, func(line string) {
		if m := ptyRe.FindString(line); m != "" {
			select {
			case ptyPath <- m:
			default:
			}
		}
	}); err != nil {
		return err
	}
	var serial string
	select {
	case serial = <-ptyPath:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("the meter simulator did not print its pseudo-terminal path within 30s")
	case <-ctx.Done():
		return nil
	}

	readerState := filepath.Join(cfg.dataDir, "reader", "reader.db")
	if _, err := launch("reader", bins["p1reader"], []string{
		"run", "--device", serial, "--serial", serialPreset(cfg.meter), "--state", readerState,
		"--node", nodeURL, "--mwm", mwm,
	}, nil); err != nil {
		return err
	}
	for _, site := range []string{myhomeURL + "/healthz", watttURL + "/"} {
		if err := waitFor(ctx, site, 30*time.Second, alive(func() error { return pageAnswers(ctx, site) })); err != nil {
			return startErr(err)
		}
	}
	if err := waitFor(ctx, "the reader's device address", 60*time.Second, alive(func() error {
		return readerReady(ctx, bins["p1reader"], readerState)
	})); err != nil {
		return startErr(err)
	}
	out.mu.Lock() // keep the children's lines out of the summary
	printSummary(ctx, cfg, bins["p1reader"], readerState, serial)
	out.mu.Unlock()

	// Wait for Ctrl-C, or for any part to die (then stop the rest: a half
	// stack only confuses).
	dead := make(chan *process, len(running))
	for _, p := range running {
		go func() { <-p.done; dead <- p }()
	}
	select {
	case <-ctx.Done():
		logger.Info("stopping the stack")
		return nil
	case p := <-dead:
		return fmt.Errorf("%s exited: %v", p.name, p.err)
	}
}

// serialPreset is the reader's line-settings preset for a simulated meter
// kind: the pseudo-terminal ignores line settings, but naming the right
// preset skips auto-detection (up to --detect-window per wrong preset).
func serialPreset(meter string) string {
	if meter == "dsmr22" {
		return "dsmr22"
	}
	return "dsmr5"
}

// build compiles the three binaries into binDir (in one go build, so the
// packages compile in parallel) so that each part runs as the same binary a
// deployment would use.
func build(ctx context.Context, binDir string, avx bool, logger *slog.Logger) (map[string]string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	binDir, err = filepath.Abs(binDir)
	if err != nil {
		return nil, fmt.Errorf("binary directory: %w", err)
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", binDir, err)
	}
	names := []string{"tangle", "server", "p1reader"}
	args := []string{"build", "-o", binDir + string(filepath.Separator)}
	if avx {
		args = append(args, "-tags", "pow_avx")
	}
	bins := map[string]string{}
	for _, name := range names {
		args = append(args, "./cmd/"+name)
		bins[name] = filepath.Join(binDir, name)
	}
	logger.Info("building", "binaries", names, "dir", binDir)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %v: %w", args, err)
	}
	return bins, nil
}

// moduleRoot is the directory of go.mod, so that devstack builds the right
// packages from any working directory inside the module.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := string(bytes.TrimSpace(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run devstack inside the iotahome module (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}

// errDead is a check result that no amount of waiting can change.
type errDead struct{ error }

// waitFor calls check until it succeeds, fails with errDead, ctx ends or
// limit passes.
func waitFor(ctx context.Context, what string, limit time.Duration, check func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if errors.As(err, new(errDead)) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s for %s: %w", limit, what, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// nodeAnswers asks the node for getNodeInfo.
func nodeAnswers(ctx context.Context, url string) error {
	body, _ := json.Marshal(map[string]string{"command": "getNodeInfo"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-IOTA-API-Version", "1")
	return answers(req)
}

// pageAnswers GETs a page of one of the sites.
func pageAnswers(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	return answers(req)
}

func answers(req *http.Request) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", req.Method, req.URL, resp.Status)
	}
	return nil
}

// readerReady is nil once "p1reader status" shows the reader's device
// address (it creates its identity on first start).
func readerReady(ctx context.Context, p1reader, state string) error {
	out, err := exec.CommandContext(ctx, p1reader, "status", "--json", "--state", state).Output()
	if err != nil {
		return fmt.Errorf("p1reader status: %w", err)
	}
	var st struct{ DeviceAddress string }
	if err := json.Unmarshal(out, &st); err != nil {
		return fmt.Errorf("p1reader status --json: %w", err)
	}
	if st.DeviceAddress == "" {
		return fmt.Errorf("no device address yet")
	}
	return nil
}

// printSummary tells a newcomer where everything is.
func printSummary(ctx context.Context, cfg config, p1reader, readerState, serial string) {
	status, err := exec.CommandContext(ctx, p1reader, "status", "--state", readerState).CombinedOutput()
	if err != nil {
		status = append(status, []byte(fmt.Sprintf("\n(p1reader status: %v)\n", err))...)
	}
	abs, _ := filepath.Abs(cfg.dataDir)
	fmt.Printf(`
================================================================
 iotahome is running
   My Home          http://%s
   Wattt Insights   http://%s
   Dev Tangle node  http://%s (MWM %d)
   Meter simulator  %s
   Data directory   %s
 Reader:
%s
 Open Wattt Insights, choose "Connect via My Home",
 create a home, pair the reader with the address and code above.
 Ctrl-C stops everything; run again to resume; --fresh starts over.
================================================================
`, cfg.myhomeAddr, cfg.watttAddr, cfg.nodeListen, cfg.mwm, serial, abs, indent(string(status)))
}

func indent(s string) string {
	var b bytes.Buffer
	for _, line := range bytes.Split(bytes.TrimRight([]byte(s), "\n"), []byte("\n")) {
		b.WriteString("   ")
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}
