package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"iotahome/protocol"
	"iotahome/store/pgtest"
	"iotahome/store/serverkey"
	"iotahome/store/watttdb"
	"iotahome/tangle/client"
	"iotahome/wattt"
)

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// result is one setup's measurement.
type result struct {
	setup        string
	processes    int
	meters       int
	offered      float64 // messages per second published in the window
	ingested     float64 // messages per second stored in the window
	p50, p99, mx time.Duration
	measured     int // messages attached in the window whose store time is known
	late         int // attached in the window, not stored by the end
	findPerSec   float64
	trytesPerSec float64
	addrPerFind  float64
	heapPerMeter float64 // bytes
	rssPerMeter  float64 // bytes
	cpuCores     float64 // follower processes' CPU during the window
	load         [2]string
	startup      time.Duration // until all meters were held
}

// runSetups runs each setup in turn and prints the table.
func runSetups(ctx context.Context, c config, dir string, meta cacheMeta, log *slog.Logger) error {
	work, err := os.MkdirTemp("", "watttbench-run-")
	if err != nil {
		return err
	}
	if c.keep {
		log.Info("keeping logs and databases", "dir", work)
	} else {
		defer os.RemoveAll(work)
	}
	bins := map[string]string{}
	for _, name := range []string{"server", "tangle"} {
		bins[name] = filepath.Join(work, name)
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bins[name], "iotahome/cmd/"+name).CombinedOutput(); err != nil {
			return fmt.Errorf("build cmd/%s: %v\n%s", name, err, out)
		}
	}
	t0 := time.Now()
	meters, err := loadMeters(dir, c.meters, meta)
	if err != nil {
		return err
	}
	log.Info("loaded cached channels", "meters", len(meters), "took", time.Since(t0).Round(time.Millisecond))
	rawKey := make([]byte, serverkey.Size)
	rand.Read(rawKey)
	var cluster *pgtest.Cluster
	defer func() {
		if cluster != nil {
			cluster.Close()
		}
	}()
	var results []result
	for i, setup := range c.setups {
		kind, procs, ok := strings.Cut(setup, "-")
		n, err := strconv.Atoi(procs)
		if !ok || (kind != "sqlite" && kind != "pg") || err != nil || n < 1 {
			return fmt.Errorf("-setups: %q is not sqlite-N or pg-N", setup)
		}
		var where string
		if kind == "pg" {
			if cluster == nil {
				if c.pgBin != "" {
					os.Setenv("PGTEST_BIN", c.pgBin)
				}
				// Durable: fsync on, as in production.
				if cluster, err = pgtest.Start(ctx, pgtest.Options{Durable: true, Settings: []string{"max_connections=200"}}); err != nil {
					return err
				}
			}
			if where, err = cluster.CreateDatabase(ctx, fmt.Sprintf("wattt_%d", i)); err != nil {
				return err
			}
		} else {
			where = filepath.Join(work, fmt.Sprintf("wattt-%d.db", i))
		}
		r, err := runSetup(ctx, c, setup, n, where, bins, filepath.Join(work, strconv.Itoa(i)), meters, rawKey, log)
		if err != nil {
			return fmt.Errorf("setup %s: %w", setup, err)
		}
		results = append(results, r)
		printTable(os.Stdout, c, results)
	}
	return nil
}

// loadMeters reads the cached channels of the first n meters.
func loadMeters(dir string, n int, meta cacheMeta) ([]cachedMeter, error) {
	var out []cachedMeter
	for c := 0; len(out) < n; c++ {
		size := min(meta.Chunk, meta.Meters-c*meta.Chunk)
		if size <= 0 {
			return nil, fmt.Errorf("the cache has only %d meters", len(out))
		}
		ms, err := loadChunk(chunkPath(dir, c), size, meta.Messages)
		if err != nil {
			return nil, err
		}
		out = append(out, ms[:min(len(ms), n-len(out))]...)
	}
	return out, nil
}

