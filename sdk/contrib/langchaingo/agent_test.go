package traciumlangchaingo_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/tools"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

// summarizeTool is a tool that itself calls the model; like most tools
// an application writes, it fires no callbacks of its own.
type summarizeTool struct{ llm llms.Model }

func (summarizeTool) Name() string        { return "summarize" }
func (summarizeTool) Description() string { return "Summarises a text in one word." }

func (s summarizeTool) Call(ctx context.Context, input string) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, s.llm, "Summarise in one word: "+input)
}

// action is an agent action as the agent span records it.
type action struct {
	Tool      string `json:"tool"`
	ToolInput string `json:"tool_input"`
	Log       string `json:"log"`
	ToolID    string `json:"tool_id"`
}

// finishRecord is the agent's finish as the agent span records it.
type finishRecord struct {
	ReturnValues map[string]any `json:"return_values"`
	Log          string         `json:"log"`
}

func TestMRKLAgentWithAToolThatCallsTheModel(t *testing.T) {
	t.Parallel()
	plan := "Thought: I should summarise.\nAction: summarize\nAction Input: otters eat fish"
	final := "Thought: I know it.\nFinal Answer: Fish."
	e := setup(t, fakellm.Options{Replies: []fakellm.Reply{{Text: plan}, {Text: "Fish."}, {Text: final}}})
	agent := agents.NewOneShotAgent(e.llm, []tools.Tool{summarizeTool{e.llm}}, agents.WithCallbacksHandler(e.h))
	executor := agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h), agents.WithMaxIterations(3))
	answer, err := chains.Run(e.ctx, executor, "What do otters eat?")
	if err != nil || answer != "Fish." {
		t.Fatalf("answer %q, %v", answer, err)
	}
	tr := e.finish()
	if e.modelCalls() != 3 || len(tr.ofType(tracium.SpanLLM)) != 3 {
		t.Fatalf("%d llm spans for %d model calls:\n%s", len(tr.ofType(tracium.SpanLLM)), e.modelCalls(), tr)
	}
	ag := onlyChild(t, tr, e.run.SpanID(), tracium.SpanAgent)
	checkChain(t, ag, tracium.SpanAgent, "agent", e.run.SpanID(), map[string]any{"input": "What do otters eat?"}, map[string]any{"output": "Fish."})
	var actions []action
	attribute(t, ag, "agent.actions", &actions)
	if len(actions) != 1 || actions[0] != (action{Tool: "summarize", ToolInput: "otters eat fish", Log: plan}) {
		t.Errorf("agent actions %+v, want the one summarize action", actions)
	}
	var fin finishRecord
	attribute(t, ag, "agent.finish", &fin)
	if fin.Log != final || fin.ReturnValues["output"] != "Fish." {
		t.Errorf("agent finish %+v, want output Fish. and log %q", fin, final)
	}

	// Under the agent: plan (chain → llm), the tool (→ llm), plan again.
	steps := tr.children(ag.SpanID)
	if len(steps) != 3 || steps[0].Type != tracium.SpanChain || steps[1].Type != tracium.SpanTool || steps[2].Type != tracium.SpanChain {
		t.Fatalf("under the agent, want chain, tool, chain:\n%s", tr)
	}
	for i, reply := range []string{plan, final} {
		chain := steps[2*i]
		var in map[string]any
		decodeJSON(t, chain.Input, &in)
		if in["input"] != "What do otters eat?" {
			t.Errorf("plan %d input %v, want the question", i, in)
		}
		checkJSON(t, "plan output", chain.Output, map[string]any{"text": reply})
		llm := tr.childrenOfType(chain.SpanID, tracium.SpanLLM)
		if len(llm) != 1 {
			t.Fatalf("plan %d: %d llm spans, want 1:\n%s", i, len(llm), tr)
		}
		// The agent streams its plans (its handler makes it pass a
		// streaming function), so the wire's time to first token is there.
		checkLLM(t, llm[0], llmWant{parent: chain.SpanID, input: chatLines(t, llm[0].Input), text: reply, wire: true, stream: true})
		if lines := chatLines(t, llm[0].Input); len(lines) != 1 || !strings.Contains(lines[0], "What do otters eat?") {
			t.Errorf("plan %d prompt %q, want the question in it", i, lines)
		}
		checkWithin(t, chain, ag)
	}
	if got := e.streams(); !slices.Equal(got, []bool{true, false, true}) {
		t.Errorf("requests streamed %v, want the plans only", got)
	}
	if scratch := chatLines(t, tr.childrenOfType(steps[2].SpanID, tracium.SpanLLM)[0].Input)[0]; !strings.Contains(scratch, plan+"\nObservation: Fish.") {
		t.Errorf("second plan's prompt %q lacks the first action's observation", scratch)
	}

	tool := steps[1]
	checkTool(t, tool, "summarize", ag.SpanID, "otters eat fish", "Fish.")
	checkWithin(t, tool, ag)
	if tool.EndTime.After(steps[2].StartTime) {
		t.Errorf("the tool span ends %v after the next plan starts %v", tool.EndTime, steps[2].StartTime)
	}
	inner := tr.children(tool.SpanID)
	if len(inner) != 1 {
		t.Fatalf("%d spans under the tool, want its llm call:\n%s", len(inner), tr)
	}
	checkLLM(t, inner[0], llmWant{parent: tool.SpanID, input: []string{"user: Summarise in one word: otters eat fish"}, text: "Fish.", wire: true})
	checkWithin(t, inner[0], tool)
}

