package serialport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"iotahome/pi/dsmr"
)

// Opener opens the byte stream a Source reads: the serial port, or in tests
// and demos anything else. A stream whose Read returns (0, nil) is idle.
type Opener func(ctx context.Context) (io.ReadCloser, error)

// SourceOptions tune a Source. Zero values take the defaults.
type SourceOptions struct {
	Parser       *dsmr.Parser  // default: dsmr.NewParser(dsmr.Options{})
	Logger       *slog.Logger  // default: slog.Default()
	StallTimeout time.Duration // default 30 s
	MaxTelegram  int           // default dsmr.DefaultMaxTelegram
	BackoffMin   time.Duration // first wait before reopening; default 1 s
	BackoffMax   time.Duration // default 30 s
}

// Stats are a Source's counters.
type Stats struct {
	Telegrams    int64     // valid telegrams handed over
	Rejected     int64     // bad CRC, truncated, no header, too large
	SkippedBytes int64     // noise between telegrams, partial first telegrams
	Opens        int64     // successful opens of the stream
	Stalls       int64     // reopens because no valid telegram came in time
	LastTelegram time.Time // zero before the first
	Settings     string    // line settings of the open port, "" if none or not a serial port
}

// Source reads telegrams forever: it opens the stream, frames and parses
// what arrives, and on a read error, end of stream or stall logs, backs off
// and reopens. It never gives up.
type Source struct {
	open   Opener
	opts   SourceOptions
	parser *dsmr.Parser
	log    *slog.Logger

	telegrams, rejected, skippedDone, skippedNow, opens, stalls atomic.Int64
	last                                                        atomic.Int64 // unix nanoseconds of the last valid telegram
	mu                                                          sync.Mutex
	settings                                                    string
}

// NewSource returns a Source reading what open returns.
func NewSource(open Opener, o SourceOptions) (*Source, error) {
	if open == nil {
		return nil, errors.New("serialport: nil Opener")
	}
	return newSource(open, o)
}

// newSource leaves open nil for NewSerialSource to fill in.
func newSource(open Opener, o SourceOptions) (*Source, error) {
	if o.Parser == nil {
		p, err := dsmr.NewParser(dsmr.Options{})
		if err != nil {
			return nil, err
		}
		o.Parser = p
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = 30 * time.Second
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = time.Second
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = max(30*time.Second, o.BackoffMin)
	}
	return &Source{open: open, opts: o, parser: o.Parser, log: o.Logger}, nil
}

// NewSerialSource returns a Source for the serial port cfg names, detecting
// the line settings if cfg asks for auto (a detected setting is tried first
// again on every reopen). o.StallTimeout defaults to cfg.StallTimeout.
func NewSerialSource(cfg Config, o SourceOptions) (*Source, error) {
	fixed, auto, err := cfg.Line()
	if err != nil {
		return nil, err
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = cfg.StallTimeout
	}
	s, err := newSource(nil, o)
	if err != nil {
		return nil, err
	}
	if !auto {
		s.open = func(context.Context) (io.ReadCloser, error) { return Open(cfg.Device, fixed) }
		return s, nil
	}
	window := cfg.DetectWindow
	if window <= 0 {
		window = 11 * time.Second
	}
	var lastGood *Settings // only touched by the Run goroutine
	s.open = func(ctx context.Context) (io.ReadCloser, error) {
		var order []Settings
		if lastGood != nil {
			order = append(order, *lastGood)
		}
		for _, p := range Presets() {
			if lastGood == nil || p.Settings != *lastGood {
				order = append(order, p.Settings)
			}
		}
		rc, found, err := Detect(ctx, cfg.Device, order, window, s.parser)
		if err != nil {
			return nil, err
		}
		if lastGood == nil || *lastGood != found {
			s.log.Info("p1 line settings detected", "device", cfg.Device, "settings", found.String())
		}
		lastGood = &found
		return rc, nil
	}
	return s, nil
}

