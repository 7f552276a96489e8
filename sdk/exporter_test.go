package tracium

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// endTraces ends n one-span traces on c.
func endTraces(t *testing.T, c *Client, n int) {
	t.Helper()
	for i := range n {
		_, at := c.AgentTrace(t.Context(), fmt.Sprintf("t%d", i))
		at.End()
	}
}

func TestSampling(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rate     float64
		min, max int
	}{{0, 0, 0}, {1, 1000, 1000}, {0.5, 350, 650}} {
		t.Run(fmt.Sprint(tt.rate), func(t *testing.T) {
			t.Parallel()
			tb := setup(t, WithSampleRate(tt.rate))
			kept := 0
			for i := range 1000 {
				ctx, at := tb.client.AgentTrace(t.Context(), fmt.Sprintf("t%d", i))
				_, child := StartSpan(ctx, SpanTool, fmt.Sprintf("c%d", i))
				child.End()
				at.End()
				if at.RootSpan().ts.sampled {
					kept++
				}
			}
			tb.flush(t)
			spans := tb.collector.spans()
			if kept < tt.min || kept > tt.max || len(spans) != 2*kept {
				t.Fatalf("kept %d traces, sent %d spans; want %d..%d traces with both spans", kept, len(spans), tt.min, tt.max)
			}
			// Children follow their root: every trace is whole or absent.
			perTrace := map[any]int{}
			for _, s := range spans {
				perTrace[s["trace_id"]]++
			}
			for id, n := range perTrace {
				if n != 2 {
					t.Errorf("trace %v sent %d spans, want 2", id, n)
				}
			}
		})
	}
}

func TestSamplingFollowsTraceparent(t *testing.T) {
	t.Parallel()
	tb := setup(t, WithSampleRate(0))
	for _, flags := range []string{"00", "01"} {
		h := http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" + flags}}
		_, at := tb.client.AgentTrace(Extract(t.Context(), h), "flags-"+flags)
		at.End()
	}
	tb.flush(t)
	spans := tb.collector.spans()
	if len(spans) != 1 || spans[0]["name"] != "flags-01" {
		t.Errorf("sent %v, want only the span under the sampled traceparent", spans)
	}
}

func TestRedactionBeforeSend(t *testing.T) {
	t.Parallel()
	var onHotPath atomic.Bool
	tb := setup(t, WithRedact(func(d *SpanData) {
		if onHotPath.Load() {
			t.Error("redact ran on the goroutine that ended the span")
		}
		d.Input = nil
		d.UserID = "redacted"
		if d.Attributes["secret"] != nil {
			d.Attributes["secret"] = "***"
		}
	}))
	_, at := tb.client.AgentTrace(t.Context(), "agent", WithUserID("alice@example.com"))
	at.RecordInput("my password is hunter2")
	at.SetAttribute("secret", "sk-abc")
	at.SetAttribute("n", 3)
	onHotPath.Store(true)
	at.End()
	onHotPath.Store(false)
	tb.flush(t)

	s := tb.collector.spans()[0]
	raw := string(tb.collector.allBodies()[0])
	if _, ok := s["input"]; ok || strings.Contains(raw, "hunter2") || strings.Contains(raw, "alice") || strings.Contains(raw, "sk-abc") {
		t.Errorf("unredacted data sent: %s", raw)
	}
	if s["user_id"] != "redacted" || fmt.Sprint(s["attributes"]) != "map[n:3 secret:***]" {
		t.Errorf("span = %v", s)
	}
}

