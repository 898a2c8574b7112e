package wattt

import (
	"fmt"
	"math"
	"strings"
	"time"

	"iotahome/wattt/chart"
)

// Charts are the dashboard's SVG charts (empty when there is nothing to
// draw), each a complete, escaped <svg> element with a text summary.
type Charts struct {
	Power     string // today's power curve, per minute
	Hourly    string // kWh per hour today
	Daily     string // kWh per day, last 30 days
	GasHourly string // m³ per hour today
	GasDaily  string // m³ per day, last 30 days
	Voltage   string // per-phase voltage today, per minute
}

// Chart size (viewBox units; the SVG scales to the page width).
const chartW, chartH = 720, 260

func buildCharts(d Dashboard, curve []CurvePoint, today, tomorrow time.Time) Charts {
	var c Charts
	span := float64(tomorrow.Unix() - today.Unix())
	var ticks []chart.Tick
	// A grid line every 3 hours, a label every 6: on a phone the chart is
	// drawn at half size and more labels would run into each other.
	for h := 0; h < 24; h += 3 {
		at := today.Add(time.Duration(h) * time.Hour)
		t := chart.Tick{At: float64(at.Unix() - today.Unix())}
		if h%6 == 0 {
			t.Label = fmt.Sprintf("%02d:00", h)
		}
		ticks = append(ticks, t)
	}
	if len(curve) > 0 {
		del := chart.LineSeries{Name: "Delivered (kW)", Points: make([]chart.Point, 0, len(curve))}
		ret := chart.LineSeries{Name: "Returned (kW)", Points: make([]chart.Point, 0, len(curve))}
		var peak CurvePoint
		for _, p := range curve {
			x := float64(p.Start - today.Unix())
			del.Points = append(del.Points, chart.Point{X: x, Y: p.PowerDel})
			ret.Points = append(ret.Points, chart.Point{X: x, Y: p.PowerRet})
			if p.PowerDel > peak.PowerDel {
				peak = p
			}
		}
		desc := fmt.Sprintf("Average power per minute today, %d minutes with data. Highest: %.2f kW delivered at %s.",
			len(curve), peak.PowerDel, time.Unix(peak.Start, 0).In(today.Location()).Format("15:04"))
		c.Power = chart.Lines{
			Frame: chart.Frame{ID: "chart-power", Title: "Power today", Desc: desc, Unit: "kW", Width: chartW, Height: chartH},
			XMin:  0, XMax: span, XTicks: ticks, MaxGap: 180,
			Series: []chart.LineSeries{del, ret},
		}.SVG()
		if d.Phases {
			var series []chart.LineSeries
			for ph := 1; ph <= 3; ph++ {
				s := chart.LineSeries{Name: fmt.Sprintf("L%d (V)", ph)}
				for _, p := range curve {
					if p.HasV[ph-1] {
						s.Points = append(s.Points, chart.Point{X: float64(p.Start - today.Unix()), Y: p.Voltage[ph-1]})
					}
				}
				if len(s.Points) > 0 {
					series = append(series, s)
				}
			}
			if len(series) > 0 {
				c.Voltage = chart.Lines{
					Frame: chart.Frame{ID: "chart-voltage", Title: "Voltage per phase today",
						Desc: fmt.Sprintf("Average voltage per minute for %d phase(s) today.", len(series)), Unit: "V", Width: chartW, Height: chartH},
					XMin: 0, XMax: span, XTicks: ticks, MaxGap: 180, Series: series, YMin: voltageFloor(series),
				}.SVG()
			}
		}
	}
	// A chart of nothing but zeros would draw an empty 0–1 axis; the page
	// says "nothing recorded yet" instead.
	if anyUsage(d.Hours, electricity) {
		c.Hourly = usageBars("chart-hourly", "Electricity per hour today", d.Hours, 6)
	}
	if anyUsage(d.Days, electricity) {
		c.Daily = usageBars("chart-daily", "Electricity per day, last 30 days", d.Days, 5)
	}
	if d.HasGas && anyUsage(d.Hours, gas) {
		c.GasHourly = gasBars("chart-gas-hourly", "Gas per hour today", d.Hours, 6)
	}
	if d.HasGas && anyUsage(d.Days, gas) {
		c.GasDaily = gasBars("chart-gas-daily", "Gas per day, last 30 days", d.Days, 5)
	}
	return c
}