// Stats returns the counters; safe to call from any goroutine.
func (s *Source) Stats() Stats {
	st := Stats{
		Telegrams:    s.telegrams.Load(),
		Rejected:     s.rejected.Load(),
		SkippedBytes: s.skippedDone.Load() + s.skippedNow.Load(),
		Opens:        s.opens.Load(),
		Stalls:       s.stalls.Load(),
	}
	if ns := s.last.Load(); ns != 0 {
		st.LastTelegram = time.Unix(0, ns)
	}
	s.mu.Lock()
	st.Settings = s.settings
	s.mu.Unlock()
	return st
}

// errStalled ends a session whose stream delivered no valid telegram for
// the stall timeout.
var errStalled = errors.New("no valid telegram")

// Run reads until ctx ends, calling handle (on Run's goroutine) for every
// valid telegram. raw is the telegram as received and is only valid during
// the call; t is the caller's to keep. Run returns ctx.Err().
func (s *Source) Run(ctx context.Context, handle func(raw []byte, t *dsmr.Telegram)) error {
	backoff := s.opts.BackoffMin
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := s.open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Warn("p1 input: open failed", "err", err, "retry in", backoff)
		} else {
			s.opens.Add(1)
			before := s.telegrams.Load()
			err = s.session(ctx, rc, handle)
			rc.Close()
			s.setSettings("")
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if s.telegrams.Load() > before {
				backoff = s.opts.BackoffMin
			}
			if errors.Is(err, errStalled) {
				s.stalls.Add(1)
			}
			s.log.Warn("p1 input: reopening", "err", err, "retry in", backoff)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, s.opts.BackoffMax)
	}
}

func (s *Source) setSettings(v string) {
	s.mu.Lock()
	s.settings = v
	s.mu.Unlock()
}

// session reads one opened stream until it fails, ends, stalls or ctx ends.
func (s *Source) session(ctx context.Context, rc io.ReadCloser, handle func([]byte, *dsmr.Telegram)) error {
	if p, ok := rc.(interface{ Settings() Settings }); ok {
		s.setSettings(p.Settings().String())
	}
	// The watchdog closes the stream to end a read that blocks; a serial
	// Port returns from Read every second anyway.
	var lastOK atomic.Int64
	lastOK.Store(time.Now().UnixNano())
	var stalled atomic.Bool
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(max(min(s.opts.StallTimeout/4, time.Second), 10*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				rc.Close()
				return
			case now := <-tick.C:
				if now.Sub(time.Unix(0, lastOK.Load())) > s.opts.StallTimeout {
					stalled.Store(true)
					rc.Close()
					return
				}
			}
		}
	}()

	framer := dsmr.NewFramer(s.opts.MaxTelegram, true)
	defer func() {
		s.skippedDone.Add(framer.Stats().Skipped)
		s.skippedNow.Store(0)
	}()
	var warn rateLimited
	emit := func(f dsmr.Frame) {
		err := f.Err
		var t *dsmr.Telegram
		if err == nil {
			t, err = s.parser.Parse(f.Data)
		}
		if err != nil {
			s.rejected.Add(1)
			warn.log(s.log, "p1 input: telegram rejected", "err", err, "offset", f.Offset, "bytes", len(f.Data))
			return
		}
		now := time.Now()
		lastOK.Store(now.UnixNano())
		s.last.Store(now.UnixNano())
		s.telegrams.Add(1)
		handle(f.Data, t)
	}
	buf := make([]byte, 4096)
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			framer.Feed(buf[:n], emit)
			s.skippedNow.Store(framer.Stats().Skipped)
		}
		if err == nil {
			continue
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case stalled.Load():
			return fmt.Errorf("%w for %s", errStalled, s.opts.StallTimeout)
		case err == io.EOF:
			return errors.New("end of stream")
		default:
			return fmt.Errorf("read: %w", err)
		}
	}
}

// rateLimited logs at most one warning per interval, with the number of
// warnings suppressed since, so that a broken cable does not wear out the
// SD card with a log line per second.
type rateLimited struct {
	last       time.Time
	suppressed int
}

func (r *rateLimited) log(l *slog.Logger, msg string, args ...any) {
	const interval = 10 * time.Second
	if time.Since(r.last) < interval {
		r.suppressed++
		return
	}
	if r.suppressed > 0 {
		args = append(args, "suppressed", r.suppressed)
	}
	l.Warn(msg, args...)
	r.last, r.suppressed = time.Now(), 0
}
