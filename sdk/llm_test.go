package tracium

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// llmBundle is a traced HTTP client talking to a fake provider.
type llmBundle struct {
	*testBundle
	server *httptest.Server
	hc     *http.Client
	ctx    context.Context
	run    *AgentTrace
	// received holds the last request body the provider saw.
	received atomic.Pointer[[]byte]
}

// setupLLM starts a provider answering with handler and a client whose
// transport is Tracium's; requests made with b.ctx nest under b.run.
func setupLLM(t *testing.T, handler http.HandlerFunc, opts ...Option) *llmBundle {
	t.Helper()
	b := &llmBundle{testBundle: setup(t, opts...)}
	b.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.received.Store(&body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler(w, r)
	}))
	t.Cleanup(b.server.Close)
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	b.hc = &http.Client{Transport: Transport(base)}
	b.ctx, b.run = b.client.AgentTrace(t.Context(), "agent")
	return b
}

// post sends body to path and returns the response body, read whole.
func (b *llmBundle) post(t *testing.T, path, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(b.ctx, http.MethodPost, b.server.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	if sent := b.received.Load(); sent == nil || string(*sent) != body {
		t.Errorf("the provider did not receive the request body unchanged")
	}
	return resp, string(got)
}

// llmSpans ends the run, flushes and returns the llm and embedding spans.
func (b *llmBundle) llmSpans(t *testing.T) []map[string]any {
	t.Helper()
	b.run.End()
	b.flush(t)
	var out []map[string]any
	for _, s := range b.collector.spans() {
		if s["type"] == "llm" || s["type"] == "embedding" {
			out = append(out, s)
		}
	}
	return out
}

// oneSpan returns the only LLM span, checking that it nests under the run.
func (b *llmBundle) oneSpan(t *testing.T) map[string]any {
	t.Helper()
	spans := b.llmSpans(t)
	if len(spans) != 1 {
		t.Fatalf("got %d LLM spans, want 1: %v", len(spans), spans)
	}
	s := spans[0]
	if s["parent_span_id"] != b.run.SpanID() || s["trace_id"] != b.run.TraceID() {
		t.Errorf("span not under the run: parent %v trace %v", s["parent_span_id"], s["trace_id"])
	}
	return s
}

// serve answers with a fixed status, content type and body.
func serve(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// checkFields compares top-level span fields; JSON numbers are float64.
func checkFields(t *testing.T, s map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if got := s[k]; !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %#v, want %#v", k, got, w)
		}
	}
}

func attrs(s map[string]any) map[string]any {
	a, _ := s["attributes"].(map[string]any)
	return a
}

// jsonField re-encodes a decoded span field for substring checks.
func jsonField(s map[string]any, k string) string {
	b, _ := json.Marshal(s[k])
	return string(b)
}

// checkChat compares the span's field k with the Chat in JSON want.
func checkChat(t *testing.T, s map[string]any, k, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected chat %s: %v", want, err)
	}
	if !reflect.DeepEqual(s[k], w) {
		t.Errorf("%s = %s\nwant %s", k, jsonField(s, k), want)
	}
	if _, ok := ParseChat([]byte(jsonField(s, k))); !ok {
		t.Errorf("%s is not a Chat ParseChat reads", k)
	}
}

func usageOf(u map[string]float64) map[string]any {
	m := make(map[string]any, len(u))
	for k, v := range u {
		m[k] = v
	}
	return m
}

