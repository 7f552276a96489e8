package traciumlangchaingo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tmc/langchaingo/callbacks"
	"github.com/tmc/langchaingo/llms/openai"

	tracium "github.com/tracium/tracium/sdk"
	traciumlangchaingo "github.com/tracium/tracium/sdk/contrib/langchaingo"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// defaultCollector receives what the default client sends: the traces
// the handler starts when the context carries none. Every other test
// keeps its spans apart under an AgentTrace of a client of its own.
var defaultCollector *spantest.Collector

func TestMain(m *testing.M) {
	defaultCollector = spantest.Start()
	initDefault()
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = tracium.Shutdown(ctx)
	cancel()
	defaultCollector.Close()
	os.Exit(code)
}

// initDefault makes the default client send to defaultCollector, with
// every auto-instrumentation on, plus opts.
func initDefault(opts ...tracium.Option) *tracium.Client {
	base := []tracium.Option{
		tracium.WithAPIKey(spantest.APIKey), tracium.WithEndpoint(defaultCollector.URL),
		tracium.WithFlushInterval(10 * time.Millisecond),
	}
	return tracium.Init(append(base, opts...)...)
}

// env is one test's world: a fake OpenAI server, a collector of its own,
// a run (AgentTrace) to nest under, the handler and an OpenAI model that
// reports to it.
type env struct {
	t      *testing.T
	fake   *fakellm.Server
	col    *spantest.Collector
	client *tracium.Client
	ctx    context.Context
	run    *tracium.AgentTrace
	h      callbacks.Handler
	llm    *openai.LLM
}

func setup(t *testing.T, opts fakellm.Options) *env {
	t.Helper()
	e := &env{t: t, fake: fakellm.New(t, opts), col: spantest.NewCollector(t), h: traciumlangchaingo.NewHandler()}
	e.client = e.col.NewClient(t)
	e.ctx, e.run = e.client.AgentTrace(context.Background(), "langchaingo-test")
	e.llm = e.newLLM(openai.WithCallback(e.h))
	return e
}

// newLLM builds LangChainGo's OpenAI model against the fake, as an
// application would (its default HTTP client), plus opts.
func (e *env) newLLM(opts ...openai.Option) *openai.LLM {
	e.t.Helper()
	base := []openai.Option{
		openai.WithBaseURL(e.fake.URL + "/v1"), openai.WithToken("sk-fake"), openai.WithModel(fakellm.OpenAIModel),
	}
	llm, err := openai.New(append(base, opts...)...)
	if err != nil {
		e.t.Fatalf("openai.New: %v", err)
	}
	return llm
}

// finish ends the run and returns its trace as the collector got it.
func (e *env) finish() trace {
	e.t.Helper()
	e.run.End()
	spantest.Flush(e.t, e.client)
	return newTrace(e.t, e.col.Trace(e.run.TraceID()))
}

// modelCalls is how many chat completions the fake answered.
func (e *env) modelCalls() int {
	n := 0
	for _, r := range e.fake.Requests() {
		if r.Path == "/v1/chat/completions" {
			n++
		}
	}
	return n
}

// streams says, for each chat completion the fake answered, whether it
// was asked to stream.
func (e *env) streams() []bool {
	var out []bool
	for _, r := range e.fake.Requests() {
		if r.Path == "/v1/chat/completions" {
			var body struct {
				Stream bool `json:"stream"`
			}
			_ = json.Unmarshal(r.Body, &body)
			out = append(out, body.Stream)
		}
	}
	return out
}

// trace is one trace's spans, ordered by start time.
type trace struct {
	t     *testing.T
	spans []tracium.SpanData
}

func newTrace(t *testing.T, spans []tracium.SpanData) trace {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range spans {
		if seen[s.SpanID] {
			t.Errorf("span %s (%q) received twice", s.SpanID, s.Name)
		}
		seen[s.SpanID] = true
	}
	return trace{t: t, spans: spans}
}

// ofType returns the spans of type typ.
func (tr trace) ofType(typ tracium.SpanType) []tracium.SpanData {
	var out []tracium.SpanData
	for _, s := range tr.spans {
		if s.Type == typ {
			out = append(out, s)
		}
	}
	return out
}

// children returns the spans whose parent is id, in start order.
func (tr trace) children(id string) []tracium.SpanData {
	var out []tracium.SpanData
	for _, s := range tr.spans {
		if s.ParentSpanID == id {
			out = append(out, s)
		}
	}
	return out
}

