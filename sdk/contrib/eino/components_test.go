package traciumeino_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components"
	"github.com/cloudwego/eino/components/embedding"
	"github.com/cloudwego/eino/components/indexer"
	"github.com/cloudwego/eino/components/model"
	"github.com/cloudwego/eino/components/retriever"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

// echoModel is a ChatModel that makes no HTTP call and reports its own
// callbacks, usage included, as a custom or local model does.
type echoModel struct{}

// echoUsage is what echoModel reports, in Eino's terms and in Tracium's.
var (
	echoTokenUsage = &model.TokenUsage{
		PromptTokens: 30, PromptTokenDetails: model.PromptTokenDetails{CachedTokens: 10},
		CompletionTokens: 9, CompletionTokensDetails: model.CompletionTokensDetails{ReasoningTokens: 3}, TotalTokens: 39,
	}
	echoUsage   = tracium.Usage{InputTokens: 30, CachedTokens: 10, OutputTokens: 9, ReasoningTokens: 3, TotalTokens: 39}
	echoConfig  = &model.Config{Model: "echo-1", Temperature: 0.5, MaxTokens: 64}
	echoWords   = []string{"echo:", " what", " is", " the", " weather?"}
	echoAnswer  = strings.Join(echoWords, "")
	echoRequest = []*schema.Message{schema.UserMessage("what is the weather?")}
)

func (echoModel) GetType() string          { return "Echo" }
func (echoModel) IsCallbacksEnabled() bool { return true }

func (m echoModel) start(ctx context.Context, in []*schema.Message) context.Context {
	ctx = callbacks.EnsureRunInfo(ctx, m.GetType(), components.ComponentOfChatModel)
	return callbacks.OnStart(ctx, &model.CallbackInput{Messages: in, Config: echoConfig})
}

func (m echoModel) Generate(ctx context.Context, in []*schema.Message, _ ...model.Option) (*schema.Message, error) {
	ctx = m.start(ctx, in)
	out := &schema.Message{Role: schema.Assistant, Content: echoAnswer, ResponseMeta: &schema.ResponseMeta{FinishReason: "stop"}}
	callbacks.OnEnd(ctx, &model.CallbackOutput{Message: out, Config: echoConfig, TokenUsage: echoTokenUsage})
	return out, nil
}

func (m echoModel) Stream(ctx context.Context, in []*schema.Message, _ ...model.Option) (*schema.StreamReader[*schema.Message], error) {
	ctx = m.start(ctx, in)
	sr, sw := schema.Pipe[*model.CallbackOutput](len(echoWords) + 1)
	go func() {
		defer sw.Close()
		time.Sleep(2 * time.Millisecond) // a measurable time to first token
		for _, w := range echoWords {
			sw.Send(&model.CallbackOutput{Message: &schema.Message{Role: schema.Assistant, Content: w}, Config: echoConfig}, nil)
		}
		sw.Send(&model.CallbackOutput{
			Message:    &schema.Message{Role: schema.Assistant, ResponseMeta: &schema.ResponseMeta{FinishReason: "stop"}},
			Config:     echoConfig,
			TokenUsage: echoTokenUsage,
		}, nil)
	}()
	_, out := callbacks.OnEndWithStreamOutput(ctx, schema.StreamReaderWithConvert(sr, func(o *model.CallbackOutput) (callbacks.CallbackOutput, error) {
		return o, nil
	}))
	return schema.StreamReaderWithConvert(out, func(o callbacks.CallbackOutput) (*schema.Message, error) {
		return o.(*model.CallbackOutput).Message, nil
	}), nil
}

// TestCustomModel checks a model that makes no HTTP call: the llm span
// holds the callbacks' own view, its usage exactly as reported.
func TestCustomModel(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		name := "invoke"
		if stream {
			name = "stream"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, fakellm.Options{})
			chain := compose.NewChain[[]*schema.Message, *schema.Message]()
			chain.AppendChatModel(echoModel{}, compose.WithNodeKey("echo"))
			r, err := chain.Compile(context.Background(), compose.WithGraphName("echo-chain"))
			if err != nil {
				t.Fatal(err)
			}
			var out *schema.Message
			if stream {
				sr, err := r.Stream(b.ctx, echoRequest, withTracium())
				if err != nil {
					t.Fatal(err)
				}
				out = readAll(t, sr)
			} else if out, err = r.Invoke(b.ctx, echoRequest, withTracium()); err != nil {
				t.Fatal(err)
			}
			if out.Content != echoAnswer {
				t.Fatalf("chain answered %q", out.Content)
			}
			spans := b.trace(t, 3)
			if len(spans) != 3 {
				t.Fatalf("%d spans, want 3 (chain, node, llm):\n%s", len(spans), describe(spans))
			}
			chainSpan := find(t, spans, tracium.SpanGraph, "echo-chain")
			checkEdges(t, chainSpan, false, "start>echo", "echo>end")
			node := find(t, spans, tracium.SpanNode, "echo")
			checkSpan(t, node, chainSpan.SpanID, nodeAttrs("echo", "runnable:echo-chain;node:echo"))
			llm := find(t, spans, tracium.SpanLLM, "echo")
			attrs := map[string]any{tracium.AttrFramework: "eino", "max_tokens": 64, "temperature": 0.5}
			if stream {
				attrs[tracium.AttrStream] = true
			}
			checkSpan(t, llm, node.SpanID, attrs)
			if llm.Model != "echo-1" || llm.RequestModel != "echo-1" || llm.Provider != "" {
				t.Errorf("llm model %q request model %q provider %q", llm.Model, llm.RequestModel, llm.Provider)
			}
			if llm.Usage == nil || *llm.Usage != echoUsage {
				t.Errorf("llm usage %+v, want %+v", llm.Usage, echoUsage)
			}
			if ttft := llm.TimeToFirstTokenMS; stream != (ttft != nil && *ttft >= 2) {
				t.Errorf("time to first token %v (stream %t)", ttft, stream)
			}
			checkJSON(t, "llm input", llm.Input, `{"messages":[{"role":"user","parts":[{"type":"text","content":"what is the weather?"}]}]}`)
			checkJSON(t, "llm output", llm.Output, `{"messages":[{"role":"assistant","parts":[{"type":"text","content":"`+echoAnswer+`"}],"finish_reason":"stop"}]}`)
		})
	}
}

