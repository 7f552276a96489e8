package chart

import (
	"encoding/xml"
	"errors"
	"html/template"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// hourly returns one point an hour from t0.
func hourly(vs ...float64) []Point {
	out := make([]Point, len(vs))
	for i, v := range vs {
		out[i] = Point{T: t0.Add(time.Duration(i) * time.Hour), V: v}
	}
	return out
}

// svgStats is what a test needs to know about a rendered chart.
type svgStats struct {
	svg   string
	count map[string]int // elements by local name
	text  []string       // character data of <text> elements, in order
	root  map[string]string
}

// render parses a chart with encoding/xml, proving it well-formed, and
// checks what every chart must carry whatever its data.
func render(t *testing.T, h template.HTML) svgStats {
	t.Helper()
	s := svgStats{svg: string(h), count: map[string]int{}, root: map[string]string{}}
	d := xml.NewDecoder(strings.NewReader(s.svg))
	d.Strict = true
	var inText bool
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v\n%s", err, s.svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if len(s.count) == 0 {
				for _, a := range tok.Attr {
					s.root[a.Name.Local] = a.Value
				}
			}
			s.count[tok.Name.Local]++
			inText = tok.Name.Local == "text"
			for _, a := range tok.Attr {
				if strings.Contains(a.Value, "NaN") || strings.Contains(a.Value, "Inf") {
					t.Errorf("attribute %s=%q of <%s> is not a number", a.Name.Local, a.Value, tok.Name.Local)
				}
			}
		case xml.CharData:
			if inText {
				s.text = append(s.text, string(tok))
			}
		case xml.EndElement:
			inText = false
		}
	}
	if s.count["svg"] != 1 || s.count["desc"] != 1 {
		t.Errorf("want one <svg> and one <desc>, got %v", s.count)
	}
	if s.root["role"] != "img" || s.root["width"] != "100%" || !strings.HasPrefix(s.root["viewBox"], "0 0 ") || s.root["aria-label"] == "" {
		t.Errorf("root attributes %v lack role, width, viewBox or aria-label", s.root)
	}
	if long := regexp.MustCompile(`\d\.\d\d`).FindString(coordinates(s.svg)); long != "" {
		t.Errorf("coordinate %q has more than one decimal", long)
	}
	if regexp.MustCompile(`#[0-9a-fA-F]{3,6}\b|fill="(?:#|rgb)|stroke="`).MatchString(s.svg) {
		t.Error("SVG hard-codes a colour; colours belong in chart.css")
	}
	return s
}

// coordinates returns the geometric attributes of svg, joined.
func coordinates(svg string) string {
	var b strings.Builder
	for _, m := range regexp.MustCompile(` (?:x|y|x1|x2|y1|y2|cx|cy|width|height|d)="([^"]*)"`).FindAllStringSubmatch(svg, -1) {
		b.WriteString(m[1] + " ")
	}
	return b.String()
}

func (s svgStats) hasText(want string) bool { return slices.Contains(s.text, want) }

