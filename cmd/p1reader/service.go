package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"iotahome/internal/envdefault"
	"iotahome/pi/dsmr"
	"iotahome/pi/reader"
	"iotahome/pi/serialport"
	"iotahome/pi/simulator"
	"iotahome/tangle/client"
)

// serviceFlags are the flags of "run" (and, in part, of bench-sustained).
type serviceFlags struct {
	node        client.Config
	serial      serialport.Config
	simulate    bool
	simRate     float64
	state       string
	batchWindow time.Duration
	batchMax    int
	maxQueue    int
	poll        time.Duration
	country     string
	pack        bool
	durable     bool
	logLevel    string
}

func (f *serviceFlags) register(fs *flag.FlagSet) {
	f.node = client.DefaultConfig()
	f.node.RegisterFlags(fs)
	f.serial = serialport.DefaultConfig()
	f.serial.RegisterFlags(fs)
	fs.Func("dsmr", "DSMR version, a shortcut for --serial: auto, 5, 4, 3 or 2.2", func(v string) error {
		presets := map[string]string{"auto": "auto", "5": "dsmr5", "5.0": "dsmr5", "4": "dsmr4", "4.2": "dsmr4", "3": "dsmr3", "2.2": "dsmr22"}
		p, ok := presets[v]
		if !ok {
			return errors.New("want auto, 5, 4, 3 or 2.2")
		}
		f.serial.Preset = p
		return nil
	})
	fs.BoolVar(&f.simulate, "simulate", envdefault.Bool("P1_SIMULATE", false), "read a built-in simulated DSMR 5 meter instead of the serial port (env P1_SIMULATE=1)")
	fs.Float64Var(&f.simRate, "simulate-rate", envdefault.Float("P1_SIMULATE_RATE", 1), "with --simulate: telegrams per second (env P1_SIMULATE_RATE)")
	fs.StringVar(&f.state, "state", envdefault.String("P1_STATE", "data/reader/reader.db"), "state file: identity, pairing, channel state, outbox (env P1_STATE)")
	fs.DurationVar(&f.batchWindow, "batch-window", envdefault.Duration("P1_BATCH_WINDOW", reader.DefaultBatchWindow),
		"longest a reading waits for others to share its MAM message; readings also pile up while a message is attached (env P1_BATCH_WINDOW)")
	fs.IntVar(&f.batchMax, "batch-max", envdefault.Int("P1_BATCH_MAX", reader.DefaultMaxReadings), "most readings per MAM message (env P1_BATCH_MAX)")
	fs.IntVar(&f.maxQueue, "max-queue", envdefault.Int("P1_MAX_QUEUE", reader.DefaultMaxQueue),
		"most readings waiting for the Tangle (about 500 bytes each); when full the OLDEST are dropped, counted and logged (env P1_MAX_QUEUE)")
	fs.DurationVar(&f.poll, "poll", envdefault.Duration("P1_POLL", reader.DefaultPollInterval), "how often to look for pairing messages and My Home's events (env P1_POLL)")
	fs.BoolVar(&f.durable, "durable", envdefault.Bool("P1_DURABLE", true), "write every reading to the state file before it is batched, so a crash loses nothing; --durable=false writes once per MAM message instead (about 10x less SD-card wear; a crash then loses up to --batch-window of readings) (env P1_DURABLE)")
	fs.BoolVar(&f.pack, "pack", envdefault.Bool("P1_PACK", false), "send readings DEFLATE-packed (DataBody.Packed): about 5x less proof of work per reading; every provider must read DataBody.AllReadings (env P1_PACK=1)")
	fs.StringVar(&f.country, "country", envdefault.String("P1_COUNTRY", ""), "NL or BE (tariff meaning, time zone); empty detects it per telegram (env P1_COUNTRY)")
	fs.StringVar(&f.logLevel, "log-level", envdefault.String("P1_LOG_LEVEL", "info"), "debug, info, warn or error (env P1_LOG_LEVEL)")
}

