package simulator

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal standing in for a meter's serial line: write
// telegrams to it, and a reader opens SlavePath like a serial port.
type PTY struct {
	master, slave *os.File
}

// OpenPTY creates a pseudo-terminal in raw mode. The simulator keeps the
// slave side open itself so that the device exists, and does not hang up,
// while readers come and go.
func OpenPTY() (*PTY, error) {
	master, slave, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open pty: %w", err)
	}
	// Raw: no echo, no CR/LF translation, no line buffering, as a serial
	// line. A reader opening it with tarm/serial sets the same.
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err == nil {
		tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		tio.Oflag &^= unix.OPOST
		tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		tio.Cflag = tio.Cflag&^(unix.CSIZE|unix.PARENB) | unix.CS8
		err = unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio)
	}
	if err != nil {
		master.Close()
		slave.Close()
		return nil, fmt.Errorf("set pty raw: %w", err)
	}
	return &PTY{master: master, slave: slave}, nil
}

// SlavePath is the device a reader opens, e.g. /dev/pts/3.
func (p *PTY) SlavePath() string { return p.slave.Name() }

// Write writes to the line. With nobody reading, the kernel's buffers fill
// and Write blocks; WriteTimeout bounds that.
func (p *PTY) Write(b []byte) (int, error) { return p.master.Write(b) }

// WriteTimeout writes b, giving up after d (a meter does not wait for a
// listener either).
func (p *PTY) WriteTimeout(b []byte, d time.Duration) (int, error) {
	// The master of a Linux pty is pollable, so the deadline applies.
	_ = p.master.SetWriteDeadline(time.Now().Add(d))
	return p.master.Write(b)
}

// Close removes the pseudo-terminal; a reader sees the line hang up.
func (p *PTY) Close() error {
	err := p.master.Close()
	if serr := p.slave.Close(); err == nil {
		err = serr
	}
	return err
}

// Run writes telegrams from m to w, rate per second (0 = as fast as w
// takes them), until count telegrams were written (0 = no limit) or ctx ends.
func Run(ctx context.Context, m *Meter, w io.Writer, rate float64, count int) (int, error) {
	var tick <-chan time.Time
	if rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		tick = t.C
	}
	for n := 0; count == 0 || n < count; n++ {
		if tick != nil && n > 0 {
			select {
			case <-ctx.Done():
				return n, ctx.Err()
			case <-tick:
			}
		} else if err := ctx.Err(); err != nil {
			return n, err
		}
		b, _ := m.Next()
		if _, err := w.Write(b); err != nil {
			return n, fmt.Errorf("write telegram: %w", err)
		}
	}
	return count, nil
}

// NewStream returns a stream of telegrams from a new meter at rate per
// second, for use in place of a serial port (serialport.Opener). Close
// stops it.
func NewStream(ctx context.Context, cfg Config, rate float64) (io.ReadCloser, error) {
	m, err := NewMeter(cfg)
	if err != nil {
		return nil, err
	}
	r, w := io.Pipe()
	go func() {
		_, err := Run(ctx, m, w, rate, 0)
		w.CloseWithError(err)
	}()
	return r, nil
}
