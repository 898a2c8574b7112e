package chart

import (
	"encoding/xml"
	"math"
	"strconv"
	"strings"
	"testing"
)

// node is a generic XML element for inspecting rendered SVG.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n node) fattr(t *testing.T, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("attribute %s of <%s>: %v", name, n.XMLName.Local, err)
	}
	return v
}

// all returns every descendant element named name.
func (n node) all(name string) []node {
	var out []node
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
		out = append(out, c.all(name)...)
	}
	return out
}

func parse(t *testing.T, svg string) node {
	t.Helper()
	var n node
	if err := xml.Unmarshal([]byte(svg), &n); err != nil {
		t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
	}
	return n
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.011 }

func TestNiceMax(t *testing.T) {
	for _, c := range []struct{ in, top, step float64 }{
		{0, 1, 0.2}, {1, 1, 0.2}, {3.2, 4, 1}, {7.9, 8, 2}, {10, 10, 2}, {0.37, 0.4, 0.1}, {1234, 1250, 250}, {-5, 1, 0.2},
	} {
		top, step := NiceMax(c.in)
		if !near(top, c.top) || !near(step, c.step) {
			t.Errorf("NiceMax(%v) = %v,%v want %v,%v", c.in, top, step, c.top, c.step)
		}
		if top < c.in {
			t.Errorf("NiceMax(%v) top %v below the data", c.in, top)
		}
	}
}

func TestBarsLandWhereTheyShould(t *testing.T) {
	c := Bars{
		Frame:      Frame{ID: "kwh", Title: "kWh per hour", Desc: "2 kWh at 01:00", Unit: "kWh", Width: 452, Height: 256},
		Categories: []string{"00", "01", "02", "03"},
		Series: []Series{
			{Name: "Delivered", Values: []float64{1, 2, 0, 4}},
			{Name: "Returned", Values: []float64{0.5, 0, 3, 0}},
		},
	}
	// Plot area: x 52..436 (384 wide), y 30..230 (200 high); max 4 → top 4.
	svg := parse(t, c.SVG())
	var bars []node
	for _, r := range svg.all("rect") {
		if r.attr("data-value") != "" {
			bars = append(bars, r)
		}
	}
	if len(bars) != 8 {
		t.Fatalf("got %d bars, want 8", len(bars))
	}
	band := 384.0 / 4
	bw := band * 0.8 / 2
	for j, s := range c.Series {
		for i, v := range s.Values {
			r := bars[j*4+i]
			wantX := 52 + float64(i)*band + band*0.1 + float64(j)*bw
			wantH := v / 4 * 200
			if !near(r.fattr(t, "x"), wantX) || !near(r.fattr(t, "width"), bw) {
				t.Errorf("%s[%d]: x=%v w=%v, want x=%v w=%v", s.Name, i, r.attr("x"), r.attr("width"), wantX, bw)
			}
			if !near(r.fattr(t, "height"), wantH) || !near(r.fattr(t, "y"), 230-wantH) {
				t.Errorf("%s[%d]=%v: y=%v h=%v, want y=%v h=%v", s.Name, i, v, r.attr("y"), r.attr("height"), 230-wantH, wantH)
			}
		}
	}
	// The tallest bar reaches the top of the plot, a zero sits on the baseline.
	if y := bars[3].fattr(t, "y"); !near(y, 30) {
		t.Errorf("max bar top at %v, want 30", y)
	}
	if h := bars[2].fattr(t, "height"); h != 0 {
		t.Errorf("zero bar height %v", h)
	}
	// Series are told apart without colour: the second one uses a pattern.
	if f := bars[4].attr("fill"); f != "url(#kwh-p1)" {
		t.Errorf("second series fill %q, want the hatch pattern", f)
	}
	if len(svg.all("pattern")) == 0 {
		t.Error("no fill patterns defined")
	}
	// Text alternatives.
	if titles := svg.all("title"); len(titles) == 0 || titles[0].Text != "kWh per hour" {
		t.Errorf("missing chart <title>")
	}
	if d := svg.all("desc"); len(d) != 1 || d[0].Text != "2 kWh at 01:00" {
		t.Errorf("missing <desc>")
	}
	if svg.attr("role") != "img" || svg.attr("aria-labelledby") != "kwh-title kwh-desc" {
		t.Errorf("svg role/aria: %v", svg.Attrs)
	}
	// Y ticks 0..4 step 1, at the right heights.
	for _, tx := range svg.all("text") {
		if tx.attr("class") == "ytick" && tx.Text == "2" && !near(tx.fattr(t, "y"), 130) {
			t.Errorf("tick 2 at y=%v, want 130", tx.attr("y"))
		}
	}
}

