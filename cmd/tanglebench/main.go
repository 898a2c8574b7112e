// Command tanglebench measures the development Tangle node (tangle/node):
// storeTransactions ingest in transactions per second, and findTransactions
// by address latency (p50/p99) at given database sizes. It runs the real
// node in-process on a loopback port and talks HTTP to it. Results and the
// method are in docs/perf-tangle-node.md.
//
// Ingest uses real transactions: random messages, proof of work at MWM 1
// (validation hashes every transaction with Curl-P81 whatever the MWM, so
// ingest cost does not depend on it). The large databases for the latency
// measurement are seeded straight through store/tanglestore with the same
// kind of transactions minus the proof of work (nonce all 9s), which takes
// minutes instead of hours; lookups do not care about the nonce.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"iotahome/internal/umask"
	"iotahome/tangle/node"
)

type config struct {
	dir        string
	ingest     int
	batch      int
	clients    int
	sizes      []int
	perAddr    int
	lookups    int
	cpuProfile string
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("tanglebench", flag.ContinueOnError)
	var c config
	var sizes string
	fs.StringVar(&c.dir, "dir", "", "directory for the benchmark databases, kept and reused by later runs (default: a new temp dir, removed afterwards)")
	fs.IntVar(&c.ingest, "ingest", 20000, "transactions to send with storeTransactions for the ingest measurement")
	fs.IntVar(&c.batch, "batch", 100, "transactions per storeTransactions request")
	fs.IntVar(&c.clients, "clients", 2, "concurrent storeTransactions clients")
	fs.StringVar(&sizes, "sizes", "100000,1000000", "comma-separated database sizes (transactions) for the findTransactions latency measurement")
	fs.IntVar(&c.perAddr, "per-address", 10, "transactions per address in the seeded databases")
	fs.IntVar(&c.lookups, "lookups", 5000, "findTransactions requests per database size")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (node included) to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, s := range strings.Split(sizes, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("-sizes: %q is not a positive number", s)
		}
		c.sizes = append(c.sizes, n)
	}
	if c.batch < 1 || c.batch > node.MaxListItems || c.clients < 1 || c.perAddr < 1 || c.lookups < 1 {
		return c, errors.New("-batch must be 1..1000; -clients, -per-address and -lookups positive")
	}
	return c, nil
}

func main() {
	umask.OwnerOnly()
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tanglebench:", err)
		os.Exit(2)
	}
	if err := run(context.Background(), cfg); err != nil {
		fmt.Fprintln(os.Stderr, "tanglebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	if cfg.dir == "" {
		dir, err := os.MkdirTemp("", "tanglebench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.dir = dir
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("tanglebench: %s/%s, %d CPUs, GOMAXPROCS %d\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))

	if cfg.ingest > 0 {
		start := time.Now()
		txs, err := attachedTransactions(cfg.ingest, 1)
		if err != nil {
			return err
		}
		fmt.Printf("generated %d transactions (PoW at MWM 1) in %v\n", len(txs), time.Since(start).Round(time.Millisecond))
		path := filepath.Join(cfg.dir, "ingest.db")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		if err := measureIngest(ctx, cfg, path, txs, "empty database"); err != nil {
			return err
		}
	}
	for _, size := range cfg.sizes {
		path := filepath.Join(cfg.dir, fmt.Sprintf("seeded-%d-per-address-%d.db", size, cfg.perAddr))
		start := time.Now()
		addrs, err := seed(ctx, path, size, cfg.perAddr)
		if err != nil {
			return err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		fmt.Printf("seeded %d transactions (%d addresses) through the store (or reused) in %v; database %.1f MiB\n",
			size, len(addrs), time.Since(start).Round(time.Millisecond), float64(fi.Size())/(1<<20))
		if err := measureFind(ctx, cfg, path, addrs); err != nil {
			return err
		}
		if cfg.ingest > 0 {
			txs, err := attachedTransactions(min(cfg.ingest, 10000), 1)
			if err != nil {
				return err
			}
			if err := measureIngest(ctx, cfg, path, txs, fmt.Sprintf("database of %d", size)); err != nil {
				return err
			}
		}
	}
	return nil
}

// server is the node under test on a loopback port.
type server struct {
	URL  string
	node *node.Node
	srv  *http.Server
}

func startNode(ctx context.Context, path string) (*server, error) {
	n, err := node.Open(ctx, node.Config{DBPath: path, MWM: 1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.Close()
		return nil, err
	}
	srv := &http.Server{Handler: n.Handler()}
	go srv.Serve(ln)
	return &server{URL: "http://" + ln.Addr().String(), node: n, srv: srv}, nil
}

func (s *server) stop() {
	s.srv.Close()
	s.node.Close()
}
