package traciumlangchaingo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tmc/langchaingo/callbacks"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/prompts"

	tracium "github.com/tracium/tracium/sdk"
	traciumlangchaingo "github.com/tracium/tracium/sdk/contrib/langchaingo"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

// factsChain asks for facts about {{.topic}} into "facts".
func factsChain(llm llms.Model, h callbacks.Handler) *chains.LLMChain {
	c := chains.NewLLMChain(llm, prompts.NewPromptTemplate("Tell me about {{.topic}}.", []string{"topic"}), chains.WithCallback(h))
	c.OutputKey = "facts"
	return c
}

// summaryChain summarises {{.facts}} into "summary".
func summaryChain(llm llms.Model, h callbacks.Handler) *chains.LLMChain {
	c := chains.NewLLMChain(llm, prompts.NewPromptTemplate("Summarise: {{.facts}}", []string{"facts"}), chains.WithCallback(h))
	c.OutputKey = "summary"
	return c
}

func TestLLMChainWithAPromptTemplate(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	out, err := chains.Call(e.ctx, factsChain(e.llm, e.h), map[string]any{"topic": "otters"})
	if err != nil {
		t.Fatal(err)
	}
	if out["facts"] != e.fake.Reply() {
		t.Fatalf("output %v, want facts %q", out, e.fake.Reply())
	}
	tr := e.finish()
	if len(tr.spans) != 3 || e.modelCalls() != 1 {
		t.Fatalf("%d spans for %d model calls, want run, chain, llm:\n%s", len(tr.spans), e.modelCalls(), tr)
	}
	chain := tr.only(tracium.SpanChain)
	checkChain(t, chain, tracium.SpanChain, "chain", e.run.SpanID(),
		map[string]any{"topic": "otters"}, map[string]any{"facts": e.fake.Reply()})
	checkLLM(t, tr.only(tracium.SpanLLM), llmWant{parent: chain.SpanID, input: []string{"user: Tell me about otters."}, text: e.fake.Reply(), wire: true})
	checkWithin(t, tr.only(tracium.SpanLLM), chain)
}

func TestSequentialChainOfTwoChains(t *testing.T) {
	t.Parallel()
	replies := []fakellm.Reply{{Text: "Otters eat fish and crabs."}, {Text: "Fish."}}
	newSeq := func(e *env) chains.Chain {
		seq, err := chains.NewSequentialChain([]chains.Chain{factsChain(e.llm, e.h), summaryChain(e.llm, e.h)},
			[]string{"topic"}, []string{"summary"})
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	// check asserts the two chains, each with its llm span, under parent.
	check := func(t *testing.T, e *env, tr trace, parent string) {
		t.Helper()
		steps := tr.childrenOfType(parent, tracium.SpanChain)
		if len(steps) != 2 || e.modelCalls() != 2 || len(tr.ofType(tracium.SpanLLM)) != 2 {
			t.Fatalf("%d chains under the parent for %d model calls:\n%s", len(steps), e.modelCalls(), tr)
		}
		checkChain(t, steps[0], tracium.SpanChain, "chain", parent, map[string]any{"topic": "otters"}, map[string]any{"facts": replies[0].Text})
		checkChain(t, steps[1], tracium.SpanChain, "chain", parent, map[string]any{"facts": replies[0].Text}, map[string]any{"summary": replies[1].Text})
		inputs := []string{"user: Tell me about otters.", "user: Summarise: " + replies[0].Text}
		for i, step := range steps {
			llm := tr.childrenOfType(step.SpanID, tracium.SpanLLM)
			if len(llm) != 1 {
				t.Fatalf("chain %d has %d llm spans, want 1:\n%s", i, len(llm), tr)
			}
			checkLLM(t, llm[0], llmWant{parent: step.SpanID, input: []string{inputs[i]}, text: replies[i].Text, wire: true})
			checkWithin(t, llm[0], step)
		}
		if steps[1].StartTime.Before(steps[0].EndTime) {
			t.Errorf("the second chain starts %v before the first ends %v", steps[1].StartTime, steps[0].EndTime)
		}
	}

	t.Run("wrapped", func(t *testing.T) {
		t.Parallel()
		e := setup(t, fakellm.Options{Replies: replies})
		out, err := chains.Call(e.ctx, traciumlangchaingo.Chain(newSeq(e)), map[string]any{"topic": "otters"})
		if err != nil || out["summary"] != replies[1].Text {
			t.Fatalf("output %v, %v", out, err)
		}
		tr := e.finish()
		seq := tr.childrenOfType(e.run.SpanID(), tracium.SpanChain)
		if len(seq) != 1 {
			t.Fatalf("%d chains under the run, want the sequential chain:\n%s", len(seq), tr)
		}
		checkChain(t, seq[0], tracium.SpanChain, "SequentialChain", e.run.SpanID(),
			map[string]any{"topic": "otters"}, map[string]any{"summary": replies[1].Text})
		check(t, e, tr, seq[0].SpanID)
		for _, step := range tr.children(seq[0].SpanID) {
			checkWithin(t, step, seq[0])
		}
	})
	t.Run("unwrapped", func(t *testing.T) {
		// A SequentialChain fires no callbacks of its own: its chains hang
		// from the run.
		t.Parallel()
		e := setup(t, fakellm.Options{Replies: replies})
		if _, err := chains.Call(e.ctx, newSeq(e), map[string]any{"topic": "otters"}); err != nil {
			t.Fatal(err)
		}
		tr := e.finish()
		check(t, e, tr, e.run.SpanID())
	})
}

func TestChainWithoutATraceStartsOne(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	topic := fmt.Sprintf("otters %d", time.Now().UnixNano())
	if _, err := chains.Call(context.Background(), factsChain(e.llm, e.h), map[string]any{"topic": topic}); err != nil {
		t.Fatal(err)
	}
	flushDefault(t)
	var chain *tracium.SpanData
	for _, s := range defaultCollector.Spans() {
		if s.Type == tracium.SpanChain && string(s.Input) == fmt.Sprintf(`{"topic":%q}`, topic) {
			chain = &s
		}
	}
	if chain == nil {
		t.Fatalf("no chain span with topic %q reached the default client's collector", topic)
	}
	tr := newTrace(t, defaultCollector.Trace(chain.TraceID))
	if len(tr.spans) != 2 {
		t.Fatalf("%d spans in the chain's trace, want the chain and its llm span:\n%s", len(tr.spans), tr)
	}
	checkChain(t, *chain, tracium.SpanChain, "chain", "", map[string]any{"topic": topic}, map[string]any{"facts": e.fake.Reply()})
	if chain.AgentName != tracium.DefaultClient().DefaultAgentName() {
		t.Errorf("agent name %q, want the default client's %q", chain.AgentName, tracium.DefaultClient().DefaultAgentName())
	}
	checkLLM(t, tr.only(tracium.SpanLLM), llmWant{parent: chain.SpanID, input: []string{"user: Tell me about " + topic + "."}, text: e.fake.Reply(), wire: true})
}

// flushDefault sends what the default client has queued.
func flushDefault(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tracium.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// checkWithin asserts that child ran within parent's time.
func checkWithin(t *testing.T, child, parent tracium.SpanData) {
	t.Helper()
	if child.StartTime.Before(parent.StartTime) || child.EndTime.After(parent.EndTime) {
		t.Errorf("%s %q [%v, %v] is not within %s %q [%v, %v]", child.Type, child.Name, child.StartTime, child.EndTime,
			parent.Type, parent.Name, parent.StartTime, parent.EndTime)
	}
}
