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
	"iotahome/store/watttsqlite"
	"iotahome/tangle/client"
	"iotahome/wattt"
)

// watttOptions are the flags only Wattt uses.
type watttOptions struct {
	keyFile  string
	timezone string
	poll     time.Duration
}

// registerWatttFlags adds Wattt-only flags to fs.
func registerWatttFlags(fs *flag.FlagSet) *watttOptions {
	o := &watttOptions{}
	fs.StringVar(&o.keyFile, "wattt-key-file", envdefault.String("WATTT_KEY_FILE", ""),
		"file with Wattt's server key (encrypts account seeds at rest); created on first run; default <data>/wattt.key. "+
			"The key can instead be given as 64 hex digits in env WATTT_SERVER_KEY (env WATTT_KEY_FILE)")
	fs.StringVar(&o.timezone, "wattt-timezone", envdefault.String("WATTT_TIMEZONE", "Europe/Amsterdam"),
		"time zone of Wattt's days (today, per-day totals, CSV dates) (env WATTT_TIMEZONE)")
	poll := time.Second
	if v, err := time.ParseDuration(envdefault.String("WATTT_POLL", "")); err == nil {
		poll = v
	}
	fs.DurationVar(&o.poll, "wattt-poll", poll,
		"how often Wattt asks the node for new channel messages (per followed meter) and for channel keys (env WATTT_POLL)")
	return o
}

// startWattt opens Wattt's database and key, starts its workers (key
// receipt, channel followers, pruning) and returns its Echo app and a stop
// function (stop workers, close the database).
func startWattt(ctx context.Context, cfg serverConfig, o *watttOptions) (*echo.Echo, func(), error) {
	loc, err := time.LoadLocation(o.timezone)
	if err != nil {
		return nil, nil, fmt.Errorf("--wattt-timezone: %w", err)
	}
	keyFile := o.keyFile
	if keyFile == "" {
		keyFile = filepath.Join(cfg.DataDir, "wattt.key")
	}
	key, err := serverkey.Load(keyFile, os.Getenv("WATTT_SERVER_KEY"))
	if err != nil {
		return nil, nil, err
	}
	tc, err := client.New(cfg.Node)
	if err != nil {
		return nil, nil, fmt.Errorf("tangle client: %w", err)
	}
	st, err := watttsqlite.Open(ctx, filepath.Join(cfg.DataDir, "wattt.db"))
	if err != nil {
		return nil, nil, err
	}
	log := cfg.Log
	svc := wattt.New(st, key, tc, log, wattt.Config{
		MyHomeURL: cfg.MyHomeURL,
		PublicURL: cfg.WatttPublicURL,
		Location:  loc,

		FollowInterval: o.poll,
		KeyInterval:    o.poll,
	})
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
