package traciumgin_test

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

	"github.com/gin-gonic/gin"

	tracium "github.com/tracium/tracium/sdk"
	traciumgin "github.com/tracium/tracium/sdk/contrib/gin"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

func init() { gin.SetMode(gin.TestMode) }

// testBundle is one traced gin server with its own collector and a fake
// OpenAI server for the handlers to call.
type testBundle struct {
	collector *spantest.Collector
	client    *tracium.Client
	llm       *fakellm.Server
	engine    *gin.Engine
	url       string
}

// setup starts a gin engine traced by Middleware(opts...) over a real
// local listener; routes are added to tb.engine before the first request.
func setup(t *testing.T, opts ...traciumgin.Option) *testBundle {
	t.Helper()
	tb := &testBundle{collector: spantest.NewCollector(t), llm: fakellm.New(t, fakellm.Options{})}
	tb.client = tb.collector.NewClient(t)
	tb.engine = gin.New()
	tb.engine.Use(gin.RecoveryWithWriter(io.Discard))
	tb.engine.Use(traciumgin.Middleware(append([]traciumgin.Option{tracium.WithRequestClient(tb.client)}, opts...)...))
	srv := httptest.NewServer(tb.engine)
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
	for _, tc := range []struct {
		name     string
		fallback bool
		ctx      func(c *gin.Context) context.Context
	}{
		{"request context", false, func(c *gin.Context) context.Context { return c.Request.Context() }},
		{"gin context", false, func(c *gin.Context) context.Context { return c }},
		{"gin context with fallback", true, func(c *gin.Context) context.Context { return c }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb := setup(t)
			tb.engine.ContextWithFallback = tc.fallback
			tb.engine.GET("/users/:id", func(c *gin.Context) {
				ctx, span := tracium.StartSpan(tc.ctx(c), tracium.SpanTool, "lookup")
				err := callLLM(ctx, tb.llm.URL)
				span.End()
				if err == nil {
					// An LLM call made with the handler's own context
					// nests under the request span.
					err = callLLM(tc.ctx(c), tb.llm.URL)
				}
				if err != nil {
					c.String(http.StatusBadGateway, err.Error())
					return
				}
				c.String(http.StatusOK, "ok")
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
				t.Errorf("llm span made with the handler's context: type %s parent %q, want %q", direct.Type, direct.ParentSpanID, req.SpanID)
			}
		})
	}
}

func TestContinuesIncomingTrace(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.engine.GET("/items/:id", func(c *gin.Context) {
		c.String(http.StatusOK, tracium.SpanFromContext(c.Request.Context()).TraceID())
	})
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	_, body := tb.get(t, http.MethodGet, "/items/7", http.Header{"Traceparent": {"00-" + traceID + "-" + parentID + "-01"}})
	s := tb.request(t, "/items/7")
	if s.TraceID != traceID || s.ParentSpanID != parentID || body != traceID {
		t.Errorf("span trace %s parent %s, handler saw %s; want trace %s parent %s", s.TraceID, s.ParentSpanID, body, traceID, parentID)
	}
}

