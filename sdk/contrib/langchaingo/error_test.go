package traciumlangchaingo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/tools"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

// checkFailedLLM asserts the llm span of a call the provider refused
// with status: the wire's error, no usage, no answer.
func checkFailedLLM(t *testing.T, s tracium.SpanData, parent string, status int) {
	t.Helper()
	if s.Type != tracium.SpanLLM || s.ParentSpanID != parent {
		t.Errorf("span %s %q under %s, want llm under %s", s.Type, s.Name, s.ParentSpanID, parent)
	}
	if s.Status != "error" || s.ErrorType != "server_error" || s.ErrorMessage != fmt.Sprintf("fake error %d", status) {
		t.Errorf("llm span: %s %q %q, want error server_error %q", s.Status, s.ErrorType, s.ErrorMessage, fmt.Sprintf("fake error %d", status))
	}
	if s.Attributes["http_status"] != float64(status) || s.Attributes[tracium.AttrFramework] != "langchaingo" {
		t.Errorf("llm span attributes %v, want http_status %d and framework langchaingo", s.Attributes, status)
	}
	if s.Usage != nil || s.Provider != "openai" || s.RequestModel != fakellm.OpenAIModel {
		t.Errorf("llm span: usage %+v provider %q request model %q, want no usage, openai, %s", s.Usage, s.Provider, s.RequestModel, fakellm.OpenAIModel)
	}
	if got := chatLines(t, s.Input); len(got) == 0 {
		t.Errorf("llm span: no input recorded")
	}
	if _, ok := tracium.ParseChat(s.Output); ok {
		t.Errorf("llm span: output %s on a refused call", s.Output)
	}
}

func TestProviderErrors(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 500} {
		for _, stream := range []bool{false, true} {
			opts := func() []llms.CallOption {
				if stream {
					return []llms.CallOption{llms.WithStreamingFunc(func(context.Context, []byte) error { return nil })}
				}
				return nil
			}
			name := fmt.Sprintf("%d/stream=%t", status, stream)
			t.Run(name+"/model", func(t *testing.T) {
				// OpenAI's provider fires no HandleLLMError: the failed HTTP
				// call ends the span.
				t.Parallel()
				e := setup(t, fakellm.Options{FailStatuses: []int{status}})
				_, err := e.llm.GenerateContent(e.ctx, question(), opts()...)
				if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("fake error %d", status)) {
					t.Fatalf("error %v, want the provider's", err)
				}
				tr := e.finish()
				if len(tr.spans) != 2 || e.modelCalls() != 1 {
					t.Fatalf("%d spans for %d model calls, want the run and one llm span:\n%s", len(tr.spans), e.modelCalls(), tr)
				}
				checkFailedLLM(t, tr.only(tracium.SpanLLM), e.run.SpanID(), status)
			})
			t.Run(name+"/chain", func(t *testing.T) {
				t.Parallel()
				e := setup(t, fakellm.Options{FailStatuses: []int{status}})
				chain := factsChain(e.llm, e.h)
				_, err := chains.Call(e.ctx, chain, map[string]any{"topic": "otters"}, chainOpts(stream)...)
				if err == nil {
					t.Fatal("no error")
				}
				tr := e.finish()
				if len(tr.spans) != 3 || e.modelCalls() != 1 {
					t.Fatalf("%d spans for %d model calls, want run, chain, llm:\n%s", len(tr.spans), e.modelCalls(), tr)
				}
				c := tr.only(tracium.SpanChain)
				if c.Status != "error" || c.ErrorMessage != err.Error() || c.ParentSpanID != e.run.SpanID() {
					t.Errorf("chain span %s %q under %s, want error %q under the run", c.Status, c.ErrorMessage, c.ParentSpanID, err)
				}
				if c.Output != nil {
					t.Errorf("failed chain's output %s, want none", c.Output)
				}
				checkFailedLLM(t, tr.only(tracium.SpanLLM), c.SpanID, status)
			})
		}
	}
}

// chainOpts makes a chain's model call stream.
func chainOpts(stream bool) []chains.ChainCallOption {
	if stream {
		return []chains.ChainCallOption{chains.WithStreamingFunc(func(context.Context, []byte) error { return nil })}
	}
	return nil
}

// brokenTool fails.
type brokenTool struct{}

func (brokenTool) Name() string        { return "lookup" }
func (brokenTool) Description() string { return "Looks things up." }
func (brokenTool) Call(context.Context, string) (string, error) {
	return "", errors.New("lookup: index offline")
}

var _ tools.Tool = brokenTool{}

func TestFailingToolFailsItsSpanAndTheAgent(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{Replies: []fakellm.Reply{{Text: "Action: lookup\nAction Input: otters"}}})
	agent := agents.NewOneShotAgent(e.llm, []tools.Tool{brokenTool{}}, agents.WithCallbacksHandler(e.h))
	executor := agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h), agents.WithMaxIterations(3))
	if _, err := chains.Run(e.ctx, executor, "What do otters eat?"); err == nil || err.Error() != "lookup: index offline" {
		t.Fatalf("error %v, want the tool's", err)
	}
	tr := e.finish()
	ag := onlyChild(t, tr, e.run.SpanID(), tracium.SpanAgent)
	tool := tr.only(tracium.SpanTool)
	for _, s := range []tracium.SpanData{ag, tool} {
		if s.Status != "error" || s.ErrorMessage != "lookup: index offline" {
			t.Errorf("%s span %q: %s %q, want the tool's error", s.Type, s.Name, s.Status, s.ErrorMessage)
		}
	}
	if tool.Name != "lookup" || tool.ParentSpanID != ag.SpanID || tool.Output != nil {
		t.Errorf("tool span %q under %s output %s, want lookup under the agent, no output", tool.Name, tool.ParentSpanID, tool.Output)
	}
	if n := len(tr.ofType(tracium.SpanLLM)); n != 1 || e.modelCalls() != 1 {
		t.Errorf("%d llm spans for %d model calls, want 1", n, e.modelCalls())
	}
}
