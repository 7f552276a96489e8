// Package fakellm is a local server that speaks the wire formats of the
// OpenAI, Anthropic and Gemini APIs (JSON and server-sent events), so that
// tests drive the real provider client libraries and frameworks without
// leaving the machine. Tests of the SDK and of every integration share it.
package fakellm

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
	OpenAIPrompt, OpenAICompletion, OpenAICached, OpenAIReasoning, OpenAITotal = 12, 7, 4, 2, 19

	AnthropicInput, AnthropicOutput, AnthropicCacheRead, AnthropicCacheCreation = 11, 6, 3, 5
	AnthropicTotal                                                              = AnthropicInput + AnthropicOutput + AnthropicCacheRead + AnthropicCacheCreation

	GeminiPrompt, GeminiCandidates, GeminiCached, GeminiThoughts, GeminiTotal = 9, 5, 2, 3, 17

	EmbeddingTokens = 5
)

// The models the fakes answer with: a dated version of the alias asked for.
const (
	OpenAIModel          = "gpt-4o"
	OpenAIAnswerModel    = "gpt-4o-2024-08-06"
	AnthropicModel       = "claude-sonnet-4-5"
	AnthropicAnswerModel = "claude-sonnet-4-5-20250929"
	GeminiModel          = "gemini-2.5-flash"
	GeminiAnswerModel    = "gemini-2.5-flash-001"
	EmbeddingModel       = "text-embedding-3-small"
)

// Options configures one fake provider server.
type Options struct {
	// FailStatuses are the HTTP statuses of the first len(FailStatuses)
	// requests, each answered with the provider's error body.
	FailStatuses []int
	// StallAfterFirstChunk makes a stream send one chunk and then wait
	// until the client goes away.
	StallAfterFirstChunk bool
	// Words is the reply, one stream chunk per word; a default when nil.
	Words []string
	// NoFirstChunkDelay sends the first chunk at once (for benchmarks).
	NoFirstChunkDelay bool
	// Replies script the answers to OpenAI chat completions, in order, one
	// per request (JSON or stream); past the last one, and when nil, the
	// answer is Words. A scripted agent loop is a reply with tool calls
	// followed by a reply with text.
	Replies []Reply
}

// Reply is one scripted answer: text, tool calls, or both.
type Reply struct {
	Text      string
	ToolCalls []ToolCall
	// Usage overrides the token counts reported with this reply; the
	// package constants when nil.
	Usage *Usage
}

// ToolCall is a function call the fake model asks for.
type ToolCall struct {
	ID, Name, Arguments string
}

// Usage is what a scripted reply reports, in OpenAI's terms.
type Usage struct {
	Prompt, Completion, Cached, Reasoning int
}

// Request is one request a fake received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Server is an httptest server that speaks the wire formats of the
// OpenAI, Anthropic and Gemini APIs; their paths do not collide, so one
// server answers all three. Safe for concurrent use.
type Server struct {
	*httptest.Server
	opts Options

	mu       sync.Mutex
	requests []Request
	chats    int // OpenAI chat requests answered, for Replies
}

func DefaultWords() []string { return []string{"Hello", " from", " the", " fake", " model."} }

// New starts a fake provider and closes it when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.Words == nil {
		opts.Words = DefaultWords()
	}
	f := &Server{opts: opts}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.Close)
	return f
}

// Reply returns the whole text the Words reply answers with.
func (f *Server) Reply() string { return strings.Join(f.opts.Words, "") }

