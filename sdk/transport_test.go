package tracium_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	tracium "github.com/tracium/tracium/sdk"
)

// echoTraceparent answers with the traceparent it received.
func echoTraceparent() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.Header.Get("traceparent")))
	}))
}

func get(t *testing.T, c *http.Client, req *http.Request) string {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 256)
	n, _ := resp.Body.Read(buf)
	sb.Write(buf[:n])
	return sb.String()
}

func TestTransportInjects(t *testing.T) {
	t.Parallel()
	srv := echoTraceparent()
	defer srv.Close()
	c := &http.Client{Transport: tracium.Transport(http.DefaultTransport)}
	ctx, span := tracium.StartSpan(context.Background(), tracium.SpanHTTP, "call")
	defer span.End()

	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	got := get(t, c, req)
	if want := "00-" + span.TraceID() + "-" + span.SpanID() + "-"; !strings.HasPrefix(got, want) {
		t.Errorf("traceparent %q, want %s..", got, want)
	}
	if req.Header.Get("traceparent") != "" {
		t.Error("the caller's request was changed")
	}

	plain, _ := http.NewRequest("GET", srv.URL, nil)
	if got := get(t, c, plain); got != "" {
		t.Errorf("a request without a trace got traceparent %q", got)
	}
	own, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	own.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	if got := get(t, c, own); got != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" {
		t.Errorf("an explicit traceparent was replaced by %q", got)
	}
	if tracium.Transport(c.Transport) != c.Transport {
		t.Error("wrapping twice")
	}
}

func TestHTTPClientInjects(t *testing.T) {
	t.Parallel()
	srv := echoTraceparent()
	defer srv.Close()
	ctx, span := tracium.StartSpan(context.Background(), tracium.SpanTask, "job")
	defer span.End()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	if got := get(t, tracium.HTTPClient(), req); !strings.Contains(got, span.TraceID()) {
		t.Errorf("HTTPClient sent traceparent %q", got)
	}
}

// TestInitInstallsTransport: after Init, a request made through
// http.DefaultClient with a traced context carries traceparent.
func TestInitInstallsTransport(t *testing.T) {
	t.Parallel()
	srv := echoTraceparent()
	defer srv.Close()
	c := tracium.Init(tracium.WithAPIKey(exampleKey), tracium.WithEndpoint(srv.URL))
	defer c.Shutdown(context.Background())
	ctx, run := c.AgentTrace(context.Background(), "caller")
	defer run.End()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	if got := get(t, http.DefaultClient, req); !strings.Contains(got, run.TraceID()) {
		t.Errorf("http.DefaultClient sent traceparent %q after Init", got)
	}
}
