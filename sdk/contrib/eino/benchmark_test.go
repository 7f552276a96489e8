package traciumeino_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// benchNodes is the number of Lambda nodes of the benchmark's graph: with
// the graph itself, a run makes benchNodes+1 callback pairs (OnStart and
// OnEnd).
const benchNodes = 4

// BenchmarkGraph runs a graph of four Lambdas with Invoke: bare ("eino"),
// with a handler that does nothing ("noop": the cost of Eino's callback
// machinery), with Tracium's handler ("tracium", spans built and ended but
// not sent) and with the spans sent too ("tracium+export"). tracium minus noop,
// divided by the five callback pairs of a run, is the handler's own cost
// per callback. "model" does the same with a chain of one custom
// ChatModel (two pairs), whose llm span converts the chat.
func BenchmarkGraph(b *testing.B) {
	g := compose.NewGraph[string, string]()
	prev := compose.START
	for i := range benchNodes {
		key := string(rune('a' + i))
		if err := g.AddLambdaNode(key, compose.InvokableLambda(func(_ context.Context, s string) (string, error) {
			return strings.ToUpper(s), nil
		})); err != nil {
			b.Fatal(err)
		}
		if err := g.AddEdge(prev, key); err != nil {
			b.Fatal(err)
		}
		prev = key
	}
	if err := g.AddEdge(prev, compose.END); err != nil {
		b.Fatal(err)
	}
	lambdas, err := g.Compile(context.Background(), compose.WithGraphName("bench"))
	if err != nil {
		b.Fatal(err)
	}
	chain := compose.NewChain[[]*schema.Message, *schema.Message]()
	chain.AppendChatModel(echoModel{})
	model, err := chain.Compile(context.Background(), compose.WithGraphName("bench-model"))
	if err != nil {
		b.Fatal(err)
	}

	// local builds every span and ends it but sends nothing (it has no
	// API key): the handler's own cost. export also sends the spans, to a
	// collector in this process that decodes and discards them, which
	// competes for the machine's cores.
	local := tracium.NewClient(tracium.WithErrorHandler(func(error) {}))
	spans := spantest.NewCollector(b)
	spans.SetDiscard(true)
	export := spans.NewClient(b, tracium.WithMaxQueueSize(1<<20))
	// noop is a handler that does nothing: what Eino's callback machinery
	// costs by itself.
	noop := compose.WithCallbacks(callbacks.NewHandlerBuilder().
		OnStartFn(func(ctx context.Context, _ *callbacks.RunInfo, _ callbacks.CallbackInput) context.Context { return ctx }).
		OnEndFn(func(ctx context.Context, _ *callbacks.RunInfo, _ callbacks.CallbackOutput) context.Context {
			return ctx
		}).
		Build())
	run := func(b *testing.B, handler string, invoke func(ctx context.Context, opts ...compose.Option) error) {
		b.ReportAllocs()
		for b.Loop() {
			ctx := context.Background()
			var root *tracium.AgentTrace
			var opts []compose.Option
			switch handler {
			case "noop":
				opts = append(opts, noop)
			case "tracium":
				ctx, root = local.AgentTrace(ctx, "bench")
				opts = append(opts, withTracium())
			case "tracium+export":
				ctx, root = export.AgentTrace(ctx, "bench")
				opts = append(opts, withTracium())
			}
			if err := invoke(ctx, opts...); err != nil {
				b.Fatal(err)
			}
			root.End()
		}
	}
	lambdaRun := func(ctx context.Context, opts ...compose.Option) error {
		_, err := lambdas.Invoke(ctx, "hello", opts...)
		return err
	}
	modelRun := func(ctx context.Context, opts ...compose.Option) error {
		_, err := model.Invoke(ctx, echoRequest, opts...)
		return err
	}
	for _, h := range []string{"eino", "noop", "tracium", "tracium+export"} {
		b.Run("lambdas/"+h, func(b *testing.B) { run(b, h, lambdaRun) })
		b.Run("model/"+h, func(b *testing.B) { run(b, h, modelRun) })
	}
}
