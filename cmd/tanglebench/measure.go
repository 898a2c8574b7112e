package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/iotaledger/iota.go/trinary"
)

func post(url string, body []byte) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-IOTA-API-Version", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %.300s", resp.StatusCode, out)
	}
	return out, nil
}

// measureIngest sends txs with storeTransactions in batches from several
// concurrent clients and prints the rate.
func measureIngest(ctx context.Context, cfg config, path string, txs []trinary.Trytes, label string) error {
	s, err := startNode(ctx, path)
	if err != nil {
		return err
	}
	defer s.stop()
	var bodies [][]byte
	for i := 0; i < len(txs); i += cfg.batch {
		b, err := json.Marshal(map[string]any{"command": "storeTransactions", "trytes": txs[i:min(i+cfg.batch, len(txs))]})
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
	}
	next := make(chan []byte, len(bodies))
	for _, b := range bodies {
		next <- b
	}
	close(next)
	errs := make(chan error, cfg.clients)
	var wg sync.WaitGroup
	start := time.Now()
	cpuStart := cpuTime()
	for range cfg.clients {
		wg.Go(func() {
			for b := range next {
				if _, err := post(s.URL, b); err != nil {
					errs <- fmt.Errorf("storeTransactions: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpuStart
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Printf("ingest into %s: %d transactions in %v = %.0f tx/s (batches of %d, %d clients); CPU %.0f µs/tx (node and client); load average %s\n",
		label, len(txs), elapsed.Round(time.Millisecond), float64(len(txs))/elapsed.Seconds(), cfg.batch, cfg.clients,
		float64(cpu.Microseconds())/float64(len(txs)), loadAverage())
	return nil
}

// measureFind asks findTransactions for random seeded addresses, one
// request at a time, and prints latency percentiles as the client sees
// them (HTTP on loopback included).
func measureFind(ctx context.Context, cfg config, path string, addrs []trinary.Hash) error {
	s, err := startNode(ctx, path)
	if err != nil {
		return err
	}
	defer s.stop()
	r := rand.New(rand.NewPCG(4, 5))
	lookup := func() (time.Duration, int, error) {
		body, _ := json.Marshal(map[string]any{"command": "findTransactions", "addresses": []string{addrs[r.IntN(len(addrs))]}})
		start := time.Now()
		out, err := post(s.URL, body)
		if err != nil {
			return 0, 0, err
		}
		took := time.Since(start)
		var resp struct{ Hashes []string }
		if err := json.Unmarshal(out, &resp); err != nil {
			return 0, 0, err
		}
		return took, len(resp.Hashes), nil
	}
	for range 200 { // warm up connections and caches
		if _, _, err := lookup(); err != nil {
			return err
		}
	}
	lat := make([]time.Duration, cfg.lookups)
	found := 0
	start := time.Now()
	for i := range lat {
		d, n, err := lookup()
		if err != nil {
			return err
		}
		lat[i] = d
		found += n
	}
	total := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("findTransactions by address, %d lookups, %.1f hashes each: p50 %v, p99 %v, max %v (%.0f lookups/s); load average %s\n",
		len(lat), float64(found)/float64(len(lat)), pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond),
		lat[len(lat)-1].Round(time.Microsecond), float64(len(lat))/total.Seconds(), loadAverage())
	return nil
}

// cpuTime is the CPU time this process (node and benchmark client) has used.
// On a shared machine it is a steadier figure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the 1-minute load average, to judge how busy the machine
// was during a measurement ("?" where /proc is missing).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
