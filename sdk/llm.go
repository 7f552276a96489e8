package tracium

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Limits that bound what recording an LLM call may cost.
const (
	// maxRecordedRequest is the largest request body parsed for the span;
	// a larger one is still sent whole, only not recorded.
	maxRecordedRequest = 4 << 20
	// maxRecordedText caps the text and tool arguments assembled from a
	// stream; past it the output is marked truncated.
	maxRecordedText = 1 << 20
	// maxSSELine caps one buffered SSE line; longer lines are skipped.
	maxSSELine = 4 << 20
)

// Providers, as recorded in a span's provider field.
const (
	providerOpenAI    = "openai"
	providerAnthropic = "anthropic"
	providerGoogle    = "google"
)

// llmEndpoint is what the request path says about an LLM call: whose wire
// format it speaks and which operation it is.
type llmEndpoint struct {
	provider string
	// op names the span ("chat", "completion", "responses", "embedding",
	// "messages", "generate_content").
	op string
	// model is the model named in the path (Gemini), else empty.
	model string
	// stream is true when the path itself asks for a stream (Gemini).
	stream bool
}

// llmRecordedKey marks a request context whose LLM call is already being
// recorded, so that Middleware and Transport together record it once.
type llmRecordedKey struct{}

// Middleware returns a client middleware that records every LLM call
// passing through it as an llm (or embedding) span; see Transport for what
// is recorded. Its type is the underlying type of option.Middleware in
// openai-go and anthropic-sdk-go, so option.WithMiddleware(tracium.Middleware())
// works with both. A call seen by both Middleware and Transport is recorded
// once. Safe for concurrent use.
func Middleware() func(*http.Request, func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	return func(r *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		if ep, ok := llmToRecord(r); ok {
			return recordLLM(r, ep, false, next)
		}
		return next(r)
	}
}

// llmToRecord reports whether r is an LLM call to record: its path says
// so under the detection settings of the client that would record it (the
// one whose trace r's context carries, else the default client), and that
// client sends spans of this trace.
func llmToRecord(r *http.Request) (llmEndpoint, bool) {
	ctx := r.Context()
	if ctx.Value(llmRecordedKey{}) != nil {
		return llmEndpoint{}, false
	}
	c := DefaultClient()
	if s := spanFromContext(ctx); s != nil {
		if !s.ts.sampled {
			return llmEndpoint{}, false
		}
		if !s.remote {
			c = s.ts.client
		}
	}
	ep, ok := detectLLM(&c.cfg, r)
	return ep, ok && c.Enabled()
}

// detectLLM recognizes an LLM call by its path, whatever the host, so
// that proxies and compatible servers are covered.
func detectLLM(cfg *config, r *http.Request) (llmEndpoint, bool) {
	if r.Method != http.MethodPost || !cfg.llmDetection || r.URL == nil {
		return llmEndpoint{}, false
	}
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
		return llmEndpoint{provider: providerOpenAI, op: "chat"}, true
	case strings.HasSuffix(p, "/completions"):
		return llmEndpoint{provider: providerOpenAI, op: "completion"}, true
	case strings.HasSuffix(p, "/responses"):
		return llmEndpoint{provider: providerOpenAI, op: "responses"}, true
	case strings.HasSuffix(p, "/embeddings"):
		return llmEndpoint{provider: providerOpenAI, op: "embedding"}, true
	case strings.HasSuffix(p, "/v1/messages"):
		return llmEndpoint{provider: providerAnthropic, op: "chat"}, true
	}
	if i := strings.LastIndexByte(p, ':'); i > 0 {
		method := p[i+1:]
		if method == "generateContent" || method == "streamGenerateContent" {
			if j := strings.LastIndex(p[:i], "/models/"); j >= 0 {
				return llmEndpoint{provider: providerGoogle, op: "chat", model: p[j+len("/models/") : i],
					stream: method == "streamGenerateContent"}, true
			}
		}
	}
	for _, suffix := range cfg.llmPaths {
		if suffix != "" && strings.HasSuffix(p, suffix) {
			return llmEndpoint{provider: providerOpenAI, op: "chat"}, true
		}
	}
	if len(cfg.llmHosts) > 0 {
		host := r.URL.Hostname()
		for _, h := range cfg.llmHosts {
			if strings.EqualFold(host, h) {
				return llmEndpoint{provider: providerOpenAI, op: "chat"}, true
			}
		}
	}
	return llmEndpoint{}, false
}

