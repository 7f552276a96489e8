package chart

import (
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"
)

// Lines draws time series as an SVG line chart: a line and a dot per sample,
// each dot with a tooltip of series name, UTC time and formatted value; a
// zero-based y axis of nice ticks; a handful of UTC time labels; and a legend
// when there is more than one series. NaN and ±Inf samples are skipped,
// negative values extend the axis below zero, and points need not be sorted.
// width and height set the viewBox; the SVG scales to its container.
func Lines(title string, series []Series, f Format, width, height int) template.HTML {
	f = orPlain(f)
	clean := make([]Series, len(series))
	names := make([]string, len(series))
	for i, s := range series {
		clean[i] = Series{Name: s.Name, Points: finitePoints(s.Points)}
		names[i] = s.Name
	}
	rows := 0
	if len(series) > 1 {
		rows = legendRows(names, width)
	}
	c := newCanvas(title, describeSeries(clean, f), width, height, rows)
	t0, t1, lo, hi, ok := extent(clean)
	if !ok {
		return c.empty()
	}
	y := c.yAxis(lo, hi, f)
	x := c.xTimeAxis(t0, t1, 0)
	c.frame()
	for i, s := range clean {
		class := i % palette
		if len(s.Points) > 1 { // one sample has no line, only its dot
			var d strings.Builder
			for j, p := range s.Points {
				cmd := "L"
				if j == 0 {
					cmd = "M"
				}
				fmt.Fprintf(&d, "%s%s %s", cmd, n(x(p.T)), n(y(p.V)))
			}
			fmt.Fprintf(&c.sb, `<path class="chart-line chart-series-%d" fill="none" d="%s"/>`, class, d.String())
		}
		for _, p := range s.Points {
			fmt.Fprintf(&c.sb, `<circle class="chart-point chart-series-%d" cx="%s" cy="%s" r="2.5"><title>%s</title></circle>`,
				class, n(x(p.T)), n(y(p.V)), esc(tooltip(s.Name, p.T, f(p.V))))
		}
	}
	if len(series) > 1 {
		c.legend(names)
	}
	return c.done()
}

// finitePoints returns the plottable samples sorted by time, leaving the
// caller's slice alone.
func finitePoints(points []Point) []Point {
	out := make([]Point, 0, len(points))
	for _, p := range points {
		if finite(p.V) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b Point) int { return a.T.Compare(b.T) })
	return out
}

// extent returns the time and value range over every point; ok is false
// when there are none.
func extent(series []Series) (t0, t1 time.Time, lo, hi float64, ok bool) {
	for _, s := range series {
		for _, p := range s.Points {
			if !ok {
				t0, t1, lo, hi, ok = p.T, p.T, p.V, p.V, true
				continue
			}
			if p.T.Before(t0) {
				t0 = p.T
			}
			if p.T.After(t1) {
				t1 = p.T
			}
			lo, hi = min(lo, p.V), max(hi, p.V)
		}
	}
	return t0, t1, lo, hi, ok
}

// describeSeries summarises each series for screen readers: how many
// samples, the range and the latest value.
func describeSeries(series []Series, f Format) string {
	var b strings.Builder
	for _, s := range series {
		if len(s.Points) == 0 {
			fmt.Fprintf(&b, "%s: no data. ", s.Name)
			continue
		}
		lo, hi := s.Points[0].V, s.Points[0].V
		for _, p := range s.Points {
			lo, hi = min(lo, p.V), max(hi, p.V)
		}
		last := s.Points[len(s.Points)-1]
		fmt.Fprintf(&b, "%s: %d points from %s to %s, minimum %s, maximum %s, latest %s. ",
			s.Name, len(s.Points), s.Points[0].T.UTC().Format(time.DateTime), last.T.UTC().Format(time.DateTime),
			f(lo), f(hi), f(last.V))
	}
	return cmp.Or(strings.TrimSpace(b.String()), emptyLabel+".")
}
