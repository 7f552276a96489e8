package traciumlangchaingo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/callbacks"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/memory"
	"github.com/tmc/langchaingo/schema"
	"github.com/tmc/langchaingo/tools"

	tracium "github.com/tracium/tracium/sdk"
	traciumlangchaingo "github.com/tracium/tracium/sdk/contrib/langchaingo"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

// llmFor builds an OpenAI model against fake that reports to the test's
// handler.
func (e *env) llmFor(fake *fakellm.Server) *openai.LLM {
	e.t.Helper()
	llm, err := openai.New(openai.WithBaseURL(fake.URL+"/v1"), openai.WithToken("sk-fake"),
		openai.WithModel(fakellm.OpenAIModel), openai.WithCallback(e.h))
	if err != nil {
		e.t.Fatal(err)
	}
	return llm
}

// Ten goroutines call a sequential chain (chain → chain → llm twice) with
// one context at once. Each goroutine's model answers with its own words,
// so every span says which run it belongs to.
func TestTenConcurrentChainsInOneTrace(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	const n = 10
	fakes := make([]*fakellm.Server, n)
	seqs := make([]chains.Chain, n)
	for i := range n {
		fakes[i] = fakellm.New(t, fakellm.Options{Words: []string{"answer ", fmt.Sprint(i)}})
		llm := e.llmFor(fakes[i])
		seq, err := chains.NewSequentialChain([]chains.Chain{factsChain(llm, e.h), summaryChain(llm, e.h)}, []string{"topic"}, []string{"summary"})
		if err != nil {
			t.Fatal(err)
		}
		seqs[i] = traciumlangchaingo.Chain(seq)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			out, err := chains.Call(e.ctx, seqs[i], map[string]any{"topic": fmt.Sprint("topic ", i)})
			if err != nil || out["summary"] != fmt.Sprint("answer ", i) {
				t.Errorf("run %d: %v, %v", i, out, err)
			}
		})
	}
	close(start)
	wg.Wait()
	tr := e.finish()

	top := tr.childrenOfType(e.run.SpanID(), tracium.SpanChain)
	if len(top) != n || len(tr.spans) != 1+n*5 {
		t.Fatalf("%d chains under the run and %d spans, want %d and %d:\n%s", len(top), len(tr.spans), n, 1+n*5, tr)
	}
	seen := map[string]bool{}
	for _, seq := range top {
		var in map[string]string
		decodeJSON(t, seq.Input, &in)
		var i int
		if _, err := fmt.Sscanf(in["topic"], "topic %d", &i); err != nil || seen[in["topic"]] {
			t.Fatalf("sequential chain input %s: want a topic of its own", seq.Input)
		}
		seen[in["topic"]] = true
		answer := fmt.Sprint("answer ", i)
		checkChain(t, seq, tracium.SpanChain, "SequentialChain", e.run.SpanID(), map[string]any{"topic": in["topic"]}, map[string]any{"summary": answer})
		steps := tr.childrenOfType(seq.SpanID, tracium.SpanChain)
		if len(steps) != 2 {
			t.Fatalf("run %d: %d chains under its sequential chain, want 2:\n%s", i, len(steps), tr)
		}
		checkChain(t, steps[0], tracium.SpanChain, "chain", seq.SpanID, map[string]any{"topic": in["topic"]}, map[string]any{"facts": answer})
		checkChain(t, steps[1], tracium.SpanChain, "chain", seq.SpanID, map[string]any{"facts": answer}, map[string]any{"summary": answer})
		prompts := []string{"user: Tell me about " + in["topic"] + ".", "user: Summarise: " + answer}
		for j, step := range steps {
			llm := tr.children(step.SpanID)
			if len(llm) != 1 {
				t.Fatalf("run %d chain %d: %d spans under it, want its llm span:\n%s", i, j, len(llm), tr)
			}
			checkLLM(t, llm[0], llmWant{parent: step.SpanID, input: []string{prompts[j]}, text: answer, wire: true})
			checkWithin(t, llm[0], step)
			checkWithin(t, step, seq)
		}
	}
	for i, f := range fakes {
		if got := len(f.Requests()); got != 2 {
			t.Errorf("run %d made %d model calls, want 2", i, got)
		}
	}
}

