package genkite2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firebase/genkit/go/ai"
	"github.com/firebase/genkit/go/core/tracing"
	"github.com/firebase/genkit/go/genkit"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracium/tracium/internal/collectortest"
	tracium "github.com/tracium/tracium/sdk"
	traciumotel "github.com/tracium/tracium/sdk/contrib/otel"
	"github.com/tracium/tracium/server/pricing"
	"github.com/tracium/tracium/store"
)

// The model's counts for each call, as Genkit's OpenAI plugin reports
// them: the cached tokens are part of the input, the thoughts part of the
// output (Tracium's convention already).
var usage = ai.GenerationUsage{InputTokens: 12, OutputTokens: 7, CachedContentTokens: 4, ThoughtsTokens: 2, TotalTokens: 19}

// TestGenkitFlow: a Genkit flow whose model (genkit.DefineModel, named as
// Genkit's OpenAI plugin names gpt-4o) asks for a tool and then answers,
// run inside an AgentTrace; a Tracium span inside the tool; a second run
// that the model fails. Once with the processor on the provider Genkit
// makes for a program that set none (the README's Genkit line: Genkit's
// spans keep their own trace id and carry the markers), once with the
// bridge's provider as the global one (Genkit takes it, and its spans are
// in the Tracium trace by their own ids).
func TestGenkitFlow(t *testing.T) {
	for _, tc := range []struct {
		name string
		// provider sets the global provider before Genkit starts and
		// returns it, with rec seeing every span it ends.
		provider func(rec *tracetest.SpanRecorder) *sdktrace.TracerProvider
		// markers: the bridge marks Genkit's spans (another trace id).
		markers bool
	}{
		{"NewSpanProcessor on Genkit's provider", func(rec *tracetest.SpanRecorder) *sdktrace.TracerProvider {
			// What tracing.TracerProvider makes when the program set none.
			otel.SetTracerProvider(sdktrace.NewTracerProvider())
			tp := tracing.TracerProvider()
			tp.RegisterSpanProcessor(traciumotel.NewSpanProcessor())
			tp.RegisterSpanProcessor(rec)
			return tp
		}, true},
		{"NewTracerProvider as the global provider", func(rec *tracetest.SpanRecorder) *sdktrace.TracerProvider {
			tp := traciumotel.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			otel.SetTracerProvider(tp)
			return tp
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := collectortest.Start(t)
			client := tracium.Init(tracium.WithAPIKey(c.APIKey), tracium.WithEndpoint(c.URL), tracium.WithFlushInterval(20*time.Millisecond))
			rec := tracetest.NewSpanRecorder()
			tp := tc.provider(rec)
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = client.Shutdown(ctx)
				_ = tp.Shutdown(ctx)
				tracium.Init(tracium.WithErrorHandler(func(error) {}))
			})
			runFlow(t, c, client, rec, tc.markers)
		})
	}
}