func TestLLMOpenAIChat(t *testing.T) {
	t.Parallel()
	b := setupLLM(t, serve(200, "application/json", openAIChatResponse))
	_, got := b.post(t, "/v1/chat/completions", openAIChatRequest)
	if got != openAIChatResponse {
		t.Errorf("the caller got a different response body")
	}
	s := b.oneSpan(t)
	checkFields(t, s, map[string]any{
		"name": "chat gpt-4o", "type": "llm", "provider": "openai",
		"request_model": "gpt-4o", "model": "gpt-4o-2024-08-06",
		"usage": usageOf(map[string]float64{"input_tokens": 1117, "output_tokens": 46, "cached_tokens": 1024, "reasoning_tokens": 12, "total_tokens": 1163}),
	})
	if s["status"] == "error" {
		t.Errorf("status error: %v", s["error_message"])
	}
	checkFields(t, attrs(s), map[string]any{
		"temperature": 0.2, "top_p": 0.9, "max_tokens": 256.0,
		"tools": []any{"get_weather"}, "tool_choice": "auto", "response_format": "json_object",
	})
	checkChat(t, s, "input", `{"messages":[{"role":"system","parts":[{"type":"text","content":"You are terse."}]},
		{"role":"user","parts":[{"type":"text","content":"What is in this image?"},{"type":"blob","modality":"image","mime_type":"image/png","size":70}]}]}`)
	checkChat(t, s, "output", `{"messages":[{"role":"assistant","finish_reason":"stop","parts":[{"type":"text","content":"A red pixel."}]}]}`)
	// The raw request keeps what was sent, the image as a reference.
	if raw := jsonField(s, "raw_input"); strings.Contains(raw, "iVBOR") || !strings.Contains(raw, "[image/png, 70 bytes]") || !strings.Contains(raw, `"response_format"`) {
		t.Errorf("raw_input = %s", raw)
	}
	if raw := jsonField(s, "raw_output"); !strings.Contains(raw, `"system_fingerprint":"fp_fc9f1d7035"`) {
		t.Errorf("raw_output = %s", raw)
	}
}

