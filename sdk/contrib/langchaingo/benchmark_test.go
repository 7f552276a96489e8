package traciumlangchaingo_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/callbacks"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/prompts"
	"github.com/tmc/langchaingo/tools"
	"github.com/tmc/langchaingo/vectorstores"

	tracium "github.com/tracium/tracium/sdk"
	traciumlangchaingo "github.com/tracium/tracium/sdk/contrib/langchaingo"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// The handler's cost per callback, beside LangChainGo's own run of the
// same work without a handler, in one run:
//
//	go test -run '^$' -bench . -benchmem -count=6 ./sdk/contrib/langchaingo
//
// Each pair runs the same chain or agent over an in-process model (no
// HTTP, so that the framework's own work is what the handler is set
// beside), once bare and once with the handler on every component; the
// handler's cost per callback is the difference divided by the callbacks
// a run fires (reported as callbacks/op). The openai pair adds the HTTP
// call to the fake provider, whose exchange the handler's llm span
// captures.

// localModel answers in process, firing the callbacks a LangChainGo
// provider fires; a prompt that holds an observation gets the final
// answer, else an action.
type localModel struct{ h callbacks.Handler }

var localInfo = map[string]any{"PromptTokens": 12, "CompletionTokens": 7, "TotalTokens": 19, "ReasoningTokens": 2, "PromptCachedTokens": 4}

func (m localModel) GenerateContent(ctx context.Context, ms []llms.MessageContent, _ ...llms.CallOption) (*llms.ContentResponse, error) {
	if m.h != nil {
		m.h.HandleLLMGenerateContentStart(ctx, ms)
	}
	text := "Action: lookup\nAction Input: otters"
	if p := ms[len(ms)-1].Parts; len(p) > 0 && strings.Contains(p[0].(llms.TextContent).Text, "Observation:") {
		text = "Final Answer: fish"
	}
	res := &llms.ContentResponse{Choices: []*llms.ContentChoice{{Content: text, StopReason: "stop", GenerationInfo: localInfo}}}
	if m.h != nil {
		m.h.HandleLLMGenerateContentEnd(ctx, res)
	}
	return res, nil
}

func (m localModel) Call(ctx context.Context, prompt string, opts ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, opts...)
}

// lookupTool answers at once, without callbacks.
type lookupTool struct{}

func (lookupTool) Name() string                                 { return "lookup" }
func (lookupTool) Description() string                          { return "Looks things up." }
func (lookupTool) Call(context.Context, string) (string, error) { return "fish", nil }

// benchRun is one run to measure: built with a handler (nil: bare) and
// run with ctx.
type benchRun struct {
	name      string
	callbacks int // the callbacks one run fires when it has a handler
	build     func(b *testing.B, h callbacks.Handler) func(ctx context.Context) error
}

var benchRuns = []benchRun{
	{name: "LLMChain", callbacks: 4, build: func(_ *testing.B, h callbacks.Handler) func(context.Context) error {
		chain := chains.NewLLMChain(localModel{h}, prompts.NewPromptTemplate("Tell me about {{.topic}}.", []string{"topic"}), chains.WithCallback(h))
		in := map[string]any{"topic": "otters"}
		return func(ctx context.Context) error { _, err := chains.Call(ctx, chain, in); return err }
	}},
	{name: "SequentialChain", callbacks: 10, build: func(_ *testing.B, h callbacks.Handler) func(context.Context) error {
		var seq chains.Chain
		seq, _ = chains.NewSequentialChain([]chains.Chain{factsChain(localModel{h}, h), summaryChain(localModel{h}, h)}, []string{"topic"}, []string{"summary"})
		if h != nil {
			seq = traciumlangchaingo.Chain(seq)
		}
		in := map[string]any{"topic": "otters"}
		return func(ctx context.Context) error { _, err := chains.Call(ctx, seq, in); return err }
	}},
	{name: "MRKLAgent", callbacks: 12, build: func(_ *testing.B, h callbacks.Handler) func(context.Context) error {
		var opts []agents.Option
		if h != nil {
			opts = append(opts, agents.WithCallbacksHandler(h))
		}
		agent := agents.NewOneShotAgent(localModel{h}, []tools.Tool{lookupTool{}}, opts...)
		executor := agents.NewExecutor(agent, append(opts, agents.WithMaxIterations(3))...)
		return func(ctx context.Context) error {
			_, err := chains.Run(ctx, executor, "What do otters eat?")
			return err
		}
	}},
	{name: "Retriever", callbacks: 2, build: func(b *testing.B, h callbacks.Handler) func(context.Context) error {
		r := retrieverFor(b, h)
		return func(ctx context.Context) error {
			_, err := r.GetRelevantDocuments(ctx, "what do otters eat")
			return err
		}
	}},
	{name: "OpenAIOverHTTP", callbacks: 2, build: func(b *testing.B, h callbacks.Handler) func(context.Context) error {
		fake := fakellm.New(b, fakellm.Options{NoFirstChunkDelay: true})
		opts := []openai.Option{openai.WithBaseURL(fake.URL + "/v1"), openai.WithToken("sk-fake"), openai.WithModel(fakellm.OpenAIModel)}
		if h != nil {
			opts = append(opts, openai.WithCallback(h))
		}
		llm, err := openai.New(opts...)
		if err != nil {
			b.Fatal(err)
		}
		return func(ctx context.Context) error { _, err := llm.GenerateContent(ctx, question()); return err }
	}},
}