// memStore is an in-memory retriever, indexer and embedder that Eino
// wraps with callbacks itself.
type memStore struct{}

func (memStore) Retrieve(_ context.Context, q string, _ ...retriever.Option) ([]*schema.Document, error) {
	long := strings.Repeat("x", 3000)
	d1 := (&schema.Document{ID: "doc-1", Content: "Paris is sunny. " + long}).WithScore(0.9)
	d2 := (&schema.Document{ID: "doc-2", Content: "Lyon is rainy."}).WithScore(0.4)
	return []*schema.Document{d1, d2}, nil
}

func (memStore) Store(_ context.Context, docs []*schema.Document, _ ...indexer.Option) ([]string, error) {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = "stored-" + d.ID
	}
	return ids, nil
}

func (memStore) EmbedStrings(_ context.Context, texts []string, _ ...embedding.Option) ([][]float64, error) {
	out := make([][]float64, len(texts))
	for i := range texts {
		out[i] = []float64{0.1, 0.2, 0.3}
	}
	return out, nil
}

// TestRetrieval runs a retriever, an indexer and an embedder as nodes: a
// retrieval span with the query, the documents' ids, scores and content cut
// to 1 KiB; a retrieval span with the stored ids; an embedding span.
func TestRetrieval(t *testing.T) {
	t.Parallel()
	b := setup(t, fakellm.Options{})
	chain := compose.NewChain[string, []string]()
	chain.AppendRetriever(memStore{}, compose.WithNodeKey("search")).AppendIndexer(memStore{}, compose.WithNodeKey("store"))
	r, err := chain.Compile(context.Background(), compose.WithGraphName("rag"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Invoke(b.ctx, "weather in Paris", withTracium()); err != nil {
		t.Fatal(err)
	}
	embed := compose.NewChain[[]string, [][]float64]()
	embed.AppendEmbedding(memStore{}, compose.WithNodeKey("embed"))
	er, err := embed.Compile(context.Background(), compose.WithGraphName("embed"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := er.Invoke(b.ctx, []string{"Paris", "Lyon"}, withTracium()); err != nil {
		t.Fatal(err)
	}
	spans := b.trace(t, 8)
	if len(spans) != 8 {
		t.Fatalf("%d spans, want 8 (2 chains, 3 nodes, 3 calls):\n%s", len(spans), describe(spans))
	}
	search := find(t, spans, tracium.SpanRetrieval, "search")
	checkSpan(t, search, find(t, spans, tracium.SpanNode, "search").SpanID, map[string]any{tracium.AttrFramework: "eino"})
	checkJSON(t, "retriever input", search.Input, `{"query":"weather in Paris"}`)
	content := "Paris is sunny. " + strings.Repeat("x", 1024-len("Paris is sunny. "))
	checkJSON(t, "retriever output", search.Output, `{"documents":[{"id":"doc-1","score":0.9,"content":"`+content+`"},{"id":"doc-2","score":0.4,"content":"Lyon is rainy."}]}`)
	store := find(t, spans, tracium.SpanRetrieval, "store")
	checkJSON(t, "indexer output", store.Output, `{"ids":["stored-doc-1","stored-doc-2"],"count":2}`)
	emb := find(t, spans, tracium.SpanEmbedding, "embed")
	checkJSON(t, "embedding input", emb.Input, `{"texts":["Paris","Lyon"],"count":2}`)
	checkJSON(t, "embedding output", emb.Output, `{"count":2,"dimensions":3}`)
	checkEdges(t, find(t, spans, tracium.SpanGraph, "rag"), false, "start>search", "search>store", "store>end")
}
