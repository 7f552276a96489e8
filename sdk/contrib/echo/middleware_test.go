package traciumecho_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	tracium "github.com/tracium/tracium/sdk"
	traciumecho "github.com/tracium/tracium/sdk/contrib/echo"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// testBundle is one traced echo server with its own collector and a fake
// OpenAI server for the handlers to call.
type testBundle struct {
	collector *spantest.Collector
	client    *tracium.Client
	llm       *fakellm.Server
	echo      *echo.Echo
	url       string
}

// setup starts an echo server traced by Middleware(opts...) over a real
// local listener; routes are added to tb.echo before the first request.
func setup(t *testing.T, opts ...traciumecho.Option) *testBundle {
	t.Helper()
	tb := &testBundle{collector: spantest.NewCollector(t), llm: fakellm.New(t, fakellm.Options{})}
	tb.client = tb.collector.NewClient(t)
	tb.echo = echo.New()
	tb.echo.Logger.SetOutput(io.Discard)
	tb.echo.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true}))
	tb.echo.Use(traciumecho.Middleware(append([]traciumecho.Option{tracium.WithRequestClient(tb.client)}, opts...)...))
	srv := httptest.NewServer(tb.echo)
	t.Cleanup(srv.Close)
	tb.url = srv.URL
	return tb
}

// get sends one request and returns the status and body.
func (tb *testBundle) get(t *testing.T, method, path string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, tb.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// spans flushes the client and returns every span the collector has.
func (tb *testBundle) spans(t *testing.T) []tracium.SpanData {
	t.Helper()
	spantest.Flush(t, tb.client)
	return tb.collector.Spans()
}

// request returns the one http span recorded for path.
func (tb *testBundle) request(t *testing.T, path string) tracium.SpanData {
	t.Helper()
	var found []tracium.SpanData
	for _, s := range tb.spans(t) {
		if s.Type == tracium.SpanHTTP && s.Attributes[tracium.AttrURLPath] == path {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d http spans for %s, want 1: %+v", len(found), path, found)
	}
	return found[0]
}

// callLLM makes one OpenAI chat completion through the SDK's client, the
// way a handler would.
func callLLM(ctx context.Context, baseURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/v1/chat/completions",
		strings.NewReader(`{"model":"`+fakellm.OpenAIModel+`","messages":[{"role":"user","content":"Say hello"}]}`))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := tracium.HTTPClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("LLM call: %s", resp.Status)
	}
	return nil
}

func TestHandlerSpansAndLLMCallsNest(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.echo.GET("/users/:id", func(c echo.Context) error {
		ctx, span := tracium.StartSpan(c.Request().Context(), tracium.SpanTool, "lookup")
		err := callLLM(ctx, tb.llm.URL)
		span.End()
		if err != nil {
			return err
		}
		if err := callLLM(c.Request().Context(), tb.llm.URL); err != nil {
			return err
		}
		return c.String(http.StatusOK, "ok")
	})
	if status, body := tb.get(t, http.MethodGet, "/users/42", nil); status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}

	req := tb.request(t, "/users/42")
	spans := tb.collector.Trace(req.TraceID)
	if len(spans) != 4 {
		t.Fatalf("trace has %d spans, want request, tool and two llm: %+v", len(spans), spans)
	}
	req, tool, nested, direct := spans[0], spans[1], spans[2], spans[3]
	if req.Name != "GET /users/:id" || req.ParentSpanID != "" {
		t.Errorf("request span %q parent %q", req.Name, req.ParentSpanID)
	}
	if tool.Name != "lookup" || tool.ParentSpanID != req.SpanID {
		t.Errorf("tool span %q has parent %q, want the request span %q", tool.Name, tool.ParentSpanID, req.SpanID)
	}
	if nested.Type != tracium.SpanLLM || nested.ParentSpanID != tool.SpanID || nested.Model != fakellm.OpenAIAnswerModel {
		t.Errorf("llm span in the tool span: type %s parent %q model %q", nested.Type, nested.ParentSpanID, nested.Model)
	}
	if direct.Type != tracium.SpanLLM || direct.ParentSpanID != req.SpanID {
		t.Errorf("llm span made with the request's context: type %s parent %q, want %q", direct.Type, direct.ParentSpanID, req.SpanID)
	}
}

