package traciumfiber_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	fiberrecover "github.com/gofiber/fiber/v2/middleware/recover"

	tracium "github.com/tracium/tracium/sdk"
	traciumfiber "github.com/tracium/tracium/sdk/contrib/fiber"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// testBundle is one traced fiber app with its own collector and a fake
// OpenAI server for the handlers to call.
type testBundle struct {
	collector *spantest.Collector
	client    *tracium.Client
	llm       *fakellm.Server
	app       *fiber.App
	url       string
	ln        net.Listener
	started   sync.Once
	listening chan struct{}
}

// setup builds a fiber app traced by Middleware(opts...); routes are
// added to tb.app, and the app starts listening on a local port at the
// first request.
func setup(t *testing.T, opts ...traciumfiber.Option) *testBundle {
	t.Helper()
	tb := &testBundle{collector: spantest.NewCollector(t), llm: fakellm.New(t, fakellm.Options{})}
	tb.client = tb.collector.NewClient(t)
	tb.app = fiber.New(fiber.Config{DisableStartupMessage: true})
	tb.listening = make(chan struct{})
	tb.app.Hooks().OnListen(func(fiber.ListenData) error { close(tb.listening); return nil })
	tb.app.Use(fiberrecover.New())
	tb.app.Use(traciumfiber.Middleware(append([]traciumfiber.Option{tracium.WithRequestClient(tb.client)}, opts...)...))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tb.ln, tb.url = ln, "http://"+ln.Addr().String()
	t.Cleanup(func() {
		tb.start(t)
		<-tb.listening
		_ = tb.app.ShutdownWithTimeout(5 * time.Second)
	})
	return tb
}

// start serves the app, once every route is added, and waits until it
// listens.
func (tb *testBundle) start(t *testing.T) {
	tb.started.Do(func() {
		go func() {
			if err := tb.app.Listener(tb.ln); err != nil {
				t.Errorf("fiber: %v", err)
			}
		}()
	})
	<-tb.listening
}

// get sends one request and returns the status and body.
func (tb *testBundle) get(t *testing.T, method, path string, header http.Header) (int, string) {
	t.Helper()
	tb.start(t)
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
	tb.app.Get("/users/:id", func(c *fiber.Ctx) error {
		ctx, span := tracium.StartSpan(c.UserContext(), tracium.SpanTool, "lookup")
		err := callLLM(ctx, tb.llm.URL)
		span.End()
		if err != nil {
			return err
		}
		if err := callLLM(c.UserContext(), tb.llm.URL); err != nil {
			return err
		}
		return c.SendString("ok")
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
		t.Errorf("llm span made with the user context: type %s parent %q, want %q", direct.Type, direct.ParentSpanID, req.SpanID)
	}
}

func TestContinuesIncomingTrace(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.app.Get("/items/:id", func(c *fiber.Ctx) error {
		return c.SendString(tracium.SpanFromContext(c.UserContext()).TraceID())
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
	app := tb.app
	app.Get("/users/:id", func(c *fiber.Ctx) error { return c.SendString("user " + c.Params("id")) })
	app.Post("/orders", func(c *fiber.Ctx) error { return c.Status(http.StatusCreated).JSON(fiber.Map{"id": 1}) })
	app.Put("/only-put", func(c *fiber.Ctx) error { return c.SendStatus(http.StatusNoContent) })
	app.Get("/files/*", func(c *fiber.Ctx) error { return c.Status(http.StatusBadRequest).SendString("bad") })
	app.Get("/down", func(c *fiber.Ctx) error { return c.Status(http.StatusServiceUnavailable).SendString("down") })
	app.Get("/forbidden", func(c *fiber.Ctx) error { return fiber.NewError(http.StatusForbidden, "no") })
	app.Get("/gateway", func(c *fiber.Ctx) error { return fiber.NewError(http.StatusBadGateway, "upstream") })
	app.Get("/quota", func(c *fiber.Ctx) error { return &errQuota{"acme"} })
	app.Get("/wrapped", func(c *fiber.Ctx) error { return fmt.Errorf("load: %w", fiber.ErrNotFound) })
	app.Get("/late", func(c *fiber.Ctx) error {
		_ = c.SendString("partial")
		return errors.New("audit log failed")
	})
	app.Group("/api").Get("/v1/:name", func(c *fiber.Ctx) error { return c.SendString(c.Params("name")) })

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
		{"DELETE", "/only-put", "DELETE unmatched", "", 405, "", ""},
		{"GET", "/forbidden", "GET /forbidden", "/forbidden", 403, "", ""},
		{"GET", "/gateway", "GET /gateway", "/gateway", 502, "*fiber.Error", "upstream"},
		{"GET", "/quota", "GET /quota", "/quota", 500, "*traciumfiber_test.errQuota", "quota exceeded for acme"},
		{"GET", "/wrapped", "GET /wrapped", "/wrapped", 404, "", ""},
		// fiber's error handler replaces what the handler wrote.
		{"GET", "/late", "GET /late", "/late", 500, "error", "audit log failed"},
		{"GET", "/api/v1/x", "GET /api/v1/:name", "/api/v1/:name", 200, "", ""},
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
	tb.app.Get("/boom/:id", func(c *fiber.Ctx) error { panic("kaboom") })
	if status, _ := tb.get(t, http.MethodGet, "/boom/1", nil); status != http.StatusInternalServerError {
		t.Errorf("the recover middleware answered %d, want 500", status)
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
	traced := func(c *fiber.Ctx) error {
		return c.SendString(fmt.Sprint(tracium.SpanFromContext(c.UserContext()) != nil))
	}
	tb.app.Get("/healthz", traced)
	tb.app.Get("/tenants/:id", traced)
	h := http.Header{"X-Tenant": {"acme"}, "Authorization": {"Bearer secret"}}
	if _, body := tb.get(t, http.MethodGet, "/healthz", h); body != "false" {
		t.Errorf("a skipped path's handler saw a span")
	}
	if _, body := tb.get(t, http.MethodGet, "/tenants/9", h); body != "true" {
		t.Errorf("a traced path's handler saw no span")
	}
	// Requests that reuse fasthttp's buffers must not rewrite what the
	// first span recorded.
	tb.get(t, http.MethodGet, "/tenants/0", http.Header{"X-Tenant": {"zzzz"}})
	spans := tb.spans(t)
	if len(spans) != 2 {
		t.Fatalf("%d spans, want only /tenants/9's and /tenants/0's: %+v", len(spans), spans)
	}
	s := tb.request(t, "/tenants/9")
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
	tb.app.Get("/work/:n", func(c *fiber.Ctx) error {
		_, span := tracium.StartSpan(c.UserContext(), tracium.SpanTool, "work")
		span.SetAttribute("n", strings.Clone(c.Params("n")))
		arrived.Done()
		select {
		case <-all:
		case <-time.After(30 * time.Second):
		}
		span.End()
		return c.SendString(span.TraceID())
	})
	tb.start(t)
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
