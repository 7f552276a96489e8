package traciumeino_test

import (
	"context"
	"testing"

	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/flow/agent"
	"github.com/cloudwego/eino/flow/agent/react"
	"github.com/cloudwego/eino/schema"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

const agentAnswer = "It is sunny in Paris."

// TestReActAgent runs a ReAct agent through one tool call round trip:
// an agent span around two model steps and one tool step, each model call
// one llm span with the fake's exact usage, and the loop in its edges.
func TestReActAgent(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		name := "generate"
		if stream {
			name = "stream"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, fakellm.Options{Replies: []fakellm.Reply{
				{ToolCalls: []fakellm.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
				{Text: agentAnswer},
			}})
			a, err := react.NewAgent(context.Background(), &react.AgentConfig{
				ToolCallingModel: b.chatModel(t),
				ToolsConfig:      compose.ToolsNodeConfig{Tools: weatherTools(t)},
			})
			if err != nil {
				t.Fatal(err)
			}
			in := []*schema.Message{schema.UserMessage(question)}
			opt := agent.WithComposeOptions(withTracium())
			var out *schema.Message
			if stream {
				sr, err := a.Stream(b.ctx, in, opt)
				if err != nil {
					t.Fatal(err)
				}
				out = readAll(t, sr)
			} else if out, err = a.Generate(b.ctx, in, opt); err != nil {
				t.Fatal(err)
			}
			if out.Content != agentAnswer {
				t.Fatalf("agent answered %q", out.Content)
			}
			checkAgentTrace(t, b, stream)
		})
	}
}

func checkAgentTrace(t *testing.T, b *testBundle, stream bool) {
	t.Helper()
	spans := b.trace(t, 7)
	if len(spans) != 7 {
		t.Errorf("%d spans, want 7 (agent, 3 nodes, 2 llm, 1 tool):\n%s", len(spans), describe(spans))
	}
	ag := find(t, spans, tracium.SpanAgent, react.GraphName)
	if ag.ParentSpanID != b.root.SpanID() {
		t.Errorf("agent parent %s, want the root %s", ag.ParentSpanID, b.root.SpanID())
	}
	checkEdges(t, ag, false, "start>chat", "chat>tools", "tools>chat", "chat>end")

	var chats []tracium.SpanData
	for _, s := range ofType(spans, tracium.SpanNode) {
		if s.Name == "chat" {
			chats = append(chats, s)
		}
	}
	llms := ofType(spans, tracium.SpanLLM)
	if len(chats) != 2 || len(llms) != 2 {
		t.Fatalf("%d chat nodes and %d llm spans, want 2 and 2:\n%s", len(chats), len(llms), describe(spans))
	}
	path := "runnable:" + react.GraphName + ";node:"
	for i, llm := range llms {
		if llm.Name != react.ModelNodeName {
			t.Errorf("llm span %q, want the node's name %q", llm.Name, react.ModelNodeName)
		}
		checkSpan(t, chats[i], ag.SpanID, nodeAttrs("chat", path+"chat"))
		attrs := map[string]any{tracium.AttrFramework: "eino", "tool_choice": "auto", "tools": []string{"get_weather", "get_time"}}
		if stream {
			attrs[tracium.AttrStream] = true
		}
		checkSpan(t, llm, chats[i].SpanID, attrs) // both in start order
		checkLLM(t, llm, stream)
	}
	checkJSON(t, "first answer", llms[0].Output, `{"messages":[{"role":"assistant","parts":[
		{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}],"finish_reason":"tool_calls"}]}`)
	checkJSON(t, "second input", llms[1].Input, `{"messages":[
		{"role":"user","parts":[{"type":"text","content":"`+question+`"}]},
		{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}]},
		{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"sunny in Paris"}]}]}`)
	checkJSON(t, "final answer", llms[1].Output, `{"messages":[{"role":"assistant","parts":[
		{"type":"text","content":"`+agentAnswer+`"}],"finish_reason":"stop"}]}`)

	tools := find(t, spans, tracium.SpanNode, "tools")
	checkSpan(t, tools, ag.SpanID, nodeAttrs("tools", path+"tools"))
	weather := find(t, spans, tracium.SpanTool, "get_weather")
	checkSpan(t, weather, tools.SpanID, map[string]any{
		tracium.AttrFramework: "eino", "gen_ai.tool.name": "get_weather",
		tracium.AttrGraphPath: path + "tools;tool:get_weather:call_1", "gen_ai.tool.call.id": "call_1",
	})
	checkJSON(t, "tool output", weather.Output, `"sunny in Paris"`)
}
