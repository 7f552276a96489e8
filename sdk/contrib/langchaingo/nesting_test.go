package traciumlangchaingo_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/tools"

	tracium "github.com/tracium/tracium/sdk"
	traciumlangchaingo "github.com/tracium/tracium/sdk/contrib/langchaingo"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// agentTool runs an agent executor as another agent's tool.
type agentTool struct{ executor *agents.Executor }

func (agentTool) Name() string        { return "researcher" }
func (agentTool) Description() string { return "Researches a question." }
func (a agentTool) Call(ctx context.Context, input string) (string, error) {
	return chains.Run(ctx, a.executor, input)
}

// An agent whose tool is another agent whose tool calls the model:
// agent → tool → agent → tool → llm.
func TestAgentInsideAnAgentsTool(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{Replies: []fakellm.Reply{
		{Text: "Action: researcher\nAction Input: otters"},         // outer plan
		{Text: "Action: summarize\nAction Input: otters eat fish"}, // inner plan
		{Text: "Fish."},                          // the inner tool's own call
		{Text: "Final Answer: fish"},             // inner finish
		{Text: "Final Answer: Otters eat fish."}, // outer finish
	}})
	inner := agents.NewExecutor(agents.NewOneShotAgent(e.llm, []tools.Tool{summarizeTool{e.llm}}, agents.WithCallbacksHandler(e.h)),
		agents.WithCallbacksHandler(e.h), agents.WithMaxIterations(3))
	outer := agents.NewExecutor(agents.NewOneShotAgent(e.llm, []tools.Tool{agentTool{inner}}, agents.WithCallbacksHandler(e.h)),
		agents.WithCallbacksHandler(e.h), agents.WithMaxIterations(3))
	if answer, err := chains.Run(e.ctx, outer, "What do otters eat?"); err != nil || answer != "Otters eat fish." {
		t.Fatalf("answer %q, %v", answer, err)
	}
	tr := e.finish()
	if len(tr.ofType(tracium.SpanLLM)) != 5 || e.modelCalls() != 5 {
		t.Fatalf("%d llm spans for %d model calls, want 5:\n%s", len(tr.ofType(tracium.SpanLLM)), e.modelCalls(), tr)
	}
	ag := onlyChild(t, tr, e.run.SpanID(), tracium.SpanAgent)
	tool := onlyChild(t, tr, ag.SpanID, tracium.SpanTool)
	checkTool(t, tool, "researcher", ag.SpanID, "otters", "fish")
	innerAgent := onlyChild(t, tr, tool.SpanID, tracium.SpanAgent)
	checkChain(t, innerAgent, tracium.SpanAgent, "agent", tool.SpanID, map[string]any{"input": "otters"}, map[string]any{"output": "fish"})
	innerTool := onlyChild(t, tr, innerAgent.SpanID, tracium.SpanTool)
	checkTool(t, innerTool, "summarize", innerAgent.SpanID, "otters eat fish", "Fish.")
	checkLLM(t, onlyChild(t, tr, innerTool.SpanID, tracium.SpanLLM), llmWant{
		parent: innerTool.SpanID, input: []string{"user: Summarise in one word: otters eat fish"}, text: "Fish.", wire: true,
	})
	if plans := tr.childrenOfType(ag.SpanID, tracium.SpanChain); len(plans) != 2 {
		t.Errorf("%d plans under the outer agent, want 2:\n%s", len(plans), tr)
	}
	if plans := tr.childrenOfType(innerAgent.SpanID, tracium.SpanChain); len(plans) != 2 {
		t.Errorf("%d plans under the inner agent, want 2:\n%s", len(plans), tr)
	}
	checkWithin(t, innerAgent, tool)
}