// childrenOfType returns the children of id of type typ, in start order.
func (tr trace) childrenOfType(id string, typ tracium.SpanType) []tracium.SpanData {
	var out []tracium.SpanData
	for _, s := range tr.children(id) {
		if s.Type == typ {
			out = append(out, s)
		}
	}
	return out
}

// only returns the one span of type typ, failing the test unless there
// is exactly one.
func (tr trace) only(typ tracium.SpanType) tracium.SpanData {
	tr.t.Helper()
	got := tr.ofType(typ)
	if len(got) != 1 {
		tr.t.Fatalf("%d %s spans, want 1:\n%s", len(got), typ, tr)
	}
	return got[0]
}

// String draws the trace as a tree, for failure messages.
func (tr trace) String() string {
	var b strings.Builder
	ids := map[string]bool{}
	for _, s := range tr.spans {
		ids[s.SpanID] = true
	}
	var draw func(parent string, depth int)
	draw = func(parent string, depth int) {
		for _, s := range tr.spans {
			if depth == 0 && !ids[s.ParentSpanID] || depth > 0 && s.ParentSpanID == parent {
				fmt.Fprintf(&b, "%s%s %q %s in=%.100s out=%.100s\n", strings.Repeat("  ", depth), s.Type, s.Name, s.Status, s.Input, s.Output)
				draw(s.SpanID, depth+1)
			}
		}
	}
	draw("", 0)
	return b.String()
}

// wireUsage is the fake's usage under the token convention.
var wireUsage = tracium.Usage{
	InputTokens: fakellm.OpenAIPrompt, OutputTokens: fakellm.OpenAICompletion,
	CachedTokens: fakellm.OpenAICached, ReasoningTokens: fakellm.OpenAIReasoning, TotalTokens: fakellm.OpenAITotal,
}

// llmWant is what one llm span must hold.
type llmWant struct {
	parent string
	// input is the text of each message sent, as chatLines gives it.
	input []string
	// text is the answer's text; toolCalls its tool calls as "name(args)".
	text      string
	toolCalls []string
	finish    string
	stream    bool
	// wire says the HTTP call was recorded into the span: the answering
	// model, the raw bodies and the SDK's provider name are there.
	wire bool
	// usage is the token counts; wireUsage when nil.
	usage *tracium.Usage
}

// checkLLM asserts an llm span field by field.
func checkLLM(t *testing.T, s tracium.SpanData, w llmWant) {
	t.Helper()
	if s.Type != tracium.SpanLLM || s.Name != "llm" {
		t.Errorf("span %s %q, want llm \"llm\"", s.Type, s.Name)
	}
	if s.ParentSpanID != w.parent {
		t.Errorf("llm span: parent %s, want %s", s.ParentSpanID, w.parent)
	}
	if s.Status != "ok" || s.ErrorType != "" || s.ErrorMessage != "" {
		t.Errorf("llm span: status %q (%s: %s), want ok", s.Status, s.ErrorType, s.ErrorMessage)
	}
	if got := s.Attributes[tracium.AttrFramework]; got != "langchaingo" {
		t.Errorf("llm span: framework %v, want langchaingo", got)
	}
	want := wireUsage
	if w.usage != nil {
		want = *w.usage
	}
	if s.Usage == nil || *s.Usage != want {
		t.Errorf("llm span: usage %+v, want %+v", s.Usage, want)
	}
	if w.wire {
		if s.Provider != "openai" {
			t.Errorf("llm span: provider %q, want openai", s.Provider)
		}
		if s.Model != fakellm.OpenAIAnswerModel || s.RequestModel != fakellm.OpenAIModel {
			t.Errorf("llm span: model %q asked %q, want %q asked %q", s.Model, s.RequestModel, fakellm.OpenAIAnswerModel, fakellm.OpenAIModel)
		}
		if len(s.RawInput) == 0 || !json.Valid(s.RawInput) {
			t.Errorf("llm span: raw input %q, want the request body", s.RawInput)
		}
		if !w.stream && (len(s.RawOutput) == 0 || !json.Valid(s.RawOutput)) {
			t.Errorf("llm span: raw output %q, want the response body", s.RawOutput)
		}
	}
	if got := chatLines(t, s.Input); !slices.Equal(got, w.input) {
		t.Errorf("llm span: input\n  %q\nwant\n  %q", got, w.input)
	}
	out, ok := tracium.ParseChat(s.Output)
	if !ok || len(out.Messages) != 1 {
		t.Fatalf("llm span: output %s, want one assistant message", s.Output)
	}
	m := out.Messages[0]
	finish := cmpOr(w.finish, "stop")
	if m.Role != tracium.RoleAssistant || m.Text() != w.text || m.FinishReason != finish {
		t.Errorf("llm span: output %s %q finish %q, want assistant %q finish %q", m.Role, m.Text(), m.FinishReason, w.text, finish)
	}
	var calls []string
	for _, p := range m.Parts {
		if p.Type == tracium.PartToolCall {
			calls = append(calls, p.Name+"("+string(p.Arguments)+")")
		}
	}
	if !slices.Equal(calls, w.toolCalls) {
		t.Errorf("llm span: tool calls %q, want %q", calls, w.toolCalls)
	}
	if w.stream {
		if s.Attributes[tracium.AttrStream] != true {
			t.Errorf("llm span: stream attribute %v, want true", s.Attributes[tracium.AttrStream])
		}
		if s.TimeToFirstTokenMS == nil || *s.TimeToFirstTokenMS < float64(fakellm.FirstChunkDelay)/float64(time.Millisecond) {
			t.Errorf("llm span: time to first token %v ms, want at least the fake's %v", s.TimeToFirstTokenMS, fakellm.FirstChunkDelay)
		} else if d := s.EndTime.Sub(s.StartTime); *s.TimeToFirstTokenMS > float64(d)/float64(time.Millisecond) {
			t.Errorf("llm span: time to first token %v ms past its duration %v", *s.TimeToFirstTokenMS, d)
		}
	} else if s.TimeToFirstTokenMS != nil {
		t.Errorf("llm span: time to first token %v ms on a call that did not stream", *s.TimeToFirstTokenMS)
	}
	if s.EndTime.Before(s.StartTime) {
		t.Errorf("llm span ends before it starts")
	}
}

