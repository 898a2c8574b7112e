package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"iotahome/internal/envdefault"
	"iotahome/tangle/client"
	"iotahome/wattt"
)

// runFollow is `server follow`: a Wattt process that only follows meters
// (no web site, no key receipt, no pruning), for running followers on more
// machines than the site, all against one PostgreSQL database. Its workers
// share the meters with every other process's through leases. It needs the
// site's server key (to open the stored side keys), its time zone (day
// buckets) and the node.
func runFollow(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("server follow", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: server follow [flags]\n\nFollows Wattt's meters (channels) into the database, sharing them with every other follower of that database.")
		fs.PrintDefaults()
	}
	cfg := serverConfig{Node: client.DefaultConfig(), Log: log}
	fs.StringVar(&cfg.DataDir, "data", envdefault.String("IOTAHOME_DATA", "data"), "directory of the default SQLite file and server key (env IOTAHOME_DATA)")
	status := fs.String("status-listen", envdefault.String("WATTT_STATUS_LISTEN", ""),
		"serve /healthz and /status (JSON: counters, meters followed, memory) on this address, e.g. 127.0.0.1:9181; empty: off (env WATTT_STATUS_LISTEN)")
	cfg.Node.RegisterFlags(fs)
	o := registerWatttFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("server follow: unexpected arguments %q", fs.Args())
	}
	if o.followers < 1 {
		return errors.New("server follow: --followers must be at least 1")
	}
	cfg.DataDir = filepath.Clean(cfg.DataDir)
	if o.keyFile == "" {
		o.keyFile = filepath.Join(cfg.DataDir, "wattt.key")
	}
	if _, err := os.Stat(o.keyFile); err != nil && os.Getenv("WATTT_SERVER_KEY") == "" {
		// A new key would open none of the stored side keys.
		return fmt.Errorf("server follow needs the site's server key (--wattt-key-file or WATTT_SERVER_KEY): %w", err)
	}
	wcfg, err := o.serviceConfig(cfg)
	if err != nil {
		return err
	}
	key, tc, st, err := o.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := wattt.New(st, key, tc, log, wcfg)
	if *status != "" {
		ln, err := net.Listen("tcp", *status)
		if err != nil {
			return fmt.Errorf("--status-listen: %w", err)
		}
		srv := &http.Server{Handler: statusHandler(svc, st, wcfg.LeaseTTL), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		log.Info("status", "url", "http://"+ln.Addr().String()+"/status")
	}
	log.Info("following", "workers", o.followers, "node", cfg.Node.NodeURL)
	svc.Follow(ctx)
	return nil
}

// followStatus is what /status says.
type followStatus struct {
	PID        int            `json:"pid"`
	Stats      wattt.Stats    `json:"stats"`
	HeapInuse  uint64         `json:"heapInuseBytes"`
	RSS        uint64         `json:"rssBytes"`
	Goroutines int            `json:"goroutines"`
	Workers    []wattt.Worker `json:"workers"` // every live worker of the database
}

// statusHandler serves /healthz (200 when the database answers) and
// /status.
func statusHandler(svc *wattt.Service, st wattt.Store, ttl time.Duration) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := st.Workers(r.Context(), ttl); err != nil {
			http.Error(w, "database unreachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			runtime.GC()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s := followStatus{PID: os.Getpid(), Stats: svc.Stats(), HeapInuse: ms.HeapInuse, RSS: rss(), Goroutines: runtime.NumGoroutine()}
		s.Workers, _ = st.Workers(r.Context(), ttl)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s)
	})
	return mux
}

// rss is the process's resident set size (Linux; 0 elsewhere).
func rss() uint64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