// Two tool calls in one plan: two tool spans, in order, each with its
// input; the last has the result the next call shows.
func TestTwoToolCallsInOnePlan(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{Replies: []fakellm.Reply{
		{ToolCalls: []fakellm.ToolCall{
			{ID: "call_1", Name: "summarize", Arguments: `{"__arg1":"otters"}`},
			{ID: "call_2", Name: "summarize", Arguments: `{"__arg1":"badgers"}`},
		}},
		{Text: "Fish."}, {Text: "Worms."}, {Text: "Fish and worms."},
	}})
	agent := agents.NewOpenAIFunctionsAgent(e.llm, []tools.Tool{summarizeTool{e.llm}}, agents.WithCallbacksHandler(e.h))
	executor := agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h), agents.WithMaxIterations(3))
	if answer, err := chains.Run(e.ctx, executor, "What do otters and badgers eat?"); err != nil || answer != "Fish and worms." {
		t.Fatalf("answer %q, %v", answer, err)
	}
	tr := e.finish()
	ag := onlyChild(t, tr, e.run.SpanID(), tracium.SpanAgent)
	calls := tr.childrenOfType(ag.SpanID, tracium.SpanTool)
	if len(calls) != 2 {
		t.Fatalf("%d tool spans, want 2:\n%s", len(calls), tr)
	}
	for i, want := range []struct{ id, in, answer string }{{"call_1", "otters", "Fish."}, {"call_2", "badgers", "Worms."}} {
		c := calls[i]
		checkJSON(t, "tool input", c.Input, want.in)
		if c.Name != "summarize" || c.Attributes["gen_ai.tool.call.id"] != want.id || c.Status != "ok" {
			t.Errorf("tool span %d: %q id %v %s", i, c.Name, c.Attributes["gen_ai.tool.call.id"], c.Status)
		}
		checkLLM(t, onlyChild(t, tr, c.SpanID, tracium.SpanLLM), llmWant{
			parent: c.SpanID, input: []string{"user: Summarise in one word: " + want.in}, text: want.answer, wire: true,
		})
	}
	checkJSON(t, "last tool output", calls[1].Output, "Worms.")
	if calls[1].StartTime.Before(calls[0].EndTime) {
		t.Errorf("the second tool starts before the first ends")
	}
}

// A trace the client does not sample records nothing, and leaves nothing
// open.
func TestUnsampledTraceRecordsNothing(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{Replies: []fakellm.Reply{{Text: "Action: summarize\nAction Input: x"}, {Text: "y"}, {Text: "Final Answer: z"}}})
	client := e.col.NewClient(t, tracium.WithSampleRate(0))
	ctx, run := client.AgentTrace(context.Background(), "unsampled")
	agent := agents.NewOneShotAgent(e.llm, []tools.Tool{summarizeTool{e.llm}}, agents.WithCallbacksHandler(e.h))
	if _, err := chains.Run(ctx, agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h)), "q"); err != nil {
		t.Fatal(err)
	}
	run.End()
	spantest.Flush(t, client)
	if n := traciumlangchaingo.OpenOnThisGoroutine(); n != 0 {
		t.Errorf("%d spans left open", n)
	}
	if got := e.col.Trace(run.TraceID()); len(got) != 0 {
		t.Errorf("%d spans of an unsampled trace sent", len(got))
	}
	if e.modelCalls() != 3 {
		t.Errorf("%d model calls, want 3", e.modelCalls())
	}
}

// parallelTool asks the model two things at once, on goroutines of its
// own, with the context it was given.
type parallelTool struct{ llm llms.Model }

func (parallelTool) Name() string        { return "compare" }
func (parallelTool) Description() string { return "Compares two animals." }
func (p parallelTool) Call(ctx context.Context, input string) (string, error) {
	var wg sync.WaitGroup
	answers := make([]string, 2)
	for i, animal := range strings.Fields(input) {
		wg.Go(func() { answers[i], _ = llms.GenerateFromSinglePrompt(ctx, p.llm, "Summarise in one word: "+animal) })
	}
	wg.Wait()
	return strings.Join(answers, " "), nil
}

// The goroutines a tool starts nest their spans under the tool.
func TestToolFanningOutNestsUnderIt(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{Replies: []fakellm.Reply{{Text: "Action: compare\nAction Input: otters badgers"}, {Text: "a"}, {Text: "b"}, {Text: "Final Answer: done"}}})
	agent := agents.NewOneShotAgent(e.llm, []tools.Tool{parallelTool{e.llm}}, agents.WithCallbacksHandler(e.h))
	if _, err := chains.Run(e.ctx, agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h)), "Compare otters and badgers."); err != nil {
		t.Fatal(err)
	}
	tr := e.finish()
	tool := tr.only(tracium.SpanTool)
	inner := tr.childrenOfType(tool.SpanID, tracium.SpanLLM)
	if len(inner) != 2 || len(tr.ofType(tracium.SpanLLM)) != 4 {
		t.Fatalf("%d llm spans under the tool, %d in all, want 2 and 4:\n%s", len(inner), len(tr.ofType(tracium.SpanLLM)), tr)
	}
	var prompts []string
	for _, s := range inner {
		prompts = append(prompts, chatLines(t, s.Input)...)
		checkWithin(t, s, tool)
	}
	slices.Sort(prompts)
	if want := []string{"user: Summarise in one word: badgers", "user: Summarise in one word: otters"}; !slices.Equal(prompts, want) {
		t.Errorf("prompts under the tool %q, want %q", prompts, want)
	}
}
