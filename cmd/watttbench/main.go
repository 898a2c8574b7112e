// Command watttbench measures Wattt's followers at provider scale, side by
// side in one run: N meters (10,000 by default), each publishing one DATA
// message every 10 s, followed by
//
//   - SQLite, one follower process,
//   - PostgreSQL, one follower process,
//   - PostgreSQL, two follower processes (sharing the meters by lease),
//
// each against a fresh development node and a fresh database. It reports
// messages ingested per second and the lag from attaching a message to
// storing it (p50, p99, max) in the steady state, node requests per second
// (findTransactions and getTrytes, counted by a proxy in front of the
// node), and the follower processes' memory per followed meter. The
// followers are real `server follow` processes built from this module.
//
// The meters' channels are built once (at MWM 1) and cached on disk
// (-cache); the first run builds them, which takes a while. Method and
// results: docs/scale.md.
//
//	go run ./cmd/watttbench -meters 10000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"
)

type config struct {
	cache      string
	meters     int
	messages   int
	jobs       int
	buildOnly  bool
	interval   time.Duration
	warmup     time.Duration
	measure    time.Duration
	setups     []string
	pgBin      string
	followers  int
	serverPoll time.Duration
	maxIdle    time.Duration
	keep       bool
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, os.Args[1:], log); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		log.Error("watttbench", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("watttbench", flag.ContinueOnError)
	var c config
	var setups string
	fs.StringVar(&c.cache, "cache", filepath.Join(os.TempDir(), "watttbench"), "directory of the channel cache (built on first use, kept)")
	fs.IntVar(&c.meters, "meters", 10000, "meters (channels) to follow")
	fs.IntVar(&c.messages, "messages", 10, "messages per meter in the cache: enough for warm-up plus measurement at one per -interval")
	fs.IntVar(&c.jobs, "jobs", runtime.NumCPU(), "goroutines building the cache")
	fs.BoolVar(&c.buildOnly, "build-only", false, "build the cache and stop")
	fs.DurationVar(&c.interval, "interval", 10*time.Second, "each meter publishes one message per interval")
	fs.DurationVar(&c.warmup, "warmup", 30*time.Second, "time from the first message before measuring starts")
	fs.DurationVar(&c.measure, "measure", 50*time.Second, "length of the steady-state measurement")
	fs.StringVar(&setups, "setups", "sqlite-1,pg-1,pg-2", "which setups to run, in order: sqlite-1, pg-1, pg-2")
	fs.StringVar(&c.pgBin, "pg-bin", "", "directory of PostgreSQL's initdb and pg_ctl (default: found under /usr/lib/postgresql)")
	fs.IntVar(&c.followers, "followers", 1, "follower workers per process (--followers)")
	fs.DurationVar(&c.serverPoll, "poll", time.Second, "followers' --wattt-poll")
	fs.DurationVar(&c.maxIdle, "max-idle", 5*time.Second, "followers' --wattt-poll-max")
	fs.BoolVar(&c.keep, "keep", false, "keep the run's directory (follower and node logs, databases)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.meters <= 0 || c.messages <= 0 {
		return errors.New("-meters and -messages must be positive")
	}
	if need := int((c.warmup+c.measure)/c.interval) + 1; need > c.messages {
		return fmt.Errorf("-messages %d is too few for -warmup %s plus -measure %s at one per %s: need %d", c.messages, c.warmup, c.measure, c.interval, need)
	}
	c.setups = splitList(setups)
	// The version names the cache format and the MAM addressing it was
	// built with (2: Curl-P81 of the root): an older cache is not read.
	dir := filepath.Join(c.cache, fmt.Sprintf("v2-%d-messages", c.messages))
	log.Info("channel cache", "dir", dir)
	meta, err := buildCache(dir, c.meters, c.messages, cacheChunk, c.jobs, log)
	if err != nil {
		return fmt.Errorf("build the channel cache: %w", err)
	}
	log.Info("channel cache ready", "meters", meta.Meters, "messages", meta.Messages, "built_in", meta.Built.Round(time.Second))
	if c.buildOnly {
		return nil
	}
	return runSetups(ctx, c, dir, meta, log)
}

// cacheChunk is how many meters one cache file holds.
const cacheChunk = 250