func TestLines(t *testing.T) {
	t.Parallel()
	nine := make([]Series, 9)
	for i := range nine {
		nine[i] = Series{Name: string(rune('a' + i)), Points: hourly(float64(i), float64(i+1))}
	}
	tests := []struct {
		name            string
		series          []Series
		f               Format
		width, height   int
		paths, circles  int
		legend          int // legend swatches
		empty           bool
		texts, contains []string
	}{
		{name: "two series", series: []Series{{"p50", hourly(10, 20, 15)}, {"p95", hourly(30, 80, 45)}},
			paths: 2, circles: 6, legend: 2, texts: []string{"10:00", "11:00", "12:00", "0 ms", "80 ms", "p50", "p95"},
			contains: []string{"<title>p95 · Nov 24 11:00 · 80 ms</title>"}},
		{name: "one series has no legend", series: []Series{{"cost", hourly(1, 2)}}, paths: 1, circles: 2},
		{name: "single point", series: []Series{{"one", hourly(5)}}, paths: 0, circles: 1, texts: []string{"10:00"}},
		{name: "all zeros", series: []Series{{"z", hourly(0, 0, 0)}}, paths: 1, circles: 3, texts: []string{"0 ms", "1 ms"}},
		{name: "NaN and Inf skipped", series: []Series{{"x", hourly(1, math.NaN(), math.Inf(1), math.Inf(-1), 3)}}, paths: 1, circles: 2},
		{name: "negative values extend the axis", series: []Series{{"x", hourly(-30, 50)}}, paths: 1, circles: 2,
			texts: []string{"-40 ms", "0 ms", "60 ms"}},
		{name: "unsorted points", series: []Series{{"x", []Point{{t0.Add(time.Hour), 2}, {t0, 1}}}}, paths: 1, circles: 2,
			contains: []string{`d="M56 `}},
		{name: "no series", empty: true},
		{name: "series without points", series: []Series{{"a", nil}, {"b", nil}}, empty: true, legend: 0},
		{name: "only NaN", series: []Series{{"x", hourly(math.NaN(), math.Inf(1))}}, empty: true},
		{name: "nine series reuse colours", series: nine, paths: 9, circles: 18, legend: 9,
			contains: []string{`class="chart-line chart-series-0"`, `class="chart-line chart-series-7"`}},
		{name: "huge values", series: []Series{{"x", hourly(math.MaxFloat64, -math.MaxFloat64, 1)}}, paths: 1, circles: 3},
		{name: "tiny values", series: []Series{{"x", hourly(1e-12, 3e-12)}}, f: FormatCount, paths: 1, circles: 2},
		{name: "days use dates", series: []Series{{"x", []Point{{t0, 1}, {t0.Add(72 * time.Hour), 2}}}}, paths: 1, circles: 2,
			texts: []string{"Nov 25", "Nov 26", "Nov 27"}},
		{name: "nil format", series: []Series{{"x", hourly(1, 2)}}, f: nil, paths: 1, circles: 2, texts: []string{"2"}},
		{name: "zero size", series: []Series{{"x", hourly(1, 2)}}, width: -1, height: 0, paths: 1, circles: 2,
			contains: []string{`viewBox="0 0 160 100"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := tc.f
			if f == nil && tc.name != "nil format" {
				f = FormatMillis
			}
			width, height := tc.width, tc.height
			if width == 0 && height == 0 && tc.name != "zero size" {
				width, height = 640, 240
			}
			s := render(t, Lines("Latency", tc.series, f, width, height))
			if s.count["path"] != tc.paths || s.count["circle"] != tc.circles || s.count["rect"] != tc.legend {
				t.Errorf("%d paths, %d circles, %d legend swatches; want %d, %d, %d",
					s.count["path"], s.count["circle"], s.count["rect"], tc.paths, tc.circles, tc.legend)
			}
			if got := s.hasText(emptyLabel); got != tc.empty {
				t.Errorf("empty label shown %v, want %v", got, tc.empty)
			}
			if tc.empty && s.count["line"] != 2 {
				t.Errorf("empty chart draws %d axis lines, want the 2 of its frame", s.count["line"])
			}
			for _, want := range tc.texts {
				if !s.hasText(want) {
					t.Errorf("no label %q among %q", want, s.text)
				}
			}
			for _, want := range tc.contains {
				if !strings.Contains(s.svg, want) {
					t.Errorf("SVG lacks %q:\n%s", want, s.svg)
				}
			}
		})
	}
}

func TestBars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		labels   []string
		values   []float64
		rects    int
		empty    bool
		texts    []string
		contains []string
	}{
		{name: "largest first as given", labels: []string{"gpt-4o", "claude", "mini"}, values: []float64{12.4, 3, 0.012345},
			rects: 3, texts: []string{"gpt-4o", "$12.40", "$0.0123"}, contains: []string{"<title>claude · $3.00</title>"}},
		{name: "single bar", labels: []string{"a"}, values: []float64{5}, rects: 1},
		{name: "all zeros", labels: []string{"a", "b"}, values: []float64{0, 0}, rects: 0, texts: []string{"$0.00"}},
		{name: "NaN keeps its row without a bar", labels: []string{"a", "b"}, values: []float64{1, math.NaN()}, rects: 1,
			texts: []string{"b", notANumber}},
		{name: "only Inf", labels: []string{"a"}, values: []float64{math.Inf(1)}, empty: true},
		{name: "negative grows left", labels: []string{"refund", "spend"}, values: []float64{-2, 4}, rects: 2,
			texts: []string{"-$2.00", "$4.00"}},
		{name: "more labels than values", labels: []string{"a", "b", "c"}, values: []float64{1}, rects: 1},
		{name: "no data", empty: true},
		{name: "long label clipped", labels: []string{strings.Repeat("m", 40)}, values: []float64{1}, rects: 1,
			texts: []string{strings.Repeat("m", 27) + "…"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := render(t, Bars("Cost by model", tc.labels, tc.values, FormatUSD, 640, 160))
			if s.count["rect"] != tc.rects {
				t.Errorf("%d bars, want %d", s.count["rect"], tc.rects)
			}
			if got := s.hasText(emptyLabel); got != tc.empty {
				t.Errorf("empty label shown %v, want %v", got, tc.empty)
			}
			for _, want := range tc.texts {
				if !s.hasText(want) {
					t.Errorf("no label %q among %q", want, s.text)
				}
			}
			for _, want := range tc.contains {
				if !strings.Contains(s.svg, want) {
					t.Errorf("SVG lacks %q:\n%s", want, s.svg)
				}
			}
		})
	}
}

func TestStackedBars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		series []Series
		rects  int // layers plus one legend swatch per series
		empty  bool
		texts  []string
	}{
		{name: "two layers", series: []Series{{"input", hourly(100, 50)}, {"output", hourly(20, 0)}},
			rects: 3 + 2, texts: []string{"10:00", "11:00", "input", "output", "0", "150"}},
		{name: "single bucket", series: []Series{{"input", hourly(5)}}, rects: 1 + 1},
		{name: "all zeros", series: []Series{{"input", hourly(0, 0)}}, rects: 0 + 1, texts: []string{"0", "1"}},
		{name: "NaN and Inf skipped", series: []Series{{"a", hourly(1, math.NaN(), math.Inf(-1))}}, rects: 1 + 1},
		{name: "negative stacks down", series: []Series{{"a", hourly(-10, 10)}, {"b", hourly(-5, 5)}}, rects: 4 + 2,
			texts: []string{"-20", "20"}},
		{name: "buckets of different series meet", series: []Series{
			{"a", []Point{{t0, 1}}},
			{"b", []Point{{t0.In(time.FixedZone("X", 3600)), 1}}}, // the same instant
		}, rects: 2 + 2},
		{name: "no data", series: []Series{{"a", nil}}, empty: true},
		{name: "no series", empty: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := render(t, StackedBars("Tokens", tc.series, FormatCount, 640, 240))
			if s.count["rect"] != tc.rects {
				t.Errorf("%d rects, want %d", s.count["rect"], tc.rects)
			}
			if got := s.hasText(emptyLabel); got != tc.empty {
				t.Errorf("empty label shown %v, want %v", got, tc.empty)
			}
			for _, want := range tc.texts {
				if !s.hasText(want) {
					t.Errorf("no label %q among %q", want, s.text)
				}
			}
		})
	}
}

// TestEscaping proves that text from outside cannot inject markup.
func TestEscaping(t *testing.T) {
	t.Parallel()
	const evil = `<script>alert("x")</script>&`
	tests := []struct {
		name  string
		chart template.HTML
	}{
		{"lines", Lines(evil, []Series{{evil, hourly(1, 2)}, {"b", hourly(3, 4)}}, FormatCount, 640, 240)},
		{"bars", Bars(evil, []string{evil}, []float64{1}, FormatCount, 640, 120)},
		{"stacked bars", StackedBars(evil, []Series{{evil, hourly(1, 2)}}, FormatCount, 640, 240)},
		{"format output", Bars("t", []string{"a"}, []float64{1}, func(float64) string { return evil }, 640, 120)},
		{"empty", Lines(evil, nil, FormatCount, 640, 240)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := render(t, tc.chart)
			if strings.Contains(s.svg, "<script") || s.count["script"] != 0 {
				t.Errorf("markup got through:\n%s", s.svg)
			}
			if !strings.Contains(s.svg, "&lt;script&gt;") {
				t.Errorf("escaped label missing:\n%s", s.svg)
			}
			if !s.hasText(evil) && tc.name != "format output" {
				t.Errorf("the label does not read back as written: %q", s.text)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	series := []Series{{"a", hourly(1, 5, 2)}, {"b", hourly(4, 1, 3)}, {"c", hourly(2, 2, 2)}}
	for range 20 {
		if StackedBars("t", series, FormatCount, 640, 240) != StackedBars("t", series, FormatCount, 640, 240) ||
			Lines("t", series, FormatCount, 640, 240) != Lines("t", series, FormatCount, 640, 240) {
			t.Fatal("the same data drew two different charts")
		}
	}
}

func TestNiceTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lo, hi float64
		want   []float64
	}{
		{0, 2220, []float64{0, 500, 1000, 1500, 2000, 2500}},
		{0, 80, []float64{0, 20, 40, 60, 80}},
		{0, 100, []float64{0, 20, 40, 60, 80, 100}},
		{0, 0.5, []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5}},
		{0, 0.3, []float64{0, 0.1, 0.2, 0.3}},
		{0.2, 0.7, []float64{0, 0.2, 0.4, 0.6, 0.8}}, // zero-based
		{-5, 5, []float64{-5, 0, 5}},
		{-30, 50, []float64{-40, -20, 0, 20, 40, 60}},
		{-8, -2, []float64{-8, -6, -4, -2, 0}},
		{0, 0, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0, 7, []float64{0, 2, 4, 6, 8}},
		{0, 1234567, []float64{0, 500000, 1000000, 1500000}},
		{0, 3e-7, []float64{0, 1e-7, 2e-7, 3e-7}},
	}
	for _, tc := range tests {
		if got := niceTicks(tc.lo, tc.hi); !slices.Equal(got, tc.want) {
			t.Errorf("niceTicks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
}

// TestNiceTicksProperties checks every range of a sweep, not just the
// hand-picked ones: zero included, range covered, 1/2/5 steps, 3 to 6 ticks.
func TestNiceTicksProperties(t *testing.T) {
	t.Parallel()
	for _, scale := range []float64{1e-6, 0.01, 1, 7, 1000, 1e9} {
		for _, lo := range []float64{0, -0.3, -1, -7.7} {
			for hi := 0.0; hi <= 20; hi += 0.7 {
				l, h := lo*scale, hi*scale
				ticks := niceTicks(l, h)
				if len(ticks) < 3 || len(ticks) > 6 {
					t.Errorf("niceTicks(%v, %v) = %v: want 3 to 6 ticks", l, h, ticks)
					continue
				}
				if ticks[0] > l || ticks[len(ticks)-1] < h || !slices.Contains(ticks, 0) {
					t.Errorf("niceTicks(%v, %v) = %v does not cover the range and zero", l, h, ticks)
				}
				step := ticks[1] - ticks[0]
				mantissa := step / math.Pow10(int(math.Floor(math.Log10(step))))
				if r := math.Round(mantissa); math.Abs(mantissa-r) > 1e-6 || (r != 1 && r != 2 && r != 5) {
					t.Errorf("niceTicks(%v, %v) = %v: step %v is not 1, 2 or 5 × 10ⁿ", l, h, ticks, step)
				}
			}
		}
	}
	for _, r := range [][2]float64{{-math.MaxFloat64, math.MaxFloat64}, {0, math.Inf(1)}, {math.NaN(), 1}, {0, 1e-320}} {
		if ticks := niceTicks(r[0], r[1]); len(ticks) < 2 {
			t.Errorf("niceTicks(%v, %v) = %v: an axis needs two ends", r[0], r[1], ticks)
		}
	}
}

func TestTimeTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		from   time.Time
		span   time.Duration
		layout string
		want   []string
	}{
		{"a day of hours", t0.Add(-10 * time.Hour), 23 * time.Hour, "15:04", []string{"00:00", "06:00", "12:00", "18:00"}},
		{"uneven start", t0.Add(7 * time.Minute), 2 * time.Hour, "15:04", []string{"10:30", "11:00", "11:30", "12:00"}},
		{"a week", t0, 7 * 24 * time.Hour, "Jan 2", []string{"Nov 25", "Nov 27", "Nov 29", "Dec 1"}},
		{"a single instant", t0.Add(7 * time.Second), 0, "15:04", []string{"10:00"}},
		{"years", t0, 3 * 365 * 24 * time.Hour, "Jan 2006", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			layout := timeLayout(tc.span)
			if layout != tc.layout {
				t.Errorf("layout %q, want %q", layout, tc.layout)
			}
			ticks := timeTicks(tc.from, tc.from.Add(tc.span))
			if len(ticks) == 0 || len(ticks) > maxTimeLabels {
				t.Fatalf("%d ticks, want 1 to %d", len(ticks), maxTimeLabels)
			}
			if tc.want == nil {
				return
			}
			var got []string
			for _, tt := range ticks {
				got = append(got, tt.Format(layout))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ticks %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    Format
		in   float64
		want string
	}{
		{"count small", FormatCount, 999, "999"},
		{"count k", FormatCount, 1234, "1.2k"},
		{"count whole k", FormatCount, 1000, "1k"},
		{"count hundreds of k", FormatCount, 123456, "123k"},
		{"count M", FormatCount, 3.4e6, "3.4M"},
		{"count rounds up a unit", FormatCount, 999_960, "1M"},
		{"count fraction", FormatCount, 0.2, "0.2"},
		{"count negative", FormatCount, -1500, "-1.5k"},
		{"count NaN", FormatCount, math.NaN(), notANumber},
		{"usd cents", FormatUSD, 12.4, "$12.40"},
		{"usd fraction of a cent", FormatUSD, 0.012345, "$0.0123"},
		{"usd tiny", FormatUSD, 0.00001234, "$0.0000123"},
		{"usd axis tick", FormatUSD, 0.02, "$0.02"},
		{"usd zero", FormatUSD, 0, "$0.00"},
		{"usd thousands", FormatUSD, 1234567.891, "$1,234,567.89"},
		{"usd negative", FormatUSD, -2, "-$2.00"},
		{"usd Inf", FormatUSD, math.Inf(1), notANumber},
		{"ms", FormatMillis, 85, "85 ms"},
		{"ms fraction", FormatMillis, 0.4, "0.4 ms"},
		{"ms rounds to s", FormatMillis, 999.7, "1 s"},
		{"s", FormatMillis, 1234, "1.2 s"},
		{"min", FormatMillis, 90_000, "1.5 min"},
		{"ms negative zero", FormatMillis, -0.01, "0 ms"},
		{"percent", FormatPercent, 0.045, "4.5%"},
		{"percent whole", FormatPercent, 1, "100%"},
		{"percent small", FormatPercent, 0.0004, "0.04%"},
		{"percent zero", FormatPercent, 0, "0%"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.f(tc.in); got != tc.want {
				t.Errorf("format(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCSS(t *testing.T) {
	t.Parallel()
	for _, class := range []string{"chart-axis", "chart-grid", "chart-label", "chart-series-0", "chart-series-7", "@media (prefers-color-scheme: dark)"} {
		if !strings.Contains(CSS, class) {
			t.Errorf("chart.css lacks %q", class)
		}
	}
}
