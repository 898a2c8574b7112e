// Package chart builds small server-rendered SVG charts (bars and lines).
// Charts are readable without colour: every series also has its own fill
// pattern (bars) or dash style and marker (lines), named in a legend, and
// every chart carries a <title> and <desc> with a text summary for screen
// readers; pages add a data table beside it. The output is a complete <svg>
// element in which all text is XML-escaped, safe to embed in HTML as is.
package chart

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Frame is what every chart has: its size, labels and margins.
type Frame struct {
	ID     string // unique within the page; prefixes pattern ids
	Title  string // short name, becomes <title>
	Desc   string // text alternative (summary of the data), becomes <desc>
	Unit   string // of the Y axis, e.g. "kW"
	Width  int    // viewBox width; the SVG scales to its container
	Height int
}

// Margins around the plot area, in viewBox units. The top margin holds the
// legend, the left one the Y tick labels, the bottom one the X labels.
const (
	MarginLeft   = 52
	MarginRight  = 16
	MarginTop    = 30
	MarginBottom = 26
)

// Plot is the plot area of a frame in viewBox coordinates.
type Plot struct{ X0, Y0, X1, Y1 float64 }

// PlotArea returns the rectangle charts draw data into.
func (f Frame) PlotArea() Plot {
	return Plot{
		X0: MarginLeft, Y0: MarginTop,
		X1: float64(f.Width - MarginRight), Y1: float64(f.Height - MarginBottom),
	}
}

// YScale maps a value in [Min, Max] to a Y coordinate in the plot area: Min
// at the bottom edge, Max at the top.
type YScale struct {
	Min, Max float64
	Plot     Plot
}

// Y returns the coordinate of v (values below Min sit on the baseline).
func (s YScale) Y(v float64) float64 {
	if v < s.Min || s.Max <= s.Min {
		v = s.Min
	}
	return s.Plot.Y1 - (v-s.Min)/(s.Max-s.Min)*(s.Plot.Y1-s.Plot.Y0)
}

// NiceMax rounds max up to a "nice" axis top and returns it with the tick
// step (1, 2 or 5 × 10^k, or 2.5 × 10^k when that is a whole number) that
// divides it into at most 5 intervals. A fractional 2.5 step would need one
// decimal more on every label (0.00025) than its neighbours.
func NiceMax(max float64) (top, step float64) {
	if max <= 0 || math.IsNaN(max) || math.IsInf(max, 0) {
		return 1, 0.2
	}
	// Values like 0.001 often arrive as 0.0010000000000000009 (counter
	// differences); that must not push the axis to the next step.
	max *= 1 - 1e-9
	raw := max / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m == 2.5 && mag < 10 {
			continue
		}
		step = m * mag
		if step*5 >= max {
			break
		}
	}
	top = step * math.Ceil(max/step-1e-9)
	return top, step
}

// patterns are the fills of bar series, in order: solid, diagonal hatch,
// dots, cross hatch. Each also has a distinct grey level so that a print or
// a colour-blind reader sees them apart.
var patterns = []struct{ name, fill, body string }{
	{"solid", "#1f4e79", ""},
	{"hatch", "#b35900", `<path d="M0,6 L6,0" stroke="#b35900" stroke-width="2"/>`},
	{"dots", "#2e7d32", `<circle cx="3" cy="3" r="1.6" fill="#2e7d32"/>`},
	{"cross", "#6a1b9a", `<path d="M0,0 L6,6 M6,0 L0,6" stroke="#6a1b9a" stroke-width="1.2"/>`},
}

// lineStyles are the strokes of line series, in order.
var lineStyles = []struct{ name, color, dash, marker string }{
	{"solid", "#1f4e79", "", "circle"},
	{"dashed", "#b35900", "6 4", "square"},
	{"dotted", "#2e7d32", "2 3", "triangle"},
	{"dash-dot", "#6a1b9a", "8 3 2 3", "diamond"},
}