// Requests returns a copy of the requests received so far.
func (f *Server) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	f.mu.Unlock()

	var req struct {
		Stream bool `json:"stream"`
	}
	_ = json.Unmarshal(body, &req)
	p := r.URL.Path
	if n < len(f.opts.FailStatuses) {
		f.serveError(w, p, f.opts.FailStatuses[n])
		return
	}
	switch {
	case r.Method == http.MethodPost && p == "/v1/chat/completions" && req.Stream:
		f.openAIStream(w, r, body, f.nextReply())
	case r.Method == http.MethodPost && p == "/v1/chat/completions":
		f.openAIChat(w, f.nextReply())
	case r.Method == http.MethodPost && p == "/v1/embeddings":
		writeJSON(w, map[string]any{
			"object": "list",
			"data":   []any{map[string]any{"object": "embedding", "index": 0, "embedding": []float64{0.1, -0.2, 0.3}}},
			"model":  EmbeddingModel,
			"usage":  map[string]any{"prompt_tokens": EmbeddingTokens, "total_tokens": EmbeddingTokens},
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
		writeJSON(w, f.geminiChunk(f.Reply(), true))
	default:
		http.Error(w, "fake provider: no route for "+r.Method+" "+p, http.StatusNotFound)
	}
}

// serveError answers in the error format of the provider that owns path.
// A short Retry-After-Ms keeps the clients' own retries fast.
func (f *Server) serveError(w http.ResponseWriter, path string, status int) {
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
func (f *Server) stall(r *http.Request) bool {
	if !f.opts.StallAfterFirstChunk {
		return false
	}
	select {
	case <-r.Context().Done():
	case <-time.After(30 * time.Second):
	}
	return true
}

// FirstChunkDelay makes time to first token measurable.
const FirstChunkDelay = 2 * time.Millisecond

func (f *Server) beforeFirstChunk() {
	if !f.opts.NoFirstChunkDelay {
		time.Sleep(FirstChunkDelay)
	}
}

// nextReply takes the next scripted reply, or the Words reply.
func (f *Server) nextReply() Reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.chats
	f.chats++
	if n < len(f.opts.Replies) {
		return f.opts.Replies[n]
	}
	return Reply{Text: f.Reply()}
}

func openAIUsage(u *Usage) map[string]any {
	if u == nil {
		u = &Usage{Prompt: OpenAIPrompt, Completion: OpenAICompletion, Cached: OpenAICached, Reasoning: OpenAIReasoning}
	}
	return map[string]any{
		"prompt_tokens":             u.Prompt,
		"completion_tokens":         u.Completion,
		"total_tokens":              u.Prompt + u.Completion,
		"prompt_tokens_details":     map[string]any{"cached_tokens": u.Cached, "audio_tokens": 0},
		"completion_tokens_details": map[string]any{"reasoning_tokens": u.Reasoning, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
	}
}

func (f *Server) openAIChat(w http.ResponseWriter, reply Reply) {
	msg := map[string]any{"role": "assistant", "content": reply.Text, "refusal": nil}
	finish := "stop"
	if len(reply.ToolCalls) > 0 {
		var calls []any
		for _, tc := range reply.ToolCalls {
			calls = append(calls, map[string]any{"id": tc.ID, "type": "function", "function": map[string]any{"name": tc.Name, "arguments": tc.Arguments}})
		}
		msg["tool_calls"], finish = calls, "tool_calls"
		if reply.Text == "" {
			msg["content"] = nil
		}
	}
	writeJSON(w, map[string]any{
		"id": "chatcmpl-fake1", "object": "chat.completion", "created": 1700000000,
		"model": OpenAIAnswerModel, "system_fingerprint": "fp_fake",
		"choices": []any{map[string]any{
			"index":         0,
			"message":       msg,
			"logprobs":      nil,
			"finish_reason": finish,
		}},
		"usage": openAIUsage(reply.Usage),
	})
}

func (f *Server) openAIStream(w http.ResponseWriter, r *http.Request, body []byte, reply Reply) {
	var req struct {
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	_ = json.Unmarshal(body, &req)
	chunk := func(delta map[string]any, finish any) map[string]any {
		c := map[string]any{
			"id": "chatcmpl-fake1", "object": "chat.completion.chunk", "created": 1700000000,
			"model": OpenAIAnswerModel, "system_fingerprint": "fp_fake",
			"choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
		}
		if req.StreamOptions.IncludeUsage {
			c["usage"] = nil
		}
		return c
	}
	words := f.opts.Words
	if reply.Text != f.Reply() {
		words = splitWords(reply.Text)
	}
	s := startSSE(w)
	f.beforeFirstChunk()
	for i, word := range words {
		delta := map[string]any{"content": word}
		if i == 0 {
			delta["role"] = "assistant"
		}
		s.event("", chunk(delta, nil))
		if i == 0 && f.stall(r) {
			return
		}
	}
	finish := "stop"
	for i, tc := range reply.ToolCalls {
		// The id and name come first, the arguments in two fragments, as
		// OpenAI streams them.
		half := len(tc.Arguments) / 2
		s.event("", chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": tc.ID, "type": "function",
			"function": map[string]any{"name": tc.Name, "arguments": ""}}}}, nil))
		for _, frag := range []string{tc.Arguments[:half], tc.Arguments[half:]} {
			s.event("", chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]any{"arguments": frag}}}}, nil))
		}
		finish = "tool_calls"
	}
	s.event("", chunk(map[string]any{}, finish))
	if req.StreamOptions.IncludeUsage {
		s.event("", map[string]any{
			"id": "chatcmpl-fake1", "object": "chat.completion.chunk", "created": 1700000000,
			"model": OpenAIAnswerModel, "system_fingerprint": "fp_fake",
			"choices": []any{}, "usage": openAIUsage(reply.Usage),
		})
	}
	s.event("", "[DONE]")
}

