// Command devstack starts the whole product on one machine: the development
// Tangle node, the server (My Home and Wattt Insights), the meter simulator on
// a pseudo-terminal and the P1 reader as a separate process reading that
// pseudo-terminal. Every part runs as its own process with the same binaries
// and flags a real deployment uses; devstack only builds, starts, prefixes
// their logs and stops them. Ctrl-C stops everything; running it again resumes
// with the same data; --fresh starts over.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"iotahome/internal/umask"
)

func main() {
	umask.OwnerOnly()
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, cfg, logger); err != nil {
		logger.Error("devstack stopped", "err", err)
		os.Exit(1)
	}
}
