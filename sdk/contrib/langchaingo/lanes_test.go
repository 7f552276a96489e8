package traciumlangchaingo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/callbacks"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/tools"
	"github.com/tmc/langchaingo/vectorstores"

	tracium "github.com/tracium/tracium/sdk"
	traciumlangchaingo "github.com/tracium/tracium/sdk/contrib/langchaingo"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

// Whatever a run does, successful or failing, the handler holds no span
// open on the caller's goroutine once it returns.
func TestRunsLeaveNoSpanOpen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts fakellm.Options
		run  func(e *env) error
	}{
		{name: "model", run: func(e *env) error { _, err := e.llm.GenerateContent(e.ctx, question()); return err }},
		{name: "model stream", run: func(e *env) error {
			_, err := e.llm.GenerateContent(e.ctx, question(), llms.WithStreamingFunc(func(context.Context, []byte) error { return nil }))
			return err
		}},
		{name: "model 500", opts: fakellm.Options{FailStatuses: []int{500}}, run: func(e *env) error {
			_, err := e.llm.GenerateContent(e.ctx, question())
			return err
		}},
		{name: "chain 400", opts: fakellm.Options{FailStatuses: []int{400}}, run: func(e *env) error {
			_, err := chains.Call(e.ctx, factsChain(e.llm, e.h), map[string]any{"topic": "otters"})
			return err
		}},
		{name: "chain 500 unseen", opts: fakellm.Options{FailStatuses: []int{500}}, run: func(e *env) error {
			llm := e.newLLM(openai.WithCallback(e.h), openai.WithHTTPClient(plainClient(e.t)))
			_, err := chains.Call(e.ctx, factsChain(llm, e.h), map[string]any{"topic": "otters"})
			return err
		}},
		{name: "sequential", run: func(e *env) error {
			seq, _ := chains.NewSequentialChain([]chains.Chain{factsChain(e.llm, e.h), summaryChain(e.llm, e.h)}, []string{"topic"}, []string{"summary"})
			_, err := chains.Call(e.ctx, traciumlangchaingo.Chain(seq), map[string]any{"topic": "otters"})
			return err
		}},
		{name: "agent", opts: fakellm.Options{Replies: []fakellm.Reply{{Text: "Action: summarize\nAction Input: x"}, {Text: "y"}, {Text: "Final Answer: z"}}}, run: func(e *env) error {
			agent := agents.NewOneShotAgent(e.llm, []tools.Tool{summarizeTool{e.llm}}, agents.WithCallbacksHandler(e.h))
			_, err := chains.Run(e.ctx, agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h)), "q")
			return err
		}},
		{name: "agent tool error", opts: fakellm.Options{Replies: []fakellm.Reply{{Text: "Action: lookup\nAction Input: x"}}}, run: func(e *env) error {
			agent := agents.NewOneShotAgent(e.llm, []tools.Tool{brokenTool{}}, agents.WithCallbacksHandler(e.h))
			_, err := chains.Run(e.ctx, agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h)), "q")
			return err
		}},
		{name: "agent out of iterations", opts: fakellm.Options{Replies: []fakellm.Reply{{Text: "Action: summarize\nAction Input: x"}, {Text: "y"}}}, run: func(e *env) error {
			agent := agents.NewOneShotAgent(e.llm, []tools.Tool{summarizeTool{e.llm}}, agents.WithCallbacksHandler(e.h))
			_, err := chains.Run(e.ctx, agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h), agents.WithMaxIterations(1)), "q")
			if !errors.Is(err, agents.ErrNotFinished) {
				return err
			}
			return nil
		}},
		{name: "retriever", run: func(e *env) error {
			r := vectorstores.ToRetriever(newStore(e.t), 2)
			r.CallbacksHandler = e.h
			_, err := r.GetRelevantDocuments(e.ctx, "otters")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, tc.opts)
			_ = tc.run(e)
			if n := traciumlangchaingo.OpenOnThisGoroutine(); n != 0 {
				t.Errorf("%d spans still open on the caller's goroutine", n)
			}
			tr := e.finish()
			for _, s := range tr.spans {
				if s.EndTime.Before(s.StartTime) {
					t.Errorf("span %q ends before it starts", s.Name)
				}
			}
		})
	}
}

// A model call that fails where the transport does not see it is ended
// by the chain's error, with that error.
func TestChainErrorEndsAFailedCallTheWireDidNotSee(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{FailStatuses: []int{500}})
	llm := e.newLLM(openai.WithCallback(e.h), openai.WithHTTPClient(plainClient(t)))
	_, err := chains.Call(e.ctx, factsChain(llm, e.h), map[string]any{"topic": "otters"})
	if err == nil {
		t.Fatal("no error")
	}
	tr := e.finish()
	chain, llmSpan := tr.only(tracium.SpanChain), tr.only(tracium.SpanLLM)
	for _, s := range []tracium.SpanData{chain, llmSpan} {
		if s.Status != "error" || s.ErrorMessage != err.Error() {
			t.Errorf("%s span: %s %q, want error %q", s.Type, s.Status, s.ErrorMessage, err)
		}
	}
	if llmSpan.ParentSpanID != chain.SpanID || llmSpan.Usage != nil {
		t.Errorf("llm span under %s usage %+v, want under the chain with no usage", llmSpan.ParentSpanID, llmSpan.Usage)
	}
}

// promptModel reports its calls the way a legacy completion model would:
// HandleLLMStart with the prompts, then the content callbacks.
type promptModel struct{ h callbacks.Handler }

func (m promptModel) GenerateContent(ctx context.Context, ms []llms.MessageContent, _ ...llms.CallOption) (*llms.ContentResponse, error) {
	m.h.HandleLLMStart(ctx, []string{"What do otters eat?"})
	m.h.HandleLLMGenerateContentStart(ctx, ms)
	res := &llms.ContentResponse{Choices: []*llms.ContentChoice{{Content: "Fish.", StopReason: "stop", GenerationInfo: localInfo}}}
	m.h.HandleLLMGenerateContentEnd(ctx, res)
	return res, nil
}

func (m promptModel) Call(ctx context.Context, prompt string, opts ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, opts...)
}

func TestLLMStartThenContentStartIsOneSpan(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	if _, err := (promptModel{e.h}).GenerateContent(e.ctx, question()); err != nil {
		t.Fatal(err)
	}
	tr := e.finish()
	checkLLM(t, tr.only(tracium.SpanLLM), llmWant{parent: e.run.SpanID(), input: questionLines, text: "Fish."})
}
