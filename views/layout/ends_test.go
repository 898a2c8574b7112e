package layout

import (
	"testing"
	"time"
)

func TestEnds(t *testing.T) {
	now := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	for _, c := range []struct {
		end  *time.Time
		want string
	}{
		{nil, "no end date"},
		{at(365 * 24 * time.Hour), "ends 18 Nov 2027"},
		{at(12 * 24 * time.Hour), "ends in 12 days"},
		{at(12*24*time.Hour - time.Hour), "ends in 12 days"},
		{at(30 * time.Hour), "ends in 30 hours"},
		{at(time.Hour), "ends in 1 hour"},
		{at(90 * time.Second), "ends in 2 minutes"},
		{at(-time.Second), "ended 18 Nov 2026"},
	} {
		if got := Ends(c.end, now); got != c.want {
			t.Errorf("Ends(%v) = %q, want %q", c.end, got, c.want)
		}
	}
}
