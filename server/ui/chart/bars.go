package chart

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Bars draws a horizontal bar chart of labelled values, such as cost by
// model: one row per label in the order given (sort largest first before
// calling), the label on the left and the formatted value at the bar's end.
// Labels beyond len(values), and values beyond len(labels), are ignored. A
// NaN or ±Inf value keeps its row but gets no bar; negative values grow left
// from a zero line.
func Bars(title string, labels []string, values []float64, f Format, width, height int) template.HTML {
	f = orPlain(f)
	count := min(len(labels), len(values))
	labels, values = labels[:count], values[:count]
	texts := make([]string, count)
	var lo, hi float64
	anyFinite := false
	for i, v := range values {
		texts[i] = notANumber
		if finite(v) {
			texts[i] = f(v)
			lo, hi, anyFinite = min(lo, v), max(hi, v), true
		}
	}
	c := newCanvas(title, describeBars(labels, texts), width, height, 0)
	if !anyFinite {
		return c.empty()
	}
	if hi == lo { // all zeros
		hi = 1
	}

	labelW, valueW := 0.0, 0.0
	for i := range count {
		labelW = max(labelW, textWidth(clip(labels[i], 28)))
		valueW = max(valueW, textWidth(texts[i]))
	}
	labelW = min(max(labelW+12, 48), c.w*0.4)
	x0, x1 := labelW, c.w-marginRight
	if lo < 0 {
		x0 += valueW + 6 // room for the value labels of negative bars
	}
	if hi > 0 {
		x1 -= valueW + 6
	}
	x1 = max(x1, x0+10)
	x := func(v float64) float64 { return x0 + (x1-x0)*(v-lo)/(hi-lo) }
	top, bottom := marginTop, c.h-8
	row := (bottom - top) / float64(count)
	barH := min(22, row*0.7)
	zero := x(0)
	c.line("chart-axis", zero, top, zero, bottom)

	for i := range count {
		mid := top + row*(float64(i)+0.5)
		c.text("chart-label", labelW-8, mid+4, "end", clip(labels[i], 28))
		v := values[i]
		if !finite(v) {
			c.text("chart-label", zero+6, mid+4, "", texts[i])
			continue
		}
		end := x(v)
		if v != 0 {
			fmt.Fprintf(&c.sb, `<rect class="chart-bar chart-series-0" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
				n(min(zero, end)), n(mid-barH/2), n(max(math.Abs(end-zero), 1)), n(barH), esc(labels[i]+" · "+texts[i]))
		}
		if v < 0 {
			c.text("chart-label", end-6, mid+4, "end", texts[i])
		} else {
			c.text("chart-label", end+6, mid+4, "", texts[i])
		}
	}
	return c.done()
}

// textWidth estimates how wide s renders, for layout only.
func textWidth(s string) float64 { return charWidth * float64(len([]rune(s))) }

// describeBars lists every row for screen readers, which cannot see the bars.
func describeBars(labels, texts []string) string {
	var b strings.Builder
	for i, l := range labels {
		fmt.Fprintf(&b, "%s: %s. ", l, texts[i])
	}
	return cmp.Or(strings.TrimSpace(b.String()), emptyLabel+".")
}