// splitWords cuts text into stream chunks at spaces, keeping each space
// with the word after it.
func splitWords(text string) []string {
	var words []string
	for text != "" {
		i := strings.IndexByte(text[1:], ' ')
		if i < 0 {
			return append(words, text)
		}
		words = append(words, text[:i+1])
		text = text[i+1:]
	}
	return words
}

func (f *Server) openAIResponses(w http.ResponseWriter) {
	writeJSON(w, map[string]any{
		"id": "resp_fake1", "object": "response", "created_at": 1700000000, "status": "completed",
		"model": OpenAIAnswerModel,
		"output": []any{map[string]any{
			"type": "message", "id": "msg_fake1", "status": "completed", "role": "assistant",
			"content": []any{map[string]any{"type": "output_text", "text": f.Reply(), "annotations": []any{}}},
		}},
		"usage": map[string]any{
			"input_tokens": OpenAIPrompt, "input_tokens_details": map[string]any{"cached_tokens": OpenAICached},
			"output_tokens": OpenAICompletion, "output_tokens_details": map[string]any{"reasoning_tokens": OpenAIReasoning},
			"total_tokens": OpenAITotal,
		},
	})
}

func (f *Server) anthropicMessage(w http.ResponseWriter) {
	writeJSON(w, map[string]any{
		"id": "msg_fake1", "type": "message", "role": "assistant", "model": AnthropicAnswerModel,
		"content":     []any{map[string]any{"type": "text", "text": f.Reply()}},
		"stop_reason": "end_turn", "stop_sequence": nil,
		"usage": map[string]any{
			"input_tokens": AnthropicInput, "output_tokens": AnthropicOutput,
			"cache_read_input_tokens": AnthropicCacheRead, "cache_creation_input_tokens": AnthropicCacheCreation,
		},
	})
}

// anthropicStream sends a text block and then a tool_use block, as the
// Messages API does when the model calls a tool after some text.
func (f *Server) anthropicStream(w http.ResponseWriter, r *http.Request) {
	s := startSSE(w)
	f.beforeFirstChunk()
	s.event("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_fake1", "type": "message", "role": "assistant", "model": AnthropicAnswerModel,
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil,
		"usage": map[string]any{
			"input_tokens": AnthropicInput, "output_tokens": 1,
			"cache_read_input_tokens": AnthropicCacheRead, "cache_creation_input_tokens": AnthropicCacheCreation,
		},
	}})
	s.event("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}})
	s.event("ping", map[string]any{"type": "ping"})
	for i, word := range f.opts.Words {
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
	s.event("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": "tool_use", "stop_sequence": nil}, "usage": map[string]any{"output_tokens": AnthropicOutput}})
	s.event("message_stop", map[string]any{"type": "message_stop"})
}

// geminiChunk is a GenerateContentResponse; usage and the finish reason
// come with the last chunk only.
func (f *Server) geminiChunk(text string, last bool) map[string]any {
	cand := map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": text}}}, "index": 0}
	c := map[string]any{"candidates": []any{cand}, "modelVersion": GeminiAnswerModel, "responseId": "resp-fake1"}
	if last {
		cand["finishReason"] = "STOP"
		c["usageMetadata"] = map[string]any{
			"promptTokenCount": GeminiPrompt, "candidatesTokenCount": GeminiCandidates,
			"cachedContentTokenCount": GeminiCached, "thoughtsTokenCount": GeminiThoughts,
			"totalTokenCount": GeminiTotal,
		}
	}
	return c
}

func (f *Server) geminiStream(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("alt") != "sse" {
		http.Error(w, "fake provider: want alt=sse", http.StatusBadRequest)
		return
	}
	s := startSSE(w)
	f.beforeFirstChunk()
	for i, word := range f.opts.Words {
		b, _ := json.Marshal(f.geminiChunk(word, i == len(f.opts.Words)-1))
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

// PadWords returns a reply of about n bytes, in Words of 100 bytes.
func PadWords(n int) []string {
	word := " " + strings.Repeat("x", 99)
	Words := make([]string, 0, n/100+1)
	for i := 0; i < n; i += 100 {
		Words = append(Words, word)
	}
	return Words
}
