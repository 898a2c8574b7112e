package wattt

import (
	"context"
	"strings"
	"testing"
	"time"

	"iotahome/wattt"
)

func render(t *testing.T, p DashboardPage) string {
	t.Helper()
	var b strings.Builder
	c := Chrome{CSRF: "token", Dashboard: true, Current: "/dashboard", Location: amsterdam(t)}
	if err := Dashboard(c, p).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func amsterdam(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func section(t *testing.T, html, from, to string) string {
	t.Helper()
	i := strings.Index(html, from)
	if i < 0 {
		t.Fatalf("page lacks %q", from)
	}
	j := strings.Index(html[i:], to)
	if j < 0 {
		t.Fatalf("page lacks %q after %q", to, from)
	}
	return html[i : i+j]
}

func TestRevokedDashboardSaysSo(t *testing.T) {
	at := time.Date(2026, 11, 25, 15, 51, 40, 0, time.UTC)
	pd := 0.258
	live := wattt.Live{ConnectionID: 7, Status: wattt.ConnectionLive, PowerDel: &pd, LastReadingAt: &at}

	page := render(t, DashboardPage{D: wattt.Dashboard{Live: live}})
	panel := section(t, page, `data-live-url=`, `</section>`)
	for _, want := range []string{"Power now", "Updates every second", "0.258 kW"} {
		if !strings.Contains(panel, want) {
			t.Errorf("live panel lacks %q:\n%s", want, panel)
		}
	}
	if strings.Contains(page, "stale") || strings.Contains(page, "Access revoked") {
		t.Error("a live dashboard looks revoked")
	}

	live.Status, live.RevokedAt = wattt.ConnectionRevoked, &at
	page = render(t, DashboardPage{D: wattt.Dashboard{Live: live}})
	panel = section(t, page, `<section class="card live stale"`, `</section>`)
	for _, want := range []string{"Last power reading", "No new data since Wed 25 Nov 2026, 16:51:40 CET", "0.258 kW"} {
		if !strings.Contains(panel, want) {
			t.Errorf("revoked live panel lacks %q:\n%s", want, panel)
		}
	}
	if strings.Contains(panel, "Power now") || strings.Contains(panel, "Updates every second") {
		t.Errorf("revoked live panel still claims to be live:\n%s", panel)
	}
	// The warning comes right under the heading, before any card.
	head := section(t, page, "<h1>Your energy</h1>", `class="card`)
	if !strings.Contains(head, "notice-warning") || !strings.Contains(head, "Access revoked on Wed 25 Nov 2026, 16:51:40 CET in your My Home") {
		t.Errorf("no revocation warning under the heading:\n%s", head)
	}
	// The e2e test reads the connection state from #conn-state.
	state := section(t, page, `id="conn-state"`, `</dd>`)
	if !strings.Contains(state, "Revoked") || !strings.Contains(state, "gets nothing new") {
		t.Errorf("#conn-state = %s", state)
	}
}

func TestEmptyChartsAreMessages(t *testing.T) {
	d := wattt.Dashboard{Live: wattt.Live{ConnectionID: 1, Status: wattt.ConnectionLive}, HasGas: true}
	page := render(t, DashboardPage{D: d})
	for _, want := range []string{"No readings today yet.", "No electricity use recorded today yet.", "No electricity use recorded in the last 30 days.",
		"No gas use recorded today yet.", "No gas use recorded in the last 30 days."} {
		if !strings.Contains(page, want) {
			t.Errorf("empty dashboard lacks %q", want)
		}
	}
	if strings.Contains(page, "<figure") {
		t.Error("empty dashboard draws a chart")
	}

	d.Charts.Hourly = `<svg id="chart-hourly"></svg>`
	d.Hours = []wattt.Row{{Label: "13:00"}}
	d.Hours[0].Delivered = 0.004
	d.Today.Delivered = 0.004
	page = render(t, DashboardPage{D: d})
	if strings.Contains(page, "No electricity use recorded today yet.") || !strings.Contains(page, `<svg id="chart-hourly">`) {
		t.Error("hourly chart with data not shown")
	}
	if !strings.Contains(page, "nothing returned") || strings.Contains(page, "hatched bars: returned") {
		t.Error("caption of a chart without returned energy mentions hatched bars")
	}
	// Small totals keep the meter's precision: a visible bar never sits
	// next to "0.00 kWh".
	if !strings.Contains(section(t, page, `id="today-h"`, `</section>`), "0.004 kWh") {
		t.Error("today's total rounds 0.004 kWh away")
	}
}

func TestWhenNamesTheZone(t *testing.T) {
	at := time.Date(2026, 7, 1, 12, 0, 5, 0, time.UTC)
	if got, want := When(at, amsterdam(t)), "Wed 1 Jul 2026, 14:00:05 CEST"; got != want {
		t.Errorf("When = %q, want %q", got, want)
	}
}

func TestExportScopeText(t *testing.T) {
	oldest := time.Date(2026, 11, 25, 14, 51, 20, 0, time.UTC)
	got := exportScope(Chrome{Location: amsterdam(t)}, wattt.Dashboard{Oldest: &oldest})
	want := "Every reading of the last 48 hours (kept since Wed 25 Nov 2026, 15:51:20 CET); minute averages before that (35 days), then hourly and daily totals in the charts."
	if got != want {
		t.Errorf("exportScope =\n%q, want\n%q", got, want)
	}
}
