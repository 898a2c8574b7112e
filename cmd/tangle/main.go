// Command tangle runs the development Tangle node: a single node speaking the
// IRI HTTP API, storing transactions in SQLite. See docs/tangle-node.md.
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
	"strconv"
	"syscall"
	"time"

	"iotahome/internal/envdefault"
	"iotahome/tangle/node"
)

type config struct {
	listen string
	db     string
	mwm    int
	debug  bool
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("tangle", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tangle [flags]\n\nDevelopment Tangle node speaking the IRI HTTP API.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	var c config
	fs.StringVar(&c.listen, "listen", envdefault.String("TANGLE_LISTEN", "127.0.0.1:14265"), "address to serve the IRI API on (env TANGLE_LISTEN)")
	fs.StringVar(&c.db, "db", envdefault.String("TANGLE_DB", "data/tangle/tangle.db"), "SQLite database file (env TANGLE_DB)")
	mwmDefault := envdefault.String("TANGLE_MWM", "9")
	mwm, err := strconv.Atoi(mwmDefault)
	if err != nil {
		return c, fmt.Errorf("TANGLE_MWM=%q: not a number", mwmDefault)
	}
	fs.IntVar(&c.mwm, "mwm", mwm, "minimum weight magnitude stored transactions must meet (env TANGLE_MWM)")
	fs.BoolVar(&c.debug, "debug", envdefault.String("TANGLE_DEBUG", "") != "", "log every request at debug level (env TANGLE_DEBUG)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return c, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tangle:", err)
		os.Exit(2)
	}
	level := slog.LevelInfo
	if cfg.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(cfg, log); err != nil {
		log.Error("tangle node failed", "error", err)
		os.Exit(1)
	}
}

func run(cfg config, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	n, err := node.Open(ctx, node.Config{DBPath: cfg.db, MWM: cfg.mwm, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		if err := n.Close(); err != nil {
			log.Error("close node", "error", err)
		}
	}()
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.listen, err)
	}
	srv := &http.Server{
		Handler:           n.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	srv.RegisterOnShutdown(n.Shutdown)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("serving IRI API", "url", "http://"+ln.Addr().String())

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
