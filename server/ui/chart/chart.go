// Package chart draws the dashboard's charts on the server as inline SVG, so
// the pages need no JavaScript and no CDN.
//
// Charts carry CSS classes (chart-series-0 … chart-series-7, chart-axis,
// chart-grid, chart-label) and never a colour of their own: [CSS] holds the
// light and dark palettes, so one rendering suits both schemes. Every string
// that comes from outside (titles, series names, labels, formatted values) is
// escaped. Output depends only on the input, so tests can compare it.
//
// All functions are pure and safe for concurrent use.
package chart

import (
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// CSS is the stylesheet the charts need: the eight-colour series palette for
// light and dark mode, axes, grid and labels. The page serves or inlines it.
//
//go:embed chart.css
var CSS string

// Point is one sample of a time series.
type Point struct {
	T time.Time
	V float64
}

// Series is a named line, or a named layer of a stacked bar chart.
type Series struct {
	Name   string
	Points []Point
}

// Format renders a value for an axis, a label or a tooltip; see FormatCount,
// FormatUSD, FormatMillis and FormatPercent. A nil Format prints plain numbers.
type Format func(float64) string

// palette is the number of chart-series-N classes in chart.css; series past
// it reuse colours rather than being dropped.
const palette = 8

// Smallest drawing area: below it labels overlap the plot whatever we do.
const minWidth, minHeight = 160, 100

// Margins around the plot area, in viewBox units. The left margin holds the
// y-axis labels, the top one the title, the bottom one the time labels and
// the legend.
const (
	marginLeft   = 56.0
	marginRight  = 16.0
	marginTop    = 30.0
	marginBottom = 24.0
	legendRow    = 16.0
	charWidth    = 6.2 // rough width of an 11px system-ui glyph, for layout only
)

const emptyLabel = "No data in this range"

// box is the plot area inside the margins.
type box struct{ x0, y0, x1, y1 float64 }

func (b box) w() float64 { return b.x1 - b.x0 }
func (b box) h() float64 { return b.y1 - b.y0 }

// canvas accumulates one SVG document.
type canvas struct {
	sb   strings.Builder
	w, h float64
	plot box
}

// newCanvas opens the SVG and writes its accessible name, description and
// visible title. legendRows reserves room under the time axis.
func newCanvas(title, desc string, width, height, legendRows int) *canvas {
	width, height = max(width, minWidth), max(height, minHeight)
	c := &canvas{w: float64(width), h: float64(height)}
	c.plot = box{
		x0: marginLeft, y0: marginTop,
		x1: c.w - marginRight, y1: c.h - marginBottom - legendRow*float64(legendRows),
	}
	// The plot must keep some height even when the legend is tall.
	c.plot.y1 = max(c.plot.y1, c.plot.y0+20)
	fmt.Fprintf(&c.sb, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s">`,
		width, height, esc(title))
	fmt.Fprintf(&c.sb, `<title>%s</title><desc>%s</desc>`, esc(title), esc(desc))
	fmt.Fprintf(&c.sb, `<text class="chart-title" x="%s" y="18">%s</text>`, n(marginLeft), esc(title))
	return c
}

// frame draws the two axis lines, so that even an empty chart shows where
// the data would go.
func (c *canvas) frame() {
	p := c.plot
	c.line("chart-axis", p.x0, p.y1, p.x1, p.y1)
	c.line("chart-axis", p.x0, p.y0, p.x0, p.y1)
}

// empty finishes a chart that has nothing to plot.
func (c *canvas) empty() template.HTML {
	c.frame()
	p := c.plot
	c.text("chart-empty", p.x0+p.w()/2, p.y0+p.h()/2+4, "middle", emptyLabel)
	return c.done()
}

func (c *canvas) done() template.HTML {
	c.sb.WriteString(`</svg>`)
	// Every outside string was escaped on the way in; that is what makes
	// this conversion safe.
	return template.HTML(c.sb.String()) //nolint:gosec
}

func (c *canvas) line(class string, x1, y1, x2, y2 float64) {
	fmt.Fprintf(&c.sb, `<line class="%s" x1="%s" y1="%s" x2="%s" y2="%s"/>`, class, n(x1), n(y1), n(x2), n(y2))
}

// text writes an escaped label; anchor is "", "middle" or "end".
func (c *canvas) text(class string, x, y float64, anchor, s string) {
	a := ""
	if anchor != "" {
		a = ` text-anchor="` + anchor + `"`
	}
	fmt.Fprintf(&c.sb, `<text class="%s" x="%s" y="%s"%s>%s</text>`, class, n(x), n(y), a, esc(s))
}

// yAxis draws gridlines and labels for nice ticks covering [lo, hi] (and
// zero) and returns the mapping from a value to a y coordinate.
func (c *canvas) yAxis(lo, hi float64, f Format) func(float64) float64 {
	ticks := niceTicks(lo, hi)
	lo, hi = ticks[0], ticks[len(ticks)-1]
	p := c.plot
	y := func(v float64) float64 { return p.y1 - p.h()*(v-lo)/(hi-lo) }
	prev := ""
	for _, t := range ticks {
		if t != lo { // the axis line is drawn over the lowest gridline
			c.line("chart-grid", p.x0, y(t), p.x1, y(t))
		}
		// Coarse formats can print neighbouring ticks alike (0.2 ms and
		// 0.4 ms are both "0 ms"); one label is enough.
		if s := f(t); s != prev {
			c.text("chart-label", p.x0-6, y(t)+4, "end", s)
			prev = s
		}
	}
	return y
}

// xTimeAxis draws time labels under the plot for [t0, t1], padded by pad on
// each side, and returns the mapping from a time to an x coordinate.
func (c *canvas) xTimeAxis(t0, t1 time.Time, pad time.Duration) func(time.Time) float64 {
	p := c.plot
	lo, hi := t0.Add(-pad), t1.Add(pad)
	span := hi.Sub(lo)
	x := func(t time.Time) float64 {
		if span <= 0 {
			return p.x0 + p.w()/2
		}
		return p.x0 + p.w()*float64(t.Sub(lo))/float64(span)
	}
	layout := timeLayout(t1.Sub(t0))
	for _, t := range timeTicks(t0, t1) {
		c.text("chart-label", x(t), p.y1+16, "middle", t.UTC().Format(layout))
	}
	return x
}

// legend draws a swatch and name per series under the time axis, wrapping
// rows as legendRows planned.
func (c *canvas) legend(names []string) {
	for _, item := range layoutLegend(names, c.w) {
		y := c.plot.y1 + marginBottom + legendRow*float64(item.row) + 11 // baseline, below the time labels
		fmt.Fprintf(&c.sb, `<rect class="chart-series-%d" x="%s" y="%s" width="10" height="10"/>`,
			item.index%palette, n(item.x), n(y-9))
		c.text("chart-label", item.x+14, y, "", item.name)
	}
}

type legendItem struct {
	index, row int
	x          float64
	name       string
}

// layoutLegend places legend entries left to right, starting a new row when
// one would run past the right margin.
func layoutLegend(names []string, width float64) []legendItem {
	var items []legendItem
	x, row := marginLeft, 0
	for i, name := range names {
		name = clip(name, 28)
		w := 14 + charWidth*float64(len([]rune(name))) + 16
		if x > marginLeft && x+w > width-marginRight {
			x, row = marginLeft, row+1
		}
		items = append(items, legendItem{index: i, row: row, x: x, name: name})
		x += w
	}
	return items
}

func legendRows(names []string, width int) int {
	items := layoutLegend(names, float64(max(width, minWidth)))
	if len(items) == 0 {
		return 0
	}
	return items[len(items)-1].row + 1
}

// tooltip is the text of a point's or bar's <title>.
func tooltip(name string, t time.Time, value string) string {
	return name + " · " + t.UTC().Format("Jan 2 15:04") + " · " + value
}

// orPlain returns f, or a plain number format when f is nil.
func orPlain(f Format) Format {
	if f != nil {
		return f
	}
	return func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// n prints a coordinate with at most one decimal: small output, and never
// NaN or Inf even if a caller's numbers slip through.
func n(v float64) string {
	if !finite(v) {
		v = 0
	}
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

// esc escapes text for both HTML and XML, so the SVG stays well-formed when
// parsed either way.
func esc(s string) string { return html.EscapeString(s) }

// clip shortens s to at most max runes, marking the cut.
func clip(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}
