package tracium

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// bigChatResponse is a chat completion of about 20 KB.
var bigChatResponse = func() string {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 440)
	return fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion","created":1741569952,"model":"gpt-4o-2024-08-06",`+
		`"choices":[{"index":0,"message":{"role":"assistant","content":%q,"refusal":null},"finish_reason":"stop"}],`+
		`"usage":{"prompt_tokens":19,"completion_tokens":4400,"total_tokens":4419}}`, text)
}()

// benchLLM runs fn as sub-benchmarks "plain" (a bare http.Transport) and
// "traced" (the same transport wrapped by Transport, inside a trace).
func benchLLM(b *testing.B, handler http.HandlerFunc, fn func(b *testing.B, ctx context.Context, hc *http.Client)) {
	srv := httptest.NewServer(handler)
	b.Cleanup(srv.Close)
	c := benchClient(b)
	for _, traced := range []bool{false, true} {
		name := "plain"
		if traced {
			name = "traced"
		}
		b.Run(name, func(b *testing.B) {
			base := &http.Transport{}
			defer base.CloseIdleConnections()
			hc := &http.Client{Transport: base}
			ctx := context.Background()
			if traced {
				hc.Transport = Transport(base)
				var run *AgentTrace
				ctx, run = c.AgentTrace(ctx, "bench")
				defer run.End()
			}
			ctx = context.WithValue(ctx, benchURL{}, srv.URL)
			b.ReportAllocs()
			fn(b, ctx, hc)
		})
	}
}

type benchURL struct{}

func benchRequest(ctx context.Context, path, body string) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ctx.Value(benchURL{}).(string)+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// BenchmarkLLMCall is one non-streaming chat completion with a 20 KB
// answer from a local server; traced minus plain is what recording costs.
func BenchmarkLLMCall(b *testing.B) {
	benchLLM(b, serve(200, "application/json", bigChatResponse), func(b *testing.B, ctx context.Context, hc *http.Client) {
		b.SetBytes(int64(len(bigChatResponse)))
		for b.Loop() {
			resp, err := hc.Do(benchRequest(ctx, "/v1/chat/completions", openAIChatRequest))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkStreamFirstChunk is the time from sending a streaming request
// to reading its first chunk; the rest of the stream is read untimed.
func BenchmarkStreamFirstChunk(b *testing.B) {
	handler := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, firstChunk)
		w.(http.Flusher).Flush()
		io.WriteString(w, openAIStreamWithUsage)
	}
	benchLLM(b, handler, func(b *testing.B, ctx context.Context, hc *http.Client) {
		buf := make([]byte, len(firstChunk))
		for b.Loop() {
			resp, err := hc.Do(benchRequest(ctx, "/v1/chat/completions", openAIStreamRequest))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(resp.Body, buf); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			b.StartTimer()
		}
	})
}

// BenchmarkLLMRecordResponse is the recording work alone for the 20 KB
// answer: parsing the request and response and filling the span.
func BenchmarkLLMRecordResponse(b *testing.B) {
	c := benchClient(b)
	ctx, run := c.AgentTrace(context.Background(), "bench")
	defer run.End()
	ep := llmEndpoint{api: openAIAPI{}, op: "chat"}
	body := []byte(bigChatResponse)
	b.ReportAllocs()
	for b.Loop() {
		req := ep.api.request(ep, []byte(openAIChatRequest))
		_, s := StartSpan(ctx, SpanLLM, "chat "+req.model)
		s.RecordInput(req.input)
		req.params.record(s)
		call := &llmCall{ep: ep, span: s, model: req.model}
		call.response(body)
		s.End()
	}
}
