package traciumlangchaingo_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/tmc/langchaingo/callbacks"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/openai"

	tracium "github.com/tracium/tracium/sdk"
	traciumlangchaingo "github.com/tracium/tracium/sdk/contrib/langchaingo"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

// plainClient is an HTTP client of the application's own that Tracium's
// transport does not wrap: the handler alone sees the model calls.
func plainClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// When the HTTP call is not seen, the handler records the call from its
// callbacks: the usage from GenerationInfo, the chat from the messages
// and the answer; the answering model stays unknown.
func TestModelCallNotSeenOnTheWire(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  func(e *env, llm *openai.LLM) error
		// stream says the call streamed; ttft that the handler saw the
		// first chunk (its own streaming function got it).
		stream, ttft bool
		input        []string
	}{
		{name: "json", run: func(e *env, llm *openai.LLM) error {
			_, err := llm.GenerateContent(e.ctx, question())
			return err
		}},
		{name: "streamed to the handler", stream: true, ttft: true, input: []string{"user: Tell me about otters."}, run: func(e *env, llm *openai.LLM) error {
			// A chain called with the handler streams its model's answer to
			// it (the chain itself has none, so it records no span).
			_, err := chains.Call(e.ctx, factsChain(llm, nil), map[string]any{"topic": "otters"}, chains.WithCallback(e.h))
			return err
		}},
		{name: "streamed to the application", stream: true, run: func(e *env, llm *openai.LLM) error {
			// Chunks go only to the application's function: no time to
			// first token without the wire.
			_, err := llm.GenerateContent(e.ctx, question(), llms.WithStreamingFunc(func(context.Context, []byte) error { return nil }))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, fakellm.Options{})
			llm := e.newLLM(openai.WithCallback(e.h), openai.WithHTTPClient(plainClient(t)))
			if err := tc.run(e, llm); err != nil {
				t.Fatal(err)
			}
			tr := e.finish()
			if got := len(tr.ofType(tracium.SpanLLM)); got != 1 || e.modelCalls() != 1 {
				t.Fatalf("%d llm spans for %d model calls, want 1:\n%s", got, e.modelCalls(), tr)
			}
			s := tr.only(tracium.SpanLLM)
			if s.Model != "" || s.RequestModel != "" || s.RawInput != nil || s.RawOutput != nil {
				t.Errorf("llm span: model %q asked %q, raw %s / %s: want none of the wire's fields", s.Model, s.RequestModel, s.RawInput, s.RawOutput)
			}
			if got := e.streams(); got[0] != tc.stream {
				t.Fatalf("the call streamed: %t, want %t", got[0], tc.stream)
			}
			input := questionLines
			if tc.input != nil {
				input = tc.input
			}
			// The handler's view: what checkLLM asserts of a wire-less span
			// that streamed is the time to first token from the handler.
			checkLLM(t, s, llmWant{parent: e.run.SpanID(), input: input, text: e.fake.Reply(), stream: tc.ttft})
			if !tc.ttft && s.TimeToFirstTokenMS != nil {
				t.Errorf("time to first token %v ms with no chunk seen", *s.TimeToFirstTokenMS)
			}
			if s.Provider != "openai" {
				t.Errorf("provider %q, want openai (from the usage keys)", s.Provider)
			}
		})
	}
}

// An application's own HTTP client gets the wire back through Transport.
func TestTransportForAClientOfTheApplications(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "sse"}[stream], func(t *testing.T) {
			t.Parallel()
			e := setup(t, fakellm.Options{})
			base := &http.Transport{}
			t.Cleanup(base.CloseIdleConnections)
			llm := e.newLLM(openai.WithCallback(e.h), openai.WithHTTPClient(&http.Client{Transport: traciumlangchaingo.Transport(base)}))
			var opts []llms.CallOption
			if stream {
				opts = append(opts, llms.WithStreamingFunc(func(context.Context, []byte) error { return nil }))
			}
			if _, err := llm.GenerateContent(e.ctx, question(), opts...); err != nil {
				t.Fatal(err)
			}
			tr := e.finish()
			if len(tr.spans) != 2 {
				t.Fatalf("%d spans, want the run and one llm span:\n%s", len(tr.spans), tr)
			}
			checkLLM(t, tr.only(tracium.SpanLLM), llmWant{parent: e.run.SpanID(), input: questionLines, text: e.fake.Reply(), wire: true, stream: stream})
		})
	}
}

// A span a tool starts under Context nests under the tool's span.
func TestContextNestsAToolsOwnSpans(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	var own, bare string
	tool := callbackTool{h: e.h, call: func(ctx context.Context) {
		_, s := tracium.StartSpan(traciumlangchaingo.Context(ctx), tracium.SpanCustom, "lookup")
		own = s.SpanID()
		s.End()
		_, s = tracium.StartSpan(ctx, tracium.SpanCustom, "bare")
		bare = s.SpanID()
		s.End()
	}}
	if _, err := tool.Call(e.ctx, "otters"); err != nil {
		t.Fatal(err)
	}
	tr := e.finish()
	toolSpan := tr.only(tracium.SpanTool)
	for _, s := range tr.ofType(tracium.SpanCustom) {
		want := map[string]string{own: toolSpan.SpanID, bare: e.run.SpanID()}[s.SpanID]
		if s.ParentSpanID != want {
			t.Errorf("span %q under %s, want %s", s.Name, s.ParentSpanID, want)
		}
	}
	if got := len(tr.ofType(tracium.SpanCustom)); got != 2 {
		t.Fatalf("%d custom spans, want 2:\n%s", got, tr)
	}
	if ctx := context.Background(); traciumlangchaingo.Context(ctx) != ctx {
		t.Error("Context outside any handler span returned a new context")
	}
}

// callbackTool is a tool that reports to its handler, as LangChainGo's
// own tools do, and runs call in between.
type callbackTool struct {
	h    callbacks.Handler
	call func(context.Context)
}

func (c callbackTool) Call(ctx context.Context, input string) (string, error) {
	c.h.HandleToolStart(ctx, input)
	c.call(ctx)
	c.h.HandleToolEnd(ctx, "done")
	return "done", nil
}
