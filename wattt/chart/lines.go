package chart

import (
	"fmt"
	"strings"
)

// Lines is a line chart over a numeric X axis (e.g. seconds since midnight).
type Lines struct {
	Frame
	XMin, XMax float64
	XTicks     []Tick
	YMin       float64 // bottom of the Y axis (e.g. 200 for voltages); 0 for most charts
	MaxGap     float64 // consecutive points further apart than this are not joined (0: always join)
	Series     []LineSeries
}

// Tick is a position on the X axis with a grid line, labelled unless
// Label is empty.
type Tick struct {
	At    float64
	Label string
}

// LineSeries is one named line.
type LineSeries struct {
	Name   string
	Points []Point
}

// Point is one data point.
type Point struct{ X, Y float64 }

// markersPerSeries is how many shape markers identify each line besides its
// dash style, spread along it.
const markersPerSeries = 6

// X maps an X value into the plot area.
func (c Lines) X(x float64) float64 {
	p := c.PlotArea()
	if c.XMax <= c.XMin {
		return p.X0
	}
	return p.X0 + (x-c.XMin)/(c.XMax-c.XMin)*(p.X1-p.X0)
}

// Layout returns the Y scale and tick step: from YMin to a nice value
// above the largest Y over all series.
func (c Lines) Layout() (YScale, float64) {
	max := c.YMin
	for _, s := range c.Series {
		for _, pt := range s.Points {
			max = maxf(max, pt.Y)
		}
	}
	top, step := NiceMax(max - c.YMin)
	return YScale{Min: c.YMin, Max: c.YMin + top, Plot: c.PlotArea()}, step
}

// Segments splits a series into runs of points that are joined, breaking
// where two points are more than MaxGap apart on X.
func (c Lines) Segments(s LineSeries) [][]Point {
	var out [][]Point
	var cur []Point
	for i, pt := range s.Points {
		if i > 0 && c.MaxGap > 0 && pt.X-s.Points[i-1].X > c.MaxGap {
			out = append(out, cur)
			cur = nil
		}
		cur = append(cur, pt)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// SVG renders the chart.
func (c Lines) SVG() string {
	var b strings.Builder
	c.open(&b, "lines")
	ys, step := c.Layout()
	c.yAxis(&b, ys, step)
	p := ys.Plot
	for _, t := range c.XTicks {
		x := c.X(t.At)
		fmt.Fprintf(&b, `<line class="xgrid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#eee"/>`, num(x), num(p.Y0), num(x), num(p.Y1))
		if t.Label != "" {
			xLabel(&b, x, p.Y1, t.Label)
		}
	}
	for j, s := range c.Series {
		st := lineStyles[j%len(lineStyles)]
		fmt.Fprintf(&b, `<g class="series" data-series="%s">`, esc(s.Name))
		for _, seg := range c.Segments(s) {
			pts := make([]string, len(seg))
			for i, pt := range seg {
				pts[i] = num(c.X(pt.X)) + "," + num(ys.Y(pt.Y))
			}
			dash := ""
			if st.dash != "" {
				dash = fmt.Sprintf(` stroke-dasharray="%s"`, st.dash)
			}
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.8"%s points="%s"/>`, st.color, dash, strings.Join(pts, " "))
		}
		if n := len(s.Points); n > 0 {
			stride := max(n/markersPerSeries, 1)
			for i := stride / 2; i < n; i += stride {
				b.WriteString(marker(st.marker, st.color, c.X(s.Points[i].X), ys.Y(s.Points[i].Y)))
			}
		}
		b.WriteString("</g>")
	}
	names := make([]string, len(c.Series))
	for i, s := range c.Series {
		names[i] = s.Name
	}
	legend(&b, names, func(i int, x, y float64) string {
		st := lineStyles[i%len(lineStyles)]
		dash := ""
		if st.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, st.dash)
		}
		return fmt.Sprintf(`<line class="swatch" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`, num(x), num(y+6), num(x+14), num(y+6), st.color, dash) +
			marker(st.marker, st.color, x+7, y+6)
	})
	fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333"/>`, num(p.X0), num(p.Y1), num(p.X1), num(p.Y1))
	b.WriteString("</svg>")
	return b.String()
}

// marker draws a small shape centred on (x, y).
func marker(shape, color string, x, y float64) string {
	switch shape {
	case "square":
		return fmt.Sprintf(`<rect class="marker" x="%s" y="%s" width="6" height="6" fill="%s"/>`, num(x-3), num(y-3), color)
	case "triangle":
		return fmt.Sprintf(`<path class="marker" d="M%s,%s L%s,%s L%s,%s Z" fill="%s"/>`, num(x), num(y-4), num(x+4), num(y+3), num(x-4), num(y+3), color)
	case "diamond":
		return fmt.Sprintf(`<path class="marker" d="M%s,%s L%s,%s L%s,%s L%s,%s Z" fill="%s"/>`, num(x), num(y-4), num(x+4), num(y), num(x), num(y+4), num(x-4), num(y), color)
	}
	return fmt.Sprintf(`<circle class="marker" cx="%s" cy="%s" r="3" fill="%s"/>`, num(x), num(y), color)
}