func TestLinesLandWhereTheyShould(t *testing.T) {
	c := Lines{
		Frame: Frame{ID: "power", Title: "Power today", Unit: "kW", Width: 452, Height: 256},
		XMin:  0, XMax: 86400,
		XTicks: []Tick{{At: 43200, Label: "12:00"}},
		MaxGap: 120,
		Series: []LineSeries{
			{Name: "Delivered", Points: []Point{{0, 0}, {60, 2}, {120, 1}, {3600, 1}, {3660, 0.5}}},
			{Name: "Returned", Points: []Point{{0, 0.5}}},
		},
	}
	svg := parse(t, c.SVG())
	lines := svg.all("polyline")
	// The 3480 s gap splits Delivered in two; Returned is a single point.
	if len(lines) != 3 {
		t.Fatalf("got %d polylines, want 3", len(lines))
	}
	pts := strings.Fields(lines[0].attr("points"))
	if len(pts) != 3 {
		t.Fatalf("first segment has %d points, want 3", len(pts))
	}
	// x: 52 + 60/86400*384; y: max 2 → top 2 (step 0.5), 2 → 30.
	xy := strings.Split(pts[1], ",")
	x, _ := strconv.ParseFloat(xy[0], 64)
	y, _ := strconv.ParseFloat(xy[1], 64)
	if !near(x, 52+60.0/86400*384) || !near(y, 30) {
		t.Errorf("point (60,2) at %v,%v", x, y)
	}
	xy = strings.Split(strings.Fields(lines[1].attr("points"))[1], ",")
	y, _ = strconv.ParseFloat(xy[1], 64)
	if !near(y, 230-0.5/2*200) {
		t.Errorf("point (3660,0.5) at y=%v, want 180", y)
	}
	if lines[0].attr("stroke-dasharray") != "" || lines[2].attr("stroke-dasharray") == "" {
		t.Error("second series must be dashed, first solid")
	}
	for _, tx := range svg.all("text") {
		if tx.Text == "12:00" && !near(tx.fattr(t, "x"), 52+192) {
			t.Errorf("12:00 tick at x=%v, want 244", tx.attr("x"))
		}
	}
}

func TestTextIsEscaped(t *testing.T) {
	c := Bars{
		Frame:      Frame{ID: `x"y`, Title: `<script>alert(1)</script>`, Desc: "a & b", Width: 300, Height: 200},
		Categories: []string{"<b>"},
		Series:     []Series{{Name: `"quoted"`, Values: []float64{1}}},
	}
	out := c.SVG()
	if strings.Contains(out, "<script>") || strings.Contains(out, "<b>") {
		t.Fatalf("unescaped text in SVG: %s", out)
	}
	n := parse(t, out)
	if n.all("title")[0].Text != "<script>alert(1)</script>" {
		t.Error("title not round-tripped")
	}
}

func TestEmptyChartsRender(t *testing.T) {
	parse(t, Bars{Frame: Frame{ID: "e", Width: 300, Height: 200}}.SVG())
	parse(t, Lines{Frame: Frame{ID: "e", Width: 300, Height: 200}}.SVG())
}

func TestLinesYMin(t *testing.T) {
	c := Lines{
		Frame: Frame{ID: "v", Width: 452, Height: 256}, XMin: 0, XMax: 10, YMin: 220,
		Series: []LineSeries{{Name: "L1", Points: []Point{{0, 220}, {10, 238}}}},
	}
	ys, step := c.Layout()
	// 18 V above the floor → nice top 20 (step 5): 220..240.
	if ys.Min != 220 || ys.Max != 240 || step != 5 {
		t.Fatalf("scale %v..%v step %v", ys.Min, ys.Max, step)
	}
	pts := strings.Fields(parse(t, c.SVG()).all("polyline")[0].attr("points"))
	y0, _ := strconv.ParseFloat(strings.Split(pts[0], ",")[1], 64)
	y1, _ := strconv.ParseFloat(strings.Split(pts[1], ",")[1], 64)
	if !near(y0, 230) || !near(y1, 230-18.0/20*200) {
		t.Errorf("220 V at y=%v (want 230), 238 V at y=%v (want 50)", y0, y1)
	}
}

func TestTickLabelsAreDistinct(t *testing.T) {
	for _, max := range []float64{0.002, 0.0037, 0.012, 0.37, 1.1, 2.3, 7.9, 23, 1234} {
		top, step := NiceMax(max)
		seen := map[string]bool{}
		for i := 0; float64(i)*step <= top+step/2; i++ {
			l := label(float64(i)*step, step)
			if seen[l] {
				t.Errorf("max %v (step %v): tick label %q printed twice", max, step, l)
			}
			seen[l] = true
		}
	}
	for _, c := range []struct {
		v, step float64
		want    string
	}{
		{0.0015, 0.0005, "0.0015"}, {0.5, 0.25, "0.50"}, {7.5, 2.5, "7.5"}, {0.4, 0.2, "0.4"}, {1250, 250, "1250"}, {0.3, 0.1, "0.3"},
	} {
		if got := label(c.v, c.step); got != c.want {
			t.Errorf("label(%v, %v) = %q, want %q", c.v, c.step, got, c.want)
		}
	}
}

// A small but visible bar must not read "0" in its tooltip or data-value:
// gas per hour is typically 0.001–0.004 m³.
func TestBarValuesKeepMeterPrecision(t *testing.T) {
	c := Bars{
		Frame:      Frame{ID: "g", Unit: "m³", Width: 452, Height: 256},
		Categories: []string{"13:00", "14:00"},
		Series:     []Series{{Name: "Gas", Values: []float64{0.004, 0.0012}}},
	}
	rects := parse(t, c.SVG()).all("rect")
	var got []string
	for _, r := range rects {
		if v := r.attr("data-value"); v != "" {
			got = append(got, v+" | "+r.all("title")[0].Text)
		}
	}
	want := []string{"0.004 | 13:00 Gas: 0.004 m³", "0.001 | 14:00 Gas: 0.001 m³"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("bar values:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNiceMaxStepsStayShort(t *testing.T) {
	for _, c := range []struct{ in, top, step float64 }{
		{0.0010000000000000009, 0.001, 0.0002}, {0.0011, 0.0015, 0.0005}, {0.012, 0.015, 0.005}, {120, 125, 25},
	} {
		top, step := NiceMax(c.in)
		if math.Abs(top-c.top) > 1e-12 || math.Abs(step-c.step) > 1e-12 {
			t.Errorf("NiceMax(%v) = %v,%v want %v,%v", c.in, top, step, c.top, c.step)
		}
	}
}