func (f *serviceFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", f.logLevel, err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), nil
}

func (f *serviceFlags) agentConfig(c *client.Client, log *slog.Logger) reader.Config {
	return reader.Config{
		StatePath: f.state, Client: c, BatchWindow: f.batchWindow, MaxReadings: f.batchMax,
		MaxQueue: f.maxQueue, PollInterval: f.poll, Country: f.country, Pack: f.pack, Durable: f.durable, Log: log,
	}
}

const runUsage = `Usage: p1reader [run] [flags]

Reads telegrams from the P1 port (or --simulate) and publishes the readings in
batches on the reader's restricted MAM channel; each batch is stored in the
state file before it is published, and kept there while the node is away. While unpaired it prints its device address and pairing code (and a
QR code of both) for My Home; once paired it follows My Home's events and
hands channel keys to the service providers the owner authorized.

Every flag has an environment fallback, named in its help.

Flags:
`

func runService(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serviceFlags
	f.register(fs)
	fs.Usage = func() { fmt.Fprint(stderr, runUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "p1reader run: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log, err := f.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "p1reader: %v\n", err)
		return 2
	}
	slog.SetDefault(log)
	if err := serve(ctx, f, stdout, log); err != nil {
		log.Error("p1reader stopped", "err", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, f serviceFlags, stdout io.Writer, log *slog.Logger) error {
	c, err := client.New(f.node)
	if err != nil {
		return err
	}
	agent, err := reader.Open(ctx, f.agentConfig(c, log))
	if err != nil {
		return err
	}
	defer agent.Close()
	parser, err := dsmr.NewParser(dsmr.Options{Country: f.country})
	if err != nil {
		return err
	}
	src, err := newSource(ctx, f, parser, log)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The agent parses again; the source's parse only frames and filters.
	telegrams := make(chan []byte, 1024)
	go func() {
		src.Run(ctx, func(raw []byte, _ *dsmr.Telegram) {
			select {
			case telegrams <- append([]byte(nil), raw...):
			case <-ctx.Done():
			}
		})
	}()
	go countRejected(ctx, src, agent, log)
	go showPairing(ctx, agent, stdout)
	return agent.Run(ctx, telegrams)
}

// newSource reads the serial port, or a simulated meter with --simulate,
// through the same framing, stall detection and reopen logic.
func newSource(ctx context.Context, f serviceFlags, parser *dsmr.Parser, log *slog.Logger) (*serialport.Source, error) {
	opts := serialport.SourceOptions{Parser: parser, Logger: log}
	if !f.simulate {
		return serialport.NewSerialSource(f.serial, opts)
	}
	if f.simRate <= 0 {
		return nil, errors.New("--simulate-rate must be positive")
	}
	log.Info("reading a simulated DSMR 5 meter", "rate", f.simRate)
	return serialport.NewSource(func(ctx context.Context) (io.ReadCloser, error) {
		return simulator.NewStream(ctx, simulator.Config{Kind: simulator.DSMR5}, f.simRate)
	}, opts)
}

// countRejected copies the source's rejected-telegram count into the state
// file, where status reads it.
func countRejected(ctx context.Context, src *serialport.Source, agent *reader.Agent, log *slog.Logger) {
	var done int64
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n := src.Stats().Rejected; n > done {
			if err := agent.CountRejected(ctx, int(n-done)); err != nil {
				log.Error("count rejected telegrams", "err", err)
				continue
			}
			done = n
		}
	}
}

// showPairing prints the device address, pairing code and QR code whenever
// the reader is (again) unpaired.
func showPairing(ctx context.Context, agent *reader.Agent, stdout io.Writer) {
	shown := ""
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		if code := agent.PairingCode(); code != shown {
			if code != "" {
				printPairing(stdout, agent.Status())
			}
			shown = code
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
