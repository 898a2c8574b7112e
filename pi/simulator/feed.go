package simulator

import (
	"context"
	"time"
)

// Feed sends the meter's next telegram to out every interval until ctx
// ends, as the meter on a serial line would: for running a reader agent
// in-process (tests, tools). Faults, if configured, are sent too.
func (m *Meter) Feed(ctx context.Context, every time.Duration, out chan<- []byte) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			tg, _ := m.Next()
			select {
			case out <- tg:
			case <-ctx.Done():
				return
			}
		}
	}
}
