package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The token counts every fake reports, so that tests can check the SDK's
// mapping of each provider's usage fields.
const (
	openAIPrompt, openAICompletion, openAICached, openAIReasoning, openAITotal = 12, 7, 4, 2, 19

	anthropicInput, anthropicOutput, anthropicCacheRead, anthropicCacheCreation = 11, 6, 3, 5
	anthropicTotal                                                              = anthropicInput + anthropicOutput + anthropicCacheRead + anthropicCacheCreation

	geminiPrompt, geminiCandidates, geminiCached, geminiThoughts, geminiTotal = 9, 5, 2, 3, 17

	embeddingTokens = 5
)

// The models the fakes answer with: a dated version of the alias asked for.
const (
	openAIModel          = "gpt-4o"
	openAIAnswerModel    = "gpt-4o-2024-08-06"
	anthropicModel       = "claude-sonnet-4-5"
	anthropicAnswerModel = "claude-sonnet-4-5-20250929"
	geminiModel          = "gemini-2.5-flash"
	geminiAnswerModel    = "gemini-2.5-flash-001"
	embeddingModel       = "text-embedding-3-small"
)

// fakeOptions configures one fake provider server.
type fakeOptions struct {
	// failStatuses are the HTTP statuses of the first len(failStatuses)
	// requests, each answered with the provider's error body.
	failStatuses []int
	// stallAfterFirstChunk makes a stream send one chunk and then wait
	// until the client goes away.
	stallAfterFirstChunk bool
	// words is the reply, one stream chunk per word; a default when nil.
	words []string
	// noFirstChunkDelay sends the first chunk at once (for benchmarks).
	noFirstChunkDelay bool
}

// recordedRequest is one request a fake received.
type recordedRequest struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// fakeProvider is an httptest server that speaks the wire formats of the
// OpenAI, Anthropic and Gemini APIs; their paths do not collide, so one
// server answers all three. Safe for concurrent use.
type fakeProvider struct {
	*httptest.Server
	opts fakeOptions

	mu       sync.Mutex
	requests []recordedRequest
}

func defaultWords() []string { return []string{"Hello", " from", " the", " fake", " model."} }

// newFakeProvider starts a fake provider and closes it when the test ends.
func newFakeProvider(tb testing.TB, opts fakeOptions) *fakeProvider {
	tb.Helper()
	if opts.words == nil {
		opts.words = defaultWords()
	}
	f := &fakeProvider{opts: opts}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.Close)
	return f
}

// reply is the whole text the fake answers with.
func (f *fakeProvider) reply() string { return strings.Join(f.opts.words, "") }

// Requests returns a copy of the requests received so far.
func (f *fakeProvider) Requests() []recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedRequest(nil), f.requests...)
}

func (f *fakeProvider) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, recordedRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	f.mu.Unlock()

	var req struct {
		Stream bool `json:"stream"`
	}
	_ = json.Unmarshal(body, &req)
	p := r.URL.Path
	if n < len(f.opts.failStatuses) {
		f.serveError(w, p, f.opts.failStatuses[n])
		return
	}
	switch {
	case r.Method == http.MethodPost && p == "/v1/chat/completions" && req.Stream:
		f.openAIStream(w, r, body)
	case r.Method == http.MethodPost && p == "/v1/chat/completions":
		f.openAIChat(w)
	case r.Method == http.MethodPost && p == "/v1/embeddings":
		writeJSON(w, map[string]any{
			"object": "list",
			"data":   []any{map[string]any{"object": "embedding", "index": 0, "embedding": []float64{0.1, -0.2, 0.3}}},
			"model":  embeddingModel,
			"usage":  map[string]any{"prompt_tokens": embeddingTokens, "total_tokens": embeddingTokens},
		})
	case r.Method == http.MethodPost && p == "/v1/responses":
		f.openAIResponses(w)
	case r.Method == http.MethodPost && p == "/v1/messages" && req.Stream:
		f.anthropicStream(w, r)
	case r.Method == http.MethodPost && p == "/v1/messages":
		f.anthropicMessage(w)
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/v1beta/models/") && strings.HasSuffix(p, ":streamGenerateContent"):
		f.geminiStream(w, r)
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/v1beta/models/") && strings.HasSuffix(p, ":generateContent"):
		writeJSON(w, f.geminiChunk(f.reply(), true))
	default:
		http.Error(w, "fake provider: no route for "+r.Method+" "+p, http.StatusNotFound)
	}
}

