package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	handlers "iotahome/handlers/myhome"
	"iotahome/internal/envdefault"
	"iotahome/myhome"
	"iotahome/protocol/providermeta"
	"iotahome/store/myhomestore"
	"iotahome/store/serverkey"
	"iotahome/tangle/client"
)

// myhomeOptions are the flags only My Home uses.
type myhomeOptions struct {
	keyFile        string
	pairingTimeout time.Duration
	providers      providermeta.FetchConfig
}

func registerMyHomeFlags(fs *flag.FlagSet) *myhomeOptions {
	o := &myhomeOptions{}
	fs.StringVar(&o.keyFile, "myhome-key-file", envdefault.String("MYHOME_KEY_FILE", ""),
		"file with My Home's server key (encrypts seeds at rest); created on first run; default <data>/myhome.key. "+
			"The key can instead be given as 64 hex digits in env MYHOME_SERVER_KEY (env MYHOME_KEY_FILE)")
	timeout := 3 * time.Minute
	if v, err := time.ParseDuration(envdefault.String("MYHOME_PAIRING_TIMEOUT", "")); err == nil {
		timeout = v
	}
	fs.DurationVar(&o.pairingTimeout, "myhome-pairing-timeout", timeout, "how long pairing waits for each answer of the reader (env MYHOME_PAIRING_TIMEOUT)")
	fs.BoolVar(&o.providers.AllowHTTPLoopback, "myhome-provider-loopback", envdefault.Bool("MYHOME_PROVIDER_LOOPBACK", false),
		"development and tests only: accept service providers on this machine (localhost, 127.0.0.0/8, ::1) over plain http; "+
			"otherwise a provider must be https on a public address (env MYHOME_PROVIDER_LOOPBACK)")
	fs.DurationVar(&o.providers.TTL, "myhome-provider-ttl", envdefault.Duration("MYHOME_PROVIDER_TTL", 10*time.Minute),
		"how long a provider's fetched metadata document (its name and signing keys) is trusted before it is fetched again (env MYHOME_PROVIDER_TTL)")
	return o
}

// startMyHome opens My Home's database and key, starts its workers and
// returns its Echo app and a stop function (stop workers, close the database).
func startMyHome(ctx context.Context, cfg serverConfig, o *myhomeOptions) (*echo.Echo, func(), error) {
	keyFile := o.keyFile
	if keyFile == "" {
		keyFile = filepath.Join(cfg.DataDir, "myhome.key")
	}
	key, err := serverkey.Load(keyFile, os.Getenv("MYHOME_SERVER_KEY"))
	if err != nil {
		return nil, nil, err
	}
	tc, err := client.New(cfg.Node)
	if err != nil {
		return nil, nil, fmt.Errorf("tangle client: %w", err)
	}
	st, err := myhomestore.Open(ctx, filepath.Join(cfg.DataDir, "myhome.db"))
	if err != nil {
		return nil, nil, err
	}
	svc := myhome.New(st, key, tc, cfg.Log.With("site", "myhome"), myhome.Config{PairingTimeout: o.pairingTimeout, Providers: o.providers})
	wctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		svc.Run(wctx)
	}()
	stop := func() {
		cancel()
		wg.Wait()
		st.Close()
	}
	return handlers.New(svc, st, cfg.Log.With("site", "myhome")), stop, nil
}