func TestFunctionsAgentWithAToolThatCallsTheModel(t *testing.T) {
	t.Parallel()
	call := fakellm.ToolCall{ID: "call_1", Name: "summarize", Arguments: `{"__arg1":"otters eat fish"}`}
	e := setup(t, fakellm.Options{Replies: []fakellm.Reply{{ToolCalls: []fakellm.ToolCall{call}}, {Text: "Fish."}, {Text: "They eat fish."}}})
	agent := agents.NewOpenAIFunctionsAgent(e.llm, []tools.Tool{summarizeTool{e.llm}}, agents.WithCallbacksHandler(e.h))
	executor := agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h), agents.WithMaxIterations(3))
	answer, err := chains.Run(e.ctx, executor, "What do otters eat?")
	if err != nil || answer != "They eat fish." {
		t.Fatalf("answer %q, %v", answer, err)
	}
	tr := e.finish()
	if e.modelCalls() != 3 || len(tr.ofType(tracium.SpanLLM)) != 3 {
		t.Fatalf("%d llm spans for %d model calls:\n%s", len(tr.ofType(tracium.SpanLLM)), e.modelCalls(), tr)
	}
	ag := onlyChild(t, tr, e.run.SpanID(), tracium.SpanAgent)
	checkChain(t, ag, tracium.SpanAgent, "agent", e.run.SpanID(), map[string]any{"input": "What do otters eat?"}, map[string]any{"output": "They eat fish."})
	var actions []action
	attribute(t, ag, "agent.actions", &actions)
	wantLog := "Invoking: summarize with " + call.Arguments + " \n"
	if len(actions) != 1 || actions[0] != (action{Tool: "summarize", ToolInput: "otters eat fish", Log: wantLog, ToolID: "call_1"}) {
		t.Errorf("agent actions %+v, want the one summarize call", actions)
	}

	// The functions agent calls the model itself: llm, tool (→ llm), llm.
	steps := tr.children(ag.SpanID)
	if len(steps) != 3 || steps[0].Type != tracium.SpanLLM || steps[1].Type != tracium.SpanTool || steps[2].Type != tracium.SpanLLM {
		t.Fatalf("under the agent, want llm, tool, llm:\n%s", tr)
	}
	checkLLM(t, steps[0], llmWant{
		parent: ag.SpanID, input: chatLines(t, steps[0].Input), toolCalls: []string{"summarize(" + call.Arguments + ")"},
		finish: "tool_calls", wire: true,
	})
	checkLLM(t, steps[2], llmWant{parent: ag.SpanID, input: chatLines(t, steps[2].Input), text: "They eat fish.", wire: true})
	// The functions agent passes the executor's (nil) streaming function
	// after its own, so it does not stream.
	if got := e.streams(); !slices.Equal(got, []bool{false, false, false}) {
		t.Errorf("requests streamed %v, want none", got)
	}
	if lines := chatLines(t, steps[2].Input); !strings.Contains(strings.Join(lines, "\n"), `result call_1="Fish."`) {
		t.Errorf("second call's messages %q lack the tool's result", lines)
	}
	tool := steps[1]
	checkTool(t, tool, "summarize", ag.SpanID, "otters eat fish", "Fish.")
	if tool.Attributes["gen_ai.tool.call.id"] != "call_1" {
		t.Errorf("tool call id %v, want call_1", tool.Attributes["gen_ai.tool.call.id"])
	}
	inner := tr.children(tool.SpanID)
	if len(inner) != 1 {
		t.Fatalf("%d spans under the tool, want its llm call:\n%s", len(inner), tr)
	}
	checkLLM(t, inner[0], llmWant{parent: tool.SpanID, input: []string{"user: Summarise in one word: otters eat fish"}, text: "Fish.", wire: true})
}

