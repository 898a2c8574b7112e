package reader

import (
	"context"
	"testing"

	"iotahome/pi/dsmr"
	"iotahome/pi/simulator"
)

func TestSimulated(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	telegrams, err := Simulated(ctx, simulator.Config{Seed: 1}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := dsmr.Parse(<-telegrams); err != nil {
			t.Fatalf("simulated telegram: %v", err)
		}
	}
	cancel()
	for range telegrams {
	}
	if _, err := Simulated(ctx, simulator.Config{}, 0); err == nil {
		t.Fatal("rate 0 accepted")
	}
}