func TestContinuesIncomingTrace(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.echo.GET("/items/:id", func(c echo.Context) error {
		return c.String(http.StatusOK, tracium.SpanFromContext(c.Request().Context()).TraceID())
	})
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	_, body := tb.get(t, http.MethodGet, "/items/7", http.Header{"Traceparent": {"00-" + traceID + "-" + parentID + "-01"}})
	s := tb.request(t, "/items/7")
	if s.TraceID != traceID || s.ParentSpanID != parentID || body != traceID {
		t.Errorf("span trace %s parent %s, handler saw %s; want trace %s parent %s", s.TraceID, s.ParentSpanID, body, traceID, parentID)
	}
}

// errQuota is a typed error, so the span records its type.
type errQuota struct{ tenant string }

func (e *errQuota) Error() string { return "quota exceeded for " + e.tenant }

func TestRecordsRouteStatusAndReturnedErrors(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	e := tb.echo
	e.GET("/users/:id", func(c echo.Context) error { return c.String(http.StatusOK, "user "+c.Param("id")) })
	e.POST("/orders", func(c echo.Context) error { return c.JSON(http.StatusCreated, map[string]int{"id": 1}) })
	e.GET("/files/*", func(c echo.Context) error { return c.String(http.StatusBadRequest, "bad") })
	e.GET("/down", func(c echo.Context) error { return c.String(http.StatusServiceUnavailable, "down") })
	e.GET("/forbidden", func(c echo.Context) error { return echo.NewHTTPError(http.StatusForbidden, "no") })
	e.GET("/gateway", func(c echo.Context) error { return echo.NewHTTPError(http.StatusBadGateway, "upstream") })
	e.GET("/quota", func(c echo.Context) error { return &errQuota{"acme"} })
	e.GET("/wrapped", func(c echo.Context) error { return fmt.Errorf("load: %w", echo.ErrNotFound) })
	e.GET("/internal", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusBadGateway).SetInternal(echo.NewHTTPError(http.StatusConflict, "taken"))
	})
	e.GET("/late", func(c echo.Context) error {
		_ = c.String(http.StatusOK, "sent")
		return errors.New("audit log failed")
	})

	for _, tc := range []struct {
		method, path  string
		name, route   string
		status        int
		errType, fail string // the span's error; "" when ok
	}{
		{"GET", "/users/42", "GET /users/:id", "/users/:id", 200, "", ""},
		{"POST", "/orders", "POST /orders", "/orders", 201, "", ""},
		{"GET", "/files/a/b.txt", "GET /files/*", "/files/*", 400, "", ""},
		{"GET", "/down", "GET /down", "/down", 503, tracium.ErrorTypeHTTPError, "503 Service Unavailable"},
		{"GET", "/no/such/path", "GET unmatched", "", 404, "", ""},
		{"GET", "/forbidden", "GET /forbidden", "/forbidden", 403, "", ""},
		{"GET", "/gateway", "GET /gateway", "/gateway", 502, "*echo.HTTPError", "code=502, message=upstream"},
		{"GET", "/quota", "GET /quota", "/quota", 500, "*traciumecho_test.errQuota", "quota exceeded for acme"},
		// echo's default error handler does not unwrap: a wrapped
		// HTTPError is a 500.
		{"GET", "/wrapped", "GET /wrapped", "/wrapped", 500, "*echo.HTTPError", "load: code=404, message=Not Found"},
		{"GET", "/internal", "GET /internal", "/internal", 409, "", ""},
		{"GET", "/late", "GET /late", "/late", 200, "error", "audit log failed"},
	} {
		status, body := tb.get(t, tc.method, tc.path, nil)
		if status != tc.status {
			t.Fatalf("%s %s answered %d, want %d", tc.method, tc.path, status, tc.status)
		}
		s := tb.request(t, tc.path)
		a := s.Attributes
		if s.Name != tc.name || a[tracium.AttrHTTPMethod] != tc.method || a[tracium.AttrHTTPStatusCode] != float64(tc.status) {
			t.Errorf("%s %s: span %q attributes %v", tc.method, tc.path, s.Name, a)
		}
		// The error handler writes its body after the middleware has
		// returned: its size is not known there.
		if size, sized := a[tracium.AttrHTTPResponseSize]; sized && size != float64(len(body)) {
			t.Errorf("%s %s: size %v, body %q", tc.method, tc.path, size, body)
		}
		if route, ok := a[tracium.AttrHTTPRoute]; tc.route != "" && route != tc.route || tc.route == "" && ok {
			t.Errorf("%s %s: http.route %v, want %q", tc.method, tc.path, route, tc.route)
		}
		if tc.fail == "" && s.Status != "ok" ||
			tc.fail != "" && (s.Status != "error" || s.ErrorType != tc.errType || s.ErrorMessage != tc.fail) {
			t.Errorf("%s %s: status %q error %s %q, want %s %q", tc.method, tc.path, s.Status, s.ErrorType, s.ErrorMessage, tc.errType, tc.fail)
		}
	}
	if size := tb.request(t, "/users/42").Attributes[tracium.AttrHTTPResponseSize]; size != float64(len("user 42")) {
		t.Errorf("response size %v", size)
	}
}