func BenchmarkHandler(b *testing.B) {
	client := benchClient(b)
	for _, run := range benchRuns {
		for _, traced := range []bool{false, true} {
			name := run.name + "/bare"
			if traced {
				name = run.name + "/handler"
			}
			b.Run(name, func(b *testing.B) {
				var h callbacks.Handler
				if traced {
					h = traciumlangchaingo.NewHandler()
				}
				// Bare runs see neither the handler nor tracium's transport:
				// the default client instruments nothing while they run.
				if traced {
					initDefault()
				} else {
					initDefault(tracium.WithAutoInstrumentLangChain(false), tracium.WithAutoInstrumentLLMClients(false))
				}
				b.Cleanup(func() { initDefault() })
				do := run.build(b, h)
				benchLoop(b, client, func(ctx context.Context) {
					if err := do(ctx); err != nil {
						b.Fatal(err)
					}
				})
				if traced {
					b.ReportMetric(float64(run.callbacks), "callbacks/op")
				}
			})
		}
	}
}

// BenchmarkCallback is the handler's cost per callback, alone: each op is
// one start and its end (two callbacks), or a chain around a model call
// (four), fired straight at the handler.
func BenchmarkCallback(b *testing.B) {
	client := benchClient(b)
	h := traciumlangchaingo.NewHandler()
	in, out := map[string]any{"topic": "otters"}, map[string]any{"text": "Otters eat fish."}
	ms := question()
	res := &llms.ContentResponse{Choices: []*llms.ContentChoice{{Content: "Otters eat fish.", StopReason: "stop", GenerationInfo: localInfo}}}
	docs, _ := newStore(b).SimilaritySearch(context.Background(), "what do otters eat", 2)
	for _, c := range []struct {
		name      string
		callbacks int
		fire      func(ctx context.Context)
	}{
		{"chain", 2, func(ctx context.Context) { h.HandleChainStart(ctx, in); h.HandleChainEnd(ctx, out) }},
		{"llm", 2, func(ctx context.Context) {
			h.HandleLLMGenerateContentStart(ctx, ms)
			h.HandleLLMGenerateContentEnd(ctx, res)
		}},
		{"tool", 2, func(ctx context.Context) { h.HandleToolStart(ctx, "2+3"); h.HandleToolEnd(ctx, "5") }},
		{"retriever", 2, func(ctx context.Context) {
			h.HandleRetrieverStart(ctx, "what do otters eat")
			h.HandleRetrieverEnd(ctx, "what do otters eat", docs)
		}},
		{"chain+llm", 4, func(ctx context.Context) {
			h.HandleChainStart(ctx, in)
			h.HandleLLMGenerateContentStart(ctx, ms)
			h.HandleLLMGenerateContentEnd(ctx, res)
			h.HandleChainEnd(ctx, out)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			benchLoop(b, client, c.fire)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*c.callbacks), "ns/callback")
		})
	}
}

// benchClient sends to a server that reads and drops each batch. Spans
// queue while the clock runs and are sent with it stopped (see
// benchLoop): the figures are the handler's work on the calling
// goroutine, not the exporter's, which bench/sdk measures.
func benchClient(b *testing.B) *tracium.Client {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	b.Cleanup(sink.Close)
	client := tracium.NewClient(tracium.WithAPIKey(spantest.APIKey), tracium.WithEndpoint(sink.URL),
		tracium.WithMaxQueueSize(1<<20), tracium.WithBatchSize(1<<20), tracium.WithFlushInterval(time.Hour),
		tracium.WithErrorHandler(func(err error) { b.Errorf("tracium client: %v", err) }))
	b.Cleanup(func() { _ = client.Shutdown(context.Background()) })
	return client
}

// benchLoop runs op under a run of client until the benchmark has its
// measure, sending the queued spans every few thousand ops off the clock.
func benchLoop(b *testing.B, client *tracium.Client, op func(ctx context.Context)) {
	ctx, root := client.AgentTrace(context.Background(), "bench")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		op(ctx)
		if i++; i%4096 == 0 {
			b.StopTimer()
			spantest.Flush(b, client)
			b.StartTimer()
		}
	}
	root.End()
	spantest.Flush(b, client)
}

// retrieverFor is a retriever over the test's word store.
func retrieverFor(b *testing.B, h callbacks.Handler) vectorstores.Retriever {
	b.Helper()
	r := vectorstores.ToRetriever(newStore(b), 2)
	r.CallbacksHandler = h
	return r
}