// serveError answers in the error format of the provider that owns path.
// A short Retry-After-Ms keeps the clients' own retries fast.
func (f *fakeProvider) serveError(w http.ResponseWriter, path string, status int) {
	w.Header().Set("Retry-After-Ms", "5")
	w.Header().Set("Retry-After", "0")
	var body any
	switch {
	case strings.HasPrefix(path, "/v1/messages"):
		body = map[string]any{"type": "error", "error": map[string]any{"type": "overloaded_error", "message": "Overloaded"}}
	case strings.HasPrefix(path, "/v1beta/"):
		body = map[string]any{"error": map[string]any{"code": status, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}}
	default:
		typ, code := "server_error", "server_error"
		if status == http.StatusTooManyRequests {
			typ, code = "requests", "rate_limit_exceeded"
		}
		body = map[string]any{"error": map[string]any{"message": fmt.Sprintf("fake error %d", status), "type": typ, "param": nil, "code": code}}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// sse writes Server-Sent Events and flushes after each one.
type sse struct {
	w http.ResponseWriter
	f http.Flusher
}

func startSSE(w http.ResponseWriter) *sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &sse{w: w, f: f}
}

func (s *sse) event(name string, v any) {
	if name != "" {
		fmt.Fprintf(s.w, "event: %s\n", name)
	}
	var data string
	switch v := v.(type) {
	case string:
		data = v
	default:
		b, _ := json.Marshal(v)
		data = string(b)
	}
	fmt.Fprintf(s.w, "data: %s\n\n", data)
	if s.f != nil {
		s.f.Flush()
	}
}

// stall waits, after the first chunk, until the client goes away.
func (f *fakeProvider) stall(r *http.Request) bool {
	if !f.opts.stallAfterFirstChunk {
		return false
	}
	select {
	case <-r.Context().Done():
	case <-time.After(30 * time.Second):
	}
	return true
}

// firstChunkDelay makes time to first token measurable.
const firstChunkDelay = 2 * time.Millisecond

func (f *fakeProvider) beforeFirstChunk() {
	if !f.opts.noFirstChunkDelay {
		time.Sleep(firstChunkDelay)
	}
}

func openAIUsage() map[string]any {
	return map[string]any{
		"prompt_tokens":             openAIPrompt,
		"completion_tokens":         openAICompletion,
		"total_tokens":              openAITotal,
		"prompt_tokens_details":     map[string]any{"cached_tokens": openAICached, "audio_tokens": 0},
		"completion_tokens_details": map[string]any{"reasoning_tokens": openAIReasoning, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
	}
}

func (f *fakeProvider) openAIChat(w http.ResponseWriter) {
	writeJSON(w, map[string]any{
		"id": "chatcmpl-fake1", "object": "chat.completion", "created": 1700000000,
		"model": openAIAnswerModel, "system_fingerprint": "fp_fake",
		"choices": []any{map[string]any{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": f.reply(), "refusal": nil},
			"logprobs":      nil,
			"finish_reason": "stop",
		}},
		"usage": openAIUsage(),
	})
}

func (f *fakeProvider) openAIStream(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	_ = json.Unmarshal(body, &req)
	chunk := func(delta map[string]any, finish any) map[string]any {
		c := map[string]any{
			"id": "chatcmpl-fake1", "object": "chat.completion.chunk", "created": 1700000000,
			"model": openAIAnswerModel, "system_fingerprint": "fp_fake",
			"choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
		}
		if req.StreamOptions.IncludeUsage {
			c["usage"] = nil
		}
		return c
	}
	s := startSSE(w)
	f.beforeFirstChunk()
	for i, word := range f.opts.words {
		delta := map[string]any{"content": word}
		if i == 0 {
			delta["role"] = "assistant"
		}
		s.event("", chunk(delta, nil))
		if i == 0 && f.stall(r) {
			return
		}
	}
	s.event("", chunk(map[string]any{}, "stop"))
	if req.StreamOptions.IncludeUsage {
		s.event("", map[string]any{
			"id": "chatcmpl-fake1", "object": "chat.completion.chunk", "created": 1700000000,
			"model": openAIAnswerModel, "system_fingerprint": "fp_fake",
			"choices": []any{}, "usage": openAIUsage(),
		})
	}
	s.event("", "[DONE]")
}

func (f *fakeProvider) openAIResponses(w http.ResponseWriter) {
	writeJSON(w, map[string]any{
		"id": "resp_fake1", "object": "response", "created_at": 1700000000, "status": "completed",
		"model": openAIAnswerModel,
		"output": []any{map[string]any{
			"type": "message", "id": "msg_fake1", "status": "completed", "role": "assistant",
			"content": []any{map[string]any{"type": "output_text", "text": f.reply(), "annotations": []any{}}},
		}},
		"usage": map[string]any{
			"input_tokens": openAIPrompt, "input_tokens_details": map[string]any{"cached_tokens": openAICached},
			"output_tokens": openAICompletion, "output_tokens_details": map[string]any{"reasoning_tokens": openAIReasoning},
			"total_tokens": openAITotal,
		},
	})
}

func (f *fakeProvider) anthropicMessage(w http.ResponseWriter) {
	writeJSON(w, map[string]any{
		"id": "msg_fake1", "type": "message", "role": "assistant", "model": anthropicAnswerModel,
		"content":     []any{map[string]any{"type": "text", "text": f.reply()}},
		"stop_reason": "end_turn", "stop_sequence": nil,
		"usage": map[string]any{
			"input_tokens": anthropicInput, "output_tokens": anthropicOutput,
			"cache_read_input_tokens": anthropicCacheRead, "cache_creation_input_tokens": anthropicCacheCreation,
		},
	})
}

// anthropicStream sends a text block and then a tool_use block, as the
// Messages API does when the model calls a tool after some text.
func (f *fakeProvider) anthropicStream(w http.ResponseWriter, r *http.Request) {
	s := startSSE(w)
	f.beforeFirstChunk()
	s.event("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_fake1", "type": "message", "role": "assistant", "model": anthropicAnswerModel,
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil,
		"usage": map[string]any{
			"input_tokens": anthropicInput, "output_tokens": 1,
			"cache_read_input_tokens": anthropicCacheRead, "cache_creation_input_tokens": anthropicCacheCreation,
		},
	}})
	s.event("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}})
	s.event("ping", map[string]any{"type": "ping"})
	for i, word := range f.opts.words {
		s.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": word}})
		if i == 0 && f.stall(r) {
			return
		}
	}
	s.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	s.event("content_block_start", map[string]any{"type": "content_block_start", "index": 1, "content_block": map[string]any{"type": "tool_use", "id": "toolu_fake1", "name": "get_weather", "input": map[string]any{}}})
	for _, part := range []string{`{"city": `, `"Paris"}`} {
		s.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 1, "delta": map[string]any{"type": "input_json_delta", "partial_json": part}})
	}
	s.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 1})
	s.event("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": "tool_use", "stop_sequence": nil}, "usage": map[string]any{"output_tokens": anthropicOutput}})
	s.event("message_stop", map[string]any{"type": "message_stop"})
}

