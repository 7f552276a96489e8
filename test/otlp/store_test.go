package otlp

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	tracium "github.com/tracium/tracium/sdk"

	"github.com/tracium/tracium/internal/collectortest"
	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// backends starts a collector on each store, OTLP/gRPC on.
func backends(t *testing.T) map[string]*collectortest.Collector {
	t.Helper()
	return map[string]*collectortest.Collector{
		"sqlite":   collectortest.Start(t, collectortest.WithOTLPGRPC()),
		"postgres": collectortest.Start(t, collectortest.WithOTLPGRPC(), collectortest.WithDatabase(pgtest.NewDatabase(t))),
	}
}

// TestStoredFieldByField sends the GenAI and the OpenInference scenario
// with every emitter to a collector on each backend, and reads back what
// was stored: type, model, provider, usage, cost, messages, nesting,
// session, user and errors.
func TestStoredFieldByField(t *testing.T) {
	t.Parallel()
	for backend, c := range backends(t) {
		for _, em := range emitters {
			t.Run(backend+"/"+em.name, func(t *testing.T) {
				t.Parallel()
				to := target{url: c.URL, grpcAddr: c.OTLPGRPCAddr, key: c.APIKey, noRetry: true}
				exp := em.new(t, to)

				r := newRecorder("genai-app")
				gen := genAITrace(r)
				if err := r.export(t.Context(), exp); err != nil {
					t.Fatalf("export the GenAI trace: %v", err)
				}
				checkGenAI(t, c.WaitTrace(t, gen.trace, 4, 20*time.Second), gen)

				r = newRecorder("phoenix-app")
				oi := openInferenceTrace(r)
				if err := r.export(t.Context(), exp); err != nil {
					t.Fatalf("export the OpenInference trace: %v", err)
				}
				checkOpenInference(t, c.WaitTrace(t, oi.trace, 5, 20*time.Second), oi)
			})
		}
	}
}

func byID(d store.TraceDetail) map[string]store.Span {
	m := map[string]store.Span{}
	for _, s := range d.Spans {
		m[s.SpanID] = s
	}
	return m
}

// chat reads a stored input or output as the recorded chat shape.
func chat(t *testing.T, what string, raw json.RawMessage) tracium.Chat {
	t.Helper()
	var c tracium.Chat
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s is not the recorded chat shape: %v: %s", what, err, raw)
	}
	return c
}

// texts lists a chat's messages as role: text of each text part.
func texts(c tracium.Chat) []string {
	var out []string
	for _, m := range c.Messages {
		var parts []string
		for _, p := range m.Parts {
			parts = append(parts, string(p.Type)+"="+p.Content)
		}
		out = append(out, m.Role+": "+strings.Join(parts, " "))
	}
	return out
}

func checkGenAI(t *testing.T, d store.TraceDetail, id ids) {
	t.Helper()
	spans := byID(d)
	if len(d.Spans) != 4 {
		t.Errorf("%d spans stored, want 4", len(d.Spans))
	}
	root, llm, tool, failed := spans[id.root], spans[id.llm], spans[id.tool], spans[id.failed]

	if root.Type != store.SpanAgent || root.AgentName != "researcher" || root.ParentSpanID != "" {
		t.Errorf("root: type %q agent %q parent %q; want an agent span researcher with no parent", root.Type, root.AgentName, root.ParentSpanID)
	}
	if d.Trace.SessionID != "conv-7" || d.Trace.UserID != "user-42" || d.Trace.AgentName != "researcher" {
		t.Errorf("trace: session %q user %q agent %q; want conv-7, user-42, researcher", d.Trace.SessionID, d.Trace.UserID, d.Trace.AgentName)
	}

	if llm.Type != store.SpanLLM || llm.ParentSpanID != id.root {
		t.Errorf("chat: type %q parent %q; want llm under %s", llm.Type, llm.ParentSpanID, id.root)
	}
	if llm.Model != "gpt-4o-mini-2024-07-18" || llm.RequestModel != "gpt-4o-mini" || llm.Provider != "openai" {
		t.Errorf("chat: model %q request model %q provider %q", llm.Model, llm.RequestModel, llm.Provider)
	}
	want := store.Usage{InputTokens: 1200, OutputTokens: 80, CachedTokens: 1024, TotalTokens: 1280}
	if llm.Usage == nil || *llm.Usage != want {
		t.Errorf("chat: usage %+v, want %+v", llm.Usage, want)
	}
	if llm.CostUSD == nil || *llm.CostUSD <= 0 {
		t.Errorf("chat: cost %v; gpt-4o-mini has a price", llm.CostUSD)
	}
	in := chat(t, "chat input", llm.Input)
	if got := texts(in); strings.Join(got, "|") != "system: text=You are terse.|user: text=Weather in Paris?" {
		t.Errorf("chat input %q", got)
	}
	out := chat(t, "chat output", llm.Output)
	if len(out.Messages) != 1 || len(out.Messages[0].Parts) != 1 {
		t.Fatalf("chat output %s", llm.Output)
	}
	call := out.Messages[0].Parts[0]
	if out.Messages[0].Role != "assistant" || out.Messages[0].FinishReason != "tool_calls" ||
		call.Type != tracium.PartToolCall || call.ID != "call_1" || call.Name != "get_weather" || !strings.Contains(string(call.Arguments), "Paris") {
		t.Errorf("chat output %s; want the assistant's get_weather call", llm.Output)
	}

	if tool.Type != store.SpanTool || tool.ParentSpanID != id.root || tool.Status != store.StatusOK {
		t.Errorf("tool: type %q parent %q status %q", tool.Type, tool.ParentSpanID, tool.Status)
	}

	if failed.Type != store.SpanLLM || failed.Status != store.StatusError || !strings.Contains(failed.ErrorMessage, "rate limit") {
		t.Errorf("failed call: type %q status %q error %q %q", failed.Type, failed.Status, failed.ErrorType, failed.ErrorMessage)
	}
	if !strings.HasSuffix(failed.ErrorType, ".RateLimitError") {
		t.Errorf("failed call: error type %q, want the recorded exception's RateLimitError", failed.ErrorType)
	}
	if d.Trace.Status != store.StatusError {
		t.Errorf("trace status %q; a failed span fails it", d.Trace.Status)
	}
}

