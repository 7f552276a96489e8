// Package metrics exposes the collector's counters in the Prometheus text
// format. It is deliberately small: counters with labels, gauges read at
// scrape time, and histograms.
package metrics

import (
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Registry holds metrics and serves them. It is safe for concurrent use.
type Registry struct {
	mu      sync.Mutex
	metrics []writer
}

type writer interface {
	write(w io.Writer)
	metricName() string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

// add registers m. A second metric of the same name is a programming
// error that would make every scrape ambiguous, so it panics.
func (r *Registry) add(m writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.metrics {
		if x.metricName() == m.metricName() {
			panic("metrics: " + m.metricName() + " registered twice")
		}
	}
	r.metrics = append(r.metrics, m)
}

// ServeHTTP writes every metric in the text exposition format.
func (r *Registry) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	r.mu.Lock()
	ms := slices.Clone(r.metrics)
	r.mu.Unlock()
	for _, m := range ms {
		m.write(w)
	}
}

// Counter is a monotonically increasing count, split by label values.
type Counter struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	values     map[string]float64 // joined label values -> count
}

// NewCounter registers a counter with the given label names.
func (r *Registry) NewCounter(name, help string, labels ...string) *Counter {
	c := &Counter{name: name, help: help, labels: labels, values: map[string]float64{}}
	r.add(c)
	return c
}

// Add adds v for the label values, given in the order of the names.
func (c *Counter) Add(v float64, labelValues ...string) {
	key := strings.Join(labelValues, "\xff")
	c.mu.Lock()
	c.values[key] += v
	c.mu.Unlock()
}

// Inc adds one.
func (c *Counter) Inc(labelValues ...string) { c.Add(1, labelValues...) }

// Value returns the count for the label values.
func (c *Counter) Value(labelValues ...string) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.values[strings.Join(labelValues, "\xff")]
}

func (c *Counter) metricName() string { return c.name }

func (c *Counter) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	c.mu.Lock()
	keys := slices.Sorted(maps.Keys(c.values))
	for _, k := range keys {
		fmt.Fprintf(w, "%s%s %s\n", c.name, labelPairs(c.labels, k), formatFloat(c.values[k]))
	}
	c.mu.Unlock()
}

// GaugeFunc is read when scraped.
type GaugeFunc struct {
	name, help string
	f          func() float64
}

// NewGaugeFunc registers a gauge whose value f returns at scrape time.
func (r *Registry) NewGaugeFunc(name, help string, f func() float64) {
	r.add(&GaugeFunc{name: name, help: help, f: f})
}

func (g *GaugeFunc) metricName() string { return g.name }

func (g *GaugeFunc) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", g.name, g.help, g.name, g.name, formatFloat(g.f()))
}

// Histogram counts observations into cumulative buckets.
type Histogram struct {
	name, help string
	bounds     []float64
	mu         sync.Mutex
	counts     []uint64 // per bucket, not cumulative; last is +Inf
	sum        float64
	count      uint64
}

// NewHistogram registers a histogram with the given upper bounds.
func (r *Registry) NewHistogram(name, help string, bounds []float64) *Histogram {
	h := &Histogram{name: name, help: help, bounds: slices.Sorted(slices.Values(bounds)), counts: make([]uint64, len(bounds)+1)}
	r.add(h)
	return h
}

// Observe records v.
func (h *Histogram) Observe(v float64) {
	i, _ := slices.BinarySearch(h.bounds, v)
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.count++
	h.mu.Unlock()
}

func (h *Histogram) metricName() string { return h.name }

func (h *Histogram) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	h.mu.Lock()
	defer h.mu.Unlock()
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", h.name, formatFloat(b), cum)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", h.name, h.count, h.name, formatFloat(h.sum), h.name, h.count)
}

// LatencyBuckets suit durations in seconds from a millisecond to a minute.
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

func labelPairs(names []string, joined string) string {
	if len(names) == 0 {
		return ""
	}
	values := strings.Split(joined, "\xff")
	var sb strings.Builder
	sb.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			sb.WriteByte(',')
		}
		v := ""
		if i < len(values) {
			v = values[i]
		}
		fmt.Fprintf(&sb, "%s=%s", n, strconv.Quote(v))
	}
	sb.WriteByte('}')
	return sb.String()
}

func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
