package chart

import (
	"fmt"
	"strings"
)

// Bars is a grouped bar chart: one group per category, one bar per series.
type Bars struct {
	Frame
	Categories []string // labels along the X axis
	LabelEvery int      // label every n-th category (0 or 1: all)
	Series     []Series
}

// Series is one named row of values, one per category.
type Series struct {
	Name   string
	Values []float64
}

// BarGap is the share of a category's band left empty between groups.
const BarGap = 0.2

// BarRect is where one bar is drawn.
type BarRect struct{ X, Y, W, H float64 }

// Layout returns the Y scale and the rectangle of every bar, indexed
// [series][category]. SVG draws exactly these.
func (c Bars) Layout() (YScale, float64, [][]BarRect) {
	p := c.PlotArea()
	var max float64
	for _, s := range c.Series {
		for _, v := range s.Values {
			max = maxf(max, v)
		}
	}
	top, step := NiceMax(max)
	ys := YScale{Max: top, Plot: p}
	n := len(c.Categories)
	rects := make([][]BarRect, len(c.Series))
	if n == 0 || len(c.Series) == 0 {
		return ys, step, rects
	}
	band := (p.X1 - p.X0) / float64(n)
	bw := band * (1 - BarGap) / float64(len(c.Series))
	for j, s := range c.Series {
		rects[j] = make([]BarRect, n)
		for i := 0; i < n; i++ {
			var v float64
			if i < len(s.Values) {
				v = s.Values[i]
			}
			x := p.X0 + float64(i)*band + band*BarGap/2 + float64(j)*bw
			y := ys.Y(v)
			rects[j][i] = BarRect{X: x, Y: y, W: bw, H: p.Y1 - y}
		}
	}
	return ys, step, rects
}

// SVG renders the chart.
func (c Bars) SVG() string {
	var b strings.Builder
	c.open(&b, "bars")
	ys, step, rects := c.Layout()
	c.yAxis(&b, ys, step)
	p := ys.Plot
	every := max(c.LabelEvery, 1)
	band := (p.X1 - p.X0) / float64(max(len(c.Categories), 1))
	// Every bar group gets a small tick under its centre, labelled ones a
	// longer one, so that an unlabelled bar is easy to place between two
	// labels.
	for i, cat := range c.Categories {
		x := p.X0 + band*(float64(i)+0.5)
		tick := 3.0
		if i%every == 0 {
			tick = 5
		}
		fmt.Fprintf(&b, `<line class="xmark" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333" stroke-width="1"/>`, num(x), num(p.Y1), num(x), num(p.Y1+tick))
		if i%every != 0 {
			continue
		}
		xLabel(&b, x, p.Y1, cat)
	}
	for j, s := range c.Series {
		fmt.Fprintf(&b, `<g class="series" data-series="%s">`, esc(s.Name))
		for i, r := range rects[j] {
			v := 0.0
			if i < len(s.Values) {
				v = s.Values[i]
			}
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="#333" stroke-width="0.5" data-value="%s"><title>%s %s: %s %s</title></rect>`,
				num(r.X), num(r.Y), num(r.W), num(r.H), c.fill(j), value(v), esc(c.Categories[i]), esc(s.Name), value(v), esc(c.Unit))
		}
		b.WriteString("</g>")
	}
	names := make([]string, len(c.Series))
	for i, s := range c.Series {
		names[i] = s.Name
	}
	legend(&b, names, func(i int, x, y float64) string {
		return fmt.Sprintf(`<rect class="swatch" x="%s" y="%s" width="14" height="12" fill="%s" stroke="#333" stroke-width="0.5"/>`, num(x), num(y), c.fill(i))
	})
	fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333"/>`, num(p.X0), num(p.Y1), num(p.X1), num(p.Y1))
	b.WriteString("</svg>")
	return b.String()
}

func maxf(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}