// Five agents run at once in one trace, each with a tool that calls the
// model: agent → tool → llm must hold in each.
func TestConcurrentAgentsInOneTrace(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	const n = 5
	executors := make([]*agents.Executor, n)
	for i := range n {
		fake := fakellm.New(t, fakellm.Options{Replies: []fakellm.Reply{
			{Text: fmt.Sprintf("Action: summarize\nAction Input: question %d", i)},
			{Text: fmt.Sprint("word ", i)},
			{Text: fmt.Sprint("Final Answer: answer ", i)},
		}})
		llm := e.llmFor(fake)
		agent := agents.NewOneShotAgent(llm, []tools.Tool{summarizeTool{llm}}, agents.WithCallbacksHandler(e.h))
		executors[i] = agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h), agents.WithMaxIterations(3))
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if answer, err := chains.Run(e.ctx, executors[i], fmt.Sprint("question ", i)); err != nil || answer != fmt.Sprint("answer ", i) {
				t.Errorf("agent %d: %q, %v", i, answer, err)
			}
		})
	}
	wg.Wait()
	tr := e.finish()
	ags := tr.childrenOfType(e.run.SpanID(), tracium.SpanAgent)
	if len(ags) != n || len(tr.ofType(tracium.SpanLLM)) != 3*n {
		t.Fatalf("%d agents and %d llm spans, want %d and %d:\n%s", len(ags), len(tr.ofType(tracium.SpanLLM)), n, 3*n, tr)
	}
	for _, ag := range ags {
		var in map[string]string
		decodeJSON(t, ag.Input, &in)
		var i int
		if _, err := fmt.Sscanf(in["input"], "question %d", &i); err != nil {
			t.Fatalf("agent input %s", ag.Input)
		}
		checkChain(t, ag, tracium.SpanAgent, "agent", e.run.SpanID(), map[string]any{"input": in["input"]}, map[string]any{"output": fmt.Sprint("answer ", i)})
		steps := tr.children(ag.SpanID)
		if len(steps) != 3 || steps[1].Type != tracium.SpanTool {
			t.Fatalf("agent %d: want chain, tool, chain under it:\n%s", i, tr)
		}
		checkTool(t, steps[1], "summarize", ag.SpanID, fmt.Sprint("question ", i), fmt.Sprint("word ", i))
		inner := tr.children(steps[1].SpanID)
		if len(inner) != 1 {
			t.Fatalf("agent %d: %d spans under its tool, want its llm span:\n%s", i, len(inner), tr)
		}
		checkLLM(t, inner[0], llmWant{parent: steps[1].SpanID, input: []string{fmt.Sprint("user: Summarise in one word: question ", i)}, text: fmt.Sprint("word ", i), wire: true})
		for _, plan := range []tracium.SpanData{steps[0], steps[2]} {
			if llm := tr.childrenOfType(plan.SpanID, tracium.SpanLLM); len(llm) != 1 {
				t.Errorf("agent %d: plan with %d llm spans, want 1", i, len(llm))
			}
		}
	}
}

// chains.Apply runs one chain over many inputs on its own goroutines,
// with the caller's context.
func TestApplyRunsUnderTheRun(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	inputs := make([]map[string]any, 10)
	for i := range inputs {
		inputs[i] = map[string]any{"topic": fmt.Sprint("topic ", i)}
	}
	if _, err := chains.Apply(e.ctx, factsChain(e.llm, e.h), inputs, 4); err != nil {
		t.Fatal(err)
	}
	tr := e.finish()
	checkFanOut(t, tr, e.run.SpanID(), len(inputs), e.fake.Reply())
}

// fanOut is a chain of an application's that runs its inner chain over
// many topics at once with chains.Apply, as MapReduceDocuments does.
type fanOut struct {
	inner chains.Chain
	h     callbacks.Handler
}

func (f fanOut) Call(ctx context.Context, in map[string]any, _ ...chains.ChainCallOption) (map[string]any, error) {
	var inputs []map[string]any
	for _, topic := range in["topics"].([]string) {
		inputs = append(inputs, map[string]any{"topic": topic})
	}
	outs, err := chains.Apply(ctx, f.inner, inputs, 3)
	if err != nil {
		return nil, err
	}
	return map[string]any{"answers": len(outs)}, nil
}

func (fanOut) GetMemory() schema.Memory                { return memory.NewSimple() }
func (fanOut) GetInputKeys() []string                  { return []string{"topics"} }
func (fanOut) GetOutputKeys() []string                 { return []string{"answers"} }
func (f fanOut) GetCallbackHandler() callbacks.Handler { return f.h }

// The goroutines a chain starts with its own context nest under it.
func TestFanOutInsideAChainNestsUnderIt(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	topics := []string{"topic 0", "topic 1", "topic 2", "topic 3", "topic 4", "topic 5"}
	if _, err := chains.Call(e.ctx, fanOut{inner: factsChain(e.llm, e.h), h: e.h}, map[string]any{"topics": topics}); err != nil {
		t.Fatal(err)
	}
	tr := e.finish()
	outer := onlyChild(t, tr, e.run.SpanID(), tracium.SpanChain)
	checkChain(t, outer, tracium.SpanChain, "chain", e.run.SpanID(), map[string]any{"topics": topics}, map[string]any{"answers": len(topics)})
	checkFanOut(t, tr, outer.SpanID, len(topics), e.fake.Reply())
}

// checkFanOut asserts n chain spans under parent, one per topic, each
// with the llm span of its own topic.
func checkFanOut(t *testing.T, tr trace, parent string, n int, reply string) {
	t.Helper()
	got := tr.childrenOfType(parent, tracium.SpanChain)
	if len(got) != n || len(tr.ofType(tracium.SpanLLM)) != n {
		t.Fatalf("%d chains under the parent, %d llm spans, want %d each:\n%s", len(got), len(tr.ofType(tracium.SpanLLM)), n, tr)
	}
	seen := map[string]bool{}
	for _, c := range got {
		var in map[string]string
		decodeJSON(t, c.Input, &in)
		if seen[in["topic"]] {
			t.Errorf("topic %q twice", in["topic"])
		}
		seen[in["topic"]] = true
		checkChain(t, c, tracium.SpanChain, "chain", parent, map[string]any{"topic": in["topic"]}, map[string]any{"facts": reply})
		llm := tr.children(c.SpanID)
		if len(llm) != 1 {
			t.Fatalf("chain %q: %d spans under it, want its llm span:\n%s", in["topic"], len(llm), tr)
		}
		checkLLM(t, llm[0], llmWant{parent: c.SpanID, input: []string{"user: Tell me about " + in["topic"] + "."}, text: reply, wire: true})
	}
}
