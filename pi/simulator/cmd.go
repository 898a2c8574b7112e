package simulator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"iotahome/internal/envdefault"
)

// RunSimulate is the "p1reader simulate" subcommand: it writes telegrams
// of a simulated meter to stdout, a file or a pseudo-terminal it creates.
// It returns the process exit status.
func RunSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("meter", envdefault.String("P1SIM_METER", DSMR5), "meter kind: dsmr5, dsmr22 or be (env P1SIM_METER)")
	seed := fs.Uint64("seed", 0, "random seed; 0 picks one and prints it (same seed and --start: same telegrams)")
	start := fs.String("start", "now", "simulated time of the first telegram, RFC 3339 or \"now\"")
	step := fs.Duration("step", 0, "simulated time between telegrams (default the meter's interval: 1s, 10s for dsmr22)")
	rate := fs.Float64("rate", 1, "telegrams per second of real time; 0 = as fast as the output takes them")
	count := fs.Int("count", 0, "stop after this many telegrams (0 = until killed)")
	out := fs.String("out", envdefault.String("P1SIM_OUT", "-"), "where to write: - (stdout), a file path, or pty (create a pseudo-terminal and print its device path) (env P1SIM_OUT)")
	faults := fs.Float64("faults", 0, "fraction of telegrams to spoil with a bad CRC, a cut or noise, e.g. 0.05")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: p1reader simulate [flags]

Writes P1 telegrams of a simulated smart meter: a household with base load,
appliance spikes and solar panels, counters per tariff, three phases, gas
every 5 minutes (hourly for dsmr22). With --out pty it creates a
pseudo-terminal and prints its device path on stdout; point the reader's
--device at it. It keeps the device until killed.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "simulate: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg := Config{Kind: *kind, Seed: *seed, Step: *step, Faults: *faults}
	if cfg.Seed == 0 {
		cfg.Seed = rand.Uint64()
	}
	if *start != "now" {
		t, err := time.Parse(time.RFC3339, *start)
		if err != nil {
			fmt.Fprintf(stderr, "simulate: --start: %v\n", err)
			return 2
		}
		cfg.Start = t
	}
	if *rate < 0 {
		fmt.Fprintln(stderr, "simulate: --rate must not be negative")
		return 2
	}
	m, err := NewMeter(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return 2
	}
	log.Info("simulating meter", "meter", m.Kind(), "seed", strconv.FormatUint(cfg.Seed, 10), "start", m.Now().Format(time.RFC3339), "rate", *rate, "faults", *faults)

	var w io.Writer
	switch *out {
	case "-", "":
		w = stdout
	case "pty":
		p, err := OpenPTY()
		if err != nil {
			fmt.Fprintf(stderr, "simulate: %v\n", err)
			return 1
		}
		defer p.Close()
		fmt.Fprintln(stdout, p.SlavePath())
		log.Info("writing to pseudo-terminal", "device", p.SlavePath())
		w = &ptyWriter{p: p, log: log, timeout: writeTimeout(*rate)}
	default:
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "simulate: %v\n", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	n, err := Run(ctx, m, w, *rate, *count)
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return 1
	}
	log.Info("simulator done", "telegrams", n, "faults", fmt.Sprint(m.Faults()))
	if *out == "pty" && ctx.Err() == nil {
		// The device stays until the process is killed, so that a reader
		// can finish reading what is buffered.
		<-ctx.Done()
	}
	return 0
}

// writeTimeout is how long a telegram may wait for a reader: a little
// under the interval at which the next one is due.
func writeTimeout(rate float64) time.Duration {
	if rate <= 0 {
		return 5 * time.Second
	}
	return max(time.Duration(0.9*float64(time.Second)/rate), 10*time.Millisecond)
}

// ptyWriter drops telegrams nobody reads instead of blocking, as a meter
// sends whether a cable is plugged in or not.
type ptyWriter struct {
	p       *PTY
	log     *slog.Logger
	timeout time.Duration
	dropped int
}

func (w *ptyWriter) Write(b []byte) (int, error) {
	n, err := w.p.WriteTimeout(b, w.timeout)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if w.dropped++; w.dropped == 1 || w.dropped%600 == 0 {
			w.log.Warn("nobody is reading the pseudo-terminal: dropping telegrams", "dropped", w.dropped)
		}
		return len(b), nil
	}
	return n, err
}
