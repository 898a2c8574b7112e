package main

import (
	"bytes"
	"context"
	"encoding/json"
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
	binDir := filepath.Join(cfg.dataDir, "bin")
	bins, err := build(ctx, binDir, cfg.avx, logger)
	if err != nil {
		return err
	}
	out := lineWriter{mu: &sync.Mutex{}, out: os.Stdout}
	nodeURL := "http://" + cfg.nodeListen
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

	if _, err := launch("tangle", bins["tangle"], []string{
		"--listen", cfg.nodeListen, "--db", filepath.Join(cfg.dataDir, "tangle", "tangle.db"), "--mwm", mwm,
	}, nil); err != nil {
		return err
	}
	if err := waitForNode(ctx, nodeURL, 30*time.Second); err != nil {
		return err
	}
	if _, err := launch("server", bins["server"], []string{
		"--site", "both", "--data", filepath.Join(cfg.dataDir, "server"),
		"--myhome-listen", cfg.myhomeAddr, "--wattt-listen", cfg.watttAddr,
		"--myhome-url", "http://" + cfg.myhomeAddr,
		"--node", nodeURL, "--mwm", mwm,
	}, nil); err != nil {
		return err
	}

	ptyPath := make(chan string, 1)
	ptyRe := regexp.MustCompile(`/dev/pts/[0-9]+`)
	if _, err := launch("meter", bins["p1reader"], []string{
		"simulate", "--pty", "--rate", fmt.Sprint(cfg.rate), "--version", cfg.meter,
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
		"run", "--serial", serial, "--dsmr", "auto", "--state", readerState, "--node", nodeURL, "--mwm", mwm,
	}, nil); err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // let the reader create its identity before asking for status
	printSummary(ctx, cfg, bins["p1reader"], readerState, serial)

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

// build compiles the three binaries into binDir so that each part runs as
// the same binary a deployment would use.
func build(ctx context.Context, binDir string, avx bool, logger *slog.Logger) (map[string]string, error) {
	bins := map[string]string{}
	for _, name := range []string{"tangle", "server", "p1reader"} {
		path := filepath.Join(binDir, name)
		args := []string{"build", "-o", path}
		if avx {
			args = append(args, "-tags", "pow_avx")
		}
		args = append(args, "./cmd/"+name)
		logger.Info("building", "binary", name)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go %v: %w", args, err)
		}
		bins[name] = path
	}
	return bins, nil
}

// waitForNode polls getNodeInfo until the node answers.
func waitForNode(ctx context.Context, url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	body, _ := json.Marshal(map[string]string{"command": "getNodeInfo"})
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-IOTA-API-Version", "1")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dev node at %s did not answer within %s: %v", url, limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
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
 Open Wattt Insights, choose "Connect your meter via My Home",
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
