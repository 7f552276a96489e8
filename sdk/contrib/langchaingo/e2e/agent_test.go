package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/tools"

	"github.com/tracium/tracium/internal/collectortest"
	tracium "github.com/tracium/tracium/sdk"
	traciumlangchaingo "github.com/tracium/tracium/sdk/contrib/langchaingo"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/store"
)

// summarizeTool calls the model itself, and fires no callbacks.
type summarizeTool struct{ llm llms.Model }

func (summarizeTool) Name() string        { return "summarize" }
func (summarizeTool) Description() string { return "Summarises a text in one word." }
func (s summarizeTool) Call(ctx context.Context, input string) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, s.llm, "Summarise in one word: "+input)
}

const (
	question = "What do otters eat?"
	plan     = "Thought: I should summarise.\nAction: summarize\nAction Input: otters eat fish"
	final    = "Thought: I know it.\nFinal Answer: Fish."
)

// world is the collector, a client sending to it, and an agent executor
// whose model is the fake provider.
type world struct {
	col      *collectortest.Collector
	client   *tracium.Client
	executor *agents.Executor
}

func setup(t *testing.T) *world {
	t.Helper()
	w := &world{col: collectortest.Start(t)}
	w.client = tracium.NewClient(tracium.WithAPIKey(w.col.APIKey), tracium.WithEndpoint(w.col.URL),
		tracium.WithFlushInterval(10*time.Millisecond), tracium.WithErrorHandler(func(err error) { t.Errorf("tracium client: %v", err) }))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.client.Shutdown(ctx)
	})
	fake := fakellm.New(t, fakellm.Options{Replies: []fakellm.Reply{{Text: plan}, {Text: "Fish."}, {Text: final}}})
	h := traciumlangchaingo.NewHandler()
	llm, err := openai.New(openai.WithBaseURL(fake.URL+"/v1"), openai.WithToken("sk-fake"),
		openai.WithModel(fakellm.OpenAIModel), openai.WithCallback(h))
	if err != nil {
		t.Fatal(err)
	}
	agent := agents.NewOneShotAgent(llm, []tools.Tool{summarizeTool{llm}}, agents.WithCallbacksHandler(h))
	w.executor = agents.NewExecutor(agent, agents.WithCallbacksHandler(h), agents.WithMaxIterations(3))
	return w
}

