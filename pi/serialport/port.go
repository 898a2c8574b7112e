package serialport

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tarm/serial"
)

// readTimeout makes reads return regularly even when the meter is silent,
// so that a stalled port is noticed and can be closed: with tarm/serial on
// Linux a blocked read is not interrupted by Close.
const readTimeout = time.Second

// errHungUp: reads keep returning nothing at once, as a tty does after the
// device is gone.
var errHungUp = errors.New("serial port hung up")

// Port is an open serial port. Read returns (0, nil) when nothing arrived
// within a second.
type Port struct {
	p        *serial.Port
	settings Settings
	quick    int // consecutive empty reads that returned well before the timeout
}

// Open opens the named device with the given settings and discards what
// the driver buffered before.
func Open(name string, s Settings) (*Port, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	cfg := s.config(name)
	cfg.ReadTimeout = readTimeout
	p, err := serial.OpenPort(cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s at %s: %w", name, s, err)
	}
	// Stale bytes from before the open are at best an old telegram.
	_ = p.Flush()
	return &Port{p: p, settings: s}, nil
}

// Settings returns the line settings the port was opened with.
func (p *Port) Settings() Settings { return p.settings }

func (p *Port) Read(b []byte) (int, error) {
	start := time.Now()
	n, err := p.p.Read(b)
	if n > 0 {
		p.quick = 0
		return n, nil
	}
	if err == nil || err == io.EOF {
		// VMIN=0/VTIME: an empty read is a timeout, unless it came back
		// at once, again and again: then the tty has hung up.
		if time.Since(start) < readTimeout/4 {
			p.quick++
			if p.quick >= 20 {
				return 0, errHungUp
			}
		} else {
			p.quick = 0
		}
		return 0, nil
	}
	return 0, err
}

// Close closes the port. A read in progress returns within a second.
func (p *Port) Close() error { return p.p.Close() }