func TestRecordsRouteAndStatus(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.engine.GET("/users/:id", func(c *gin.Context) { c.String(http.StatusOK, "user "+c.Param("id")) })
	tb.engine.POST("/orders", func(c *gin.Context) { c.JSON(http.StatusCreated, gin.H{"id": 1}) })
	tb.engine.GET("/files/*name", func(c *gin.Context) { c.String(http.StatusBadRequest, "bad") })
	tb.engine.GET("/down", func(c *gin.Context) { c.String(http.StatusServiceUnavailable, "down") })

	for _, tc := range []struct {
		method, path string
		name, route  string
		status       int
		failed       string
	}{
		{http.MethodGet, "/users/42", "GET /users/:id", "/users/:id", 200, ""},
		{http.MethodPost, "/orders", "POST /orders", "/orders", 201, ""},
		{http.MethodGet, "/files/a/b.txt", "GET /files/*name", "/files/*name", 400, ""},
		{http.MethodGet, "/down", "GET /down", "/down", 503, "503 Service Unavailable"},
		{http.MethodGet, "/no/such/path", "GET unmatched", "", 404, ""},
	} {
		status, body := tb.get(t, tc.method, tc.path, nil)
		if status != tc.status {
			t.Fatalf("%s %s answered %d", tc.method, tc.path, status)
		}
		s := tb.request(t, tc.path)
		a := s.Attributes
		// gin writes the body of an unmatched request after the
		// middleware has returned: its size is not known there.
		size, sized := a[tracium.AttrHTTPResponseSize]
		if s.Name != tc.name || a[tracium.AttrHTTPMethod] != tc.method || a[tracium.AttrHTTPStatusCode] != float64(tc.status) ||
			tc.route != "" && size != float64(len(body)) || tc.route == "" && sized {
			t.Errorf("%s %s: span %q attributes %v", tc.method, tc.path, s.Name, a)
		}
		if route, ok := a[tracium.AttrHTTPRoute]; tc.route != "" && route != tc.route || tc.route == "" && ok {
			t.Errorf("%s %s: http.route %v, want %q", tc.method, tc.path, route, tc.route)
		}
		if tc.failed == "" && s.Status != "ok" || tc.failed != "" && (s.Status != "error" || s.ErrorMessage != tc.failed) {
			t.Errorf("%s %s: status %q error %q, want failure %q", tc.method, tc.path, s.Status, s.ErrorMessage, tc.failed)
		}
	}
}

// errQuota is a typed error, so the span records its type.
type errQuota struct{ tenant string }

func (e *errQuota) Error() string { return "quota exceeded for " + e.tenant }

func TestRecordsContextErrors(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.engine.GET("/one", func(c *gin.Context) {
		_ = c.AbortWithError(http.StatusTooManyRequests, &errQuota{"acme"})
	})
	tb.engine.GET("/two", func(c *gin.Context) {
		_ = c.Error(errors.New("cache miss"))
		_ = c.Error(errors.New("fallback failed"))
		c.String(http.StatusOK, "partial")
	})
	tb.get(t, http.MethodGet, "/one", nil)
	tb.get(t, http.MethodGet, "/two", nil)

	one := tb.request(t, "/one")
	if one.Status != "error" || one.ErrorType != "*traciumgin_test.errQuota" || one.ErrorMessage != "quota exceeded for acme" ||
		one.Attributes[tracium.AttrHTTPStatusCode] != 429.0 {
		t.Errorf("c.AbortWithError: %+v", one)
	}
	two := tb.request(t, "/two")
	if two.Status != "error" || two.ErrorMessage != "cache miss\nfallback failed" {
		t.Errorf("two c.Error calls: status %q error %q", two.Status, two.ErrorMessage)
	}
}

func TestRecordsPanicAndRepanics(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.engine.GET("/boom/:id", func(c *gin.Context) { panic("kaboom") })
	if status, _ := tb.get(t, http.MethodGet, "/boom/1", nil); status != http.StatusInternalServerError {
		t.Errorf("gin.Recovery answered %d, want 500", status)
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
	traced := func(c *gin.Context) {
		c.String(http.StatusOK, fmt.Sprint(tracium.SpanFromContext(c.Request.Context()) != nil))
	}
	tb.engine.GET("/healthz", traced)
	tb.engine.GET("/tenants/:id", traced)
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
	tb.engine.GET("/work/:n", func(c *gin.Context) {
		_, span := tracium.StartSpan(c, tracium.SpanTool, "work")
		span.SetAttribute("n", c.Param("n"))
		arrived.Done()
		select {
		case <-all:
		case <-time.After(30 * time.Second):
		}
		span.End()
		c.String(http.StatusOK, span.TraceID())
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
