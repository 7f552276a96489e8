package traciumeino_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

const question = "What is the weather in Paris?"

// toolCallReply is the model's first answer: both tools at once.
var toolCallReply = fakellm.Reply{ToolCalls: []fakellm.ToolCall{
	{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`},
	{ID: "call_2", Name: "get_time", Arguments: `{"city":"Paris"}`},
}}

// weatherGraph is a Lambda building the prompt, the model, a branch to the
// tools (or to a direct answer), and a fan-out of the tools' results to
// two Lambdas whose outputs END merges.
func weatherGraph(t *testing.T, b *testBundle) compose.Runnable[string, map[string]any] {
	t.Helper()
	ctx := context.Background()
	tools := weatherTools(t)
	tn, err := compose.NewToolNode(ctx, &compose.ToolsNodeConfig{Tools: tools})
	if err != nil {
		t.Fatal(err)
	}
	g := compose.NewGraph[string, map[string]any]()
	must(t, g.AddLambdaNode("prompt", compose.InvokableLambda(func(_ context.Context, q string) ([]*schema.Message, error) {
		return []*schema.Message{schema.SystemMessage("You answer questions about the weather."), schema.UserMessage(q)}, nil
	})))
	must(t, g.AddChatModelNode("model", b.chatModel(t, tools...)))
	must(t, g.AddToolsNode("tools", tn))
	must(t, g.AddLambdaNode("summarize", compose.InvokableLambda(func(_ context.Context, msgs []*schema.Message) (string, error) {
		parts := make([]string, len(msgs))
		for i, m := range msgs {
			parts[i] = m.Content
		}
		return strings.Join(parts, ", "), nil
	}), compose.WithOutputKey("summary")))
	must(t, g.AddLambdaNode("count", compose.InvokableLambda(func(_ context.Context, msgs []*schema.Message) (int, error) {
		return len(msgs), nil
	}), compose.WithOutputKey("count")))
	must(t, g.AddLambdaNode("answer", compose.InvokableLambda(func(_ context.Context, m *schema.Message) (map[string]any, error) {
		return map[string]any{"summary": m.Content}, nil
	})))
	must(t, g.AddEdge(compose.START, "prompt"))
	must(t, g.AddEdge("prompt", "model"))
	must(t, g.AddBranch("model", compose.NewGraphBranch(func(_ context.Context, m *schema.Message) (string, error) {
		if len(m.ToolCalls) > 0 {
			return "tools", nil
		}
		return "answer", nil
	}, map[string]bool{"tools": true, "answer": true})))
	must(t, g.AddEdge("tools", "summarize"))
	must(t, g.AddEdge("tools", "count"))
	must(t, g.AddEdge("summarize", compose.END))
	must(t, g.AddEdge("count", compose.END))
	must(t, g.AddEdge("answer", compose.END))
	return compileTraced(t, g, "weather")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestGraph runs the weather graph with Invoke and with Stream and checks
// every span: the graph with the edges it took, one node span per node, one
// llm span for the one model call carrying the wire's exact usage, and a
// tool span per tool call.
func TestGraph(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		name := "invoke"
		if stream {
			name = "stream"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, fakellm.Options{Replies: []fakellm.Reply{toolCallReply}})
			r := weatherGraph(t, b)
			var out map[string]any
			if stream {
				sr, err := r.Stream(b.ctx, question, withTracium())
				if err != nil {
					t.Fatal(err)
				}
				out = readAll(t, sr)
			} else {
				var err error
				if out, err = r.Invoke(b.ctx, question, withTracium()); err != nil {
					t.Fatal(err)
				}
			}
			if out["summary"] != "sunny in Paris, noon in Paris" || out["count"] != 2 {
				t.Fatalf("graph output %v", out)
			}
			checkWeatherTrace(t, b, stream)
		})
	}
}

func readAll[T any](t *testing.T, sr *schema.StreamReader[T]) T {
	t.Helper()
	defer sr.Close()
	var chunks []T
	for {
		c, err := sr.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, c)
	}
	if len(chunks) == 0 {
		t.Fatal("empty stream")
	}
	return concat(t, chunks)
}

func concat[T any](t *testing.T, chunks []T) T {
	t.Helper()
	var zero T
	switch any(zero).(type) {
	case map[string]any:
		m := map[string]any{}
		for _, c := range chunks {
			for k, v := range any(c).(map[string]any) {
				m[k] = v
			}
		}
		return any(m).(T)
	case *schema.Message:
		msgs := make([]*schema.Message, len(chunks))
		for i, c := range chunks {
			msgs[i] = any(c).(*schema.Message)
		}
		m, err := schema.ConcatMessages(msgs)
		if err != nil {
			t.Fatal(err)
		}
		return any(m).(T)
	}
	if len(chunks) != 1 {
		t.Fatalf("%d chunks", len(chunks))
	}
	return chunks[0]
}

func checkWeatherTrace(t *testing.T, b *testBundle, stream bool) {
	t.Helper()
	spans := b.trace(t, 9)
	if n := len(ofType(spans, tracium.SpanLLM)); n != 1 {
		t.Fatalf("%d llm spans, want 1:\n%s", n, describe(spans))
	}
	if len(spans) != 9 {
		t.Errorf("%d spans, want 9 (graph, 5 nodes, llm, 2 tools):\n%s", len(spans), describe(spans))
	}
	g := find(t, spans, tracium.SpanGraph, "weather")
	if g.ParentSpanID != b.root.SpanID() {
		t.Errorf("graph parent %s, want the trace's root %s", g.ParentSpanID, b.root.SpanID())
	}
	checkEdges(t, g, true, "start>prompt", "prompt>model", "model>tools", "tools>summarize", "tools>count", "summarize>end", "count>end")
	checkJSON(t, "graph input", g.Input, `"`+question+`"`)
	checkJSON(t, "graph output", g.Output, `{"summary":"sunny in Paris, noon in Paris","count":2}`)

	path := "runnable:weather;node:"
	prompt := find(t, spans, tracium.SpanNode, "prompt")
	checkSpan(t, prompt, g.SpanID, nodeAttrs("prompt", path+"prompt"))
	checkJSON(t, "prompt input", prompt.Input, `"`+question+`"`)
	checkJSON(t, "prompt output", prompt.Output, `[{"role":"system","content":"You answer questions about the weather."},{"role":"user","content":"`+question+`"}]`)

	modelNode := find(t, spans, tracium.SpanNode, "model")
	checkSpan(t, modelNode, g.SpanID, nodeAttrs("model", path+"model"))
	llm := find(t, spans, tracium.SpanLLM, "model")
	llmAttrs := map[string]any{tracium.AttrFramework: "eino", "tool_choice": "auto", "tools": []string{"get_weather", "get_time"}}
	if stream {
		llmAttrs[tracium.AttrStream] = true
	}
	checkSpan(t, llm, modelNode.SpanID, llmAttrs)
	checkLLM(t, llm, stream)
	checkJSON(t, "llm input", llm.Input, `{"messages":[
		{"role":"system","parts":[{"type":"text","content":"You answer questions about the weather."}]},
		{"role":"user","parts":[{"type":"text","content":"`+question+`"}]}]}`)
	checkJSON(t, "llm output", llm.Output, `{"messages":[{"role":"assistant","parts":[
		{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}},
		{"type":"tool_call","id":"call_2","name":"get_time","arguments":{"city":"Paris"}}],"finish_reason":"tool_calls"}]}`)

	tools := find(t, spans, tracium.SpanNode, "tools")
	checkSpan(t, tools, g.SpanID, nodeAttrs("tools", path+"tools"))
	for _, c := range []struct{ name, id, result string }{{"get_weather", "call_1", "sunny in Paris"}, {"get_time", "call_2", "noon in Paris"}} {
		s := find(t, spans, tracium.SpanTool, c.name)
		checkSpan(t, s, tools.SpanID, map[string]any{
			tracium.AttrFramework: "eino", "gen_ai.tool.name": c.name,
			tracium.AttrGraphPath: path + "tools;tool:" + c.name + ":" + c.id, "gen_ai.tool.call.id": c.id,
		})
		checkJSON(t, c.name+" input", s.Input, `{"city":"Paris"}`)
		checkJSON(t, c.name+" output", s.Output, `"`+c.result+`"`)
	}
	for _, k := range []string{"summarize", "count"} {
		checkSpan(t, find(t, spans, tracium.SpanNode, k), g.SpanID, nodeAttrs(k, path+k))
	}
	checkJSON(t, "count output", find(t, spans, tracium.SpanNode, "count").Output, `2`)
}

// checkLLM asserts what the wire recorded into the llm span: the provider,
// both models, the fake's exact token counts (reasoning included, which
// eino-ext drops from streams) and, for a stream, the time to first token.
func checkLLM(t *testing.T, s tracium.SpanData, stream bool) {
	t.Helper()
	if s.Provider != "openai" || s.Model != fakellm.OpenAIAnswerModel || s.RequestModel != fakellm.OpenAIModel {
		t.Errorf("llm provider %q model %q request model %q", s.Provider, s.Model, s.RequestModel)
	}
	if s.Usage == nil || *s.Usage != fakeUsage {
		t.Errorf("llm usage %+v, want %+v", s.Usage, fakeUsage)
	}
	// The raw request shows the HTTP call was recorded into this span; the
	// SDK keeps no raw body of a chat stream.
	if len(s.RawInput) == 0 || (!stream && len(s.RawOutput) == 0) {
		t.Errorf("llm raw input %d bytes, raw output %d bytes: the HTTP call was not captured", len(s.RawInput), len(s.RawOutput))
	}
	if stream && (s.TimeToFirstTokenMS == nil || *s.TimeToFirstTokenMS <= 0) {
		t.Errorf("streamed llm span without time to first token")
	}
	if !stream && s.TimeToFirstTokenMS != nil {
		t.Errorf("llm span of a plain call has a time to first token %v", *s.TimeToFirstTokenMS)
	}
}
