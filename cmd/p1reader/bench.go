package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"iotahome/pi/dsmr"
	"iotahome/pi/publisher"
	"iotahome/pi/reader"
	"iotahome/pi/serialport"
	"iotahome/pi/simulator"
	"iotahome/protocol"
	"iotahome/tangle/client"
	"iotahome/tangle/node"
)

const benchUsage = `Usage: p1reader bench-sustained [flags]

Sustained-run measurement: an in-process development node, a simulated DSMR 5
meter writing to a pseudo-terminal at --rate telegrams/s, and the reader
reading that terminal with tarm/serial exactly as in production. After
--minutes the meter stops; the reader gets up to --drain to publish the rest.
Prints telegrams written/read/published/dropped, the latency from a
telegram's read to its MAM message being stored on the node (median, p95,
max), messages per minute and the state file's write volume
(/proc/self/io write_bytes; the node's database is put on /dev/shm when it
exists so that it does not count). Build with -tags pow_avx for AVX PoW.

Flags:
`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench-sustained", flag.ContinueOnError)
	fs.SetOutput(stderr)
	minutes := fs.Float64("minutes", 10, "how long the meter sends")
	mwm := fs.Uint64("mwm", 9, "minimum weight magnitude of the node")
	pow := fs.String("pow", client.PoWLocal, "proof of work: local or remote")
	rate := fs.Float64("rate", 1, "telegrams per second")
	window := fs.Duration("batch-window", time.Second, "reader --batch-window")
	batchMax := fs.Int("batch-max", reader.DefaultMaxReadings, "reader --batch-max")
	drain := fs.Duration("drain", 2*time.Minute, "how long to wait for the queue to empty after the meter stops")
	pack := fs.Bool("pack", false, "reader --pack")
	durable := fs.Bool("durable", false, "reader --durable (write each reading before batching)")
	dir := fs.String("dir", "", "directory for the state file (default a temporary one on disk)")
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	b := bench{minutes: *minutes, mwm: *mwm, pow: *pow, rate: *rate, window: *window, batchMax: *batchMax, pack: *pack, durable: *durable, drain: *drain, dir: *dir,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	res, err := b.run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "bench-sustained: %v\n", err)
		return 1
	}
	res.print(stdout, b)
	return 0
}

type bench struct {
	minutes  float64
	mwm      uint64
	pow      string
	rate     float64
	window   time.Duration
	batchMax int
	pack     bool
	durable  bool
	drain    time.Duration
	dir      string
	log      *slog.Logger
}

type benchResult struct {
	written      int
	status       reader.Status
	latencies    []time.Duration
	elapsed      time.Duration // meter running time
	writeBytes   int64         // block-layer bytes written by the process while the meter ran
	powImpl      string
	drainedAfter time.Duration
}

