package chart

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
	"time"
)

// wellFormed parses the SVG and counts its elements by name.
func wellFormed(t *testing.T, svg string) map[string]int {
	t.Helper()
	if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
		t.Errorf("SVG holds NaN or Inf: %.300s", svg)
	}
	counts := map[string]int{}
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("SVG is not well formed: %v\n%.500s", err, svg)
			}
			return counts
		}
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
		}
	}
}

func TestLines(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	pts := func(vs ...float64) []Point {
		var out []Point
		for i, v := range vs {
			out = append(out, Point{T: t0.Add(time.Duration(i) * time.Hour), V: v})
		}
		return out
	}
	tests := []struct {
		name          string
		series        []Series
		paths, points int
		empty         bool
	}{
		{"two series", []Series{{"p50", pts(10, 20, 15)}, {"p95", pts(30, 80, 45)}}, 2, 6, false},
		{"single point", []Series{{"one", pts(5)}}, 1, 1, false},
		{"all zeros", []Series{{"z", pts(0, 0, 0)}}, 1, 3, false},
		{"NaN and Inf skipped", []Series{{"x", pts(1, math.NaN(), math.Inf(1), 3)}}, 1, 2, false},
		{"negative values", []Series{{"x", pts(-5, 5)}}, 1, 2, false},
		{"no data", nil, 0, 0, true},
		{"only NaN", []Series{{"x", pts(math.NaN())}}, 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svg := string(Lines("Latency", tc.series, FormatMillis, 600, 240))
			c := wellFormed(t, svg)
			if c["path"] != tc.paths || c["circle"] != tc.points {
				t.Errorf("%d paths and %d points, want %d and %d", c["path"], c["circle"], tc.paths, tc.points)
			}
			if got := strings.Contains(svg, "No data in this range"); got != tc.empty {
				t.Errorf("empty label shown %v, want %v", got, tc.empty)
			}
		})
	}
}

func TestBarsAndStacks(t *testing.T) {
	t.Parallel()
	svg := string(Bars(`Cost by <model>`, []string{"gpt-4o", `<script>alert(1)</script>`}, []float64{2, 1}, FormatUSD, 600, 120))
	c := wellFormed(t, svg)
	if c["rect"] != 2 || strings.Contains(svg, "<script>") || !strings.Contains(svg, "&lt;script&gt;") {
		t.Errorf("bars: %d rects, escaped %v", c["rect"], !strings.Contains(svg, "<script>"))
	}
	t0 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	stack := []Series{
		{"input", []Point{{t0, 100}, {t0.Add(time.Hour), 50}}},
		{"output", []Point{{t0, 20}, {t0.Add(time.Hour), 0}}},
	}
	c = wellFormed(t, string(StackedBars("Tokens", stack, FormatCount, 600, 240)))
	if c["rect"] != 3+2 { // three non-zero layers and two legend swatches
		t.Errorf("stacked bars: %d rects, want 5", c["rect"])
	}
	if !strings.Contains(string(Bars("x", nil, nil, FormatCount, 300, 100)), "No data") {
		t.Error("empty bars lack the empty label")
	}
}

func TestNiceTicks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lo, hi float64
		want   []float64
	}{
		{0, 2220, []float64{0, 1000, 2000, 3000}},
		{0, 100, []float64{0, 50, 100}},
		{0, 0.5, []float64{0, 0.2, 0.4, 0.6000000000000001}},
		{-5, 5, []float64{-5, 0, 5}},
		{0, 0, []float64{0, 0.5, 1}},
	} {
		got := niceTicks(tc.lo, tc.hi, 5)
		if got[0] > tc.lo || got[len(got)-1] < tc.hi {
			t.Errorf("niceTicks(%v, %v) = %v does not cover the range", tc.lo, tc.hi, got)
		}
		if len(got) != len(tc.want) {
			t.Errorf("niceTicks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	for got, want := range map[string]string{
		FormatCount(1234): "1.2k", FormatCount(999): "999", FormatCount(2.5e6): "2.5M",
		FormatUSD(0.012345): "$0.0123", FormatUSD(12.4): "$12.40", FormatUSD(0): "$0.00",
		FormatMillis(85): "85 ms", FormatMillis(1234): "1.2 s", FormatPercent(0.045): "4.5%",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
