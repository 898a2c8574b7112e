package wattt

import (
	"strings"
	"testing"
	"time"

	"iotahome/wattt/aggregate"
)

// Charts of nothing but zeros are left out (the page says "nothing
// recorded yet" instead of drawing an empty 0–1 axis), and a series that is
// all zero (no solar) is not drawn.
func TestBuildChartsLeavesOutEmptyOnes(t *testing.T) {
	today := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	tomorrow := today.AddDate(0, 0, 1)
	d := Dashboard{HasGas: true, Hours: make([]Row, 24), Days: make([]Row, 30)}
	for h := range d.Hours {
		d.Hours[h].Label = today.Add(time.Duration(h) * time.Hour).Format("15:00")
	}
	c := buildCharts(d, nil, today, tomorrow)
	if c != (Charts{}) {
		t.Errorf("charts without any usage: %+v", c)
	}

	d.Hours[15].Usage = aggregate.Usage{Delivered: 0.004}
	c = buildCharts(d, nil, today, tomorrow)
	if c.Hourly == "" || c.GasHourly != "" {
		t.Fatalf("hourly %d bytes, gas hourly %q", len(c.Hourly), c.GasHourly)
	}
	if strings.Contains(c.Hourly, "Returned") {
		t.Error("hourly chart draws a returned series that is all zero")
	}
	if !strings.Contains(c.Hourly, `data-value="0.004"`) || !strings.Contains(c.Hourly, "15:00 Delivered: 0.004 kWh") {
		t.Error("hourly chart lacks the 15:00 bar of 0.004 kWh")
	}

	d.Hours[16].Usage = aggregate.Usage{Returned: 0.1, Gas: 0.002, HasGas: true}
	c = buildCharts(d, nil, today, tomorrow)
	if !strings.Contains(c.Hourly, "Returned (solar)") || c.GasHourly == "" {
		t.Error("returned energy or gas not drawn")
	}
}
