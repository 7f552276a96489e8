package tracium

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
// that proxies and compatible servers are covered. Paths and hosts named
// by WithLLMPaths and WithLLMHosts speak OpenAI's chat format.
func detectLLM(cfg *config, r *http.Request) (llmEndpoint, bool) {
	if r.Method != http.MethodPost || !cfg.llmDetection || r.URL == nil {
		return llmEndpoint{}, false
	}
	p := r.URL.Path
	for _, api := range llmAPIs {
		if ep, ok := api.match(p); ok {
			return ep, true
		}
	}
	for _, suffix := range cfg.llmPaths {
		if suffix != "" && strings.HasSuffix(p, suffix) {
			return llmEndpoint{api: openAIAPI{}, op: "chat"}, true
		}
	}
	if len(cfg.llmHosts) > 0 {
		host := r.URL.Hostname()
		for _, h := range cfg.llmHosts {
			if strings.EqualFold(host, h) {
				return llmEndpoint{api: openAIAPI{}, op: "chat"}, true
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
	// captured says span is a framework integration's (CaptureLLMCall):
	// the call fills it but its owner ends it.
	captured bool
}

// end ends the call's span, or for a captured span lets its owner's End
// go through.
func (c *llmCall) end() {
	if c.captured {
		c.span.releaseCapture()
		return
	}
	c.span.End()
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
		req = ep.api.request(ep, body)
	}
	model := cmpOr(ep.model, req.model)
	spanType := SpanLLM
	if ep.op == "embedding" {
		spanType = SpanEmbedding
	}
	name := ep.op
	if model != "" {
		name += " " + model
	}
	ctx := r.Context()
	var span *Span
	call := &llmCall{ep: ep, model: model}
	if p := SpanFromContext(ctx); p.takeCapture() {
		// A framework integration's span is this call's: record into it.
		span, call.captured, call.start = p, true, time.Now()
	} else {
		ctx, span = startSpanFor(ctx, nil, spanType, name, true)
		call.start = span.start
	}
	call.span = span
	span.SetProvider(ep.api.name())
	if model != "" {
		span.SetRequestModel(model)
	}
	if req.input != nil {
		span.RecordInput(req.input)
	}
	if len(body) > 0 && len(body) <= maxRecordedRequest && span.IsRecording() {
		span.setRawInput(redactImages(body))
	}
	req.params.record(span)
	streamAsked := req.stream || ep.stream
	if streamAsked {
		span.SetAttribute(AttrStream, true)
	}
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
		call.end()
		return nil, err
	}
	streaming := streamAsked || strings.Contains(r.Header.Get("Accept"), "text/event-stream") ||
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
		call.end()
		// The caller sees the same failure when it reads the body.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(raw), errReader{rerr}))
		return resp, nil
	}
	if resp.StatusCode >= 400 {
		call.httpError(resp.StatusCode, raw)
	} else {
		call.response(raw)
	}
	call.end()
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

// response records a non-streaming 2xx answer: the provider's reading of
// it, and the body itself as the raw output (except for embeddings, whose
// vectors say nothing to a person).
func (c *llmCall) response(raw []byte) {
	res := c.ep.api.response(c.ep, raw)
	s := c.span
	s.SetModel(cmpOr(res.model, c.model))
	if !res.ok {
		s.SetAttribute(AttrUsageMissing, true)
		return
	}
	if res.output != nil {
		s.RecordOutput(res.output)
	}
	if c.ep.op != "embedding" && len(raw) <= maxRecordedRequest && utf8.Valid(raw) {
		s.setRawOutput(validJSON(raw))
	}
	if res.usage != nil {
		s.SetUsage(*res.usage)
	} else {
		s.SetAttribute(AttrUsageMissing, true)
	}
}

// httpError records a 4xx or 5xx answer with the provider's error type
// and message when the body has them.
func (c *llmCall) httpError(status int, raw []byte) {
	c.span.SetAttribute("http_status", status)
	var body struct {
		Error *providerError `json:"error"`
	}
	errType, msg := "http_"+strconv.Itoa(status), ""
	if json.Unmarshal(raw, &body) == nil && body.Error != nil {
		errType = cmpOr(body.Error.kind(), errType)
		msg = body.Error.Message
		if len(raw) <= maxRecordedRequest && utf8.Valid(raw) {
			c.span.setRawOutput(validJSON(raw))
		}
	}
	if msg == "" {
		msg = truncateString(string(raw), 1024)
	}
	c.span.setFailure(errType, msg)
}
