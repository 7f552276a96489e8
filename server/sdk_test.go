package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/server"
	"github.com/tracium/tracium/store"
)

// The SDK against the real collector: what the SDK sends is what the
// collector stores.

func sdkClient(t *testing.T, endpoint, key string, opts ...tracium.Option) *tracium.Client {
	t.Helper()
	errs := make(chan error, 100)
	c := tracium.Init(append([]tracium.Option{tracium.WithAPIKey(key), tracium.WithEndpoint(endpoint),
		tracium.WithFlushInterval(50 * time.Millisecond),
		tracium.WithErrorHandler(func(err error) {
			select {
			case errs <- err:
			default:
			}
		})}, opts...)...)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Shutdown(ctx)
	})
	return c
}

func flush(t *testing.T, c *tracium.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func parents(d store.TraceDetail) map[string]string {
	byID := map[string]string{}
	names := map[string]string{}
	for _, s := range d.Spans {
		names[s.SpanID] = s.Name
	}
	for _, s := range d.Spans {
		byID[s.Name] = names[s.ParentSpanID]
	}
	return byID
}

func TestSDKNesting(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	c := sdkClient(t, b.url, b.key)
	ctx, run := c.AgentTrace(context.Background(), "researcher", tracium.WithUserID("u-1"), tracium.WithTags("sdk"))
	ctx2, plan := run.Span(ctx, tracium.SpanPlan, "plan")
	_, tool := tracium.StartSpan(ctx2, tracium.SpanTool, "search")
	tool.RecordInput(map[string]string{"q": "boiling point"})
	tool.End()
	_, llm := tracium.StartSpan(ctx2, tracium.SpanLLM, "answer")
	llm.SetModel("gpt-4o-mini")
	llm.SetUsage(tracium.Usage{InputTokens: 100, OutputTokens: 10, TotalTokens: 110})
	llm.End()
	plan.End()
	run.RecordOutput("70 °C")
	run.End()
	flush(t, c)

	d := b.waitTrace(t, b.store, b.defaultProject(t).ID, run.TraceID(), 4)
	p := parents(d)
	if p["plan"] != "researcher" || p["search"] != "plan" || p["answer"] != "plan" || p["researcher"] != "" {
		t.Errorf("parents %v", p)
	}
	if d.Trace.AgentName != "researcher" || d.Trace.UserID != "u-1" || d.Trace.Usage.InputTokens != 100 || d.Trace.CostUSD <= 0 {
		t.Errorf("trace %+v", d.Trace)
	}
	if string(d.Trace.Output) != `"70 °C"` {
		t.Errorf("root output %s", d.Trace.Output)
	}
}

// TestSDKConcurrentSpans has 100 goroutines make 10 spans each in one
// trace, through the context they were given.
func TestSDKConcurrentSpans(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	c := sdkClient(t, b.url, b.key)
	ctx, run := c.AgentTrace(context.Background(), "fan-out")
	var wg sync.WaitGroup
	for g := range 100 {
		wg.Go(func() {
			for i := range 10 {
				_, s := tracium.StartSpan(ctx, tracium.SpanTask, fmt.Sprintf("g%d-%d", g, i))
				s.End()
			}
		})
	}
	wg.Wait()
	run.End()
	flush(t, c)
	d := b.waitTrace(t, b.store, b.defaultProject(t).ID, run.TraceID(), 1001)
	for _, s := range d.Spans {
		if s.Name != "fan-out" && s.ParentSpanID != run.SpanID() {
			t.Fatalf("span %s has parent %s, want the root %s", s.Name, s.ParentSpanID, run.SpanID())
		}
	}
}

// TestSDKAcrossServices carries a trace from one HTTP service to another
// with traceparent: explicitly with Inject on the first hop, automatically
// through http.DefaultClient on the second.
func TestSDKAcrossServices(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	c := sdkClient(t, b.url, b.key)
	backend := httptest.NewServer(c.HTTPMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, s := tracium.StartSpan(r.Context(), tracium.SpanTool, "lookup in B")
		s.End()
	})))
	defer backend.Close()
	frontend := httptest.NewServer(c.HTTPMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// No Inject here: after Init, http.DefaultClient's requests carry
		// the trace of their context.
		req, _ := http.NewRequestWithContext(r.Context(), "GET", backend.URL+"/b", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	})))
	defer frontend.Close()

	ctx, run := c.AgentTrace(context.Background(), "caller")
	req, _ := http.NewRequestWithContext(ctx, "GET", frontend.URL+"/a", nil)
	tracium.Inject(ctx, req.Header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	run.End()
	flush(t, c)
	d := b.waitTrace(t, b.store, b.defaultProject(t).ID, run.TraceID(), 4)
	p := parents(d)
	if p["lookup in B"] != "GET /b" || p["GET /b"] != "GET /a" || p["GET /a"] != "caller" {
		t.Errorf("one trace across services, parents %v", p)
	}
}

// TestSDKCollectorDownThenUp starts the SDK before the collector exists:
// the spans arrive once it is up.
func TestSDKCollectorDownThenUp(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	key := newSecret(t)
	c := sdkClient(t, "http://"+addr, key)
	_, run := c.AgentTrace(context.Background(), "early")
	run.End()
	time.Sleep(300 * time.Millisecond) // the first attempts fail: nothing listens
	b := setup(t, options{configure: func(cfg *server.Config) { cfg.Addr, cfg.BootstrapAPIKey = addr, key }})
	flush(t, c)
	b.waitTrace(t, b.store, b.defaultProject(t).ID, run.TraceID(), 1)
}

// TestSDKRetriesOn503 stops the collector's NATS, so that ingest cannot
// queue (503 with Retry-After once its publish times out): the SDK keeps
// retrying, and the spans arrive once NATS is back.
func TestSDKRetriesOn503(t *testing.T) {
	t.Parallel()
	natsDir := t.TempDir()
	ns := startNATS(t, natsDir)
	host, port, _ := net.SplitHostPort(ns.Addr().String())
	b := setup(t, options{configure: func(cfg *server.Config) { cfg.NATSURL = ns.ClientURL() }})
	c := sdkClient(t, b.url, b.key)
	ns.Shutdown()
	ns.WaitForShutdown()

	_, run := c.AgentTrace(context.Background(), "during-outage")
	run.End()
	time.Sleep(time.Second) // the SDK meets 503s
	again := startNATSAt(t, natsDir, host, port)
	defer again.Shutdown()
	flush(t, c)
	b.waitTrace(t, b.store, b.defaultProject(t).ID, run.TraceID(), 1)
}