// open writes the <svg> element with title, desc and the pattern defs.
func (f Frame) open(b *strings.Builder, kind string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-%s" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title %s-desc" id="%s">`,
		kind, f.Width, f.Height, esc(f.ID), esc(f.ID), esc(f.ID))
	fmt.Fprintf(b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(f.ID), esc(f.Title), esc(f.ID), esc(f.Desc))
	b.WriteString("<defs>")
	for i, p := range patterns {
		if p.body == "" {
			continue
		}
		fmt.Fprintf(b, `<pattern id="%s-p%d" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#fff"/>%s</pattern>`, esc(f.ID), i, p.body)
	}
	b.WriteString("</defs>")
}

// fill returns the fill of bar series i.
func (f Frame) fill(i int) string {
	p := patterns[i%len(patterns)]
	if p.body == "" {
		return p.fill
	}
	return fmt.Sprintf("url(#%s-p%d)", esc(f.ID), i%len(patterns))
}

// yAxis draws horizontal grid lines with labels at every step up to top.
func (f Frame) yAxis(b *strings.Builder, s YScale, step float64) {
	p := s.Plot
	// Ticks are Min + i*step, not a running sum, so rounding errors do not
	// add up along the axis.
	for i := 0; s.Min+float64(i)*step <= s.Max+step/2; i++ {
		v := s.Min + float64(i)*step
		y := s.Y(v)
		fmt.Fprintf(b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ccc" stroke-width="1"/>`, num(p.X0), num(y), num(p.X1), num(y))
		fmt.Fprintf(b, `<text class="ytick" x="%s" y="%s" text-anchor="end" font-size="13" dominant-baseline="middle">%s</text>`, num(p.X0-6), num(y), esc(label(v, step)))
	}
	fmt.Fprintf(b, `<text class="yunit" x="4" y="%s" font-size="13">%s</text>`, num(p.Y0-8), esc(f.Unit))
}

// xLabel writes an X axis label centred on x, hanging below the axis at
// baseline y: it stays clear of the axis at any font size (pages enlarge
// chart text on narrow screens, see views/wattt/assets/wattt.css).
func xLabel(b *strings.Builder, x, y float64, text string) {
	fmt.Fprintf(b, `<text class="xtick" x="%s" y="%s" text-anchor="middle" dominant-baseline="hanging" font-size="13">%s</text>`, num(x), num(y+6), esc(text))
}

// legend draws one swatch and name per series along the top margin.
func legend(b *strings.Builder, names []string, swatch func(i int, x, y float64) string) {
	x := float64(MarginLeft) + 10 // clear of the unit label, also when enlarged
	for i, n := range names {
		b.WriteString(swatch(i, x, 8))
		fmt.Fprintf(b, `<text class="legend" x="%s" y="18" font-size="13">%s</text>`, num(x+18), esc(n))
		// Room for the name at up to 20 units a character's height (the
		// enlarged phone size), not just the 13 drawn here.
		x += 18 + 11*float64(len([]rune(n))) + 16
	}
}

// num formats a coordinate with at most two decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// label formats an axis value with as many decimals as the step needs to
// be printed exactly, so that neighbouring ticks never read the same
// (a step of 0.0005 gets four decimals, 0.25 two, 2.5 one).
func label(v, step float64) string {
	return strconv.FormatFloat(v, 'f', decimals(step), 64)
}

// maxDecimals bounds label precision; NiceMax steps never need more for
// the values charts show.
const maxDecimals = 6

// decimals is the number of decimals that prints step exactly.
func decimals(step float64) int {
	if step <= 0 || math.IsNaN(step) || math.IsInf(step, 0) {
		return 0
	}
	for dec := 0; dec < maxDecimals; dec++ {
		scaled := step * math.Pow(10, float64(dec))
		if math.Abs(scaled-math.Round(scaled)) < 1e-9*math.Max(1, scaled) {
			return dec
		}
	}
	return maxDecimals
}

// ValueDecimals is the precision of bar values in data-value and tooltips:
// the meter's energy and gas counters have three decimals (Wh, dm³), so a
// bucket's usage is exact at three.
const ValueDecimals = 3

// value formats a data value (not a coordinate: see num).
func value(v float64) string {
	return strconv.FormatFloat(v, 'f', ValueDecimals, 64)
}

// esc escapes text for XML content and attribute values.
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		default:
			if r < 0x20 && r != '\n' && r != '\t' {
				continue // not allowed in XML 1.0
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