func checkOpenInference(t *testing.T, d store.TraceDetail, id ids) {
	t.Helper()
	spans := byID(d)
	if len(d.Spans) != 5 {
		t.Errorf("%d spans stored, want 5", len(d.Spans))
	}
	root, llm, tool, leaf := spans[id.root], spans[id.llm], spans[id.tool], spans[id.leaf]
	if root.Type != store.SpanAgent || root.ParentSpanID != "" {
		t.Errorf("root: type %q parent %q", root.Type, root.ParentSpanID)
	}
	if d.Trace.SessionID != "sess-9" || d.Trace.UserID != "user-7" {
		t.Errorf("trace: session %q user %q; want sess-9, user-7", d.Trace.SessionID, d.Trace.UserID)
	}
	if !strings.Contains(string(root.Input), "Weather in Paris?") || !strings.Contains(string(root.Output), "Sunny") {
		t.Errorf("root: input %s output %s; want input.value and output.value", root.Input, root.Output)
	}

	if llm.Type != store.SpanLLM || llm.ParentSpanID != id.root || llm.Model != "gpt-4o-mini" || llm.Provider != "openai" {
		t.Errorf("llm: type %q parent %q model %q provider %q", llm.Type, llm.ParentSpanID, llm.Model, llm.Provider)
	}
	want := store.Usage{InputTokens: 50, OutputTokens: 10, TotalTokens: 60}
	if llm.Usage == nil || *llm.Usage != want {
		t.Errorf("llm: usage %+v, want %+v", llm.Usage, want)
	}
	if llm.CostUSD == nil || *llm.CostUSD <= 0 {
		t.Errorf("llm: cost %v; gpt-4o-mini has a price", llm.CostUSD)
	}
	if got := texts(chat(t, "llm input", llm.Input)); strings.Join(got, "|") != "system: text=You are terse.|user: text=Weather in Paris?" {
		t.Errorf("llm input %q", got)
	}
	if got := texts(chat(t, "llm output", llm.Output)); strings.Join(got, "|") != "assistant: text=Sunny, 21 °C." {
		t.Errorf("llm output %q", got)
	}

	if tool.Type != store.SpanTool || tool.Status != store.StatusError || !strings.Contains(tool.ErrorMessage, "unreachable") {
		t.Errorf("tool: type %q status %q error %q", tool.Type, tool.Status, tool.ErrorMessage)
	}
	chain := spans[leaf.ParentSpanID]
	if leaf.Type != store.SpanRetrieval || chain.Type != store.SpanChain || chain.ParentSpanID != id.root {
		t.Errorf("retriever: type %q under %q (%q, parent %q); want retrieval under a chain under the root",
			leaf.Type, leaf.ParentSpanID, chain.Type, chain.ParentSpanID)
	}
}
