package tracium

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRequestTracerOptions(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	mw := HTTPMiddlewareWith(WithRequestClient(tb.client), WithSkipPaths("/healthz"),
		WithSpanName(func(method, route string) string { return "srv " + method + " " + route }),
		WithRequestHeaders("X-Tenant", "Authorization"))
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("hello"))
	}))
	for _, path := range []string{"/healthz", "/hello", "/missing"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("X-Tenant", "acme")
		req.Header.Set("Authorization", "Bearer secret")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	tb.flush(t)

	spans := byName(tb.collector.spans())
	if len(spans) != 2 || spans["srv GET /healthz"] != nil {
		t.Fatalf("spans %v, want /hello and /missing only", keys(spans))
	}
	hello := spans["srv GET /hello"]
	attrs := hello["attributes"].(map[string]any)
	if attrs[AttrHTTPRequestHeaderPrefix+"x-tenant"] != "acme" || attrs[AttrHTTPResponseSize] != 5.0 {
		t.Errorf("attributes %v", attrs)
	}
	if _, ok := attrs[AttrHTTPRequestHeaderPrefix+"authorization"]; ok {
		t.Errorf("the Authorization header was recorded")
	}
	if missing := spans["srv GET /missing"]; missing["status"] != "ok" {
		t.Errorf("a 404 marks the server span %v; a client's mistake is not the server's error", missing["status"])
	}
}

func TestRequestTracerReturnedError(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tr := NewRequestTracer(WithRequestClient(tb.client))
	_, s := tr.Start(context.Background(), http.MethodPost, "/orders/:id", nil)
	tr.End(s, RequestResult{Method: http.MethodPost, Route: "/orders/:id", Path: "/orders/7", Status: 400, Err: errors.New("bad order")})
	_, p := tr.Start(context.Background(), http.MethodGet, "/boom", nil)
	tr.EndPanic(p, RequestResult{Method: http.MethodGet, Route: "/boom"}, "kaboom")
	tb.flush(t)

	spans := byName(tb.collector.spans())
	order := spans["POST /orders/:id"]
	if order["status"] != "error" || order["error_message"] != "bad order" || order["error_type"] != "error" {
		t.Errorf("a handler's returned error gives %v", order)
	}
	boom := spans["GET /boom"]
	attrs := boom["attributes"].(map[string]any)
	if boom["error_type"] != ErrorTypePanic || boom["error_message"] != "kaboom" || attrs[AttrHTTPStatusCode] != 500.0 || attrs["exception.stacktrace"] == nil {
		t.Errorf("a panic gives %v", boom)
	}
}

func TestTraceparentRoundTrip(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	ctx, run := tb.client.AgentTrace(context.Background(), "producer")
	tp := Traceparent(ctx)
	if len(tp) != traceparentLen || Traceparent(context.Background()) != "" {
		t.Fatalf("Traceparent = %q", tp)
	}
	_, child := StartSpan(ContextWithTraceparent(context.Background(), tp), SpanTask, "consume")
	if child.TraceID() != run.TraceID() {
		t.Errorf("the consumer's span is in trace %s, want %s", child.TraceID(), run.TraceID())
	}
	if got := ContextWithTraceparent(ctx, "garbage"); got != ctx {
		t.Errorf("a malformed traceparent changed the context")
	}
	child.End()
	run.End()
}
