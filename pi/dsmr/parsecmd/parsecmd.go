// Package parsecmd is the "p1reader parse" subcommand: it reads telegrams
// from a file, standard input or a serial port, prints one JSON Reading per
// valid telegram and reports every invalid one. It is how a person checks a
// P1 cable, and how saved telegrams are turned into readings.
package parsecmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"iotahome/pi/dsmr"
	"iotahome/pi/serialport"
	"iotahome/protocol"
)

const usage = `Usage: p1reader parse [flags] [FILE|-]

Reads one or more concatenated P1 telegrams from FILE (default: standard
input) and prints one JSON object per valid telegram per line, in the
reading schema %s (docs/reading-schema.md). Every invalid telegram is
reported on standard error with its position and reason (bad CRC,
truncated, no header, ...). Exit status 1 if any telegram was invalid or
none was valid, 2 for a usage error.

FILE may be a serial port (e.g. /dev/ttyUSB0): its line settings are then
detected (or set with --serial and the overrides) and it is read until
--count telegrams arrived or the command is interrupted. That is how to
check a P1 cable.

Flags:
`

// Run runs the subcommand and returns the exit status.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, protocol.ReadingSchema)
		fs.PrintDefaults()
	}
	country := fs.String("country", os.Getenv("P1_COUNTRY"), "NL or BE: tariff meaning and time zone; empty detects it (env P1_COUNTRY)")
	full := fs.Bool("full", false, "print the whole telegram (equipment ids, text, unknown lines, field errors) instead of the reading")
	quiet := fs.Bool("quiet", false, "do not report values that were dropped or assumed within valid telegrams")
	count := fs.Int("count", 0, "stop after this many valid telegrams (0 = until end of input)")
	serial := serialport.DefaultConfig()
	fs.StringVar(&serial.Preset, "serial", serial.Preset, "for a serial port: line settings, auto or a preset (dsmr5, dsmr4-7e1, dsmr22) (env P1_SERIAL)")
	fs.IntVar(&serial.Baud, "baud", serial.Baud, "for a serial port: override the baud rate (env P1_BAUD)")
	fs.IntVar(&serial.DataBits, "databits", serial.DataBits, "for a serial port: override the data bits (env P1_DATABITS)")
	fs.StringVar(&serial.Parity, "parity", serial.Parity, "for a serial port: override the parity, N, E or O (env P1_PARITY)")
	fs.IntVar(&serial.StopBits, "stopbits", serial.StopBits, "for a serial port: override the stop bits (env P1_STOPBITS)")
	fs.DurationVar(&serial.DetectWindow, "detect-window", serial.DetectWindow, "for a serial port with --serial auto: how long to listen per preset (env P1_DETECT_WINDOW)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(stderr, "parse: at most one FILE")
		return 2
	}
	parser, err := dsmr.NewParser(dsmr.Options{Country: *country})
	if err != nil {
		fmt.Fprintf(stderr, "parse: %v\n", err)
		return 2
	}

	name := fs.Arg(0)
	in, isPort, err := openInput(ctx, name, stdin, serial, parser, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "parse: %v\n", err)
		return 1
	}
	defer in.Close()
	if isPort {
		// A read blocked on a silent port ends when the port is closed.
		stop := context.AfterFunc(ctx, func() { in.Close() })
		defer stop()
	}

	c := checker{parser: parser, out: json.NewEncoder(stdout), errs: stderr, full: *full, quiet: *quiet, max: *count}
	framer := dsmr.NewFramer(0, isPort)
	buf := make([]byte, 32<<10)
	for !c.done() {
		n, err := in.Read(buf)
		if n > 0 {
			framer.Feed(buf[:n], c.frame)
		}
		if err == io.EOF {
			framer.Flush(c.frame)
			break
		}
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(stderr, "parse: read: %v\n", err)
				c.invalid++
			}
			break
		}
	}
	if c.writeErr != nil {
		fmt.Fprintf(stderr, "parse: write: %v\n", c.writeErr)
		return 1
	}
	fmt.Fprintf(stderr, "%d valid, %d invalid telegrams\n", c.valid, c.invalid)
	if c.invalid > 0 || c.valid == 0 {
		return 1
	}
	return 0
}

// openInput opens FILE, standard input, or a serial port (detecting its
// line settings if asked to).
func openInput(ctx context.Context, name string, stdin io.Reader, cfg serialport.Config, parser *dsmr.Parser, stderr io.Writer) (io.ReadCloser, bool, error) {
	switch {
	case name == "" || name == "-":
		return io.NopCloser(stdin), false, nil
	case !serialport.IsTerminal(name):
		f, err := os.Open(name)
		return f, false, err
	}
	line, auto, err := cfg.Line()
	if err != nil {
		return nil, false, err
	}
	if !auto {
		p, err := serialport.Open(name, line)
		if err == nil {
			fmt.Fprintf(stderr, "reading %s at %s\n", name, line)
		}
		return p, true, err
	}
	var candidates []serialport.Settings
	for _, p := range serialport.Presets() {
		candidates = append(candidates, p.Settings)
	}
	fmt.Fprintf(stderr, "detecting the line settings of %s (up to %s per setting)...\n", name, cfg.DetectWindow)
	rc, found, err := serialport.Detect(ctx, name, candidates, cfg.DetectWindow, parser)
	if err != nil {
		return nil, false, err
	}
	fmt.Fprintf(stderr, "%s: valid telegrams at %s (use --serial or P1_SERIAL to skip detection)\n", name, found)
	return rc, true, nil
}

// checker handles frames: prints valid telegrams, reports the rest.
type checker struct {
	parser   *dsmr.Parser
	out      *json.Encoder
	errs     io.Writer
	full     bool
	quiet    bool
	max      int
	valid    int
	invalid  int
	writeErr error
}

func (c *checker) done() bool {
	return c.writeErr != nil || (c.max > 0 && c.valid >= c.max)
}

func (c *checker) frame(f dsmr.Frame) {
	if c.done() {
		return
	}
	if f.Skipped > 0 {
		fmt.Fprintf(c.errs, "byte %d: skipped %d bytes that are not part of a telegram\n", f.Offset-f.Skipped, f.Skipped)
	}
	err := f.Err
	var t *dsmr.Telegram
	if err == nil {
		t, err = c.parser.Parse(f.Data)
	}
	if err != nil {
		c.invalid++
		fmt.Fprintf(c.errs, "byte %d (line %d): invalid telegram: %v\n", f.Offset, f.Line, err)
		return
	}
	c.valid++
	if !c.quiet {
		for _, fe := range t.FieldErrors {
			fmt.Fprintf(c.errs, "byte %d (line %d): telegram line %d: %s(%s): %v\n", f.Offset, f.Line, fe.Line, fe.OBIS, fe.Value, fe.Err)
		}
	}
	var v any = &t.Reading
	if c.full {
		v = t
	}
	c.writeErr = c.out.Encode(v)
}
