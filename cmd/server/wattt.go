package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
	_ "time/tzdata" // Wattt's day boundaries need a zone database even on minimal hosts

	"github.com/labstack/echo/v4"

	handlers "iotahome/handlers/wattt"
	"iotahome/internal/envdefault"
	"iotahome/store/serverkey"
	"iotahome/store/watttdb"
	"iotahome/tangle/client"
	"iotahome/wattt"
)

// watttOptions are the flags only Wattt uses (the site and `server follow`).
type watttOptions struct {
	db        string
	keyFile   string
	timezone  string
	poll      time.Duration
	pollMax   time.Duration
	followers int
	nodeBatch int
	leaseTTL  time.Duration
	maxMeters int
}

// registerWatttFlags adds Wattt-only flags to fs.
func registerWatttFlags(fs *flag.FlagSet) *watttOptions {
	o := &watttOptions{}
	fs.StringVar(&o.db, "wattt-db", envdefault.String("WATTT_DB", ""),
		"Wattt's database: a PostgreSQL URL (postgres://user:password@host:5432/wattt) or the path of a SQLite file; "+
			"default <data>/wattt.db (env WATTT_DB)")
	fs.StringVar(&o.keyFile, "wattt-key-file", envdefault.String("WATTT_KEY_FILE", ""),
		"file with Wattt's server key (encrypts account seeds and side keys at rest); created on first run; default <data>/wattt.key. "+
			"Every process of one Wattt (site and followers) needs the same key. "+
			"The key can instead be given as 64 hex digits in env WATTT_SERVER_KEY (env WATTT_KEY_FILE)")
	fs.StringVar(&o.timezone, "wattt-timezone", envdefault.String("WATTT_TIMEZONE", "Europe/Amsterdam"),
		"time zone of Wattt's days (today, per-day totals, CSV dates) (env WATTT_TIMEZONE)")
	fs.DurationVar(&o.poll, "wattt-poll", envdefault.Duration("WATTT_POLL", time.Second),
		"how soon a followed meter's channel is polled again after a message, and how often channel keys are polled (env WATTT_POLL)")
	fs.DurationVar(&o.pollMax, "wattt-poll-max", envdefault.Duration("WATTT_POLL_MAX", 5*time.Second),
		"longest pause between polls of a meter with nothing new (the pause doubles from --wattt-poll); bounds the lag (env WATTT_POLL_MAX)")
	fs.IntVar(&o.followers, "followers", envdefault.Int("WATTT_FOLLOWERS", 1),
		"follower workers in this process (0: none, a web-only process); workers of all processes on one database share the meters (env WATTT_FOLLOWERS)")
	fs.IntVar(&o.nodeBatch, "wattt-node-batch", envdefault.Int("WATTT_NODE_BATCH", client.DefaultListLimit),
		"channel addresses per findTransactions request: the node's list limit (IRI's MAX_REQUESTS_LIST) (env WATTT_NODE_BATCH)")
	fs.DurationVar(&o.leaseTTL, "wattt-lease-ttl", envdefault.Duration("WATTT_LEASE_TTL", 15*time.Second),
		"a follower's meters go to the others this long after it stopped renewing its leases (env WATTT_LEASE_TTL)")
	fs.IntVar(&o.maxMeters, "wattt-max-meters", envdefault.Int("WATTT_MAX_METERS", 0),
		"most meters one follower worker takes (0: its fair share) (env WATTT_MAX_METERS)")
	return o
}

// serviceConfig is the wattt.Config these options and the shared ones
// give.
func (o *watttOptions) serviceConfig(cfg serverConfig) (wattt.Config, error) {
	loc, err := time.LoadLocation(o.timezone)
	if err != nil {
		return wattt.Config{}, fmt.Errorf("--wattt-timezone: %w", err)
	}
	if o.followers < 0 || o.nodeBatch < 1 || o.maxMeters < 0 || o.leaseTTL < time.Second {
		return wattt.Config{}, fmt.Errorf("--followers must be ≥ 0, --wattt-node-batch ≥ 1, --wattt-max-meters ≥ 0, --wattt-lease-ttl ≥ 1s")
	}
	followers := o.followers
	if followers == 0 {
		followers = -1 // none: a web-only process
	}
	return wattt.Config{
		MyHomeURL: cfg.MyHomeURL,
		PublicURL: cfg.WatttPublicURL,
		Location:  loc,

		Followers:       followers,
		FollowInterval:  o.poll,
		MaxIdleInterval: o.pollMax,
		NodeBatch:       o.nodeBatch,
		LeaseTTL:        o.leaseTTL,
		MaxMeters:       o.maxMeters,
		KeyInterval:     o.poll,
	}, nil
}

// openWattt opens what every Wattt process needs: the server key, the node
// client and the store.
func (o *watttOptions) open(ctx context.Context, cfg serverConfig) (*serverkey.Key, *client.Client, wattt.Store, error) {
	keyFile := o.keyFile
	if keyFile == "" {
		keyFile = filepath.Join(cfg.DataDir, "wattt.key")
	}
	key, err := serverkey.Load(keyFile, os.Getenv("WATTT_SERVER_KEY"))
	if err != nil {
		return nil, nil, nil, err
	}
	tc, err := client.New(cfg.Node)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("tangle client: %w", err)
	}
	where := o.db
	if where == "" {
		where = filepath.Join(cfg.DataDir, "wattt.db")
	}
	st, err := watttdb.Open(ctx, where)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open Wattt's database %s: %w", watttdb.Describe(where), err)
	}
	cfg.Log.Info("wattt database", "db", watttdb.Describe(where))
	return key, tc, st, nil
}

// startWattt opens Wattt's database and key, starts its workers (key
// receipt, follower workers, pruning) and returns its Echo app and a stop
// function (stop workers, close the database).
func startWattt(ctx context.Context, cfg serverConfig, o *watttOptions) (*echo.Echo, func(), error) {
	wcfg, err := o.serviceConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	key, tc, st, err := o.open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	log := cfg.Log
	svc := wattt.New(st, key, tc, log, wcfg)
	wctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { svc.Run(wctx) })
	stop := func() {
		cancel()
		wg.Wait()
		st.Close()
	}
	return handlers.New(svc, st, log), stop, nil
}