func runFlow(t *testing.T, c *collectortest.Collector, client *tracium.Client, rec *tracetest.SpanRecorder, markers bool) {
	ctx := context.Background()
	g := genkit.Init(ctx)
	weather := genkit.DefineTool(g, "weather", "The weather in a city", func(tc *ai.ToolContext, in struct {
		City string `json:"city"`
	}) (string, error) {
		_, s := tracium.StartSpan(tc, tracium.SpanRetrieval, "lookup")
		s.End()
		return "sunny in " + in.City, nil
	})
	model := genkit.DefineModel(g, "openai/gpt-4o", &ai.ModelOptions{Supports: &ai.ModelSupports{Multiturn: true, Tools: true}},
		func(ctx context.Context, req *ai.ModelRequest, _ ai.ModelStreamCallback) (*ai.ModelResponse, error) {
			last := req.Messages[len(req.Messages)-1]
			var msg *ai.Message
			switch {
			case strings.Contains(last.Text(), "Atlantis"):
				return nil, errors.New("no forecast for Atlantis")
			case last.Role == ai.RoleUser:
				msg = ai.NewModelMessage(ai.NewToolRequestPart(&ai.ToolRequest{Name: "weather", Ref: "call_1", Input: map[string]any{"city": "Paris"}}))
			default:
				msg = ai.NewModelTextMessage("It is sunny in Paris.")
			}
			u := usage
			return &ai.ModelResponse{Request: req, Message: msg, FinishReason: ai.FinishReasonStop, Usage: &u}, nil
		})
	flow := genkit.DefineFlow(g, "forecast", func(ctx context.Context, city string) (string, error) {
		return genkit.GenerateText(ctx, g, ai.WithModel(model), ai.WithPrompt("Weather in "+city+"?"), ai.WithTools(weather))
	})

	actx, run := client.AgentTrace(ctx, "forecaster")
	out, err := flow.Run(actx, "Paris")
	run.End()
	if err != nil || out != "It is sunny in Paris." {
		t.Fatalf("flow answered %q, %v", out, err)
	}
	fctx, failed := client.AgentTrace(ctx, "forecaster")
	if _, err := flow.Run(fctx, "Atlantis"); err == nil || !strings.Contains(err.Error(), "no forecast for Atlantis") {
		t.Fatalf("the failing flow returned %v", err)
	}
	failed.End()
	flushCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := client.Flush(flushCtx); err != nil {
		t.Fatal(err)
	}

	// What Genkit's provider ended, and how the bridge placed it.
	ended := rec.Ended()
	byID := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range ended {
		byID[s.SpanContext().SpanID().String()] = s
		own := s.SpanContext().TraceID().String()
		if trace := attr(s, tracium.AttrTraciumTraceID); markers {
			if own == run.TraceID() || own == failed.TraceID() || (trace != run.TraceID() && trace != failed.TraceID()) {
				t.Errorf("Genkit span %q: trace %s, marker %q: want its own trace and a marker naming the agent's", s.Name(), own, trace)
			}
		} else if (own != run.TraceID() && own != failed.TraceID()) || trace != "" {
			t.Errorf("Genkit span %q: trace %s, marker %q: want the agent's trace and no marker", s.Name(), own, trace)
		}
	}

	all := c.WaitTrace(t, run.TraceID(), 8, 10*time.Second).Spans
	if len(all) != 8 {
		t.Fatalf("%d spans stored, want the agent, the flow, two generate steps, two model calls, the tool and the lookup:\n%s", len(all), describe(all))
	}
	for _, s := range all {
		if o, ok := byID[s.SpanID]; ok && s.Name != o.Name() {
			t.Errorf("span %s stored as %q, Genkit named it %q", s.SpanID, s.Name, o.Name())
		}
	}
	tree := index(t, all)
	agent := tree.one(t, "forecaster", "")
	flowSpan := tree.one(t, "forecast", agent.SpanID)
	check(t, flowSpan, store.SpanChain, `"Paris"`, `"It is sunny in Paris."`)
	outer := tree.one(t, "generate", flowSpan.SpanID)
	inner := tree.one(t, "generate", outer.SpanID)
	first := tree.one(t, "openai/gpt-4o", outer.SpanID)
	tool := tree.one(t, "weather", outer.SpanID)
	second := tree.one(t, "openai/gpt-4o", inner.SpanID)
	tree.one(t, "lookup", tool.SpanID)

	check(t, tool, store.SpanTool, `{"city":"Paris"}`, `"sunny in Paris"`)
	if !strings.Contains(string(tool.Attributes), `"gen_ai.tool.name":"weather"`) {
		t.Errorf("tool span attributes %s: no gen_ai.tool.name", tool.Attributes)
	}
	call := `{"type":"tool_call","id":"call_1","name":"weather","arguments":{"city":"Paris"}}`
	checkLLM(t, first,
		`{"messages":[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]}`,
		`{"messages":[{"role":"assistant","parts":[`+call+`],"finish_reason":"stop"}]}`)
	checkLLM(t, second,
		`{"messages":[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]},`+
			`{"role":"assistant","parts":[`+call+`]},`+
			`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","name":"weather","response":"sunny in Paris"}]}]}`,
		`{"messages":[{"role":"assistant","parts":[{"type":"text","content":"It is sunny in Paris."}],"finish_reason":"stop"}]}`)

	// The failed run: the model's error fails its span and the flow's.
	bad := index(t, c.WaitTrace(t, failed.TraceID(), 4, 10*time.Second).Spans)
	badFlow := bad.one(t, "forecast", failed.SpanID())
	badModel := bad.one(t, "openai/gpt-4o", bad.one(t, "generate", badFlow.SpanID).SpanID)
	for _, s := range []store.Span{badFlow, badModel} {
		if s.Status != store.StatusError || s.ErrorMessage != "no forecast for Atlantis" {
			t.Errorf("%q: status %s, error %q, want the model's error", s.Name, s.Status, s.ErrorMessage)
		}
	}
	if badModel.Type != store.SpanLLM || badModel.Model != "gpt-4o" || badModel.Usage != nil {
		t.Errorf("failed model span: type %s model %q usage %+v, want an llm span of gpt-4o without usage", badModel.Type, badModel.Model, badModel.Usage)
	}
}

