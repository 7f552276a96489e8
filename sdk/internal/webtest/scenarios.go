package webtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

// Run runs every scenario against fw, each a parallel subtest on a server
// of its own.
func Run(t *testing.T, fw Framework) {
	for _, sc := range []struct {
		name string
		run  func(*testing.T, Framework)
	}{
		{"spans and LLM calls nest", Nest},
		{"incoming trace continued", continuesTrace},
		{"routes, statuses and errors", routesAndStatuses},
		{"panic recorded and re-raised", panics},
		{"skipped paths and recorded headers", skipsAndHeaders},
		{"concurrent requests keep their traces", Concurrent},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t, fw)
		})
	}
}

// Nest checks that a handler's span and LLM calls, made with the
// Request's context, nest under the request's span: one LLM call inside
// a tool span, one made with the context itself. A framework whose
// handlers have more than one context to trace with runs it once for
// each.
func Nest(t *testing.T, fw Framework) {
	t.Helper()
	var b *Bundle
	b = Start(t, fw, []Route{{http.MethodGet, "/users/:id", func(r Request) Reply {
		ctx, span := tracium.StartSpan(r.Context, tracium.SpanTool, "lookup")
		err := callLLM(ctx, b.LLM.URL)
		span.End()
		if err == nil {
			err = callLLM(r.Context, b.LLM.URL)
		}
		if err != nil {
			return Reply{Status: http.StatusBadGateway, Body: err.Error()}
		}
		return Reply{Status: http.StatusOK, Body: "ok"}
	}}})
	if status, body := b.Send(t, http.MethodGet, "/users/42", nil); status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}

	req := b.Request(t, "/users/42")
	spans := b.Collector.Trace(req.TraceID)
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

func continuesTrace(t *testing.T, fw Framework) {
	b := Start(t, fw, []Route{{http.MethodGet, "/items/:id", func(r Request) Reply {
		return Reply{Status: http.StatusOK, Body: tracium.SpanFromContext(r.Context).TraceID()}
	}}})
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	_, body := b.Send(t, http.MethodGet, "/items/7", http.Header{"Traceparent": {"00-" + traceID + "-" + parentID + "-01"}})
	s := b.Request(t, "/items/7")
	if s.TraceID != traceID || s.ParentSpanID != parentID || body != traceID {
		t.Errorf("span trace %s parent %s, handler saw %s; want trace %s parent %s", s.TraceID, s.ParentSpanID, body, traceID, parentID)
	}
}

func routesAndStatuses(t *testing.T, fw Framework) {
	answer := func(status int, body string) Handler {
		return func(Request) Reply { return Reply{Status: status, Body: body} }
	}
	files := fw.CatchAll("/files/")
	b := Start(t, fw, []Route{
		{http.MethodGet, "/users/:id", func(r Request) Reply { return Reply{Status: http.StatusOK, Body: "user " + r.Param("id")} }},
		{http.MethodPost, "/orders", answer(http.StatusCreated, `{"id":1}`)},
		{http.MethodGet, files, answer(http.StatusBadRequest, "bad")},
		{http.MethodGet, "/down", answer(http.StatusServiceUnavailable, "down")},
		{http.MethodGet, "/quota", Fails(&QuotaError{"acme"})},
	})
	b.Check(t, []Case{
		{Method: "GET", Path: "/users/42", Status: 200, Name: "GET /users/:id", Route: "/users/:id"},
		{Method: "POST", Path: "/orders", Status: 201, Name: "POST /orders", Route: "/orders"},
		// 4xx is the client's mistake: the span stays ok.
		{Method: "GET", Path: "/files/a/b.txt", Status: 400, Name: "GET " + files, Route: files},
		{Method: "GET", Path: "/down", Status: 503, Name: "GET /down", Route: "/down",
			ErrType: tracium.ErrorTypeHTTPError, Fail: "503 Service Unavailable"},
		// A request no route matched is named so, not by its raw path.
		{Method: "GET", Path: "/no/such/path", Status: 404, Name: "GET unmatched", Size: NoSize},
		{Method: "GET", Path: "/quota", Status: 500, Name: "GET /quota", Route: "/quota",
			ErrType: "*webtest.QuotaError", Fail: "quota exceeded for acme", Size: SizeIfKnown},
	})
}

func panics(t *testing.T, fw Framework) {
	b := Start(t, fw, []Route{{http.MethodGet, "/boom/:id", func(Request) Reply { panic("kaboom") }}})
	if status, _ := b.Send(t, http.MethodGet, "/boom/1", nil); status != http.StatusInternalServerError {
		t.Errorf("the framework's recovery answered %d, want 500: the middleware must re-panic", status)
	}
	s := b.Request(t, "/boom/1")
	if s.Name != "GET /boom/:id" || s.Status != "error" || s.ErrorType != tracium.ErrorTypePanic || s.ErrorMessage != "kaboom" ||
		s.Attributes[tracium.AttrHTTPStatusCode] != 500.0 || s.Attributes["exception.stacktrace"] == nil {
		t.Errorf("panic span %+v", s)
	}
}
