package myhome

import (
	"testing"
	"time"
)

// TestPendingNoticeCalmUntilDelayed: a change on its way to the Tangle is
// "being saved", and only a failed attempt makes it a warning.
func TestPendingNoticeCalmUntilDelayed(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name    string
		home    Home
		delayed bool
	}{
		{"nothing waiting", Home{}, false},
		{"just queued", Home{Pending: 1, PendingSince: now.Add(-2 * time.Second)}, false},
		{"attempt failed", Home{Pending: 1, PendingSince: now.Add(-2 * time.Second), PendingFailed: true}, true},
		{"waiting long", Home{Pending: 2, PendingSince: now.Add(-time.Minute)}, true},
	} {
		if got := tc.home.PendingDelayed(now); got != tc.delayed {
			t.Errorf("%s: delayed = %v, want %v", tc.name, got, tc.delayed)
		}
	}
}
