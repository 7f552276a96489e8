package chart

import (
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"
)

// StackedBars draws vertical bars over time buckets, such as tokens by model
// per hour: one stack per distinct timestamp, a layer per series in the order
// given, a tooltip per layer, a zero-based y axis of nice ticks, UTC time
// labels and a legend. NaN and ±Inf samples are skipped; negative values
// stack downwards from zero.
func StackedBars(title string, series []Series, f Format, width, height int) template.HTML {
	f = orPlain(f)
	clean := make([]Series, len(series))
	names := make([]string, len(series))
	var buckets []int64 // UnixNano, not time.Time: equal instants must meet
	for i, s := range series {
		clean[i] = Series{Name: s.Name, Points: finitePoints(s.Points)}
		names[i] = s.Name
		for _, p := range clean[i].Points {
			buckets = append(buckets, p.T.UnixNano())
		}
	}
	slices.Sort(buckets)
	buckets = slices.Compact(buckets)
	c := newCanvas(title, describeStacks(clean, len(buckets), f), width, height, legendRows(names, width))
	if len(buckets) == 0 {
		return c.empty()
	}

	// Stack heights above and below zero per bucket, to size the axis.
	up, down := make([]float64, len(buckets)), make([]float64, len(buckets))
	index := func(t time.Time) int { i, _ := slices.BinarySearch(buckets, t.UnixNano()); return i }
	for _, s := range clean {
		for _, p := range s.Points {
			if i := index(p.T); p.V > 0 {
				up[i] += p.V
			} else {
				down[i] += p.V
			}
		}
	}
	y := c.yAxis(slices.Min(down), slices.Max(up), f)

	// Half the closest spacing on each side keeps the outer bars inside.
	gap := time.Duration(0)
	for i := 1; i < len(buckets); i++ {
		if d := time.Duration(buckets[i] - buckets[i-1]); gap == 0 || d < gap {
			gap = d
		}
	}
	t0, t1 := time.Unix(0, buckets[0]), time.Unix(0, buckets[len(buckets)-1])
	x := c.xTimeAxis(t0, t1, gap/2)
	barW := min(48, c.plot.w()*0.3)
	if gap > 0 {
		barW = min(48, max(1, 0.7*c.plot.w()*float64(gap)/float64(t1.Sub(t0)+gap)))
	}
	c.frame()

	clear(up)
	clear(down)
	for k, s := range clean {
		for _, p := range s.Points {
			if p.V == 0 {
				continue
			}
			i := index(p.T)
			base := &up[i]
			if p.V < 0 {
				base = &down[i]
			}
			ya, yb := y(*base), y(*base+p.V)
			*base += p.V
			fmt.Fprintf(&c.sb, `<rect class="chart-bar chart-series-%d" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
				k%palette, n(x(p.T)-barW/2), n(min(ya, yb)), n(barW), n(max(ya-yb, yb-ya)), esc(tooltip(s.Name, p.T, f(p.V))))
		}
	}
	c.legend(names)
	return c.done()
}

// describeStacks gives each layer's total and peak for screen readers.
func describeStacks(series []Series, buckets int, f Format) string {
	var b strings.Builder
	if buckets > 0 {
		fmt.Fprintf(&b, "%d time buckets. ", buckets)
	}
	for _, s := range series {
		if len(s.Points) == 0 {
			fmt.Fprintf(&b, "%s: no data. ", s.Name)
			continue
		}
		total, peak := 0.0, s.Points[0]
		for _, p := range s.Points {
			total += p.V
			if p.V > peak.V {
				peak = p
			}
		}
		sum := notANumber // a sum of huge values can overflow
		if finite(total) {
			sum = f(total)
		}
		fmt.Fprintf(&b, "%s: total %s, peak %s at %s. ", s.Name, sum, f(peak.V), peak.T.UTC().Format(time.DateTime))
	}
	if buckets == 0 {
		return emptyLabel + "."
	}
	return cmp.Or(strings.TrimSpace(b.String()), emptyLabel+".")
}
