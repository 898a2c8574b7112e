package reader

import (
	"context"
	"fmt"
	"time"

	"iotahome/pi/simulator"
)

// Simulated returns a channel of telegrams from a simulated meter (pi/
// simulator), rate telegrams per second of real time, until ctx is done:
// the input for an Agent in integration tests and demos.
//
//	telegrams, err := reader.Simulated(ctx, simulator.Config{Seed: 1}, 5)
//	go agent.Run(ctx, telegrams)
func Simulated(ctx context.Context, cfg simulator.Config, rate float64) (<-chan []byte, error) {
	if rate <= 0 {
		return nil, fmt.Errorf("reader: simulated rate %v must be positive", rate)
	}
	m, err := simulator.NewMeter(cfg)
	if err != nil {
		return nil, fmt.Errorf("reader: simulated meter: %w", err)
	}
	out := make(chan []byte)
	go func() {
		defer close(out)
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		for {
			b, _ := m.Next()
			select {
			case <-ctx.Done():
				return
			case out <- b:
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return out, nil
}
