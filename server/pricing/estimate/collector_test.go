package estimate_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/collectortest"
	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/store"
)

// cookbookRequest is the openai-cookbook's token-counting example sent as
// a streamed chat completion without stream_options.include_usage, as
// go-openai sends it by default: the API then sends no usage chunk. Its
// prompt_tokens were 124 on gpt-4o-mini.
const cookbookRequest = `{"model":"gpt-4o-mini","stream":true,"messages":[` +
	`{"role":"system","content":"You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},` +
	`{"role":"system","name":"example_user","content":"New synergies will help drive top-line growth."},` +
	`{"role":"system","name":"example_assistant","content":"Things working well together will increase revenue."},` +
	`{"role":"system","name":"example_user","content":"Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},` +
	`{"role":"system","name":"example_assistant","content":"Let's talk later when we're less busy about how to do better."},` +
	`{"role":"user","content":"This late pivot means we don't have time to boil the ocean for the client deliverable."}]}`

// noUsageStream is a chat completion stream in OpenAI's wire format,
// chunk for chunk, without the usage chunk: the answer "tiktoken is
// great!", 6 tokens in o200k_base by the cookbook's count.
const noUsageStream = `data: {"id":"chatcmpl-AbC1","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-AbC1","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"content":"tik"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-AbC1","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"content":"token is"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-AbC1","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"content":" great!"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-AbC1","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}

data: [DONE]

`

// TestStreamWithoutUsageThroughTheCollector sends the call through the
// SDK's transport to a server answering in OpenAI's wire format, exports
// the span to the real collector (ingest, JetStream, writer, SQLite) and
// reads it back: the counts are estimated, marked, and priced.
func TestStreamWithoutUsageThroughTheCollector(t *testing.T) {
	t.Parallel()
	col := collectortest.Start(t)
	client := tracium.NewClient(tracium.WithAPIKey(col.APIKey), tracium.WithEndpoint(col.URL),
		tracium.WithFlushInterval(20*time.Millisecond))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.Shutdown(ctx)
	})
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, noUsageStream)
	}))
	t.Cleanup(provider.Close)

	ctx, run := client.AgentTrace(t.Context(), "estimate")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, provider.URL+"/v1/chat/completions", strings.NewReader(cookbookRequest))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: tracium.Transport(nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	run.End()
	if err := client.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}

	d := col.WaitTrace(t, run.TraceID(), 2, 10*time.Second)
	i := slices.IndexFunc(d.Spans, func(s store.Span) bool { return s.Type == store.SpanLLM })
	if i < 0 {
		t.Fatalf("no llm span stored: %+v", d.Spans)
	}
	s := d.Spans[i]
	want := store.Usage{InputTokens: 124, OutputTokens: 6, TotalTokens: 130}
	if s.Usage == nil || *s.Usage != want {
		t.Fatalf("stored usage = %+v, want %+v (the cookbook's prompt and the answer's tokens)", s.Usage, want)
	}
	var attrs map[string]any
	if err := json.Unmarshal(s.Attributes, &attrs); err != nil {
		t.Fatal(err)
	}
	if attrs[tracium.AttrUsageEstimated] != true || attrs[tracium.AttrUsageMissing] != true || attrs[tracium.AttrStream] != true {
		t.Errorf("stored attributes %s: want usage_estimated, usage_missing and stream all true", s.Attributes)
	}
	// gpt-4o-mini: $0.15 in, $0.60 out per million tokens.
	if wantCost := (124*0.15 + 6*0.6) / 1e6; s.CostUSD == nil || math.Abs(*s.CostUSD-wantCost) > 1e-15 {
		t.Errorf("stored cost = %v, want %v", s.CostUSD, wantCost)
	}
	if d.Trace.Usage.InputTokens != 124 || d.Trace.Usage.OutputTokens != 6 {
		t.Errorf("trace usage = %+v, want the estimate summed", d.Trace.Usage)
	}
}
