package wattt

import (
	"iotahome/wattt"
)

// revoked reports whether the dashboard's connection was revoked: its
// figures are the last ones Wattt will ever get.
func revoked(d wattt.Dashboard) bool {
	return d.Live.Status == wattt.ConnectionRevoked
}

// revokedNotice is the warning under the heading of a revoked dashboard.
func revokedNotice(c Chrome, d wattt.Dashboard) string {
	on := ""
	if d.Live.RevokedAt != nil {
		on = " on " + c.when(*d.Live.RevokedAt)
	}
	return "Access revoked" + on + " in your My Home. Wattt keeps what it received before and gets nothing new."
}

// noNewData replaces the live panel's "Updates every second" once revoked.
func noNewData(c Chrome, d wattt.Dashboard) string {
	if d.Live.RevokedAt != nil {
		return "No new data since " + c.when(*d.Live.RevokedAt) + "."
	}
	return "No new data: access was revoked."
}

// exportScope says what resolution the CSV download has, and since when.
func exportScope(c Chrome, d wattt.Dashboard) string {
	s := "Every reading of the last 48 hours"
	if d.Oldest != nil {
		s += " (kept since " + c.when(*d.Oldest) + ")"
	}
	return s + "; minute averages before that (35 days), then hourly and daily totals in the charts."
}
