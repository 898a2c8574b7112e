package retry

import (
	"context"
	"testing"
	"time"
)

func TestDelayDoublesUpToTheLimit(t *testing.T) {
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for n, w := range want {
		if got := Delay(n, 500*time.Millisecond, 5*time.Second); got != w {
			t.Errorf("Delay(%d) = %v, want %v", n, got, w)
		}
	}
	if got := Delay(1000, time.Second, 30*time.Second); got != 30*time.Second {
		t.Errorf("Delay(1000) = %v, want the limit", got)
	}
}

func TestSleepEndsOnWakeOrCancel(t *testing.T) {
	wake := make(chan struct{}, 1)
	wake <- struct{}{}
	start := time.Now()
	if !Sleep(context.Background(), time.Hour, wake) || time.Since(start) > time.Second {
		t.Fatal("a wake must end the sleep at once and report true")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour, nil) {
		t.Fatal("a cancelled context must end the sleep and report false")
	}
	if !Sleep(context.Background(), time.Millisecond, nil) {
		t.Fatal("an elapsed sleep reports true")
	}
}