// chatLines reads a recorded chat as "role: text" lines, a tool call
// adding " call name(args)" and a tool result " result id=response".
func chatLines(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	c, ok := tracium.ParseChat(raw)
	if !ok {
		t.Errorf("not a recorded chat: %s", raw)
		return nil
	}
	var out []string
	for _, m := range c.Messages {
		line := m.Role + ": " + m.Text()
		for _, p := range m.Parts {
			switch p.Type {
			case tracium.PartToolCall:
				line += " call " + p.Name + "(" + string(p.Arguments) + ")"
			case tracium.PartToolCallResponse:
				line += " result " + p.ID + "=" + string(p.Response)
			}
		}
		out = append(out, line)
	}
	return out
}

// checkChain asserts a chain or agent span: its type, name, parent,
// status and the inputs and outputs it recorded (as JSON objects).
func checkChain(t *testing.T, s tracium.SpanData, typ tracium.SpanType, name, parent string, in, out map[string]any) {
	t.Helper()
	if s.Type != typ || s.Name != name || s.ParentSpanID != parent {
		t.Errorf("span %s %q under %s, want %s %q under %s", s.Type, s.Name, s.ParentSpanID, typ, name, parent)
	}
	if s.Status != "ok" {
		t.Errorf("span %q: status %q (%s: %s), want ok", s.Name, s.Status, s.ErrorType, s.ErrorMessage)
	}
	if got := s.Attributes[tracium.AttrFramework]; got != "langchaingo" {
		t.Errorf("span %q: framework %v, want langchaingo", s.Name, got)
	}
	checkJSON(t, s.Name+" input", s.Input, in)
	checkJSON(t, s.Name+" output", s.Output, out)
}

// checkJSON asserts that raw encodes the same JSON as want; a nil want
// means nothing recorded.
func checkJSON(t *testing.T, what string, raw json.RawMessage, want any) {
	t.Helper()
	if want == nil {
		if len(raw) != 0 {
			t.Errorf("%s: %s, want nothing", what, raw)
		}
		return
	}
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got, exp any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Errorf("%s: %q is not JSON: %v", what, raw, err)
		return
	}
	_ = json.Unmarshal(wantJSON, &exp)
	g, _ := json.Marshal(got)
	x, _ := json.Marshal(exp)
	if string(g) != string(x) {
		t.Errorf("%s:\n  %s\nwant\n  %s", what, g, x)
	}
}

// attribute decodes a span attribute into v, failing when it is missing.
func attribute(t *testing.T, s tracium.SpanData, key string, v any) {
	t.Helper()
	a, ok := s.Attributes[key]
	if !ok {
		t.Fatalf("span %q has no attribute %s (has %v)", s.Name, key, s.Attributes)
	}
	b, _ := json.Marshal(a)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("attribute %s %s: %v", key, b, err)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
