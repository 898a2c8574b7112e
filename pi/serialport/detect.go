package serialport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"iotahome/pi/dsmr"
)

// ErrNotDetected: no preset yielded a valid telegram.
var ErrNotDetected = errors.New("no line setting yielded a valid telegram")

// Detect opens name with each of the candidate settings in turn and listens
// for up to window; the first setting under which a valid telegram arrives
// wins. The returned stream replays what was read while detecting, so the
// telegram that proved the setting is not lost.
func Detect(ctx context.Context, name string, candidates []Settings, window time.Duration, parser *dsmr.Parser) (io.ReadCloser, Settings, error) {
	for _, s := range candidates {
		port, err := Open(name, s)
		if err != nil {
			return nil, Settings{}, err
		}
		seen, ok, err := listen(ctx, port, window, parser)
		if ok {
			return &replayPort{Reader: io.MultiReader(bytes.NewReader(seen), port), Port: port}, s, nil
		}
		port.Close()
		if err != nil {
			return nil, Settings{}, fmt.Errorf("detect on %s at %s: %w", name, s, err)
		}
	}
	return nil, Settings{}, fmt.Errorf("%s: %w within %s each", name, ErrNotDetected, window)
}

// listen reads from port until a valid telegram arrives (ok), the window
// ends, or reading fails.
func listen(ctx context.Context, port *Port, window time.Duration, parser *dsmr.Parser) (seen []byte, ok bool, err error) {
	framer := dsmr.NewFramer(0, true)
	deadline := time.Now().Add(window)
	buf := make([]byte, 4096)
	emit := func(f dsmr.Frame) {
		if f.Err == nil && !ok {
			_, perr := parser.Parse(f.Data)
			ok = perr == nil
		}
	}
	for !ok && time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		n, err := port.Read(buf)
		if n > 0 {
			seen = append(seen, buf[:n]...)
			framer.Feed(buf[:n], emit)
		}
		if err != nil {
			return nil, false, err
		}
	}
	return seen, ok, nil
}

// replayPort is a port whose first reads return bytes read before.
type replayPort struct {
	io.Reader
	*Port
}

func (r *replayPort) Read(b []byte) (int, error) { return r.Reader.Read(b) }