func loadavg() string {
	raw, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runSetup measures one setup: a fresh node and database, procs follower
// processes, the meters publishing on schedule.
func runSetup(ctx context.Context, c config, name string, procs int, where string, bins map[string]string, work string, meters []cachedMeter, rawKey []byte, log *slog.Logger) (result, error) {
	log = log.With("setup", name)
	res := result{setup: name, processes: procs, meters: len(meters)}
	if err := os.MkdirAll(work, 0o700); err != nil {
		return res, err
	}
	// The node, its own process, behind a counting proxy.
	nodeAddr := freeAddr()
	node := exec.CommandContext(ctx, bins["tangle"], "--listen", nodeAddr, "--db", filepath.Join(work, "tangle.db"), "--mwm", strconv.Itoa(cacheMWM))
	node.Stdout, node.Stderr = logFile(work, "tangle.log"), logFile(work, "tangle.log")
	if err := node.Start(); err != nil {
		return res, err
	}
	defer stopProcess(node)
	nodeURL := "http://" + nodeAddr
	if err := waitHTTP(ctx, nodeURL, `{"command":"getNodeInfo"}`); err != nil {
		return res, fmt.Errorf("node: %w", err)
	}
	cp, err := startCountingProxy(nodeURL)
	if err != nil {
		return res, err
	}
	defer cp.close()

	st, err := watttdb.Open(ctx, where)
	if err != nil {
		return res, err
	}
	defer st.Close()
	key, _ := serverkey.FromBytes(rawKey)
	tc, err := client.New(client.Config{NodeURL: nodeURL, MWM: cacheMWM, PoW: client.PoWRemote})
	if err != nil {
		return res, err
	}
	svc := wattt.New(st, key, tc, slog.New(slog.DiscardHandler), wattt.Config{Followers: -1})

	// Followers first, with nothing to follow: their idle memory is the
	// baseline of the per-meter figure.
	var followers []*follower
	for i := range procs {
		f, err := startFollower(ctx, bins["server"], where, cp.url, work, i, rawKey, c)
		if err != nil {
			return res, err
		}
		defer f.stop()
		followers = append(followers, f)
	}
	for _, f := range followers {
		if err := waitHTTP(ctx, f.statusURL+"?gc=1", ""); err != nil {
			return res, fmt.Errorf("follower %d: %w (log in %s)", f.n, err, work)
		}
	}
	time.Sleep(2 * time.Second)
	base := make([]followStatus, len(followers))
	for i, f := range followers {
		if base[i], err = f.status(ctx, true); err != nil {
			return res, err
		}
	}

	log.Info("creating connections", "meters", len(meters))
	t0 := time.Now()
	if err := createConnections(ctx, st, svc, meters); err != nil {
		return res, err
	}
	log.Info("connections created", "took", time.Since(t0).Round(time.Second))
	for {
		held := int64(0)
		for _, f := range followers {
			s, err := f.status(ctx, false)
			if err != nil {
				return res, err
			}
			held += s.Stats.Followers
		}
		if held == int64(len(meters)) {
			break
		}
		if time.Since(t0) > 5*time.Minute {
			return res, fmt.Errorf("followers hold %d of %d meters after 5 minutes", held, len(meters))
		}
		time.Sleep(500 * time.Millisecond)
	}
	res.startup = time.Since(t0)
	log.Info("all meters held", "after", res.startup.Round(time.Second))

	// Publish on schedule: meter i's message k at start + k*interval +
	// i*interval/meters.
	start := time.Now().Add(2 * time.Second)
	windowFrom, windowTo := start.Add(c.warmup), start.Add(c.warmup+c.measure)
	pub := newPublisher(tc, meters, start, c.interval)
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	go pub.run(pctx, log)
	obs := newObserver(len(meters))
	octx, ocancel := context.WithCancel(ctx)
	defer ocancel()
	go obs.run(octx, st, log)

	sleepUntil(ctx, windowFrom)
	res.load[0] = loadavg()
	cp.reset()
	cpu0 := make([]float64, len(followers))
	for i, f := range followers {
		cpu0[i] = cpuSeconds(f.cmd.Process.Pid)
	}
	sleepUntil(ctx, windowTo)
	counts := cp.snapshot()
	res.load[1] = loadavg()
	window := c.measure.Seconds()
	for i, f := range followers {
		res.cpuCores += (cpuSeconds(f.cmd.Process.Pid) - cpu0[i]) / window
	}
	res.findPerSec = float64(counts["findTransactions"]) / window
	res.trytesPerSec = float64(counts["getTrytes"]) / window
	if counts["findTransactions"] > 0 {
		res.addrPerFind = float64(counts["addresses"]) / float64(counts["findTransactions"])
	}
	var heap, rss, held float64
	for i, f := range followers {
		s, err := f.status(ctx, true)
		if err != nil {
			return res, err
		}
		heap += float64(s.HeapInuse) - float64(base[i].HeapInuse)
		rss += float64(s.RSS) - float64(base[i].RSS)
		held += float64(s.Stats.Followers)
	}
	if held > 0 {
		res.heapPerMeter, res.rssPerMeter = heap/held, rss/held
	}
	// Let the window's last messages arrive, then judge.
	last := int((c.warmup + c.measure) / c.interval)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && !obs.allStored(last) {
		time.Sleep(time.Second)
	}
	pcancel()
	ocancel()
	res.offered, res.ingested, res.p50, res.p99, res.mx, res.measured, res.late = obs.judge(pub, windowFrom, windowTo)
	log.Info("measured", "ingested_per_s", res.ingested, "p99", res.p99, "late", res.late)
	return res, nil
}

// createConnections gives every meter an account and a live connection
// (as key receipt would), eight at a time.
func createConnections(ctx context.Context, st wattt.Store, svc *wattt.Service, meters []cachedMeter) error {
	work := make(chan int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range work {
				if err := createConnection(ctx, st, svc, i, meters[i]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	defer wg.Wait()
	defer close(work)
	for i := range meters {
		select {
		case work <- i:
		case err := <-errs:
			return err
		}
	}
	return nil
}

func createConnection(ctx context.Context, st wattt.Store, svc *wattt.Service, i int, m cachedMeter) error {
	acct, err := st.CreateAccount(ctx, wattt.Account{Address: fmt.Sprintf("BENCH%076d", i), PublicKey: "-", SealedSeed: []byte{0}, CreatedAt: time.Now()})
	if err != nil {
		return err
	}
	state := fmt.Sprintf("bench-%d", i)
	if err := st.CreateConsentRequest(ctx, wattt.ConsentRequest{State: state, AccountID: acct, MyHomeURL: "http://myhome.bench", Goal: "bench", CreatedAt: time.Now()}); err != nil {
		return err
	}
	_, err = svc.Connect(ctx, acct, protocol.ChannelKey{Device: fmt.Sprintf("DEVICE%075d", i), Root: string(m.Root), SideKey: string(m.SideKey), State: state})
	return err
}

func sleepUntil(ctx context.Context, t time.Time) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(t)):
	}
}

func logFile(dir, name string) *os.File {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil
	}
	return f
}

