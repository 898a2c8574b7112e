// Command server serves the two web sites of iotahome from one binary: My
// Home (the owner's consent manager) and Wattt Insights (an example service
// provider). They are separate products that merely share a process: two
// Echo apps on two listeners with two SQLite files and two server keys, and
// no Go call from one site into the other.
//
// Flag wiring (shared between the myhome and wattt engineers):
//   - main.go (myhome) registers the shared flags (--site, --data, the node
//     flags of tangle/client) and the flags both sites need to find each
//     other: --myhome-listen, --wattt-listen, --wattt-public-url and
//     --myhome-url (the My Home that Wattt sends consent requests to). They
//     arrive in serverConfig. (My Home needs no public URL of its own: its
//     redirects are relative or go to the provider's stored URL.)
//   - Flags only Wattt uses are registered by registerWatttFlags (in
//     wattt.go, owned by wattt), called before parsing; what it returns is
//     handed back to startWattt after parsing.
//   - startWattt builds the Wattt Echo app and its workers; main.go owns the
//     listener and graceful shutdown and calls the returned stop function
//     after the HTTP server has drained.
//
// Every flag has an environment fallback named in its --help text.
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
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"iotahome/internal/envdefault"
	"iotahome/internal/umask"
	"iotahome/tangle/client"
)

// serverConfig is everything parsed from the shared flags.
type serverConfig struct {
	Site           string // "myhome", "wattt" or "both"
	DataDir        string
	Node           client.Config
	MyHomeListen   string
	WatttListen    string
	WatttPublicURL string // how browsers reach Wattt; "" = http://<wattt listen address>
	MyHomeURL      string // the My Home that Wattt sends owners to
	Log            *slog.Logger
}

// site is one running web site.
type site struct {
	name   string
	listen string
	e      *echo.Echo
	stop   func()
}

func main() {
	umask.OwnerOnly()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, os.Args[1:], log); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		log.Error("server stopped", "err", err)
		os.Exit(1)
	}
}

// run serves until ctx ends (SIGINT/SIGTERM in main), then shuts down.
// `server follow …` runs a follower-only Wattt process instead (follow.go).
func run(ctx context.Context, args []string, log *slog.Logger) error {
	if len(args) > 0 && args[0] == "follow" {
		return runFollow(ctx, args[1:], log)
	}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	cfg := serverConfig{Node: client.DefaultConfig(), Log: log}
	fs.StringVar(&cfg.Site, "site", envdefault.String("IOTAHOME_SITE", "both"), "which site to serve: myhome, wattt or both (env IOTAHOME_SITE)")
	fs.StringVar(&cfg.DataDir, "data", envdefault.String("IOTAHOME_DATA", "data"), "directory for the SQLite files and server keys (env IOTAHOME_DATA)")
	fs.StringVar(&cfg.MyHomeListen, "myhome-listen", envdefault.String("MYHOME_LISTEN", "127.0.0.1:8080"), "My Home listen address (env MYHOME_LISTEN)")
	fs.StringVar(&cfg.WatttListen, "wattt-listen", envdefault.String("WATTT_LISTEN", "127.0.0.1:8081"), "Wattt listen address (env WATTT_LISTEN)")
	fs.StringVar(&cfg.WatttPublicURL, "wattt-public-url", envdefault.String("WATTT_PUBLIC_URL", ""), "URL browsers use to reach Wattt; default http://<wattt-listen> (env WATTT_PUBLIC_URL)")
	fs.StringVar(&cfg.MyHomeURL, "myhome-url", envdefault.String("WATTT_MYHOME_URL", "http://127.0.0.1:8080"), "the My Home that Wattt sends consent requests to (env WATTT_MYHOME_URL)")
	cfg.Node.RegisterFlags(fs)
	myhomeOpts := registerMyHomeFlags(fs)
	watttOpts := registerWatttFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.WatttPublicURL == "" {
		cfg.WatttPublicURL = "http://" + cfg.WatttListen
	}
	cfg.WatttPublicURL = strings.TrimRight(cfg.WatttPublicURL, "/")
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	cfg.DataDir = filepath.Clean(cfg.DataDir)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var sites []site
	stopAll := func() {
		for i := len(sites) - 1; i >= 0; i-- {
			sites[i].stop()
		}
	}
	switch cfg.Site {
	case "myhome", "wattt", "both":
	default:
		return fmt.Errorf("--site must be myhome, wattt or both, not %q", cfg.Site)
	}
	if cfg.Site == "myhome" || cfg.Site == "both" {
		e, stop, err := startMyHome(ctx, cfg, myhomeOpts)
		if err != nil {
			return fmt.Errorf("start My Home: %w", err)
		}
		sites = append(sites, site{name: "myhome", listen: cfg.MyHomeListen, e: e, stop: stop})
	}
	if cfg.Site == "wattt" || cfg.Site == "both" {
		e, stop, err := startWattt(ctx, cfg, watttOpts)
		if err != nil {
			stopAll()
			return fmt.Errorf("start Wattt: %w", err)
		}
		sites = append(sites, site{name: "wattt", listen: cfg.WatttListen, e: e, stop: stop})
	}
	defer stopAll()
	return serve(ctx, cancel, sites, log)
}

// serve runs every site's HTTP server until ctx ends or one fails, then
// shuts them all down gracefully (in-flight requests get 10 s).
func serve(ctx context.Context, cancel context.CancelFunc, sites []site, log *slog.Logger) error {
	errs := make(chan error, len(sites))
	servers := make([]*http.Server, 0, len(sites))
	for _, s := range sites {
		ln, err := net.Listen("tcp", s.listen)
		if err != nil {
			for _, srv := range servers {
				srv.Close()
			}
			return fmt.Errorf("%s: listen on %s: %w", s.name, s.listen, err)
		}
		srv := &http.Server{
			Handler:           s.e,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
		}
		servers = append(servers, srv)
		log.Info("serving", "site", s.name, "url", "http://"+ln.Addr().String())
		go func(name string) {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}(s.name)
	}
	<-ctx.Done()
	log.Info("shutting down")
	shutdownCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Shutdown(shutdownCtx); err != nil {
				log.Warn("shutdown", "err", err)
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}