// An agent run, as the collector stores it: run → agent → (plan chain →
// llm, tool → llm, plan chain → llm), every field as recorded.
func TestAgentRunIsStoredSpanBySpan(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx, run := w.client.AgentTrace(context.Background(), "otter-researcher", tracium.WithUserID("user-42"))
	answer, err := chains.Run(ctx, w.executor, question)
	if err != nil || answer != "Fish." {
		t.Fatalf("answer %q, %v", answer, err)
	}
	run.RecordOutput(answer)
	run.End()
	if err := w.client.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := w.col.WaitTrace(t, run.TraceID(), 8, 10*time.Second)
	if len(d.Spans) != 8 {
		t.Fatalf("%d spans stored, want 8:\n%s", len(d.Spans), describe(d.Spans))
	}
	byID := map[string]store.Span{}
	for _, s := range d.Spans {
		byID[s.SpanID] = s
		if s.TraceID != run.TraceID() || s.Status != store.StatusOK || s.EndTime.Before(s.StartTime) {
			t.Errorf("span %s %q: trace %s status %s [%v, %v]", s.Type, s.Name, s.TraceID, s.Status, s.StartTime, s.EndTime)
		}
		if s.AgentName != "otter-researcher" {
			t.Errorf("span %q: agent %q, want the run's", s.Name, s.AgentName)
		}
		if p, ok := byID[s.ParentSpanID]; ok && (s.StartTime.Before(p.StartTime) || s.EndTime.After(p.EndTime)) {
			t.Errorf("span %q is not within its parent %q", s.Name, p.Name)
		}
	}
	children := func(id string) []store.Span {
		var out []store.Span
		for _, s := range d.Spans {
			if s.ParentSpanID == id {
				out = append(out, s)
			}
		}
		slices.SortFunc(out, func(a, b store.Span) int { return a.StartTime.Compare(b.StartTime) })
		return out
	}

	root := byID[run.SpanID()]
	if root.Type != store.SpanType(tracium.SpanAgent) || root.UserID != "user-42" || string(root.Output) != `"Fish."` {
		t.Errorf("run span %s user %q output %s", root.Type, root.UserID, root.Output)
	}
	top := children(run.SpanID())
	if len(top) != 1 {
		t.Fatalf("%d spans under the run, want the agent:\n%s", len(top), describe(d.Spans))
	}
	ag := top[0]
	checkSpan(t, ag, "agent", "agent", run.SpanID(), `{"input":"What do otters eat?"}`, `{"output":"Fish."}`)
	attrs := attributes(t, ag)
	checkAttr(t, attrs, "agent.actions", []any{map[string]any{"tool": "summarize", "tool_input": "otters eat fish", "log": plan}})
	checkAttr(t, attrs, "agent.finish", map[string]any{"return_values": map[string]any{"output": "Fish."}, "log": final})

	steps := children(ag.SpanID)
	if len(steps) != 3 {
		t.Fatalf("%d spans under the agent, want plan, tool, plan:\n%s", len(steps), describe(d.Spans))
	}
	checkSpan(t, steps[1], "tool", "summarize", ag.SpanID, `"otters eat fish"`, `"Fish."`)
	for i, reply := range []string{plan, final} {
		chain := steps[2*i]
		if chain.Type != "chain" || chain.Name != "chain" || !strings.Contains(string(chain.Input), `"input":"What do otters eat?"`) {
			t.Errorf("plan %d: %s %q input %s", i, chain.Type, chain.Name, chain.Input)
		}
		llm := children(chain.SpanID)
		if len(llm) != 1 {
			t.Fatalf("plan %d: %d spans under it, want its llm span", i, len(llm))
		}
		checkLLM(t, llm[0], chain.SpanID, "", reply, true)
	}
	inner := children(steps[1].SpanID)
	if len(inner) != 1 {
		t.Fatalf("%d spans under the tool, want its llm call", len(inner))
	}
	checkLLM(t, inner[0], steps[1].SpanID, "Summarise in one word: otters eat fish", "Fish.", false)

	if d.SpanCount != 8 || d.ErrorCount != 0 || d.Status != store.StatusOK || d.AgentName != "otter-researcher" || d.UserID != "user-42" {
		t.Errorf("trace: %d spans, %d errors, %s, agent %q, user %q", d.SpanCount, d.ErrorCount, d.Status, d.AgentName, d.UserID)
	}
	want := store.Usage{InputTokens: 3 * fakellm.OpenAIPrompt, OutputTokens: 3 * fakellm.OpenAICompletion,
		CachedTokens: 3 * fakellm.OpenAICached, ReasoningTokens: 3 * fakellm.OpenAIReasoning, TotalTokens: 3 * fakellm.OpenAITotal}
	if d.Usage != want || d.CostUSD <= 0 || !slices.Contains(d.Models, fakellm.OpenAIAnswerModel) {
		t.Errorf("trace usage %+v cost %v models %v, want %+v, a cost and %s", d.Usage, d.CostUSD, d.Models, want, fakellm.OpenAIAnswerModel)
	}
}

// checkSpan asserts a stored span's type, name, parent, framework and
// its input and output JSON.
func checkSpan(t *testing.T, s store.Span, typ, name, parent, in, out string) {
	t.Helper()
	if string(s.Type) != typ || s.Name != name || s.ParentSpanID != parent {
		t.Errorf("span %s %q under %s, want %s %q under %s", s.Type, s.Name, s.ParentSpanID, typ, name, parent)
	}
	if attributes(t, s)[tracium.AttrFramework] != "langchaingo" {
		t.Errorf("span %q: attributes %s, want framework langchaingo", s.Name, s.Attributes)
	}
	if !sameJSON(s.Input, in) || !sameJSON(s.Output, out) {
		t.Errorf("span %q: input %s output %s, want %s and %s", s.Name, s.Input, s.Output, in, out)
	}
}