func stopProcess(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// waitHTTP waits until url answers 200 (POSTing body as an IRI command
// when body is set).
func waitHTTP(ctx context.Context, url, body string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		var resp *http.Response
		var err error
		if body != "" {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
			req.Header.Set("X-IOTA-API-Version", "1")
			req.Header.Set("Content-Type", "application/json")
			resp, err = http.DefaultClient.Do(req)
		} else {
			resp, err = http.Get(url)
		}
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s not answering: %v", url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cpuSeconds is a process's user+system CPU time from /proc.
func cpuSeconds(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100 // USER_HZ
}

// follower is one `server follow` process.
type follower struct {
	n         int
	cmd       *exec.Cmd
	statusURL string
}

// followStatus is the part of /status the benchmark reads.
type followStatus struct {
	Stats     wattt.Stats `json:"stats"`
	HeapInuse uint64      `json:"heapInuseBytes"`
	RSS       uint64      `json:"rssBytes"`
}

func startFollower(ctx context.Context, bin, where, nodeURL, work string, n int, rawKey []byte, c config) (*follower, error) {
	status := freeAddr()
	cmd := exec.CommandContext(ctx, bin, "follow", "--data", work, "--wattt-db", where, "--node", nodeURL, "--mwm", strconv.Itoa(cacheMWM),
		"--followers", strconv.Itoa(c.followers), "--wattt-poll", c.serverPoll.String(), "--wattt-poll-max", c.maxIdle.String(),
		"--wattt-timezone", "UTC", "--status-listen", status)
	cmd.Env = append(os.Environ(), "WATTT_SERVER_KEY="+hex.EncodeToString(rawKey))
	lf := logFile(work, fmt.Sprintf("follower-%d.log", n))
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &follower{n: n, cmd: cmd, statusURL: "http://" + status + "/status"}, nil
}

func (f *follower) stop() { stopProcess(f.cmd) }

func (f *follower) status(ctx context.Context, gc bool) (followStatus, error) {
	url := f.statusURL
	if gc {
		url += "?gc=1"
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return followStatus{}, fmt.Errorf("follower %d status: %w", f.n, err)
	}
	defer resp.Body.Close()
	var s followStatus
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return followStatus{}, fmt.Errorf("follower %d status: %w", f.n, err)
	}
	return s, nil
}

// percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}