func (b bench) run(ctx context.Context) (benchResult, error) {
	var res benchResult
	slog.SetDefault(b.log)
	dir := b.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "p1bench-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	nodeDir := dir
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "p1bench-node-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(d)
		nodeDir = d
	}
	url, stopNode, err := startNode(ctx, filepath.Join(nodeDir, "tangle.db"), b.mwm)
	if err != nil {
		return res, err
	}
	defer stopNode()
	c, err := client.New(client.Config{NodeURL: url, MWM: b.mwm, PoW: b.pow})
	if err != nil {
		return res, err
	}
	res.powImpl = c.PoW()

	var mu sync.Mutex
	cfg := reader.Config{
		StatePath: filepath.Join(dir, "reader.db"), Client: c, BatchWindow: b.window, MaxReadings: b.batchMax, Pack: b.pack, Durable: b.durable, Log: b.log,
		OnPublished: func(p publisher.Published) {
			if p.Kind != protocol.Data {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, t := range p.ReadTimes {
				res.latencies = append(res.latencies, p.AttachedAt.Sub(t))
			}
		},
	}
	agent, err := reader.Open(ctx, cfg)
	if err != nil {
		return res, err
	}
	defer agent.Close()

	pty, err := simulator.OpenPTY()
	if err != nil {
		return res, err
	}
	defer pty.Close()
	meter, err := simulator.NewMeter(simulator.Config{Kind: simulator.DSMR5, Seed: 1})
	if err != nil {
		return res, err
	}
	src, err := serialport.NewSerialSource(serialport.Config{Device: pty.SlavePath(), Preset: "dsmr5", StallTimeout: 30 * time.Second},
		serialport.SourceOptions{Logger: b.log})
	if err != nil {
		return res, err
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	telegrams := make(chan []byte, 1024)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		src.Run(runCtx, func(raw []byte, _ *dsmr.Telegram) {
			select {
			case telegrams <- append([]byte(nil), raw...):
			case <-runCtx.Done():
			}
		})
	}()
	agentErr := make(chan error, 1)
	go func() {
		defer wg.Done()
		agentErr <- agent.Run(runCtx, telegrams)
	}()
	time.Sleep(500 * time.Millisecond) // the port is open before the meter starts

	count := int(b.minutes * 60 * b.rate)
	before := writeBytes()
	start := time.Now()
	n, err := simulator.Run(ctx, meter, pty, b.rate, count)
	res.written = n
	res.elapsed = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("meter: %w", err)
	}
	// Let the last telegram cross the terminal, then wait for the queue.
	deadline := time.Now().Add(b.drain)
	for {
		st := agent.Status()
		if st.Read >= uint64(n) && st.Queue == 0 && st.PendingMessages == 0 {
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	res.drainedAfter = time.Since(start) - res.elapsed
	res.writeBytes = writeBytes() - before
	cancel()
	wg.Wait()
	if err := <-agentErr; err != nil {
		return res, err
	}
	res.status = agent.Status()
	return res, nil
}

// startNode runs the development node in-process on a free loopback port.
func startNode(ctx context.Context, dbPath string, mwm uint64) (string, func(), error) {
	n, err := node.Open(ctx, node.Config{DBPath: dbPath, MWM: int(mwm), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: n.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close(); n.Close() }, nil
}

// writeBytes is this process's write_bytes from /proc/self/io: bytes it
// caused to be sent to the storage layer (-1 where unavailable).
func writeBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

func (r benchResult) print(w io.Writer, b bench) {
	st := r.status
	dropped := int64(r.written) - int64(st.Published)
	fmt.Fprintf(w, "sustained run: %.1f min at %.2g telegram/s, MWM %d, PoW %s, batch window %s, max %d readings/message, packed %v, durable %v\n",
		r.elapsed.Minutes(), b.rate, b.mwm, r.powImpl, b.window, b.batchMax, b.pack, b.durable)
	fmt.Fprintf(w, "telegrams:  %d written to the pty, %d read, %d rejected, %d published, %d dropped\n",
		r.written, st.Read, st.Rejected, st.Published, dropped)
	fmt.Fprintf(w, "messages:   %d MAM messages (%.1f per minute, %.1f readings each); queue drained %.1fs after the meter stopped\n",
		st.Messages, float64(st.Messages)/r.elapsed.Minutes(), float64(st.Published)/max(float64(st.Messages), 1), r.drainedAfter.Seconds())
	if len(r.latencies) > 0 {
		l := slices.Clone(r.latencies)
		slices.Sort(l)
		q := func(p float64) time.Duration { return l[min(len(l)-1, int(p*float64(len(l))))] }
		fmt.Fprintf(w, "latency:    read -> MAM message stored on the node: median %s, p95 %s, max %s (%d readings)\n",
			q(0.5).Round(time.Millisecond), q(0.95).Round(time.Millisecond), l[len(l)-1].Round(time.Millisecond), len(l))
	}
	if r.writeBytes >= 0 {
		perDay := float64(r.writeBytes) / r.elapsed.Seconds() * 86400
		fmt.Fprintf(w, "writes:     %d bytes to storage during the run = %.0f MB/day at this rate\n", r.writeBytes, perDay/1e6)
	}
	if st.Messages > 0 {
		// The proof of concept: one MAM message per 40-50 s, one telegram each.
		fmt.Fprintf(w, "vs PoC:     %.0fx the readings published per minute (PoC: 1 per 40-50 s, 39 of 40 telegrams dropped)\n",
			float64(st.Published)/r.elapsed.Minutes()/(60.0/45))
	}
}