// validJSON is JSON the SDK has already checked (it came out of
// encoding/json or through scanValue), so End records it as is instead of
// encoding it again: for a 20 KB answer that pass would cost more than
// the parse.
type validJSON []byte

// llmCall is one attempt of an LLM call being recorded.
type llmCall struct {
	ep    llmEndpoint
	span  *Span
	start time.Time
	model string // requested
}

// recordLLM sends r through next and records the exchange as a span. The
// caller's request is never modified: a clone carries the span's context
// and a replayable body. asTransport says the caller is a RoundTrip: it
// adds traceparent and, as RoundTrip must, closes the request's body.
func recordLLM(r *http.Request, ep llmEndpoint, asTransport bool, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	body, err := readRequestBody(r)
	if asTransport && r.Body != nil {
		r.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	var req llmRequest
	if len(body) <= maxRecordedRequest {
		req = parseLLMRequest(ep, body)
	}
	model := cmpOr(ep.model, req.Model)
	spanType := SpanLLM
	if ep.op == "embedding" {
		spanType = SpanEmbedding
	}
	name := ep.op
	if model != "" {
		name += " " + model
	}
	ctx, span := startSpan(r.Context(), nil, spanType, name)
	call := &llmCall{ep: ep, span: span, start: span.start, model: model}
	span.SetProvider(ep.provider)
	if model != "" {
		span.SetRequestModel(model)
	}
	req.record(span)
	if v := r.Header.Get("X-Stainless-Retry-Count"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			span.SetAttribute(AttrAttempt, n)
		}
	}

	out := r.Clone(context.WithValue(ctx, llmRecordedKey{}, true))
	if body != nil {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.ContentLength = int64(len(body))
	}
	if asTransport && out.Header.Get(TraceparentHeader) == "" {
		Inject(ctx, out.Header)
	}
	resp, err := next(out)
	if err != nil {
		call.fail(err)
		span.End()
		return nil, err
	}
	streaming := req.Stream || ep.stream || strings.Contains(r.Header.Get("Accept"), "text/event-stream") ||
		strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
	if resp.StatusCode < 400 && streaming {
		span.SetAttribute(AttrStream, true)
		resp.Body = newStreamBody(r.Context(), call, resp.Body)
		return resp, nil
	}
	raw, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	if rerr != nil {
		call.fail(rerr)
		span.End()
		// The caller sees the same failure when it reads the body.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(raw), errReader{rerr}))
		return resp, nil
	}
	if resp.StatusCode >= 400 {
		call.httpError(resp.StatusCode, raw)
	} else {
		call.response(raw)
	}
	span.End()
	return resp, nil
}

// errReader replays a read error after the bytes that came before it.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// readRequestBody returns r's body without consuming the caller's copy:
// through GetBody when the request is replayable, else by reading Body
// (which the clone then replaces).
func readRequestBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.GetBody != nil {
		if rc, err := r.GetBody(); err == nil {
			b, err := io.ReadAll(rc)
			rc.Close()
			if err == nil {
				return b, nil
			}
		}
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	return b, err
}

// fail records a transport error: a network failure or a cancelled call.
func (c *llmCall) fail(err error) {
	switch {
	case errors.Is(err, context.Canceled):
		c.span.setFailure("context_canceled", err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		c.span.setFailure("timeout", err.Error())
	default:
		c.span.setFailure("network_error", err.Error())
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
