package traciumeino_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/eino-ext/components/model/openai"
	"github.com/cloudwego/eino/components/model"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/components/tool/utils"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"

	tracium "github.com/tracium/tracium/sdk"
	traciumeino "github.com/tracium/tracium/sdk/contrib/eino"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// testBundle is one test's collector, client, fake provider and the
// AgentTrace its runs nest under.
type testBundle struct {
	spans  *spantest.Collector
	client *tracium.Client
	llm    *fakellm.Server
	ctx    context.Context
	root   *tracium.AgentTrace
}

func setup(t *testing.T, opts fakellm.Options) *testBundle {
	t.Helper()
	spans := spantest.NewCollector(t)
	client := spans.NewClient(t)
	ctx, root := client.AgentTrace(context.Background(), "eino-test")
	return &testBundle{spans: spans, client: client, llm: fakellm.New(t, opts), ctx: ctx, root: root}
}

// trace ends the root and returns the trace's spans but the root once
// there are want of them: the spans of a streamed run end when the
// handler's copy of the stream is read, a moment after the caller's.
func (b *testBundle) trace(t *testing.T, want int) []tracium.SpanData {
	t.Helper()
	b.root.End()
	deadline := time.Now().Add(5 * time.Second)
	for {
		spantest.Flush(t, b.client)
		var out []tracium.SpanData
		for _, s := range b.spans.Trace(b.root.TraceID()) {
			if s.SpanID != b.root.SpanID() {
				out = append(out, s)
			}
		}
		if len(out) >= want || time.Now().After(deadline) {
			if len(out) != want {
				t.Fatalf("%d spans, want %d:\n%s", len(out), want, describe(out))
			}
			return out
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// chatModel is eino-ext's OpenAI model pointed at the fake.
func (b *testBundle) chatModel(t *testing.T, tools ...tool.BaseTool) model.ToolCallingChatModel {
	t.Helper()
	m, err := openai.NewChatModel(context.Background(), &openai.ChatModelConfig{
		BaseURL: b.llm.URL + "/v1", APIKey: "sk-test", Model: fakellm.OpenAIModel, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tools) == 0 {
		return m
	}
	infos := make([]*schema.ToolInfo, len(tools))
	for i, tl := range tools {
		if infos[i], err = tl.Info(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	tm, err := m.WithTools(infos)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

type cityArgs struct {
	City string `json:"city"`
}

// weatherTools are the two tools the graphs and the agent call.
func weatherTools(t *testing.T) []tool.BaseTool {
	t.Helper()
	weather, err := utils.InferTool("get_weather", "The weather in a city", func(_ context.Context, a cityArgs) (string, error) {
		return "sunny in " + a.City, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clock, err := utils.InferTool("get_time", "The local time in a city", func(_ context.Context, a cityArgs) (string, error) {
		return "noon in " + a.City, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return []tool.BaseTool{weather, clock}
}

// withTracium is the per-run option the tests pass, and the one line of
// Handler's documentation.
func withTracium() compose.Option { return compose.WithCallbacks(traciumeino.Handler()) }

// TestMain installs the compile callback Register installs, without the
// global handler: the tests pass Handler per run, so that each records into
// its own client. Eino reads the list whenever a graph compiles, so it is
// set before any test runs.
func TestMain(m *testing.M) {
	compose.InitGraphCompileCallbacks([]compose.GraphCompileCallback{traciumeino.CompileCallback()})
	os.Exit(m.Run())
}

// compileTraced compiles g under name.
func compileTraced[I, O any](t *testing.T, g *compose.Graph[I, O], name string) compose.Runnable[I, O] {
	t.Helper()
	r, err := g.Compile(context.Background(), compose.WithGraphName(name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fakeUsage is the usage every fake reply reports, in Tracium's terms.
var fakeUsage = tracium.Usage{
	InputTokens: fakellm.OpenAIPrompt, OutputTokens: fakellm.OpenAICompletion,
	CachedTokens: fakellm.OpenAICached, ReasoningTokens: fakellm.OpenAIReasoning, TotalTokens: fakellm.OpenAITotal,
}

// find returns the one span of this type and name, failing otherwise.
func find(t *testing.T, spans []tracium.SpanData, typ tracium.SpanType, name string) tracium.SpanData {
	t.Helper()
	var got []tracium.SpanData
	for _, s := range spans {
		if s.Type == typ && s.Name == name {
			got = append(got, s)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d %s spans named %q, want 1:\n%s", len(got), typ, name, describe(spans))
	}
	return got[0]
}

// ofType returns the spans of one type.
func ofType(spans []tracium.SpanData, typ tracium.SpanType) []tracium.SpanData {
	var out []tracium.SpanData
	for _, s := range spans {
		if s.Type == typ {
			out = append(out, s)
		}
	}
	return out
}

func describe(spans []tracium.SpanData) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "  %s %s %q parent=%s status=%s %s\n", s.SpanID, s.Type, s.Name, s.ParentSpanID, s.Status, s.ErrorMessage)
	}
	return b.String()
}

// checkSpan asserts a span's parent, status and exact attributes (JSON
// decoded: numbers are float64).
func checkSpan(t *testing.T, s tracium.SpanData, parent string, attrs map[string]any) {
	t.Helper()
	if s.ParentSpanID != parent {
		t.Errorf("%s %q: parent %s, want %s", s.Type, s.Name, s.ParentSpanID, parent)
	}
	if s.Status == "error" {
		t.Errorf("%s %q failed: %s %s", s.Type, s.Name, s.ErrorType, s.ErrorMessage)
	}
	got, _ := json.Marshal(s.Attributes)
	want, _ := json.Marshal(attrs)
	if string(got) != string(want) {
		t.Errorf("%s %q attributes:\n got %s\nwant %s", s.Type, s.Name, got, want)
	}
	if s.EndTime.Before(s.StartTime) {
		t.Errorf("%s %q ends before it starts", s.Type, s.Name)
	}
}

// nodeAttrs are the attributes of a node span at path.
func nodeAttrs(key, path string) map[string]any {
	return map[string]any{tracium.AttrFramework: "eino", tracium.AttrGraphNode: key, tracium.AttrGraphPath: path}
}

// checkJSON asserts that raw holds the same JSON as want.
func checkJSON(t *testing.T, what string, raw json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Errorf("%s: %v in %s", what, err, raw)
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

// edgesOf returns a graph span's edges, sorted when sorted is true (the
// order of parallel branches depends on the scheduler).
func edgesOf(t *testing.T, s tracium.SpanData, sorted bool) []string {
	t.Helper()
	raw, ok := s.Attributes[tracium.AttrGraphEdges].([]any)
	if !ok {
		t.Fatalf("%s %q has no %s: %v", s.Type, s.Name, tracium.AttrGraphEdges, s.Attributes)
	}
	out := make([]string, 0, len(raw))
	for _, e := range raw {
		m, _ := e.(map[string]any)
		out = append(out, fmt.Sprintf("%v>%v", m["from"], m["to"]))
	}
	if sorted {
		sort.Strings(out)
	}
	return out
}

func checkEdges(t *testing.T, s tracium.SpanData, sorted bool, want ...string) {
	t.Helper()
	if sorted {
		want = slices.Clone(want)
		sort.Strings(want)
	}
	if got := edgesOf(t, s, sorted); !slices.Equal(got, want) {
		t.Errorf("%s %q edges:\n got %v\nwant %v", s.Type, s.Name, got, want)
	}
}