func TestPanickingHooksDoNotCrash(t *testing.T) {
	t.Parallel()
	tb := setup(t, WithRedact(func(d *SpanData) {
		if d.Name == "bad" {
			panic("redact bug")
		}
	}), WithErrorHandler(func(error) { panic("handler bug") }))
	for _, name := range []string{"good", "bad"} {
		_, at := tb.client.AgentTrace(t.Context(), name)
		at.End()
	}
	tb.flush(t)
	spans := tb.collector.spans()
	if len(spans) != 1 || spans[0]["name"] != "good" {
		t.Errorf("sent %v, want only the span the hook did not panic on", spans)
	}
	if st := tb.client.Stats(); st.Sent != 1 || st.Failed != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			tb := setup(t)
			var firstAt, secondAt atomic.Int64 // unix nanos
			tb.collector.setRespond(func(n, _ int) reply {
				switch n {
				case 0:
					firstAt.Store(time.Now().UnixNano())
					return reply{status: status, header: http.Header{"Retry-After": {"1"}},
						body: `{"error":{"code":"busy","message":"try later"}}`}
				case 1:
					secondAt.Store(time.Now().UnixNano())
				}
				return reply{status: http.StatusAccepted}
			})
			endTraces(t, tb.client, 3)
			tb.flush(t)

			if got := len(tb.collector.spans()); got != 3 {
				t.Fatalf("collector has %d spans, want 3", got)
			}
			if wait := time.Duration(secondAt.Load() - firstAt.Load()); wait < 900*time.Millisecond {
				t.Errorf("retried after %v, want Retry-After's 1s", wait)
			}
			reqs := tb.collector.allRequests()
			if k := reqs[0].Header.Get("Idempotency-Key"); k == "" || k != reqs[1].Header.Get("Idempotency-Key") {
				t.Errorf("retry did not reuse the Idempotency-Key")
			}
			if st := tb.client.Stats(); st.Sent != 3 || st.Failed != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			tb := setup(t)
			tb.collector.setRespond(func(int, int) reply {
				return reply{status: status, body: `{"error":{"code":"nope","message":"bad key"}}`}
			})
			endTraces(t, tb.client, 2)
			tb.flush(t)

			if n := tb.collector.requestCount(); n != 1 {
				t.Errorf("%d requests, want 1 (no retry)", n)
			}
			errs := tb.errs.all()
			var xe *ExportError
			if len(errs) != 1 || !errors.As(errs[0], &xe) || xe.StatusCode != status || xe.Code != "nope" || xe.Spans != 2 {
				t.Fatalf("errors = %v", errs)
			}
			if st := tb.client.Stats(); st.Failed != 2 || st.Sent != 0 || st.Queued != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestPartialRejectionReported(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.collector.setRespond(func(_, spans int) reply {
		return reply{status: http.StatusMultiStatus,
			body: fmt.Sprintf(`{"accepted":%d,"rejected":[{"index":1,"reason":"name too long"}]}`, spans-1)}
	})
	endTraces(t, tb.client, 3)
	tb.flush(t)

	errs := tb.errs.all()
	var xe *ExportError
	if len(errs) != 1 || !errors.As(errs[0], &xe) || len(xe.Rejected) != 1 || xe.Rejected[0].Reason != "name too long" {
		t.Fatalf("errors = %v", errs)
	}
	if !strings.Contains(errs[0].Error(), "span 1: name too long") {
		t.Errorf("message %q does not name the rejection", errs[0])
	}
	if n := tb.collector.requestCount(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if st := tb.client.Stats(); st.Sent != 2 || st.Failed != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRetryGivesUp(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.collector.setRespond(func(int, int) reply { return reply{status: http.StatusInternalServerError} })
	endTraces(t, tb.client, 1)
	tb.flush(t)
	if n := tb.collector.requestCount(); n != 5 {
		t.Errorf("%d attempts, want 5", n)
	}
	if st := tb.client.Stats(); st.Failed != 1 {
		t.Errorf("stats = %+v", st)
	}
	if errs := tb.errs.all(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "giving up") {
		t.Errorf("errors = %v", errs)
	}
}

func TestCollectorDownThenUp(t *testing.T) {
	t.Parallel()
	// A listener that drops connections is a collector that is down.
	var up atomic.Bool
	tb := setup(t)
	proxy := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		tb.collector.serve(w, r)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go proxy.Serve(ln)
	t.Cleanup(func() { proxy.Close() })

	c := newClient(WithAPIKey(testAPIKey), WithEndpoint("http://"+ln.Addr().String()),
		WithErrorHandler(tb.errs.handle), WithFlushInterval(10*time.Millisecond),
		withRetryPolicy(retryPolicy{maxAttempts: 10, baseDelay: 20 * time.Millisecond, maxDelay: 100 * time.Millisecond, maxElapsed: 10 * time.Second}))
	t.Cleanup(func() { c.Shutdown(context.Background()) })
	endTraces(t, c, 5)
	time.Sleep(100 * time.Millisecond)
	if len(tb.collector.spans()) != 0 {
		t.Fatal("spans arrived while the collector was down")
	}
	up.Store(true)
	waitFor(t, "spans after recovery", func() bool { return c.Stats().Sent == 5 })
	if got := len(tb.collector.spans()); got != 5 {
		t.Errorf("collector has %d spans, want 5", got)
	}
	if st := c.Stats(); st.Sent != 5 || st.Failed != 0 || st.Dropped != 0 {
		t.Errorf("stats = %+v", st)
	}
}

// Not parallel: it measures the process heap, which other tests would
// disturb.
func TestQueueFullDropsAndStaysBounded(t *testing.T) {
	errs := &errorLog{}
	// Nothing listens on a closed port: every export fails slowly enough
	// (retries) that the queue fills.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	c := newClient(WithAPIKey(testAPIKey), WithEndpoint(dead), WithErrorHandler(errs.handle),
		WithMaxQueueSize(1000), WithBatchSize(100),
		withRetryPolicy(retryPolicy{maxAttempts: 3, baseDelay: 50 * time.Millisecond, maxDelay: 100 * time.Millisecond, maxElapsed: time.Second}))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ctx, root := c.AgentTrace(t.Context(), "flood")
	for range 100_000 {
		_, s := StartSpan(ctx, SpanTool, "s")
		s.SetAttribute("k", "v")
		s.End()
	}
	root.End()
	runtime.GC()
	runtime.ReadMemStats(&after)

	st := c.Stats()
	// The exporter takes a few batches off the queue between retries, so
	// the exact count depends on scheduling; most must still be dropped.
	if st.Dropped < 50_000 || st.Queued > 1000+100 {
		t.Errorf("stats = %+v, want most spans dropped and at most queue+batch waiting", st)
	}
	// 1000 queued spans of well under 1 KiB each; 100k retained would be
	// tens of MiB.
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 8<<20 {
		t.Errorf("heap grew by %d bytes", grown)
	}
	ctx2, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	c.Shutdown(ctx2)
	waitFor(t, "a drop report", func() bool {
		for _, err := range errs.all() {
			if strings.Contains(err.Error(), "dropped") {
				return true
			}
		}
		return false
	})
}

func TestShutdown(t *testing.T) {
	t.Parallel()

	t.Run("flushes and is idempotent", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, WithFlushInterval(time.Hour), WithBatchSize(1000))
		endTraces(t, tb.client, 10)
		if err := tb.client.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := len(tb.collector.spans()); got != 10 {
			t.Errorf("collector has %d spans after Shutdown, want 10", got)
		}
		if err := tb.client.Shutdown(t.Context()); err != nil {
			t.Errorf("second Shutdown: %v", err)
		}
		endTraces(t, tb.client, 1)
		if err := tb.client.Flush(t.Context()); err != nil {
			t.Errorf("Flush after Shutdown: %v", err)
		}
		if st := tb.client.Stats(); st.Sent != 10 || st.Dropped != 1 {
			t.Errorf("stats = %+v", st)
		}
	})

	t.Run("honours an expired context", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, WithFlushInterval(time.Hour))
		tb.collector.setRespond(func(int, int) reply {
			time.Sleep(time.Second)
			return reply{status: http.StatusServiceUnavailable}
		})
		endTraces(t, tb.client, 10)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		start := time.Now()
		if err := tb.client.Shutdown(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Shutdown = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("Shutdown took %v with an expired context", d)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", -1},
		{"3", 3 * time.Second},
		{"0", 0},
		{"-1", -1},
		{"soon", -1},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
		{now.Add(-5 * time.Second).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBackoffIsBoundedWithJitter(t *testing.T) {
	t.Parallel()
	p := defaultRetry
	for attempt := 1; attempt < 70; attempt++ {
		d := backoff(p, attempt)
		want := p.maxDelay
		if attempt < 10 {
			want = min(p.baseDelay<<(attempt-1), p.maxDelay)
		}
		if d < want/2 || d > want {
			t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, want/2, want)
		}
	}
}

// lateReader answers before reading the request body, as a server that
// refuses an upload early does, and reads the body afterwards.
type lateReader struct {
	bodies chan []byte
}

func (lr *lateReader) RoundTrip(r *http.Request) (*http.Response, error) {
	go func() {
		time.Sleep(20 * time.Millisecond)
		zr, err := gzip.NewReader(r.Body)
		var raw []byte
		if err == nil {
			raw, err = io.ReadAll(zr)
		}
		r.Body.Close()
		if err != nil {
			raw = []byte(err.Error())
		}
		lr.bodies <- raw
	}()
	return &http.Response{StatusCode: http.StatusAccepted, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(`{"accepted":1}`)), Request: r}, nil
}

func TestBodyNotReusedWhileTransportReads(t *testing.T) {
	t.Parallel()
	lr := &lateReader{bodies: make(chan []byte, 10)}
	tb := setup(t, WithHTTPClient(&http.Client{Transport: lr}), WithBatchSize(1))
	endTraces(t, tb.client, 3)
	tb.flush(t)
	for range 3 {
		raw := <-lr.bodies
		var b Batch
		if err := json.Unmarshal(raw, &b); err != nil || len(b.Spans) != 1 {
			t.Fatalf("body read late is corrupt: %v\n%s", err, raw)
		}
	}
}

func TestLongOutageFailsFast(t *testing.T) {
	t.Parallel()
	tb := setup(t, WithBatchSize(1), WithFlushInterval(time.Hour))
	var up atomic.Bool
	tb.collector.setRespond(func(int, int) reply {
		if up.Load() {
			return reply{status: http.StatusAccepted}
		}
		return reply{status: http.StatusBadGateway}
	})
	endTraces(t, tb.client, 5)
	tb.flush(t)
	// The first batch uses its 5 attempts; the other 4 try once each.
	if n := tb.collector.requestCount(); n != 5+4 {
		t.Errorf("%d requests, want 9", n)
	}
	if st := tb.client.Stats(); st.Failed != 5 || st.Queued != 0 {
		t.Errorf("stats = %+v", st)
	}
	// Once the collector answers again, batches get their retries back.
	up.Store(true)
	endTraces(t, tb.client, 1)
	tb.flush(t)
	up.Store(false)
	endTraces(t, tb.client, 1)
	tb.flush(t)
	if n := tb.collector.requestCount(); n != 9+1+5 {
		t.Errorf("%d requests, want 15", n)
	}
}