// Selectors of a row's figures for anyUsage.
func electricity(r Row) float64 { return r.Delivered + r.Returned }
func gas(r Row) float64         { return r.Gas }
func returned(r Row) float64    { return r.Returned }

// anyUsage reports whether any row has a non-zero figure.
func anyUsage(rows []Row, figure func(Row) float64) bool {
	for _, r := range rows {
		if figure(r) != 0 {
			return true
		}
	}
	return false
}

// AnyReturned reports whether any row has energy returned to the grid
// (solar): without, the charts leave out the returned series.
func AnyReturned(rows []Row) bool { return anyUsage(rows, returned) }

// usageBars draws delivered vs returned kWh per row.
func usageBars(id, title string, rows []Row, every int) string {
	del := chart.Series{Name: "Delivered"}
	ret := chart.Series{Name: "Returned (solar)"}
	cats := make([]string, len(rows))
	var totD, totR float64
	peak := -1
	for i, r := range rows {
		cats[i] = shortLabel(r.Label)
		del.Values = append(del.Values, r.Delivered)
		ret.Values = append(ret.Values, r.Returned)
		totD += r.Delivered
		totR += r.Returned
		if peak < 0 || r.Delivered > rows[peak].Delivered {
			peak = i
		}
	}
	desc := fmt.Sprintf("%s: %s delivered, %s returned in total.", title, kwh(totD), kwh(totR))
	if peak >= 0 && rows[peak].Delivered > 0 {
		desc += fmt.Sprintf(" Most delivered: %s at %s.", kwh(rows[peak].Delivered), rows[peak].Label)
	}
	series := []chart.Series{del}
	if AnyReturned(rows) {
		series = append(series, ret)
	}
	return chart.Bars{
		Frame:      chart.Frame{ID: id, Title: title, Desc: desc, Unit: "kWh", Width: chartW, Height: chartH},
		Categories: cats, LabelEvery: every, Series: series,
	}.SVG()
}

// gasBars draws m³ of gas per row.
func gasBars(id, title string, rows []Row, every int) string {
	gas := chart.Series{Name: "Gas"}
	cats := make([]string, len(rows))
	var tot float64
	for i, r := range rows {
		cats[i] = shortLabel(r.Label)
		gas.Values = append(gas.Values, r.Gas)
		tot += r.Gas
	}
	return chart.Bars{
		Frame:      chart.Frame{ID: id, Title: title, Desc: fmt.Sprintf("%s: %.3f m³ in total.", title, tot), Unit: "m³", Width: chartW, Height: chartH},
		Categories: cats, LabelEvery: every, Series: []chart.Series{gas},
	}.SVG()
}

// shortLabel fits a row label under a bar: "Mon 2 Jan" → "2 Jan"; hours
// stay "13:00", as on the power chart's axis.
func shortLabel(l string) string {
	if strings.Contains(l, ":") {
		return l
	}
	if _, rest, ok := strings.Cut(l, " "); ok {
		return rest
	}
	return l
}

// voltageFloor is the bottom of the voltage axis: 10 V below the lowest
// value, rounded down to 10 V, so that a 230 V grid's swings are visible.
func voltageFloor(series []chart.LineSeries) float64 {
	low := 0.0
	for _, s := range series {
		for _, p := range s.Points {
			if low == 0 || p.Y < low {
				low = p.Y
			}
		}
	}
	return max(0, math.Floor((low-10)/10)*10)
}