func TestToolWithItsOwnCallbacksIsOneSpan(t *testing.T) {
	t.Parallel()
	plan := "Action: calculator\nAction Input: 2+3"
	e := setup(t, fakellm.Options{Replies: []fakellm.Reply{{Text: plan}, {Text: "Final Answer: 5"}}})
	calc := tools.Calculator{CallbacksHandler: e.h}
	agent := agents.NewOneShotAgent(e.llm, []tools.Tool{calc}, agents.WithCallbacksHandler(e.h))
	executor := agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h), agents.WithMaxIterations(3))
	if answer, err := chains.Run(e.ctx, executor, "What is 2+3?"); err != nil || answer != "5" {
		t.Fatalf("answer %q, %v", answer, err)
	}
	tr := e.finish()
	tool := tr.only(tracium.SpanTool)
	checkTool(t, tool, "calculator", onlyChild(t, tr, e.run.SpanID(), tracium.SpanAgent).SpanID, "2+3", 5)
	if n := len(tr.children(tool.SpanID)); n != 0 {
		t.Errorf("%d spans under the calculator, want none:\n%s", n, tr)
	}
}

func TestToolCalledOnItsOwn(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	calc := tools.Calculator{CallbacksHandler: e.h}
	if out, err := calc.Call(e.ctx, "6*7"); err != nil || out != "42" {
		t.Fatalf("calculator: %q, %v", out, err)
	}
	tr := e.finish()
	checkTool(t, tr.only(tracium.SpanTool), "tool", e.run.SpanID(), "6*7", 42)
}

// checkTool asserts a tool span and the input and output it recorded.
func checkTool(t *testing.T, s tracium.SpanData, name, parent string, in, out any) {
	t.Helper()
	if s.Type != tracium.SpanTool || s.Name != name || s.ParentSpanID != parent || s.Status != "ok" {
		t.Errorf("span %s %q under %s (%s), want tool %q under %s", s.Type, s.Name, s.ParentSpanID, s.Status, name, parent)
	}
	if s.Attributes[tracium.AttrFramework] != "langchaingo" {
		t.Errorf("tool span: framework %v, want langchaingo", s.Attributes[tracium.AttrFramework])
	}
	checkJSON(t, name+" input", s.Input, in)
	checkJSON(t, name+" output", s.Output, out)
}

// decodeJSON reads raw into v.
func decodeJSON(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// onlyChild returns the one child of parent of type typ.
func onlyChild(t *testing.T, tr trace, parent string, typ tracium.SpanType) tracium.SpanData {
	t.Helper()
	got := tr.childrenOfType(parent, typ)
	if len(got) != 1 {
		t.Fatalf("%d %s spans under %s, want 1:\n%s", len(got), typ, parent, tr)
	}
	return got[0]
}
