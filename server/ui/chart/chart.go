// Package chart draws the dashboard's charts as inline SVG on the server:
// no JavaScript, no CDN. Colours come from CSS classes (chart.css), so the
// page's light and dark palettes apply.
package chart

import (
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"
)

// CSS styles the charts; the page includes it.
//
//go:embed chart.css
var CSS string

// Point is one sample of a time series.
type Point struct {
	T time.Time
	V float64
}

// Series is a named line or stack layer.
type Series struct {
	Name   string
	Points []Point
}

// Format renders a value on an axis or in a tooltip.
type Format func(float64) string

// FormatCount prints 1234 as 1.2k.
func FormatCount(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return trim(v/1e9) + "B"
	case a >= 1e6:
		return trim(v/1e6) + "M"
	case a >= 1e3:
		return trim(v/1e3) + "k"
	}
	return trim(v)
}

// FormatUSD prints dollars with cents, or four decimals under ten cents
// (LLM calls cost fractions of a cent).
func FormatUSD(v float64) string {
	if v != 0 && math.Abs(v) < 0.1 {
		return fmt.Sprintf("$%.4f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

// FormatMillis prints milliseconds as ms or s.
func FormatMillis(v float64) string {
	if math.Abs(v) >= 1000 {
		return trim(v/1000) + " s"
	}
	return fmt.Sprintf("%.0f ms", v)
}

// FormatPercent prints a fraction as a percentage.
func FormatPercent(v float64) string { return trim(v*100) + "%" }

func trim(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}

// Geometry of every chart: margins for the axes and the legend.
const (
	left, right, top, bottom = 56.0, 12.0, 28.0, 40.0
	maxSeries                = 8
)

type canvas struct {
	sb            strings.Builder
	width, height float64
}

func newCanvas(title string, width, height int, desc string) *canvas {
	c := &canvas{width: float64(width), height: float64(height)}
	fmt.Fprintf(&c.sb, `<svg class="chart" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		width, height, esc(title))
	fmt.Fprintf(&c.sb, `<title>%s</title><desc>%s</desc>`, esc(title), esc(desc))
	fmt.Fprintf(&c.sb, `<text class="chart-title" x="%s" y="16">%s</text>`, n(left), esc(title))
	return c
}

func (c *canvas) done() template.HTML {
	c.sb.WriteString(`</svg>`)
	return template.HTML(c.sb.String()) //nolint:gosec // every outside string went through esc
}

func (c *canvas) empty() template.HTML {
	fmt.Fprintf(&c.sb, `<text class="chart-label" x="%s" y="%s" text-anchor="middle">No data in this range</text>`,
		n(c.width/2), n(c.height/2))
	return c.done()
}

func (c *canvas) plotW() float64 { return c.width - left - right }
func (c *canvas) plotH() float64 { return c.height - top - bottom }

// yAxis draws gridlines and labels for [lo, hi] and returns the mapping
// from a value to a y coordinate.
func (c *canvas) yAxis(lo, hi float64, f Format) func(float64) float64 {
	ticks := niceTicks(lo, hi, 5)
	lo, hi = ticks[0], ticks[len(ticks)-1]
	y := func(v float64) float64 { return top + c.plotH()*(1-(v-lo)/(hi-lo)) }
	for _, t := range ticks {
		fmt.Fprintf(&c.sb, `<line class="chart-grid" x1="%s" x2="%s" y1="%s" y2="%s"/>`, n(left), n(c.width-right), n(y(t)), n(y(t)))
		fmt.Fprintf(&c.sb, `<text class="chart-label" x="%s" y="%s" text-anchor="end">%s</text>`, n(left-6), n(y(t)+4), esc(f(t)))
	}
	return y
}

func (c *canvas) legend(names []string) {
	if len(names) < 2 {
		return
	}
	x := left
	for i, name := range names {
		fmt.Fprintf(&c.sb, `<rect class="chart-series-%d" x="%s" y="%s" width="10" height="10"/>`, i%maxSeries, n(x), n(c.height-14))
		fmt.Fprintf(&c.sb, `<text class="chart-label" x="%s" y="%s">%s</text>`, n(x+14), n(c.height-5), esc(name))
		x += 24 + 7*float64(len([]rune(name)))
	}
}

// timeRange returns the first and last sample time over all series.
func timeRange(series []Series) (t0, t1 time.Time, ok bool) {
	for _, s := range series {
		for _, p := range s.Points {
			if !finite(p.V) {
				continue
			}
			if !ok || p.T.Before(t0) {
				t0 = p.T
			}
			if !ok || p.T.After(t1) {
				t1 = p.T
			}
			ok = true
		}
	}
	return t0, t1, ok
}

func (c *canvas) xAxis(t0, t1 time.Time) func(time.Time) float64 {
	span := t1.Sub(t0)
	x := func(t time.Time) float64 {
		if span <= 0 {
			return left + c.plotW()/2
		}
		return left + c.plotW()*float64(t.Sub(t0))/float64(span)
	}
	layout := "15:04"
	if span > 24*time.Hour {
		layout = "Jan 2"
	}
	labels := 5
	if span <= 0 {
		labels = 1
	}
	for i := range labels {
		t := t0.Add(time.Duration(float64(span) * float64(i) / float64(max(labels-1, 1))))
		fmt.Fprintf(&c.sb, `<text class="chart-label" x="%s" y="%s" text-anchor="middle">%s</text>`,
			n(x(t)), n(c.height-bottom+16), t.UTC().Format(layout))
	}
	return x
}

// Lines draws time series as lines with a point and tooltip per sample.
func Lines(title string, series []Series, f Format, width, height int) template.HTML {
	series = series[:min(len(series), maxSeries)]
	c := newCanvas(title, width, height, describe(series, f))
	t0, t1, ok := timeRange(series)
	if !ok {
		return c.empty()
	}
	lo, hi := valueRange(series, false)
	y, x := c.yAxis(lo, hi, f), c.xAxis(t0, t1)
	var names []string
	for i, s := range series {
		names = append(names, s.Name)
		var d strings.Builder
		for _, p := range s.Points {
			if !finite(p.V) {
				continue
			}
			cmd := "L"
			if d.Len() == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%s %s", cmd, n(x(p.T)), n(y(p.V)))
		}
		fmt.Fprintf(&c.sb, `<path class="chart-line chart-series-%d" fill="none" d="%s"/>`, i, d.String())
		for _, p := range s.Points {
			if !finite(p.V) {
				continue
			}
			fmt.Fprintf(&c.sb, `<circle class="chart-series-%d" cx="%s" cy="%s" r="2.5"><title>%s · %s · %s</title></circle>`,
				i, n(x(p.T)), n(y(p.V)), esc(s.Name), p.T.UTC().Format("Jan 2 15:04"), esc(f(p.V)))
		}
	}
	c.legend(names)
	return c.done()
}

// StackedBars draws one stack per time bucket, a layer per series.
func StackedBars(title string, series []Series, f Format, width, height int) template.HTML {
	series = series[:min(len(series), maxSeries)]
	c := newCanvas(title, width, height, describe(series, f))
	var buckets []time.Time
	totals := map[time.Time]float64{}
	for _, s := range series {
		for _, p := range s.Points {
			if !finite(p.V) || p.V < 0 {
				continue
			}
			if _, seen := totals[p.T]; !seen {
				buckets = append(buckets, p.T)
			}
			totals[p.T] += p.V
		}
	}
	if len(buckets) == 0 {
		return c.empty()
	}
	sortTimes(buckets)
	hi := 0.0
	for _, t := range buckets {
		hi = max(hi, totals[t])
	}
	y := c.yAxis(0, hi, f)
	x := c.xAxis(buckets[0], buckets[len(buckets)-1])
	bw := math.Max(2, math.Min(40, c.plotW()/float64(len(buckets))*0.7))
	base := map[time.Time]float64{}
	var names []string
	for i, s := range series {
		names = append(names, s.Name)
		for _, p := range s.Points {
			if !finite(p.V) || p.V <= 0 {
				continue
			}
			y0, y1 := y(base[p.T]), y(base[p.T]+p.V)
			base[p.T] += p.V
			fmt.Fprintf(&c.sb, `<rect class="chart-series-%d" x="%s" y="%s" width="%s" height="%s"><title>%s · %s · %s</title></rect>`,
				i, n(x(p.T)-bw/2), n(y1), n(bw), n(y0-y1), esc(s.Name), p.T.UTC().Format("Jan 2 15:04"), esc(f(p.V)))
		}
	}
	c.legend(names)
	return c.done()
}

// Bars draws labelled values as horizontal bars, in the order given.
func Bars(title string, labels []string, values []float64, f Format, width, height int) template.HTML {
	var desc strings.Builder
	for i, l := range labels {
		if i < len(values) {
			fmt.Fprintf(&desc, "%s: %s. ", l, f(values[i]))
		}
	}
	c := newCanvas(title, width, height, desc.String())
	count := min(len(labels), len(values))
	hi := 0.0
	for i := range count {
		if finite(values[i]) {
			hi = max(hi, values[i])
		}
	}
	if count == 0 {
		return c.empty()
	}
	labelW := 140.0
	plotW := c.width - labelW - 80
	row := (c.height - top - 8) / float64(count)
	bh := math.Min(22, row*0.7)
	for i := range count {
		v := values[i]
		if !finite(v) || v < 0 {
			v = 0
		}
		w := 0.0
		if hi > 0 {
			w = plotW * v / hi
		}
		yy := top + row*float64(i) + (row-bh)/2
		fmt.Fprintf(&c.sb, `<text class="chart-label" x="%s" y="%s" text-anchor="end">%s</text>`, n(labelW-8), n(yy+bh/2+4), esc(clip(labels[i], 22)))
		fmt.Fprintf(&c.sb, `<rect class="chart-series-%d" x="%s" y="%s" width="%s" height="%s"><title>%s · %s</title></rect>`,
			i%maxSeries, n(labelW), n(yy), n(math.Max(w, 1)), n(bh), esc(labels[i]), esc(f(v)))
		fmt.Fprintf(&c.sb, `<text class="chart-label" x="%s" y="%s">%s</text>`, n(labelW+w+6), n(yy+bh/2+4), esc(f(v)))
	}
	return c.done()
}

// valueRange spans every finite value, and zero.
func valueRange(series []Series, _ bool) (lo, hi float64) {
	for _, s := range series {
		for _, p := range s.Points {
			if finite(p.V) {
				lo, hi = min(lo, p.V), max(hi, p.V)
			}
		}
	}
	return lo, hi
}

// niceTicks returns about n evenly spaced round values covering [lo, hi]:
// steps of 1, 2 or 5 times a power of ten.
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(max(n-1, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag * 10
	for _, m := range []float64{1, 2, 5} {
		if raw <= m*mag {
			step = m * mag
			break
		}
	}
	start := math.Floor(lo/step) * step
	var ticks []float64
	for i := 0.0; len(ticks) < 2 || ticks[len(ticks)-1] < hi; i++ {
		ticks = append(ticks, (start/step+i)*step)
		if len(ticks) > 20 {
			break
		}
	}
	return ticks
}

func describe(series []Series, f Format) string {
	var sb strings.Builder
	for _, s := range series {
		var lo, hi float64
		seen := 0
		for _, p := range s.Points {
			if !finite(p.V) {
				continue
			}
			if seen == 0 || p.V < lo {
				lo = p.V
			}
			if seen == 0 || p.V > hi {
				hi = p.V
			}
			seen++
		}
		fmt.Fprintf(&sb, "%s: %d points from %s to %s. ", s.Name, seen, f(lo), f(hi))
	}
	return sb.String()
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// n prints a coordinate with one decimal, small and never NaN.
func n(v float64) string {
	if !finite(v) {
		v = 0
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")
}

func esc(s string) string { return html.EscapeString(s) }

func clip(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}
