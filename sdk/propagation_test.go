package tracium

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestInjectExtractAcrossServices(t *testing.T) {
	t.Parallel()
	tb := setup(t)

	// Service B continues the trace it receives and calls service C,
	// which continues it again.
	c := httptest.NewServer(tb.client.HTTPMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})))
	t.Cleanup(c.Close)
	b := httptest.NewServer(tb.client.HTTPMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, work := StartSpan(r.Context(), SpanTool, "b-work")
		defer work.End()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+"/leaf", nil)
		Inject(ctx, req.Header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	})))
	t.Cleanup(b.Close)

	ctx, at := tb.client.AgentTrace(t.Context(), "caller")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.URL+"/items/7", nil)
	Inject(ctx, req.Header)
	if got := req.Header.Get("traceparent"); got != "00-"+at.TraceID()+"-"+at.SpanID()+"-01" {
		t.Fatalf("traceparent = %q", got)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	at.End()
	waitFor(t, "4 spans", func() bool { tb.flush(t); return len(tb.collector.spans()) == 4 })

	spans := byName(tb.collector.spans())
	parentOf := map[string]string{
		"GET /items/7": "caller",
		"b-work":       "GET /items/7",
		"GET /leaf":    "b-work",
	}
	for child, parent := range parentOf {
		s, p := spans[child], spans[parent]
		if s == nil || p == nil {
			t.Fatalf("missing %s or %s in %v", child, parent, keys(spans))
		}
		if s["trace_id"] != at.TraceID() || s["parent_span_id"] != p["span_id"] {
			t.Errorf("%s: trace %v parent %v, want %s %v", child, s["trace_id"], s["parent_span_id"], at.TraceID(), p["span_id"])
		}
	}
}

func TestExtractContinuesRemoteTrace(t *testing.T) {
	t.Parallel()
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	h := http.Header{}
	h.Set("traceparent", tp)
	ctx := Extract(t.Context(), h)
	if SpanFromContext(ctx) != nil {
		t.Errorf("a remote parent is visible as a local span")
	}
	c := setup(t).client
	ctx, at := c.AgentTrace(ctx, "agent")
	_, child := StartSpan(ctx, SpanTool, "tool")
	if at.TraceID() != "4bf92f3577b34da6a3ce929d0e0e4736" || at.span.parent.String() != "00f067aa0ba902b7" {
		t.Errorf("agent trace %s parent %s", at.TraceID(), at.span.parent)
	}
	if child.TraceID() != at.TraceID() || child.parent != at.span.id {
		t.Errorf("child not under the agent")
	}
	out := http.Header{}
	Inject(ctx, out)
	if got := out.Get("traceparent"); !strings.HasPrefix(got, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || got == tp {
		t.Errorf("re-injected %q", got)
	}
	// Extract, then Inject with no local span, forwards the remote parent.
	out = http.Header{}
	Inject(Extract(context.Background(), h), out)
	if out.Get("traceparent") != tp {
		t.Errorf("forwarded %q, want %q", out.Get("traceparent"), tp)
	}
}

func TestParseTraceparent(t *testing.T) {
	t.Parallel()
	const (
		tid = "4bf92f3577b34da6a3ce929d0e0e4736"
		sid = "00f067aa0ba902b7"
	)
	tests := []struct {
		in          string
		ok, sampled bool
	}{
		{"00-" + tid + "-" + sid + "-01", true, true},
		{"00-" + tid + "-" + sid + "-00", true, false},
		{"00-" + tid + "-" + sid + "-03", true, true},
		{"01-" + tid + "-" + sid + "-01-extra", true, true},
		{"01-" + tid + "-" + sid + "-01", true, true},
		{"", false, false},
		{"00-" + tid + "-" + sid + "-01-extra", false, false},
		{"01-" + tid + "-" + sid + "-01x", false, false},
		{"ff-" + tid + "-" + sid + "-01", false, false},
		{"00-" + strings.ToUpper(tid) + "-" + sid + "-01", false, false},
		{"00-00000000000000000000000000000000-" + sid + "-01", false, false},
		{"00-" + tid + "-0000000000000000-01", false, false},
		{"00-" + tid + "-" + sid + "-0g", false, false},
		{"00_" + tid + "-" + sid + "-01", false, false},
		{"00-" + tid[:31] + "-" + sid + "-01", false, false},
		{"0-" + tid + "-" + sid + "-01", false, false},
		{"zz-" + tid + "-" + sid + "-01", false, false},
		{" 00-" + tid + "-" + sid + "-01", false, false},
	}
	for _, tt := range tests {
		_, _, sampled, ok := parseTraceparent(tt.in)
		if ok != tt.ok || sampled != tt.sampled {
			t.Errorf("parseTraceparent(%q) = sampled %t ok %t, want %t %t", tt.in, sampled, ok, tt.sampled, tt.ok)
		}
	}
}

func TestExtractIgnoresMalformed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for _, h := range []http.Header{
		nil,
		{},
		{"Traceparent": {"garbage"}},
		{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}},
	} {
		if got := Extract(ctx, h); got != ctx {
			t.Errorf("Extract(%v) changed the context", h)
		}
	}
}

func FuzzParseTraceparent(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-x")
	f.Add("ff-00000000000000000000000000000000-0000000000000000-zz")
	f.Fuzz(func(t *testing.T, v string) {
		tid, sid, sampled, ok := parseTraceparent(v)
		if !ok {
			return
		}
		if !tid.isValid() || !sid.isValid() {
			t.Fatalf("accepted zero ids from %q", v)
		}
		// What parses must round-trip through the canonical form.
		canon := formatTraceparent(tid, sid, sampled)
		if canon[3:52] != v[3:52] {
			t.Fatalf("round trip %q -> %q", v, canon)
		}
		tid2, sid2, sampled2, ok2 := parseTraceparent(canon)
		if !ok2 || tid2 != tid || sid2 != sid || sampled2 != sampled {
			t.Fatalf("canonical form %q does not parse back", canon)
		}
	})
}
