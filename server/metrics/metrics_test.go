package metrics_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tracium/tracium/server/metrics"
)

func TestExposition(t *testing.T) {
	t.Parallel()
	r := metrics.NewRegistry()
	c := r.NewCounter("requests_total", "Requests.", "status")
	c.Inc("202")
	c.Add(2, "401")
	r.NewGaugeFunc("pending", "Pending.", func() float64 { return 7 })
	h := r.NewHistogram("latency_seconds", "Latency.", []float64{0.1, 1})
	h.Observe(0.05)
	h.Observe(0.5)
	h.Observe(5)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		"# TYPE requests_total counter\n",
		`requests_total{status="202"} 1` + "\n",
		`requests_total{status="401"} 2` + "\n",
		"# TYPE pending gauge\npending 7\n",
		`latency_seconds_bucket{le="0.1"} 1` + "\n",
		`latency_seconds_bucket{le="1"} 2` + "\n",
		`latency_seconds_bucket{le="+Inf"} 3` + "\n",
		"latency_seconds_sum 5.55\n",
		"latency_seconds_count 3\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q:\n%s", want, out)
		}
	}
	if got := c.Value("401"); got != 2 {
		t.Errorf("Value = %v", got)
	}
}

func TestDuplicateNamePanics(t *testing.T) {
	t.Parallel()
	r := metrics.NewRegistry()
	r.NewCounter("x_total", "X.")
	defer func() {
		if recover() == nil {
			t.Error("registering x_total twice did not panic")
		}
	}()
	r.NewCounter("x_total", "X again.")
}
