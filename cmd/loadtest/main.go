// Command loadtest measures My Home's policies page under concurrent load:
// it starts My Home in-process on a loopback port with a home holding
// -policies consent policies, then -clients concurrent clients request
// /policies with that home's session for -duration (or until -requests
// have been made) and it prints throughput and latency percentiles.
//
// With -rate the clients together send that many requests per second on a
// fixed schedule (open loop, like wrk2) and latency is measured from each
// request's scheduled time, so a slow server cannot hide its queueing
// delay; without -rate every client sends its next request as soon as the
// previous one is answered (closed loop: maximum throughput).
//
// It only ever talks to the loopback server it started itself, and stops
// by itself.
//
//	go run ./cmd/loadtest -clients 200 -policies 50 -duration 10s -rate 1000
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	handlers "iotahome/handlers/myhome"
	"iotahome/internal/umask"
	"iotahome/myhome"
	"iotahome/protocol"
	"iotahome/session"
	"iotahome/store/myhomestore"
	"iotahome/store/serverkey"
	"iotahome/tangle/client"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
)

func main() {
	umask.OwnerOnly()
	fs := flag.NewFlagSet("loadtest", flag.ExitOnError)
	clients := fs.Int("clients", 200, "concurrent clients")
	policies := fs.Int("policies", 50, "consent policies in the home")
	duration := fs.Duration("duration", 10*time.Second, "how long to run (at most 2m)")
	maxRequests := fs.Int("requests", 1_000_000, "stop after this many requests")
	path := fs.String("path", "/policies", "page to request")
	rate := fs.Float64("rate", 0, "total requests per second on a fixed schedule; 0 = as fast as the server answers")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	fs.Parse(os.Args[1:])
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *duration > 2*time.Minute {
		*duration = 2 * time.Minute
	}
	if err := run(*clients, *policies, *duration, *maxRequests, *path, *rate); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(clients, policies int, duration time.Duration, maxRequests int, path string, rate float64) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "myhome-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := myhomestore.Open(ctx, filepath.Join(dir, "myhome.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := serverkey.FromBytes(bytes.Repeat([]byte{9}, serverkey.Size))
	if err != nil {
		return err
	}
	// No Tangle is needed: every event below is already "attached", so the
	// workers have nothing to do. The node URL points nowhere on purpose.
	tc, err := client.New(client.Config{NodeURL: "http://127.0.0.1:9", MWM: 9, PoW: "local"})
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := myhome.New(st, key, tc, log, myhome.Config{})
	acct, err := svc.CreateHome(ctx)
	if err != nil {
		return err
	}
	if err := seedHome(ctx, st, acct, policies); err != nil {
		return err
	}
	sid, err := session.NewID()
	if err != nil {
		return err
	}
	if err := st.CreateSession(ctx, sid, acct, time.Now().Add(time.Hour)); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handlers.New(svc, st, log)}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + path

	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Warm up (and check the page really is the home's policies page).
	body, err := get(hc, url, sid)
	if err != nil {
		return err
	}
	if path == "/policies" && bytes.Count(body, []byte("badge-active")) != policies {
		return fmt.Errorf("warm-up page shows %d active policies, want %d", bytes.Count(body, []byte("badge-active")), policies)
	}

	var (
		count   atomic.Int64
		errs    atomic.Int64
		mu      sync.Mutex
		samples = make([]time.Duration, 0, 1<<20)
		wg      sync.WaitGroup
	)
	deadline := time.Now().Add(duration)
	start := time.Now()
	// interval is each client's period in fixed-rate mode.
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(clients) / rate * float64(time.Second))
	}
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			next := start.Add(time.Duration(i) * interval / time.Duration(clients))
			for time.Now().Before(deadline) && count.Add(1) <= int64(maxRequests) {
				t0 := time.Now()
				if interval > 0 {
					time.Sleep(time.Until(next))
					t0 = next // latency includes any time spent behind schedule
					next = next.Add(interval)
				}
				if _, err := get(hc, url, sid); err != nil {
					errs.Add(1)
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			samples = append(samples, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(samples)
	pct := func(p float64) time.Duration {
		if len(samples) == 0 {
			return 0
		}
		return samples[min(len(samples)-1, int(p*float64(len(samples))))]
	}
	mode := "closed loop"
	if rate > 0 {
		mode = fmt.Sprintf("fixed rate %.0f req/s", rate)
	}
	fmt.Printf("page %s, %d policies, %d clients, %s, GOMAXPROCS %d, %s\n", path, policies, clients, mode, runtime.GOMAXPROCS(0), elapsed.Round(time.Millisecond))
	fmt.Printf("requests %d ok, %d errors, %.0f req/s\n", len(samples), errs.Load(), float64(len(samples))/elapsed.Seconds())
	fmt.Printf("latency p50 %s  p90 %s  p99 %s  max %s\n", pct(.50).Round(10*time.Microsecond),
		pct(.90).Round(10*time.Microsecond), pct(.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	return nil
}

func get(hc *http.Client, url, sid string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.AddCookie(&http.Cookie{Name: handlers.SessionCookie, Value: sid})
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, nil
}

// seedHome fills the home's cached stream with two devices and n policies,
// as if they had been published and attached.
func seedHome(ctx context.Context, st *myhomestore.Store, acct string, n int) error {
	a, err := st.Account(ctx, acct)
	if err != nil {
		return err
	}
	seq := a.NextSeq
	add := func(ev protocol.Event) error {
		ev.Version, ev.Time = protocol.Version, time.Now().UTC()
		err := st.AppendEvent(ctx, acct, seq, ev, "LOADTEST", nil, fmt.Sprintf("LOADTESTBUNDLE%d", seq), a.SealedChannel)
		seq++
		return err
	}
	var devices []string
	for i := range 2 {
		sd, _ := seed.New()
		addr, _ := seed.Address(sd, 0)
		pub, _, err := ntru.DeriveKeyPair(sd)
		if err != nil {
			return err
		}
		devices = append(devices, string(addr))
		if err := add(protocol.Event{Type: protocol.DeviceAdded, ID: fmt.Sprintf("dev%d", i), Device: string(addr),
			DeviceAdded: &protocol.DeviceAddedBody{Name: fmt.Sprintf("Meter %d", i+1), PublicKey: string(pub.Trytes())}}); err != nil {
			return err
		}
	}
	sd, _ := seed.New()
	paddr, _ := seed.Address(sd, 0)
	ppub, _, err := ntru.DeriveKeyPair(sd)
	if err != nil {
		return err
	}
	for i := range n {
		if err := add(protocol.Event{Type: protocol.Authorized, ID: fmt.Sprintf("pol%d", i), Device: devices[i%2],
			Authorized: &protocol.AuthorizedBody{PolicyID: fmt.Sprintf("policy%04d", i),
				Provider: protocol.Provider{Address: string(paddr), PublicKey: string(ppub.Trytes()), Origin: fmt.Sprintf("https://app%d.example", i)},
				Goal:     "Show your energy use per hour and estimate your bill", State: fmt.Sprintf("state%08d", i)}}); err != nil {
			return err
		}
	}
	return nil
}
