package layout

import (
	"fmt"
	"math"
	"time"
)

// Day formats a date for people: "30 Nov 2027" (UTC, so every page and
// both sites agree).
func Day(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// Ends says when a consent ends: "ends in 12 days" when that is within a
// month, "ends 30 Nov 2027" otherwise, "ended 3 Mar 2026" once past, and
// "no end date" for consents from before every consent had one.
func Ends(end *time.Time, now time.Time) string {
	if end == nil {
		return "no end date"
	}
	left := end.Sub(now)
	switch {
	case left <= 0:
		return "ended " + Day(*end)
	case left < time.Hour:
		return "ends in " + count(int(math.Ceil(left.Minutes())), "minute")
	case left < 48*time.Hour:
		return "ends in " + count(int(math.Ceil(left.Hours())), "hour")
	case left <= 31*24*time.Hour:
		return "ends in " + count(int(math.Ceil(left.Hours()/24)), "day")
	}
	return "ends " + Day(*end)
}

func count(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