// geminiChunk is a GenerateContentResponse; usage and the finish reason
// come with the last chunk only.
func (f *fakeProvider) geminiChunk(text string, last bool) map[string]any {
	cand := map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": text}}}, "index": 0}
	c := map[string]any{"candidates": []any{cand}, "modelVersion": geminiAnswerModel, "responseId": "resp-fake1"}
	if last {
		cand["finishReason"] = "STOP"
		c["usageMetadata"] = map[string]any{
			"promptTokenCount": geminiPrompt, "candidatesTokenCount": geminiCandidates,
			"cachedContentTokenCount": geminiCached, "thoughtsTokenCount": geminiThoughts,
			"totalTokenCount": geminiTotal,
		}
	}
	return c
}

func (f *fakeProvider) geminiStream(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("alt") != "sse" {
		http.Error(w, "fake provider: want alt=sse", http.StatusBadRequest)
		return
	}
	s := startSSE(w)
	f.beforeFirstChunk()
	for i, word := range f.opts.words {
		b, _ := json.Marshal(f.geminiChunk(word, i == len(f.opts.words)-1))
		// Gemini separates events with CRLF pairs.
		fmt.Fprintf(w, "data: %s\r\n\r\n", b)
		if s.f != nil {
			s.f.Flush()
		}
		if i == 0 && f.stall(r) {
			return
		}
	}
}

// padWords returns a reply of about n bytes, in words of 100 bytes.
func padWords(n int) []string {
	word := " " + strings.Repeat("x", 99)
	words := make([]string, 0, n/100+1)
	for i := 0; i < n; i += 100 {
		words = append(words, word)
	}
	return words
}
