package traciumeino_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

var errNoForecast = errors.New("no forecast for Atlantis")

// TestNodeFails checks that a failing Lambda marks its node span and the
// graph span, and that the graph's edges stop where the run did.
func TestNodeFails(t *testing.T) {
	t.Parallel()
	b := setup(t, fakellm.Options{})
	g := compose.NewGraph[string, string]()
	must(t, g.AddLambdaNode("city", compose.InvokableLambda(func(_ context.Context, q string) (string, error) { return "Atlantis", nil })))
	must(t, g.AddLambdaNode("forecast", compose.InvokableLambda(func(_ context.Context, city string) (string, error) {
		return "", errNoForecast
	})))
	must(t, g.AddEdge(compose.START, "city"))
	must(t, g.AddEdge("city", "forecast"))
	must(t, g.AddEdge("forecast", compose.END))
	r := compileTraced(t, g, "failing")
	if _, err := r.Invoke(b.ctx, question, withTracium()); !errors.Is(err, errNoForecast) {
		t.Fatalf("Invoke: %v, want %v", err, errNoForecast)
	}
	spans := b.trace(t, 3)
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3:\n%s", len(spans), describe(spans))
	}
	graph := find(t, spans, tracium.SpanGraph, "failing")
	forecast := find(t, spans, tracium.SpanNode, "forecast")
	checkSpan(t, find(t, spans, tracium.SpanNode, "city"), graph.SpanID, nodeAttrs("city", "runnable:failing;node:city"))
	for _, s := range []tracium.SpanData{forecast, graph} {
		if s.Status != "error" || !strings.Contains(s.ErrorMessage, errNoForecast.Error()) {
			t.Errorf("%s %q: status %q error %q, want the node's error", s.Type, s.Name, s.Status, s.ErrorMessage)
		}
	}
	if forecast.ParentSpanID != graph.SpanID {
		t.Errorf("failed node's parent %s, want the graph %s", forecast.ParentSpanID, graph.SpanID)
	}
	checkEdges(t, graph, false, "start>city", "city>forecast")
}

// TestModelFails checks that a provider error is one failed llm span,
// with the wire's error, inside a failed node and graph.
func TestModelFails(t *testing.T) {
	t.Parallel()
	b := setup(t, fakellm.Options{FailStatuses: []int{http.StatusBadRequest}})
	g := compose.NewGraph[[]*schema.Message, *schema.Message]()
	must(t, g.AddChatModelNode("model", b.chatModel(t)))
	must(t, g.AddEdge(compose.START, "model"))
	must(t, g.AddEdge("model", compose.END))
	r := compileTraced(t, g, "refused")
	if _, err := r.Invoke(b.ctx, []*schema.Message{schema.UserMessage(question)}, withTracium()); err == nil {
		t.Fatal("Invoke succeeded against a failing provider")
	}
	spans := b.trace(t, 3)
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3 (graph, node, llm):\n%s", len(spans), describe(spans))
	}
	llm := find(t, spans, tracium.SpanLLM, "model")
	if llm.Status != "error" || llm.ErrorType != "server_error" || llm.ErrorMessage != "fake error 400" {
		t.Errorf("llm span status %q error %q %q, want the provider's error", llm.Status, llm.ErrorType, llm.ErrorMessage)
	}
	if llm.Provider != "openai" || llm.RequestModel != fakellm.OpenAIModel {
		t.Errorf("failed llm span provider %q request model %q", llm.Provider, llm.RequestModel)
	}
	for _, s := range []tracium.SpanData{find(t, spans, tracium.SpanNode, "model"), find(t, spans, tracium.SpanGraph, "refused")} {
		if s.Status != "error" {
			t.Errorf("%s %q: status %q, want error", s.Type, s.Name, s.Status)
		}
	}
}

// TestSubgraph runs a graph used as a node of another: the inner graph is
// a graph span in the outer one's node place, with its own nodes and
// edges, and a span a node starts with tracium.StartSpan nests under it.
func TestSubgraph(t *testing.T) {
	t.Parallel()
	b := setup(t, fakellm.Options{})
	inner := compose.NewGraph[string, string]()
	must(t, inner.AddLambdaNode("exclaim", compose.InvokableLambda(func(ctx context.Context, s string) (string, error) {
		_, span := tracium.StartSpan(ctx, tracium.SpanCustom, "lookup")
		span.End()
		return s + "!", nil
	})))
	must(t, inner.AddEdge(compose.START, "exclaim"))
	must(t, inner.AddEdge("exclaim", compose.END))
	outer := compose.NewGraph[string, string]()
	must(t, outer.AddLambdaNode("upper", compose.InvokableLambda(func(_ context.Context, s string) (string, error) {
		return strings.ToUpper(s), nil
	})))
	must(t, outer.AddGraphNode("inner", inner))
	must(t, outer.AddEdge(compose.START, "upper"))
	must(t, outer.AddEdge("upper", "inner"))
	must(t, outer.AddEdge("inner", compose.END))
	r := compileTraced(t, outer, "outer")
	out, err := r.Invoke(b.ctx, "hi", withTracium())
	if err != nil || out != "HI!" {
		t.Fatalf("Invoke: %q, %v", out, err)
	}
	spans := b.trace(t, 5)
	if len(spans) != 5 {
		t.Fatalf("%d spans, want 5:\n%s", len(spans), describe(spans))
	}
	g := find(t, spans, tracium.SpanGraph, "outer")
	checkEdges(t, g, false, "start>upper", "upper>inner", "inner>end")
	checkSpan(t, find(t, spans, tracium.SpanNode, "upper"), g.SpanID, nodeAttrs("upper", "runnable:outer;node:upper"))
	sub := find(t, spans, tracium.SpanGraph, "inner")
	attrs := nodeAttrs("inner", "runnable:outer;node:inner")
	attrs[tracium.AttrGraphEdges] = []edgeJSON{{"start", "exclaim"}, {"exclaim", "end"}}
	checkSpan(t, sub, g.SpanID, attrs)
	checkJSON(t, "subgraph input", sub.Input, `"HI"`)
	checkJSON(t, "subgraph output", sub.Output, `"HI!"`)
	exclaim := find(t, spans, tracium.SpanNode, "exclaim")
	checkSpan(t, exclaim, sub.SpanID, nodeAttrs("exclaim", "runnable:outer;node:inner;node:exclaim"))
	if lookup := find(t, spans, tracium.SpanCustom, "lookup"); lookup.ParentSpanID != exclaim.SpanID {
		t.Errorf("a span started in a node has parent %s, want the node %s", lookup.ParentSpanID, exclaim.SpanID)
	}
}

type edgeJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
}