// checkLLM checks a model span: the model and provider Genkit's name
// says, the usage, the cost the one price table gives, the recorded chat.
func checkLLM(t *testing.T, s store.Span, input, output string) {
	t.Helper()
	check(t, s, store.SpanLLM, input, output)
	want := store.Usage{InputTokens: 12, OutputTokens: 7, CachedTokens: 4, ReasoningTokens: 2, TotalTokens: 19}
	if s.Model != "gpt-4o" || s.RequestModel != "gpt-4o" || s.Provider != "openai" || s.Usage == nil || *s.Usage != want {
		t.Errorf("%s: model %q request %q provider %q usage %+v, want gpt-4o of openai with %+v", s.SpanID, s.Model, s.RequestModel, s.Provider, s.Usage, want)
	}
	priced := store.Span{Type: store.SpanLLM, Model: "gpt-4o", Provider: "openai", Usage: &want}
	pricing.Default().Apply(&priced)
	if priced.CostUSD == nil || s.CostUSD == nil || *s.CostUSD != *priced.CostUSD {
		t.Errorf("%s: cost %v, want %v", s.SpanID, s.CostUSD, priced.CostUSD)
	}
}

// check checks a stored span's type, status and payloads (JSON texts).
func check(t *testing.T, s store.Span, typ store.SpanType, input, output string) {
	t.Helper()
	if s.Type != typ || s.Status != store.StatusOK {
		t.Errorf("%q: type %s status %s (%s), want %s ok", s.Name, s.Type, s.Status, s.ErrorMessage, typ)
	}
	for _, p := range []struct {
		what      string
		got, want string
	}{{"input", string(s.Input), input}, {"output", string(s.Output), output}} {
		if compact(p.got) != compact(p.want) {
			t.Errorf("%q %s:\n got %s\nwant %s", s.Name, p.what, p.got, p.want)
		}
	}
}

func compact(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

// tree is a stored trace by parent and name.
type tree map[string][]store.Span

func index(t *testing.T, spans []store.Span) tree {
	t.Helper()
	tr := tree{}
	for _, s := range spans {
		k := s.ParentSpanID + "/" + s.Name
		tr[k] = append(tr[k], s)
	}
	tr[""] = spans
	return tr
}

// one returns the one span named name under parent.
func (tr tree) one(t *testing.T, name, parent string) store.Span {
	t.Helper()
	got := tr[parent+"/"+name]
	if len(got) != 1 {
		t.Fatalf("%d spans %q under %q, want 1:\n%s", len(got), name, parent, describe(tr[""]))
	}
	return got[0]
}

func describe(spans []store.Span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "  %s %s %q parent %s model %q usage %+v status %s\n", s.SpanID, s.Type, s.Name, s.ParentSpanID, s.Model, s.Usage, s.Status)
	}
	return b.String()
}

// attr returns a string attribute of a span Genkit's provider ended.
func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.AsString()
		}
	}
	return ""
}
