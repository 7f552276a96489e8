package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/cloudwego/eino-ext/components/model/openai"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/components/tool/utils"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"

	"github.com/tracium/tracium/internal/browsertest"
	"github.com/tracium/tracium/internal/collectortest"
	tracium "github.com/tracium/tracium/sdk"
	traciumeino "github.com/tracium/tracium/sdk/contrib/eino"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/store"
)

const (
	admin, password = "admin@example.com", "correct horse battery staple"
	question        = "What is the weather in Paris?"
)

// TestEinoEndToEnd is a program's setup, tracium.Init then Register (twice:
// the second call does nothing), and one run of a graph with a model that
// calls two tools. The collector must store the trace field by field, and
// the web UI must show it as a tree of graph, node, llm and tool rows (the
// screenshot eino.png). Not parallel: it sets the default client and
// Eino's global handlers.
func TestEinoEndToEnd(t *testing.T) {
	c := collectortest.Start(t, collectortest.WithAdmin(admin, password))
	client := tracium.Init(tracium.WithAPIKey(c.APIKey), tracium.WithEndpoint(c.URL), tracium.WithFlushInterval(20*time.Millisecond))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.Shutdown(ctx)
		tracium.Init(tracium.WithErrorHandler(func(error) {}))
	})
	traciumeino.Register()
	traciumeino.Register()

	llm := fakellm.New(t, fakellm.Options{Replies: []fakellm.Reply{{ToolCalls: []fakellm.ToolCall{
		{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`},
		{ID: "call_2", Name: "get_time", Arguments: `{"city":"Paris"}`},
	}}}})
	r := weatherGraph(t, llm.URL)
	ctx, run := client.AgentTrace(context.Background(), "weather-agent")
	out, err := r.Invoke(ctx, question)
	if err != nil {
		t.Fatal(err)
	}
	run.End()
	if out != "sunny in Paris, noon in Paris" {
		t.Fatalf("graph answered %q", out)
	}
	flush(t, client)
	detail := c.WaitTrace(t, run.TraceID(), 9, 10*time.Second)
	llmID := checkStored(t, detail.Spans, run.SpanID())

	b := browsertest.Start(t)
	b.SignIn(c.URL, admin, password)
	b.Do("open the trace on its model call", chromedp.Navigate(c.URL+"/traces/"+run.TraceID()+"?expand=all&span="+llmID),
		chromedp.WaitVisible(chromedp.CSS(`section.tree`)), chromedp.WaitVisible(chromedp.CSS(`aside.detail .messages.output`)))
	tree := b.Text(`section.tree`)
	for _, want := range []string{"weather-agent", "weather", "graph", "prompt", "model", "node", "llm", fakellm.OpenAIAnswerModel,
		"tools", "get_weather", "get_time", "tool", "summarize"} {
		if !strings.Contains(tree, want) {
			t.Errorf("the trace's tree does not show %q:\n%s", want, tree)
		}
	}
	for _, typ := range []string{"graph", "node", "llm", "tool"} {
		if n := b.Count(`section.tree .tree-row .bar.` + typ); n == 0 {
			t.Errorf("no %s row in the tree", typ)
		}
	}
	if out := b.Text(`aside.detail .messages.output`); !strings.Contains(out, "get_weather") || !strings.Contains(out, "get_time") {
		t.Errorf("the model call's detail does not show both tool calls: %q", out)
	}
	b.Screenshot("eino.png")
}

func flush(t *testing.T, client *tracium.Client) {
	t.Helper()
	// The spans of a run end as its callbacks do; give the last one a
	// moment to be queued, then wait for the collector's answer.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// weatherGraph builds the prompt, asks the model (eino-ext's OpenAI model
// pointed at the fake), runs the tools it calls and joins their results.
func weatherGraph(t *testing.T, baseURL string) compose.Runnable[string, string] {
	t.Helper()
	ctx := context.Background()
	tools := []tool.BaseTool{
		must(utils.InferTool("get_weather", "The weather in a city", func(_ context.Context, a struct {
			City string `json:"city"`
		}) (string, error) {
			return "sunny in " + a.City, nil
		})),
		must(utils.InferTool("get_time", "The local time in a city", func(_ context.Context, a struct {
			City string `json:"city"`
		}) (string, error) {
			return "noon in " + a.City, nil
		})),
	}
	infos := make([]*schema.ToolInfo, len(tools))
	for i, tl := range tools {
		infos[i] = must(tl.Info(ctx))
	}
	chat := must(openai.NewChatModel(ctx, &openai.ChatModelConfig{BaseURL: baseURL + "/v1", APIKey: "sk-test", Model: fakellm.OpenAIModel}))
	model := must(chat.WithTools(infos))
	tn := must(compose.NewToolNode(ctx, &compose.ToolsNodeConfig{Tools: tools}))

	g := compose.NewGraph[string, string]()
	check(t, g.AddLambdaNode("prompt", compose.InvokableLambda(func(_ context.Context, q string) ([]*schema.Message, error) {
		return []*schema.Message{schema.UserMessage(q)}, nil
	})))
	check(t, g.AddChatModelNode("model", model))
	check(t, g.AddToolsNode("tools", tn))
	check(t, g.AddLambdaNode("summarize", compose.InvokableLambda(func(_ context.Context, msgs []*schema.Message) (string, error) {
		parts := make([]string, len(msgs))
		for i, m := range msgs {
			parts[i] = m.Content
		}
		return strings.Join(parts, ", "), nil
	})))
	check(t, g.AddEdge(compose.START, "prompt"))
	check(t, g.AddEdge("prompt", "model"))
	check(t, g.AddEdge("model", "tools"))
	check(t, g.AddEdge("tools", "summarize"))
	check(t, g.AddEdge("summarize", compose.END))
	return must(g.Compile(ctx, compose.WithGraphName("weather")))
}

// checkStored asserts the stored trace: the agent root, the graph under it
// with its edges, four nodes, one llm span with the fake's exact usage, and
// the two tool calls under the tools node. It returns the llm span's id.
func checkStored(t *testing.T, spans []store.Span, rootID string) string {
	t.Helper()
	byName := map[string]store.Span{}
	for _, s := range spans {
		byName[string(s.Type)+" "+s.Name] = s
	}
	if len(spans) != 9 || len(byName) != 9 {
		t.Fatalf("%d spans, want 9:\n%s", len(spans), describe(spans))
	}
	get := func(typ, name, parent string, attrs string) store.Span {
		t.Helper()
		s, ok := byName[typ+" "+name]
		if !ok {
			t.Fatalf("no %s span %q:\n%s", typ, name, describe(spans))
		}
		if s.ParentSpanID != parent || s.Status != store.StatusOK {
			t.Errorf("%s %q: parent %s status %s, want %s ok", typ, name, s.ParentSpanID, s.Status, parent)
		}
		if attrs != "" {
			sameJSON(t, typ+" "+name+" attributes", s.Attributes, attrs)
		}
		return s
	}
	graph := get("graph", "weather", rootID, `{"framework":"eino","graph.edges":[
		{"from":"start","to":"prompt"},{"from":"prompt","to":"model"},{"from":"model","to":"tools"},
		{"from":"tools","to":"summarize"},{"from":"summarize","to":"end"}]}`)
	sameJSON(t, "graph input", graph.Input, `"`+question+`"`)
	sameJSON(t, "graph output", graph.Output, `"sunny in Paris, noon in Paris"`)
	node := func(key string) store.Span {
		return get("node", key, graph.SpanID, fmt.Sprintf(`{"framework":"eino","graph.node":%q,"graph.path":"runnable:weather;node:%s"}`, key, key))
	}
	node("prompt")
	model := node("model")
	tools := node("tools")
	node("summarize")
	llm := get("llm", "model", model.SpanID, `{"framework":"eino","tool_choice":"auto","tools":["get_weather","get_time"]}`)
	want := store.Usage{InputTokens: fakellm.OpenAIPrompt, OutputTokens: fakellm.OpenAICompletion, CachedTokens: fakellm.OpenAICached,
		ReasoningTokens: fakellm.OpenAIReasoning, TotalTokens: fakellm.OpenAITotal}
	if llm.Usage == nil || *llm.Usage != want || llm.Model != fakellm.OpenAIAnswerModel || llm.RequestModel != fakellm.OpenAIModel || llm.Provider != "openai" {
		t.Errorf("llm span usage %+v model %q request model %q provider %q", llm.Usage, llm.Model, llm.RequestModel, llm.Provider)
	}
	sameJSON(t, "llm input", llm.Input, `{"messages":[{"role":"user","parts":[{"type":"text","content":"`+question+`"}]}]}`)
	sameJSON(t, "llm output", llm.Output, `{"messages":[{"role":"assistant","parts":[
		{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}},
		{"type":"tool_call","id":"call_2","name":"get_time","arguments":{"city":"Paris"}}],"finish_reason":"tool_calls"}]}`)
	for _, c := range []struct{ name, id, result string }{{"get_weather", "call_1", "sunny in Paris"}, {"get_time", "call_2", "noon in Paris"}} {
		s := get("tool", c.name, tools.SpanID, fmt.Sprintf(`{"framework":"eino","gen_ai.tool.call.id":%q,"gen_ai.tool.name":%q,"graph.path":"runnable:weather;node:tools;tool:%s:%s"}`,
			c.id, c.name, c.name, c.id))
		sameJSON(t, c.name+" input", s.Input, `{"city":"Paris"}`)
		sameJSON(t, c.name+" output", s.Output, `"`+c.result+`"`)
	}
	return llm.SpanID
}

func describe(spans []store.Span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "  %s %s %q parent=%s %s\n", s.SpanID, s.Type, s.Name, s.ParentSpanID, s.Status)
	}
	return b.String()
}

func sameJSON(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: %v in %s", what, err, got)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad want: %v", what, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s:\n got %s\nwant %s", what, gb, wb)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