// checkLLM asserts a stored llm span: the wire's model and usage, the
// price, the chat sent (prompt: its one user message; "" checks only that
// it holds the question) and answered, and for a stream its time to first
// token.
func checkLLM(t *testing.T, s store.Span, parent, prompt, answer string, stream bool) {
	t.Helper()
	if s.Type != "llm" || s.Name != "llm" || s.ParentSpanID != parent {
		t.Errorf("span %s %q under %s, want llm under %s", s.Type, s.Name, s.ParentSpanID, parent)
	}
	want := store.Usage{InputTokens: fakellm.OpenAIPrompt, OutputTokens: fakellm.OpenAICompletion,
		CachedTokens: fakellm.OpenAICached, ReasoningTokens: fakellm.OpenAIReasoning, TotalTokens: fakellm.OpenAITotal}
	if s.Usage == nil || *s.Usage != want {
		t.Errorf("llm span: usage %+v, want %+v", s.Usage, want)
	}
	if s.Model != fakellm.OpenAIAnswerModel || s.RequestModel != fakellm.OpenAIModel || s.Provider != "openai" || s.CostUSD == nil || *s.CostUSD <= 0 {
		t.Errorf("llm span: model %q asked %q provider %q cost %v", s.Model, s.RequestModel, s.Provider, s.CostUSD)
	}
	in, ok := tracium.ParseChat(s.Input)
	if !ok || len(in.Messages) != 1 || in.Messages[0].Role != tracium.RoleUser ||
		prompt != "" && in.Messages[0].Text() != prompt || prompt == "" && !strings.Contains(in.Messages[0].Text(), question) {
		t.Errorf("llm span input %s", s.Input)
	}
	out, ok := tracium.ParseChat(s.Output)
	if !ok || len(out.Messages) != 1 || out.Messages[0].Text() != answer || out.Messages[0].FinishReason != "stop" {
		t.Errorf("llm span output %s, want %q", s.Output, answer)
	}
	if len(s.RawInput) == 0 {
		t.Error("llm span: no raw request")
	}
	attrs := attributes(t, s)
	if stream != (attrs[tracium.AttrStream] == true) {
		t.Errorf("llm span: stream attribute %v, want %t", attrs[tracium.AttrStream], stream)
	}
	switch {
	case stream && (s.TimeToFirstTokenMS == nil || *s.TimeToFirstTokenMS < float64(fakellm.FirstChunkDelay.Milliseconds())):
		t.Errorf("llm span: time to first token %v, want at least %v", s.TimeToFirstTokenMS, fakellm.FirstChunkDelay)
	case !stream && s.TimeToFirstTokenMS != nil:
		t.Errorf("llm span: time to first token %v on a call that did not stream", *s.TimeToFirstTokenMS)
	}
}

func attributes(t *testing.T, s store.Span) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(s.Attributes, &m); err != nil {
		t.Fatalf("span %q attributes %s: %v", s.Name, s.Attributes, err)
	}
	return m
}

func checkAttr(t *testing.T, attrs map[string]any, key string, want any) {
	t.Helper()
	got, _ := json.Marshal(attrs[key])
	w, _ := json.Marshal(want)
	if !sameJSON(got, string(w)) {
		t.Errorf("attribute %s: %s, want %s", key, got, w)
	}
}

// sameJSON reports whether raw and want encode the same value.
func sameJSON(raw []byte, want string) bool {
	var a, b any
	if json.Unmarshal(raw, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func describe(spans []store.Span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "%s %s %q parent %s\n", s.SpanID, s.Type, s.Name, s.ParentSpanID)
	}
	return b.String()
}
