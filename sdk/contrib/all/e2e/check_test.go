package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/collectortest"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/store"
)

// callerSpanID is the span id of the traceparent the test sends.
const callerSpanID = "b7ad6b7169203331"

// checkTrace waits for the trace of one request to be stored and checks
// it is what the integrations set up by hand record:
//
//	POST /ask/:topic (http, continuing the caller's traceparent)
//	├── chat claude-sonnet-4-5 (llm, anthropic)
//	├── answer (graph) ── its nodes ── chat gpt-4o-mini (llm, openai)
//	└── enqueue summarise (task)
//	    └── summarise (task) ── chat gpt-4o-mini (llm, openai)
//
// with one span per LLM call, each with the provider's answer as the wire
// carried it.
func checkTrace(t *testing.T, c *collectortest.Collector, traceID string) {
	t.Helper()
	spans := waitComplete(t, c, traceID)
	t.Logf("trace %s:\n%s", traceID, describe(spans))
	byID := map[string]store.Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
	}
	ofType := func(typ store.SpanType) []store.Span {
		var out []store.Span
		for _, s := range spans {
			if s.Type == typ {
				out = append(out, s)
			}
		}
		return out
	}
	under := func(s store.Span, ancestor string) bool {
		for p := s.ParentSpanID; p != ""; p = byID[p].ParentSpanID {
			if p == ancestor {
				return true
			}
		}
		return false
	}

	https := ofType(store.SpanHTTP)
	if len(https) != 1 {
		t.Fatalf("%d http spans, want one for the request:\n%s", len(https), describe(spans))
	}
	req := https[0]
	if req.Name != "POST /ask/:topic" || req.ParentSpanID != callerSpanID || req.Status != store.StatusOK {
		t.Errorf("request span %q parent %s status %s, want POST /ask/:topic under the caller's span, ok", req.Name, req.ParentSpanID, req.Status)
	}
	if !strings.Contains(string(req.Attributes), `"http.route":"/ask/:topic"`) {
		t.Errorf("request span attributes %s lack the route", req.Attributes)
	}

	llms := ofType(store.SpanLLM)
	if len(llms) != 3 {
		t.Fatalf("%d llm spans, want 3 (Anthropic, the Eino model, the job's OpenAI call):\n%s", len(llms), describe(spans))
	}
	var graph, enqueue, job store.Span
	for _, s := range spans {
		switch {
		case s.Type == store.SpanGraph && s.Name == "answer":
			graph = s
		case s.Type == store.SpanTask && s.Name == "enqueue summarise":
			enqueue = s
		case s.Type == store.SpanTask && s.Name == "summarise":
			job = s
		}
	}
	if graph.SpanID == "" || enqueue.SpanID == "" || job.SpanID == "" {
		t.Fatalf("want the graph span answer and the task spans enqueue summarise and summarise:\n%s", describe(spans))
	}
	if graph.ParentSpanID != req.SpanID || enqueue.ParentSpanID != req.SpanID || job.ParentSpanID != enqueue.SpanID {
		t.Errorf("graph and task spans are not nested as request > graph, request > enqueue > job:\n%s", describe(spans))
	}
	if len(ofType(store.SpanNode)) < 2 {
		t.Errorf("want a node span for the chain's template and model:\n%s", describe(spans))
	}
	var anthropic, eino, worker int
	for _, s := range llms {
		switch {
		case s.Provider == "anthropic" && s.ParentSpanID == req.SpanID:
			anthropic++
			if s.Model != fakellm.AnthropicAnswerModel {
				t.Errorf("Anthropic span model %q, want %q", s.Model, fakellm.AnthropicAnswerModel)
			}
		case s.Provider == "openai" && under(s, graph.SpanID) && byID[s.ParentSpanID].Type == store.SpanNode:
			eino++
		case s.Provider == "openai" && s.ParentSpanID == job.SpanID:
			worker++
		}
		if s.Model != fakellm.OpenAIAnswerModel && s.Provider == "openai" {
			t.Errorf("OpenAI span %q model %q, want the wire's %q", s.Name, s.Model, fakellm.OpenAIAnswerModel)
		}
		if len(s.RawOutput) == 0 || s.Usage == nil || s.Usage.InputTokens == 0 {
			t.Errorf("llm span %q has no raw answer or usage: the call was not seen on the wire", s.Name)
		}
	}
	if anthropic != 1 || eino != 1 || worker != 1 {
		t.Errorf("llm spans: %d Anthropic under the request, %d OpenAI under an Eino node, %d OpenAI under the job; want one each:\n%s",
			anthropic, eino, worker, describe(spans))
	}
}

// waitComplete waits until the trace holds the job's LLM call, the last
// span of the request's work to end, and a little longer for the job span.
func waitComplete(t *testing.T, c *collectortest.Collector, traceID string) []store.Span {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var spans []store.Span
	for {
		d, err := c.Store.GetTrace(context.Background(), c.ProjectID, traceID)
		if err == nil {
			spans = d.Spans
			if has(spans, store.SpanTask, "summarise") && count(spans, store.SpanLLM) >= 3 && count(spans, store.SpanHTTP) >= 1 {
				return spans
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s incomplete after 30s (%v):\n%s", traceID, err, describe(spans))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func has(spans []store.Span, typ store.SpanType, name string) bool {
	for _, s := range spans {
		if s.Type == typ && s.Name == name {
			return true
		}
	}
	return false
}

func count(spans []store.Span, typ store.SpanType) int {
	n := 0
	for _, s := range spans {
		if s.Type == typ {
			n++
		}
	}
	return n
}

func describe(spans []store.Span) string {
	var sb strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&sb, "  %s %s %q parent=%s status=%s provider=%s model=%s\n", s.SpanID, s.Type, s.Name, s.ParentSpanID, s.Status, s.Provider, s.Model)
	}
	return sb.String()
}
