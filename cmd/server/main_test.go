package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"iotahome/tangle/tangletest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeBothSitesAndShutDown starts both sites against the dev node,
// checks each answers on its own port with its own product, and that
// cancelling (as SIGTERM does) shuts everything down cleanly.
func TestServeBothSitesAndShutDown(t *testing.T) {
	node := tangletest.StartNode(t, 9)
	data := t.TempDir()
	mh, wt := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() {
		done <- run(ctx, []string{"--data", data, "--node", node.URL, "--myhome-listen", mh, "--wattt-listen", wt,
			"--myhome-url", "http://" + mh}, log)
	}()
	get := func(url string) (int, string) {
		var resp *http.Response
		var err error
		for range 100 {
			if resp, err = http.Get(url); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + mh + "/"); code != http.StatusOK || !strings.Contains(body, "My Home") {
		t.Fatalf("My Home: %d", code)
	}
	if code, body := get("http://" + wt + "/"); code != http.StatusOK || !strings.Contains(body, "Wattt") {
		t.Fatalf("Wattt: %d", code)
	}
	st, err := os.Stat(filepath.Join(data, "myhome.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("server key file: %v %v", st, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown within 15 s")
	}
	if _, err := http.Get("http://" + mh + "/"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

func TestRejectsUnknownSite(t *testing.T) {
	err := run(context.Background(), []string{"--site", "nope", "--data", t.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "--site") {
		t.Fatalf("err = %v", err)
	}
}

// TestFollowNeedsTheSitesKey: a follower-only process must not make up a
// server key of its own (it could open none of the stored side keys).
func TestFollowNeedsTheSitesKey(t *testing.T) {
	t.Setenv("WATTT_SERVER_KEY", "")
	err := run(context.Background(), []string{"follow", "--data", t.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "server key") {
		t.Fatalf("err = %v", err)
	}
	if err := run(context.Background(), []string{"follow", "--followers", "0", "--data", t.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Fatal("accepted --followers 0")
	}
}