func TestRecordsPanicAndRepanics(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.echo.GET("/boom/:id", func(c echo.Context) error { panic("kaboom") })
	if status, _ := tb.get(t, http.MethodGet, "/boom/1", nil); status != http.StatusInternalServerError {
		t.Errorf("middleware.Recover answered %d, want 500", status)
	}
	s := tb.request(t, "/boom/1")
	if s.Name != "GET /boom/:id" || s.Status != "error" || s.ErrorType != tracium.ErrorTypePanic || s.ErrorMessage != "kaboom" ||
		s.Attributes[tracium.AttrHTTPStatusCode] != 500.0 || s.Attributes["exception.stacktrace"] == nil {
		t.Errorf("panic span %+v", s)
	}
}

func TestSkipsPathsAndRecordsHeaders(t *testing.T) {
	t.Parallel()
	tb := setup(t, tracium.WithSkipPaths("/healthz"), tracium.WithRequestHeaders("X-Tenant", "Authorization"),
		tracium.WithSpanName(func(method, route string) string { return "api " + method + " " + route }))
	traced := func(c echo.Context) error {
		return c.String(http.StatusOK, fmt.Sprint(tracium.SpanFromContext(c.Request().Context()) != nil))
	}
	tb.echo.GET("/healthz", traced)
	tb.echo.GET("/tenants/:id", traced)
	h := http.Header{"X-Tenant": {"acme"}, "Authorization": {"Bearer secret"}}
	if _, body := tb.get(t, http.MethodGet, "/healthz", h); body != "false" {
		t.Errorf("a skipped path's handler saw a span")
	}
	if _, body := tb.get(t, http.MethodGet, "/tenants/9", h); body != "true" {
		t.Errorf("a traced path's handler saw no span")
	}
	spans := tb.spans(t)
	if len(spans) != 1 {
		t.Fatalf("%d spans, want only /tenants/9's: %+v", len(spans), spans)
	}
	s := spans[0]
	if s.Name != "api GET /tenants/:id" || s.Attributes[tracium.AttrHTTPRequestHeaderPrefix+"x-tenant"] != "acme" {
		t.Errorf("span %q attributes %v", s.Name, s.Attributes)
	}
	if _, ok := s.Attributes[tracium.AttrHTTPRequestHeaderPrefix+"authorization"]; ok {
		t.Errorf("the Authorization header was recorded")
	}
}

func TestConcurrentRequestsKeepTheirTraces(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	const n = 1000
	// Every handler holds its span open until all n are in flight, so the
	// requests really overlap.
	var arrived sync.WaitGroup
	arrived.Add(n)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	tb.echo.GET("/work/:n", func(c echo.Context) error {
		_, span := tracium.StartSpan(c.Request().Context(), tracium.SpanTool, "work")
		span.SetAttribute("n", c.Param("n"))
		arrived.Done()
		select {
		case <-all:
		case <-time.After(30 * time.Second):
		}
		span.End()
		return c.String(http.StatusOK, span.TraceID())
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := client.Get(fmt.Sprintf("%s/work/%d", tb.url, i))
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()
	select {
	case <-all:
	default:
		t.Fatal("the requests never were all in flight at once")
	}

	traces := map[string][]tracium.SpanData{}
	for _, s := range tb.spans(t) {
		traces[s.TraceID] = append(traces[s.TraceID], s)
	}
	if len(traces) != n {
		t.Fatalf("%d traces, want %d", len(traces), n)
	}
	for id, spans := range traces {
		if len(spans) != 2 {
			t.Fatalf("trace %s has %d spans, want 2", id, len(spans))
		}
		req, work := spans[0], spans[1]
		if req.Type != tracium.SpanHTTP {
			req, work = work, req
		}
		if work.ParentSpanID != req.SpanID || req.Attributes[tracium.AttrURLPath] != "/work/"+work.Attributes["n"].(string) {
			t.Fatalf("trace %s mixes requests: %s holds work %v", id, req.Attributes[tracium.AttrURLPath], work.Attributes["n"])
		}
	}
}
