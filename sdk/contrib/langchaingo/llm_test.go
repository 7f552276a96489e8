package traciumlangchaingo_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tmc/langchaingo/llms"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

func question() []llms.MessageContent {
	return []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, "You answer briefly."),
		llms.TextParts(llms.ChatMessageTypeHuman, "What do otters eat?"),
	}
}

var questionLines = []string{"system: You answer briefly.", "user: What do otters eat?"}

func TestGenerateContentIsOneLLMSpan(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	res, err := e.llm.GenerateContent(e.ctx, question())
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Choices[0].Content; got != e.fake.Reply() {
		t.Fatalf("answer %q, want %q", got, e.fake.Reply())
	}
	tr := e.finish()
	if len(tr.spans) != 2 || e.modelCalls() != 1 {
		t.Fatalf("%d spans for %d model calls, want the run and one llm span:\n%s", len(tr.spans), e.modelCalls(), tr)
	}
	checkLLM(t, tr.only(tracium.SpanLLM), llmWant{parent: e.run.SpanID(), input: questionLines, text: e.fake.Reply(), wire: true})
}

func TestStreamingFuncGetsEveryChunkAndTheSpanTheTimeToFirstToken(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	var mu sync.Mutex
	var chunks []string
	stream := func(_ context.Context, chunk []byte) error {
		mu.Lock()
		defer mu.Unlock()
		chunks = append(chunks, string(chunk))
		return nil
	}
	res, err := e.llm.GenerateContent(e.ctx, question(), llms.WithStreamingFunc(stream))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(chunks, ""); got != e.fake.Reply() || res.Choices[0].Content != e.fake.Reply() {
		t.Fatalf("streamed %q, answer %q, want %q", got, res.Choices[0].Content, e.fake.Reply())
	}
	tr := e.finish()
	if len(tr.spans) != 2 || e.modelCalls() != 1 {
		t.Fatalf("%d spans for %d model calls, want the run and one llm span:\n%s", len(tr.spans), e.modelCalls(), tr)
	}
	checkLLM(t, tr.only(tracium.SpanLLM), llmWant{parent: e.run.SpanID(), input: questionLines, text: e.fake.Reply(), wire: true, stream: true})
}

func TestToolCallsAreRecordedWithTheAnswer(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "sse"}[stream], func(t *testing.T) {
			t.Parallel()
			e := setup(t, fakellm.Options{Replies: []fakellm.Reply{{ToolCalls: []fakellm.ToolCall{
				{ID: "call_1", Name: "search", Arguments: `{"q":"otters"}`},
			}}}})
			opts := []llms.CallOption{llms.WithTools([]llms.Tool{{Type: "function", Function: &llms.FunctionDefinition{
				Name: "search", Description: "Searches the web.", Parameters: map[string]any{"type": "object"},
			}}})}
			if stream {
				opts = append(opts, llms.WithStreamingFunc(func(context.Context, []byte) error { return nil }))
			}
			res, err := e.llm.GenerateContent(e.ctx, question(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			if tc := res.Choices[0].ToolCalls; len(tc) != 1 || tc[0].FunctionCall.Name != "search" {
				t.Fatalf("tool calls %+v, want search", tc)
			}
			tr := e.finish()
			checkLLM(t, tr.only(tracium.SpanLLM), llmWant{
				parent: e.run.SpanID(), input: questionLines, toolCalls: []string{`search({"q":"otters"})`},
				finish: "tool_calls", wire: true, stream: stream,
			})
		})
	}
}