func TestLLMOpenAIStream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, stream string
		usage        any
		output       string
	}{
		{
			name: "include_usage", stream: openAIStreamWithUsage,
			usage: usageOf(map[string]float64{"input_tokens": 82, "output_tokens": 37, "total_tokens": 119}),
			output: `{"messages":[{"role":"assistant","finish_reason":"tool_calls","parts":[{"type":"text","content":"Checking"},
				{"type":"tool_call","id":"call_abc","name":"get_weather","arguments":{"city":"Paris"}},
				{"type":"tool_call","id":"call_def","name":"get_weather","arguments":{"city":"Rome"}}]}]}`,
		},
		{name: "no_usage", stream: openAIStreamNoUsage,
			output: `{"messages":[{"role":"assistant","finish_reason":"stop","parts":[{"type":"text","content":"Hello there!"}]}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupLLM(t, serve(200, "text/event-stream", tc.stream))
			_, got := b.post(t, "/v1/chat/completions", openAIStreamRequest)
			if got != tc.stream {
				t.Errorf("the caller got a different stream")
			}
			s := b.oneSpan(t)
			checkFields(t, s, map[string]any{
				"name": "chat gpt-4o-mini", "request_model": "gpt-4o-mini", "model": "gpt-4o-mini-2024-07-18",
				"provider": "openai", "usage": tc.usage, "status": "ok",
			})
			if _, ok := s["time_to_first_token_ms"].(float64); !ok {
				t.Error("no time to first token")
			}
			a := attrs(s)
			if a["stream"] != true {
				t.Errorf("stream attribute = %v", a["stream"])
			}
			if missing := tc.usage == nil; (a["usage_missing"] == true) != missing {
				t.Errorf("usage_missing = %v, want %t", a["usage_missing"], missing)
			}
			checkChat(t, s, "output", tc.output)
			checkChat(t, s, "input", `{"messages":[{"role":"user","parts":[{"type":"text","content":"Weather in Paris and Rome?"}]}]}`)
		})
	}
}

func TestLLMOpenAIResponsesAndEmbeddings(t *testing.T) {
	t.Parallel()
	b := setupLLM(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/embeddings") {
			serve(200, "application/json", embeddingResponse)(w, r)
			return
		}
		serve(200, "application/json", responsesResponse)(w, r)
	})
	b.post(t, "/v1/responses", responsesRequest)
	b.post(t, "/v1/embeddings", embeddingRequest)
	spans := byName(b.llmSpans(t))
	r := spans["responses o4-mini"]
	checkFields(t, r, map[string]any{
		"type": "llm", "model": "o4-mini-2025-04-16",
		"usage": usageOf(map[string]float64{"input_tokens": 36, "output_tokens": 87, "reasoning_tokens": 64, "total_tokens": 123}),
	})
	if attrs(r)["max_output_tokens"] != 500.0 {
		t.Errorf("responses span = %v", r)
	}
	checkChat(t, r, "input", `{"messages":[{"role":"user","parts":[{"type":"text","content":"2+2?"}]}]}`)
	checkChat(t, r, "output", `{"messages":[{"role":"assistant","finish_reason":"completed","parts":[{"type":"text","content":"4"}]}]}`)
	e := spans["embedding text-embedding-3-small"]
	checkFields(t, e, map[string]any{
		"type": "embedding", "provider": "openai", "output": nil,
		"usage": usageOf(map[string]float64{"input_tokens": 5, "total_tokens": 5}),
	})
	checkChat(t, e, "input", `{"messages":[{"role":"user","parts":[{"type":"text","content":"The food was delicious"}]}]}`)
	if _, ok := e["raw_output"]; ok {
		t.Errorf("an embedding's vectors were kept as its raw output")
	}
}

func TestLLMAnthropic(t *testing.T) {
	t.Parallel()
	t.Run("plain", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "application/json", anthropicResponse))
		b.post(t, "/v1/messages", anthropicRequestBody)
		s := b.oneSpan(t)
		checkFields(t, s, map[string]any{
			"name": "chat claude-sonnet-4-5", "provider": "anthropic", "request_model": "claude-sonnet-4-5",
			"model": "claude-sonnet-4-5-20250929",
			// input_tokens 472 on the wire, plus the cache's 2048 read and 100 written.
			"usage": usageOf(map[string]float64{"input_tokens": 2620, "output_tokens": 89, "cached_tokens": 2048,
				"cache_creation_tokens": 100, "total_tokens": 2709}),
		})
		checkFields(t, attrs(s), map[string]any{"temperature": 0.5, "max_tokens": 1024.0, "tools": []any{"get_weather"}})
		checkChat(t, s, "input", `{"messages":[{"role":"system","parts":[{"type":"text","content":"You are a weather bot."}]},
			{"role":"user","parts":[{"type":"blob","modality":"image","mime_type":"image/jpeg","size":40},{"type":"text","content":"Weather where this was taken?"}]}]}`)
		checkChat(t, s, "output", `{"messages":[{"role":"assistant","finish_reason":"tool_use","parts":[{"type":"text","content":"Let me check."},
			{"type":"tool_call","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","arguments":{"city":"Paris"}}]}]}`)
	})
	t.Run("stream", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "text/event-stream; charset=utf-8", anthropicStream))
		req := strings.Replace(anthropicRequestBody, `"max_tokens":1024`, `"max_tokens":1024,"stream":true`, 1)
		b.post(t, "/v1/messages", req)
		s := b.oneSpan(t)
		checkFields(t, s, map[string]any{
			"model": "claude-sonnet-4-5-20250929", "status": "ok",
			"usage": usageOf(map[string]float64{"input_tokens": 1496, "output_tokens": 89, "cached_tokens": 1024, "total_tokens": 1585}),
		})
		checkChat(t, s, "output", `{"messages":[{"role":"assistant","finish_reason":"tool_use","parts":[{"type":"text","content":"Okay, checking."},
			{"type":"tool_call","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","arguments":{"city":"San Francisco"}}]}]}`)
		if _, ok := s["time_to_first_token_ms"]; !ok {
			t.Error("no time to first token")
		}
	})
}

func TestLLMGemini(t *testing.T) {
	t.Parallel()
	t.Run("plain", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "application/json; charset=UTF-8", geminiResponse))
		b.post(t, "/v1beta/models/gemini-2.5-flash:generateContent", geminiRequestBody)
		s := b.oneSpan(t)
		checkFields(t, s, map[string]any{
			"name": "chat gemini-2.5-flash", "provider": "google", "request_model": "gemini-2.5-flash",
			"model": "gemini-2.5-flash-001",
			// 5 candidate tokens and 30 thoughts on the wire: output is both.
			"usage": usageOf(map[string]float64{"input_tokens": 265, "output_tokens": 35, "cached_tokens": 128,
				"reasoning_tokens": 30, "total_tokens": 300}),
		})
		checkChat(t, s, "output", `{"messages":[{"role":"assistant","finish_reason":"STOP","parts":[{"type":"text","content":"A tiny image."}]}]}`)
		checkFields(t, attrs(s), map[string]any{"temperature": 0.7, "top_p": 0.95, "max_output_tokens": 512.0, "tools": []any{"lookup"}})
		checkChat(t, s, "input", `{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},
			{"role":"user","parts":[{"type":"text","content":"Describe this."},{"type":"blob","modality":"image","mime_type":"image/webp","size":44}]}]}`)
	})
	t.Run("stream vertex", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "text/event-stream", geminiStream))
		b.post(t, "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse", geminiRequestBody)
		s := b.oneSpan(t)
		checkFields(t, s, map[string]any{
			"request_model": "gemini-2.5-flash", "model": "gemini-2.5-flash-001", "status": "ok",
			"usage": usageOf(map[string]float64{"input_tokens": 265, "output_tokens": 25, "reasoning_tokens": 16, "total_tokens": 290}),
		})
		checkChat(t, s, "output", `{"messages":[{"role":"assistant","finish_reason":"STOP","parts":[{"type":"text","content":"A tiny image."},
			{"type":"tool_call","name":"lookup","arguments":{"q":"webp"}}]}]}`)
	})
}

func TestLLMErrorStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, path, req, body string
		status                int
		errType, msg          string
	}{
		{"openai type", "/v1/chat/completions", openAIChatRequest, openAIErrorBody, 429, "tokens", "Rate limit reached for gpt-4o in organization org-123 on tokens per min (TPM)."},
		{"openai code", "/v1/chat/completions", openAIChatRequest, openAINotFoundBody, 404, "model_not_found", "The model 'gpt-9' does not exist"},
		{"anthropic", "/v1/messages", anthropicRequestBody, anthropicErrorBody, 529, "overloaded_error", "Overloaded"},
		{"gemini", "/v1beta/models/gemini-2.5-flash:generateContent", geminiRequestBody, geminiErrorBody, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."},
		{"no body", "/v1/chat/completions", openAIChatRequest, "upstream connect error", 502, "http_502", "upstream connect error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupLLM(t, serve(tc.status, "application/json", tc.body))
			resp, got := b.post(t, tc.path, tc.req)
			if resp.StatusCode != tc.status || got != tc.body {
				t.Errorf("the caller got %d %q", resp.StatusCode, got)
			}
			s := b.oneSpan(t)
			checkFields(t, s, map[string]any{"status": "error", "error_type": tc.errType, "error_message": tc.msg})
			if attrs(s)["http_status"] != float64(tc.status) {
				t.Errorf("http_status = %v", attrs(s)["http_status"])
			}
		})
	}
}

func TestLLMNetworkError(t *testing.T) {
	t.Parallel()
	b := setupLLM(t, serve(200, "application/json", "{}"))
	b.server.Close()
	req, _ := http.NewRequestWithContext(b.ctx, http.MethodPost, b.server.URL+"/v1/chat/completions", strings.NewReader(openAIChatRequest))
	if _, err := b.hc.Do(req); err == nil {
		t.Fatal("no error from a closed server")
	}
	s := b.oneSpan(t)
	checkFields(t, s, map[string]any{"status": "error", "error_type": "network_error", "name": "chat gpt-4o"})
}

// streamingHandler sends first, then waits for the client to go away.
func streamingHandler(first string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, first)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
}

const firstChunk = `data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"content":"Hel"}}]}` + "\n\n"

func TestLLMStreamCancel(t *testing.T) {
	t.Parallel()
	b := setupLLM(t, streamingHandler(firstChunk))
	ctx, cancel := context.WithCancel(b.ctx)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, b.server.URL+"/v1/chat/completions", strings.NewReader(openAIStreamRequest))
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, len(firstChunk))
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	// The span ends on cancellation alone, before any further Read.
	waitFor(t, "the span to end", func() bool {
		b.flush(t)
		for _, s := range b.collector.spans() {
			if s["type"] == "llm" {
				return true
			}
		}
		return false
	})
	s := b.oneSpan(t)
	checkFields(t, s, map[string]any{"status": "error", "error_type": "context_canceled", "model": "gpt-4o-mini-2024-07-18"})
	checkChat(t, s, "output", `{"messages":[{"role":"assistant","parts":[{"type":"text","content":"Hel"}]}]}`)
	if attrs(s)["usage_missing"] != true {
		t.Error("usage_missing not set")
	}
}

// TestLLMStreamCloseHalfway is not parallel: it counts goroutines.
func TestLLMStreamCloseHalfway(t *testing.T) {
	b := setupLLM(t, streamingHandler(firstChunk))
	// Open the exporter's connection first: it is not the streams'.
	_, warm := StartSpan(b.ctx, SpanTool, "warm")
	warm.End()
	b.flush(t)
	before := runtime.NumGoroutine()
	for range 20 {
		req, _ := http.NewRequestWithContext(b.ctx, http.MethodPost, b.server.URL+"/v1/chat/completions", strings.NewReader(openAIStreamRequest))
		resp, err := b.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		io.ReadFull(resp.Body, buf)
		resp.Body.Close()
	}
	spans := b.llmSpans(t)
	if len(spans) != 20 {
		t.Fatalf("%d spans ended, want 20", len(spans))
	}
	checkFields(t, spans[0], map[string]any{"status": "ok"})
	if attrs, _ := spans[0]["attributes"].(map[string]any); attrs[AttrStreamClosedEarly] != true {
		t.Errorf("a stream closed halfway has attributes %v, want %s", spans[0]["attributes"], AttrStreamClosedEarly)
	}
	b.hc.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after closing 20 streams, %d before", n, before)
	}
}

func TestLLMNonLLMRequestUntouched(t *testing.T) {
	t.Parallel()
	b := setupLLM(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Write(body)
	})
	body := `{"model":"gpt-4o","messages":[]}`
	_, got := b.post(t, "/v1/chat/completions/abc/cancel", body)
	if got != body {
		t.Errorf("echo = %q", got)
	}
	if spans := b.llmSpans(t); len(spans) != 0 {
		t.Errorf("a non-LLM request was recorded: %v", spans)
	}
}

func TestLLMMiddlewareAndTransportRecordOnce(t *testing.T) {
	t.Parallel()
	b := setupLLM(t, serve(200, "application/json", openAIChatResponse))
	mw := Middleware()
	req, _ := http.NewRequestWithContext(b.ctx, http.MethodPost, b.server.URL+"/v1/chat/completions", strings.NewReader(openAIChatRequest))
	resp, err := mw(req, b.hc.Do)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != openAIChatResponse {
		t.Errorf("body through the middleware = %q", got)
	}
	s := b.oneSpan(t)
	checkFields(t, s, map[string]any{"name": "chat gpt-4o", "model": "gpt-4o-2024-08-06"})
}

func TestLLMRetryAttempts(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	b := setupLLM(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			serve(500, "application/json", `{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}`)(w, r)
			return
		}
		serve(200, "application/json", openAIChatResponse)(w, r)
	})
	b.post(t, "/v1/chat/completions", openAIChatRequest, "X-Stainless-Retry-Count", "0")
	b.post(t, "/v1/chat/completions", openAIChatRequest, "X-Stainless-Retry-Count", "1")
	spans := b.llmSpans(t)
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	for _, s := range spans {
		if s["parent_span_id"] != b.run.SpanID() {
			t.Errorf("attempt not under the run")
		}
		switch attrs(s)["attempt"] {
		case 0.0:
			checkFields(t, s, map[string]any{"status": "error", "error_type": "server_error"})
		case 1.0:
			checkFields(t, s, map[string]any{"status": "ok", "model": "gpt-4o-2024-08-06"})
		default:
			t.Errorf("attempt = %v", attrs(s)["attempt"])
		}
	}
}

func TestLLMDetectionOptions(t *testing.T) {
	t.Parallel()
	t.Run("off", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "application/json", openAIChatResponse), WithLLMDetection(false))
		b.post(t, "/v1/chat/completions", openAIChatRequest)
		if spans := b.llmSpans(t); len(spans) != 0 {
			t.Errorf("recorded with detection off: %v", spans)
		}
	})
	t.Run("unsampled", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "application/json", openAIChatResponse), WithSampleRate(0))
		if _, got := b.post(t, "/v1/chat/completions", openAIChatRequest); got != openAIChatResponse {
			t.Errorf("body = %q", got)
		}
		b.run.End()
		b.flush(t)
		if n := len(b.collector.spans()); n != 0 {
			t.Errorf("%d spans from an unsampled trace", n)
		}
	})
	t.Run("custom path", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "application/json", openAIChatResponse), WithLLMPaths("/api/generate"))
		b.post(t, "/api/generate", openAIChatRequest)
		checkFields(t, b.oneSpan(t), map[string]any{"name": "chat gpt-4o", "model": "gpt-4o-2024-08-06"})
	})
	t.Run("custom host", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "application/json", openAIChatResponse), WithLLMHosts("127.0.0.1"))
		b.post(t, "/anything", openAIChatRequest)
		checkFields(t, b.oneSpan(t), map[string]any{"name": "chat gpt-4o"})
	})
}

func TestDetectLLM(t *testing.T) {
	t.Parallel()
	cfg := defaultConfig()
	for _, tc := range []struct {
		method, url string
		want        llmEndpoint
		ok          bool
	}{
		{"POST", "https://api.openai.com/v1/chat/completions", llmEndpoint{api: openAIAPI{}, op: "chat"}, true},
		{"POST", "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21", llmEndpoint{api: openAIAPI{}, op: "chat"}, true},
		{"POST", "http://localhost:11434/v1/completions", llmEndpoint{api: openAIAPI{}, op: "completion"}, true},
		{"POST", "https://api.openai.com/v1/responses", llmEndpoint{api: openAIAPI{}, op: "responses"}, true},
		{"POST", "https://api.openai.com/v1/embeddings", llmEndpoint{api: openAIAPI{}, op: "embedding"}, true},
		{"POST", "https://api.anthropic.com/v1/messages", llmEndpoint{api: anthropicAPI{}, op: "chat"}, true},
		{"POST", "https://api.anthropic.com/v1/messages/count_tokens", llmEndpoint{}, false},
		{"POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent", llmEndpoint{api: geminiAPI{}, op: "chat", model: "gemini-2.5-pro"}, true},
		{"POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", llmEndpoint{api: geminiAPI{}, op: "chat", model: "gemini-2.5-pro", stream: true}, true},
		{"POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:countTokens", llmEndpoint{}, false},
		{"GET", "https://api.openai.com/v1/chat/completions", llmEndpoint{}, false},
		{"POST", "https://example.com/v1/users", llmEndpoint{}, false},
	} {
		r := httptest.NewRequest(tc.method, tc.url, nil)
		got, ok := detectLLM(&cfg, r)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s %s: got %+v %t, want %+v %t", tc.method, tc.url, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRedactImages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`"plain"`, `"plain"`},
		{`["data:image/gif;base64,R0lGODlhAQABAAAAACw="]`, `["[image/gif, 14 bytes]"]`},
		{`{"inline_data":{"mime_type":"application/pdf","data":"JVBERi0xLjQK"}}`, `{"inline_data":{"data":"[application/pdf, 9 bytes]","mime_type":"application/pdf"}}`},
		{`{"data":"not a payload"}`, `{"data":"not a payload"}`},
	} {
		if got := string(redactImages(json.RawMessage(tc.in))); got != tc.want {
			t.Errorf("redactImages(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzSSEParser feeds arbitrary bytes, split at arbitrary points, to the
// stream parser of each provider.
func FuzzSSEParser(f *testing.F) {
	f.Add([]byte(openAIStreamWithUsage), 7)
	f.Add([]byte(anthropicStream), 13)
	f.Add([]byte(geminiStream), 1)
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		for _, api := range llmAPIs {
			_, s := startSpan(context.Background(), newNoopClient(), SpanLLM, "fuzz")
			call := &llmCall{ep: llmEndpoint{api: api, op: "chat"}, span: s, start: time.Now()}
			p := sseParser{call: call, st: llmStream{call: call}}
			if split <= 0 || split > len(data) {
				split = len(data)
			}
			p.feed(data[:split])
			p.feed(data[split:])
			p.flushLine()
			if out := p.st.output(); out != nil && !json.Valid(out) {
				t.Fatalf("%s: invalid output %s", api.name(), out)
			}
		}
	})
}

func TestLLMOpenAIResponsesStreamAndLegacy(t *testing.T) {
	t.Parallel()
	t.Run("responses stream", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "text/event-stream", responsesStream))
		b.post(t, "/v1/responses", `{"model":"gpt-4.1","input":"Hi","stream":true}`)
		s := b.oneSpan(t)
		checkFields(t, s, map[string]any{
			"name": "responses gpt-4.1", "model": "gpt-4.1-2025-04-14", "status": "ok",
			"usage": usageOf(map[string]float64{"input_tokens": 12, "output_tokens": 3, "cached_tokens": 4, "reasoning_tokens": 1, "total_tokens": 15}),
		})
		checkChat(t, s, "input", `{"messages":[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]}`)
		checkChat(t, s, "output", `{"messages":[{"role":"assistant","finish_reason":"completed","parts":[{"type":"text","content":"Hi there"}]}]}`)
		if !strings.Contains(jsonField(s, "raw_output"), `"status":"completed"`) {
			t.Errorf("raw_output = %s, want the completed response", jsonField(s, "raw_output"))
		}
	})
	t.Run("legacy completion", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "application/json", legacyCompletionResponse))
		b.post(t, "/v1/completions", legacyCompletionRequest)
		s := b.oneSpan(t)
		checkFields(t, s, map[string]any{
			"name":  "completion gpt-3.5-turbo-instruct",
			"usage": usageOf(map[string]float64{"input_tokens": 5, "output_tokens": 7, "total_tokens": 12}),
		})
		checkChat(t, s, "input", `{"messages":[{"role":"user","parts":[{"type":"text","content":"Say this is a test"}]}]}`)
		checkChat(t, s, "output", `{"messages":[{"role":"assistant","finish_reason":"length","parts":[{"type":"text","content":"\n\nThis is indeed a test"}]}]}`)
	})
}

// TestLLMDetectionAllocatesNothing: a request that is not an LLM call
// costs the transport a path check and no allocation. Not parallel:
// AllocsPerRun forbids it.
func TestLLMDetectionAllocatesNothing(t *testing.T) {
	tb := setup(t)
	ctx, run := tb.client.AgentTrace(t.Context(), "agent")
	defer run.End()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "https://example.com/v1/orders", nil)
	if n := testing.AllocsPerRun(100, func() { llmToRecord(req) }); n != 0 {
		t.Errorf("detection allocates %v times per request", n)
	}
}

// TestLLMOutsideTrace: a call made with a context that carries no trace
// starts its own trace on the default client. Not parallel: it swaps the
// default client.
func TestLLMOutsideTrace(t *testing.T) {
	b := setupLLM(t, serve(200, "application/json", openAIChatResponse), WithDefaultAgentName("batch-job"))
	prev := defaultClient.Load()
	defaultClient.Store(b.client)
	t.Cleanup(func() { defaultClient.Store(prev) })
	b.ctx = t.Context()
	b.post(t, "/v1/chat/completions", openAIChatRequest)
	spans := b.llmSpans(t)
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	checkFields(t, spans[0], map[string]any{"name": "chat gpt-4o", "parent_span_id": nil, "agent_name": "batch-job"})
	if spans[0]["trace_id"] == b.run.TraceID() {
		t.Error("the call joined an unrelated trace")
	}
}

// TestLLMCaptureIntoFrameworkSpan: a framework integration's llm span that
// asks to capture its model's HTTP call gets the wire's numbers, and no
// second span is made; a stream still being read when the framework ends
// the span ends it at the stream's end.
func TestLLMCaptureIntoFrameworkSpan(t *testing.T) {
	t.Parallel()
	t.Run("plain", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "application/json", openAIChatResponse))
		ctx, fw := StartSpan(b.ctx, SpanLLM, "ChatModel")
		fw.CaptureLLMCall()
		b.ctx = ctx
		b.post(t, "/v1/chat/completions", openAIChatRequest)
		if !fw.LLMCallRecorded() {
			t.Error("LLMCallRecorded is false after the call")
		}
		fw.End()
		b.ctx = nil
		s := b.oneSpan(t)
		checkFields(t, s, map[string]any{"name": "ChatModel", "model": "gpt-4o-2024-08-06", "provider": "openai",
			"usage": usageOf(map[string]float64{"input_tokens": 1117, "output_tokens": 46, "cached_tokens": 1024, "reasoning_tokens": 12, "total_tokens": 1163})})
		if s["raw_output"] == nil {
			t.Error("the captured span has no raw output")
		}
	})
	t.Run("stream ended late", func(t *testing.T) {
		t.Parallel()
		b := setupLLM(t, serve(200, "text/event-stream", openAIStreamWithUsage))
		ctx, fw := StartSpan(b.ctx, SpanLLM, "ChatModel")
		fw.CaptureLLMCall()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, b.server.URL+"/v1/chat/completions", strings.NewReader(openAIStreamRequest))
		resp, err := b.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		fw.End() // the framework is done before the stream is read
		io.ReadAll(resp.Body)
		resp.Body.Close()
		s := b.oneSpan(t)
		checkFields(t, s, map[string]any{"name": "ChatModel", "status": "ok",
			"usage": usageOf(map[string]float64{"input_tokens": 82, "output_tokens": 37, "total_tokens": 119})})
		if _, ok := s["time_to_first_token_ms"]; !ok {
			t.Error("no time to first token from the captured stream")
		}
	})
}
