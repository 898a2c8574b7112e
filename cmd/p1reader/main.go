// Command p1reader is the P1 reader service for a Raspberry Pi: it reads
// telegrams from the smart meter's P1 port, publishes the readings on its
// restricted MAM channel, pairs with My Home and hands channel keys to the
// service providers the owner authorized. See docs/p1-reader.md.
//
//	p1reader [run] [flags]     the service (default)
//	p1reader status [flags]    what the service is doing (reads its state file)
//	p1reader parse [FILE|-]    parse telegrams, print readings as JSON
//	p1reader simulate [flags]  a simulated meter (stdout, file or pty)
//	p1reader bench-sustained   sustained-run measurement (docs/perf-reader.md)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"iotahome/internal/umask"
	"iotahome/pi/dsmr/parsecmd"
	"iotahome/pi/simulator"
)

const usage = `Usage: p1reader [COMMAND] [flags]

Commands:
  run              read the meter, publish readings, pair, follow consent (default)
  status           print device address, pairing state and code, counters, queue
  parse            parse telegrams from a file, stdin or serial port; print JSON readings
  simulate         write telegrams of a simulated meter to stdout, a file or a pty
  bench-sustained  measure a sustained 1 telegram/s run against an in-process node

Run "p1reader COMMAND --help" for the flags of a command.
`

func main() {
	umask.OwnerOnly()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runService(ctx, args, stdout, stderr)
	case "status":
		return runStatus(ctx, args, stdout, stderr)
	case "parse":
		return parsecmd.Run(ctx, args, stdin, stdout, stderr)
	case "simulate":
		return simulator.RunSimulate(ctx, args, stdout, stderr)
	case "bench-sustained":
		return runBench(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "p1reader: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}
