package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/store"
)

// TestOTelHTTPHandlerAroundAgentTrace: an otelhttp handler serves a request
// that runs an agent, which calls Anthropic. The agent is a child of the
// OpenTelemetry server span, in its trace; the call is one llm span under
// the agent, in the place of the client's own OpenTelemetry span.
func TestOTelHTTPHandlerAroundAgentTrace(t *testing.T) {
	b := setup(t)
	fake := fakellm.New(t, fakellm.Options{})
	ant := anthropic.NewClient(option.WithBaseURL(fake.URL+"/"), option.WithAPIKey("sk-ant-fake"))
	var traceID, agentID string
	h := otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, run := b.client.AgentTrace(r.Context(), "support")
		traceID, agentID = run.TraceID(), run.SpanID()
		_, err := ant.Messages.New(ctx, anthropic.MessageNewParams{Model: fakellm.AnthropicModel, MaxTokens: 32,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hi"))}})
		if err != nil {
			t.Error(err)
		}
		run.End()
	}), "inbound", otelhttp.WithSpanNameFormatter(func(op string, _ *http.Request) string { return op }))
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/ask")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	b.flush(t)

	server := b.recorded(t, "inbound")
	if traceID != server.SpanContext().TraceID().String() {
		t.Fatalf("agent trace %s, want the otelhttp server span's %s", traceID, server.SpanContext().TraceID())
	}
	all := b.c.WaitTrace(t, traceID, 3, 10*time.Second).Spans
	if len(all) != 3 {
		t.Fatalf("%d spans stored, want the server span, the agent and one llm span:\n%s", len(all), describe(all))
	}
	stored := byName(t, all)
	if h := want(t, stored, "inbound", store.SpanHTTP, ""); h.SpanID != server.SpanContext().SpanID().String() {
		t.Errorf("server span stored as %s, want %s", h.SpanID, server.SpanContext().SpanID())
	}
	want(t, stored, "support", store.SpanAgent, server.SpanContext().SpanID().String())
	llm := want(t, stored, "chat "+fakellm.AnthropicModel, store.SpanLLM, agentID)
	if llm.SpanID != b.recorded(t, "anthropic.messages.create").SpanContext().SpanID().String() || llm.Usage == nil || llm.Usage.TotalTokens != fakellm.AnthropicTotal {
		t.Errorf("llm span %s usage %+v, want the client span's id and the fake's usage", llm.SpanID, llm.Usage)
	}
}

// TestHTTPMiddlewareAroundOTelClient: tracium.HTTPMiddleware serves a
// request whose handler calls another service through an otelhttp
// transport. The OpenTelemetry client span is in the request span's trace
// with the request span as its parent, and the call carries the client
// span's traceparent, so the service called continues that trace under it.
func TestHTTPMiddlewareAroundOTelClient(t *testing.T) {
	b := setup(t)
	got := make(chan string, 1)
	downstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("traceparent")
	}))
	defer downstream.Close()
	hc := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)}
	var requestSpan *tracium.Span
	srv := httptest.NewServer(tracium.HTTPMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requestSpan = tracium.SpanFromContext(r.Context())
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, downstream.URL+"/stock", nil)
		res, err := hc.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	})))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/order")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	b.flush(t)

	client := b.recorded(t, "HTTP GET")
	cs := client.SpanContext()
	if cs.TraceID().String() != requestSpan.TraceID() {
		t.Errorf("client span trace %s, want the request span's %s", cs.TraceID(), requestSpan.TraceID())
	}
	if m := markerOf(client, tracium.AttrTraciumParentSpanID); m != requestSpan.SpanID() {
		t.Errorf("client span parent marker %q, want the request span %s", m, requestSpan.SpanID())
	}
	if tp, wantTP := <-got, "00-"+requestSpan.TraceID()+"-"+cs.SpanID().String()+"-01"; tp != wantTP {
		t.Errorf("downstream got traceparent %q, want %q", tp, wantTP)
	}
	all := b.c.WaitTrace(t, requestSpan.TraceID(), 2, 10*time.Second).Spans
	stored := byName(t, all)
	want(t, stored, "GET /order", store.SpanHTTP, "")
	if c := want(t, stored, "HTTP GET", store.SpanHTTP, requestSpan.SpanID()); c.SpanID != cs.SpanID().String() || len(all) != 2 {
		t.Errorf("client span stored as %s (%d spans), want %s:\n%s", c.SpanID, len(all), cs.SpanID(), describe(all))
	}
}

// TestHTTPMiddlewareAroundOTelHandler: tracium.HTTPMiddleware outside an
// otelhttp handler, for a request that carries the caller's traceparent.
// Both continue the caller: the OpenTelemetry server span's own parent is
// the remote caller span, and the bridge's parent marker names Tracium's
// request span, which the collector applies, so the server span is stored
// under the request span (not beside it, under the caller), and a Tracium
// span the handler starts is under the server span, all in the caller's
// trace.
func TestHTTPMiddlewareAroundOTelHandler(t *testing.T) {
	b := setup(t)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator()) })
	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	var requestSpan *tracium.Span
	inner := otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, work := tracium.StartSpan(r.Context(), tracium.SpanTool, "work")
		work.End()
	}), "inbound", otelhttp.WithSpanNameFormatter(func(op string, _ *http.Request) string { return op }))
	srv := httptest.NewServer(tracium.HTTPMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requestSpan = tracium.SpanFromContext(r.Context())
		inner.ServeHTTP(w, r)
	})))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/order", nil)
	req.Header.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	b.flush(t)

	server := b.recorded(t, "inbound")
	if p := server.Parent(); !p.IsRemote() || p.SpanID().String() != callerSpan {
		t.Fatalf("server span's own parent %s (remote %v), want the caller's %s: the test proves nothing", p.SpanID(), p.IsRemote(), callerSpan)
	}
	if requestSpan.TraceID() != callerTrace {
		t.Fatalf("request span in trace %s, want the caller's %s", requestSpan.TraceID(), callerTrace)
	}
	if m := markerOf(server, tracium.AttrTraciumParentSpanID); m != requestSpan.SpanID() {
		t.Errorf("server span parent marker %q, want the request span %s", m, requestSpan.SpanID())
	}
	all := b.c.WaitTrace(t, callerTrace, 3, 10*time.Second).Spans
	if len(all) != 3 {
		t.Fatalf("%d spans stored, want the request span, the server span and the work span:\n%s", len(all), describe(all))
	}
	stored := byName(t, all)
	want(t, stored, "GET /order", store.SpanHTTP, callerSpan)
	if s := want(t, stored, "inbound", store.SpanHTTP, requestSpan.SpanID()); s.SpanID != server.SpanContext().SpanID().String() {
		t.Errorf("server span stored as %s, want %s", s.SpanID, server.SpanContext().SpanID())
	}
	want(t, stored, "work", store.SpanTool, server.SpanContext().SpanID().String())
}
