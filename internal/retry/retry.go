// Package retry holds the two small pieces every background worker of the
// product uses while it waits for the Tangle: an exponential backoff and a
// sleep that ends early when the worker is stopped or woken.
package retry

import (
	"context"
	"time"
)

// Delay is the pause before retry number n (0 for the first retry): base,
// doubling with every further failure, never more than limit.
func Delay(n int, base, limit time.Duration) time.Duration {
	d := base
	for i := 0; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Sleep waits d, or until wake receives (a nil wake never does), or until
// ctx ends. It reports false only when ctx ended, so a worker loop reads
// `if !retry.Sleep(ctx, d, nil) { return }`.
func Sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-wake:
	}
	return true
}
