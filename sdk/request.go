package tracium

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
)

// Request spans: what HTTPMiddleware does for net/http, and what each web
// framework integration under sdk/contrib does for its framework, is one
// RequestTracer, so that every server span is named, continued and marked
// failed by the same rules.

// RequestOption configures a RequestTracer. The framework integrations take
// these as their own options.
type RequestOption func(*requestConfig)

type requestConfig struct {
	client   *Client
	skip     []string
	skipFunc func(path string) bool
	name     func(method, route string) string
	headers  []recordedHeader
	yield    bool
}

// recordedHeader is a request header WithRequestHeaders records, with both
// spellings worked out once: lookups by the canonical name cost
// http.Header.Get no allocation, and the attribute key is not rebuilt per
// request.
type recordedHeader struct {
	name string // canonical: "X-Tenant"
	attr string // AttrHTTPRequestHeaderPrefix + the lower-case name
}

// traceparentKey is TraceparentHeader in canonical form, the spelling
// Start asks the header function for.
const traceparentKey = "Traceparent"

// WithSkipPaths leaves requests for these exact paths untraced (health
// checks, metrics scrapes).
func WithSkipPaths(paths ...string) RequestOption {
	return func(c *requestConfig) { c.skip = append(c.skip, paths...) }
}

// WithSkip leaves requests untraced when skip returns true for their path.
func WithSkip(skip func(path string) bool) RequestOption {
	return func(c *requestConfig) { c.skipFunc = skip }
}

// WithSpanName replaces the span name, "METHOD route" by default.
func WithSpanName(name func(method, route string) string) RequestOption {
	return func(c *requestConfig) { c.name = name }
}

// WithRequestHeaders records these request headers as attributes
// (AttrHTTPRequestHeaderPrefix + the lower-cased name); names are matched
// in any case, as HTTP's are. Headers that carry
// credentials are never recorded: Authorization, Cookie and
// Proxy-Authorization are ignored here.
func WithRequestHeaders(names ...string) RequestOption {
	return func(c *requestConfig) {
		for _, n := range names {
			n = http.CanonicalHeaderKey(strings.TrimSpace(n))
			switch n {
			case "", "Authorization", "Cookie", "Proxy-Authorization":
				continue
			}
			c.headers = append(c.headers, recordedHeader{name: n, attr: AttrHTTPRequestHeaderPrefix + strings.ToLower(n)})
		}
	}
}

// WithRequestClient sends the traces that start at this server through c
// instead of the default client.
func WithRequestClient(c *Client) RequestOption {
	return func(rc *requestConfig) { rc.client = c }
}

// WithYieldToInner lets a request tracer that starts under this one's
// span, on the same request and with no span between them, take the span
// over instead of starting a second one: the inner tracer's route, status
// and error are what the span records, and the outer tracer only ends it.
// It is for a server wrapped where it is served (what an Orchestrion build
// does to every net/http server) whose handler is a framework traced by
// its own middleware: one span per request, named by the framework's
// route.
func WithYieldToInner() RequestOption {
	return func(c *requestConfig) { c.yield = true }
}

// RequestTracer starts and ends the spans of served requests. Build one per
// middleware with NewRequestTracer; it is immutable and safe for concurrent
// use.
type RequestTracer struct{ cfg requestConfig }

// NewRequestTracer returns a tracer configured by opts.
func NewRequestTracer(opts ...RequestOption) *RequestTracer {
	t := &RequestTracer{}
	for _, o := range opts {
		o(&t.cfg)
	}
	return t
}

// Skip reports whether requests for path are left untraced.
func (t *RequestTracer) Skip(path string) bool {
	if slices.Contains(t.cfg.skip, path) {
		return true
	}
	return t.cfg.skipFunc != nil && t.cfg.skipFunc(path)
}

// Start begins the span of a request: it continues the trace named by the
// request's traceparent, read through header (a nil header reads none), or
// starts a trace on the tracer's client. header is asked for names in
// canonical form ("Traceparent", "X-Tenant"), so an http.Header's Get
// method serves as it is, without allocating, and a case-insensitive
// lookup (fasthttp's) finds them too. route is the route template when
// it is known before the handler runs ("/users/:id"), else the raw path,
// which End replaces. The returned context carries the span; handlers
// nest their spans and LLM calls under it.
func (t *RequestTracer) Start(ctx context.Context, method, route string, header func(key string) string) (context.Context, *Span) {
	s := spanFromContext(ctx)
	if !s.adoptRequest() {
		if header != nil {
			ctx = ContextWithTraceparent(ctx, header(traceparentKey))
		}
		ctx, s = startSpan(ctx, t.cfg.client, SpanHTTP, t.spanName(method, route))
		if t.cfg.yield {
			s.markYielding()
		}
	}
	if len(t.cfg.headers) > 0 && header != nil && s.IsRecording() {
		for _, h := range t.cfg.headers {
			if v := header(h.name); v != "" {
				s.SetAttribute(h.attr, v)
			}
		}
	}
	return ctx, s
}

func (t *RequestTracer) spanName(method, route string) string {
	if t.cfg.name != nil {
		return t.cfg.name(method, route)
	}
	return method + " " + route
}

// RequestResult is what a served request came to.
type RequestResult struct {
	Method string
	// Route is the route template that matched ("/users/:id"), or the path
	// when no route matched.
	Route string
	// Path is the request's URL path, recorded beside the route.
	Path string
	// Status is the response status; 0 reads as 200.
	Status int
	// ResponseSize is the body bytes written; negative when unknown.
	ResponseSize int64
	// Err is the error the handler returned or the framework collected,
	// if any. It marks the span failed even when the status is below 500.
	Err error
}

// End records r on s and ends it. A status of 500 or more marks the span
// failed (ErrorTypeHTTPError) unless r.Err says more; 4xx answers are the
// client's mistake and leave the span ok.
func (t *RequestTracer) End(s *Span, r RequestResult) {
	switch s.releaseRequest() {
	case requestInner:
		t.record(s, r)
		t.fail(s, r)
		return // the tracer that started the span ends it
	case requestRouted:
		s.End() // the inner tracer recorded the request
		return
	}
	t.record(s, r)
	t.fail(s, r)
	s.End()
}

// fail marks s failed by r's error or 5xx status.
func (t *RequestTracer) fail(s *Span, r RequestResult) {
	switch {
	case r.Err != nil:
		s.SetError(r.Err)
	case r.Status >= 500:
		s.Fail(ErrorTypeHTTPError, strconv.Itoa(r.Status)+" "+http.StatusText(r.Status))
	}
}

// EndPanic records r and the panic value p on s and ends it; the caller
// then re-panics so that the framework's own recovery still answers. The
// status is recorded as 500 unless r says otherwise.
func (t *RequestTracer) EndPanic(s *Span, r RequestResult, p any) {
	if r.Status == 0 || r.Status < 500 {
		r.Status = http.StatusInternalServerError
	}
	switch s.releaseRequest() {
	case requestInner:
		t.record(s, r)
		s.RecordPanic(p)
		return
	case requestRouted:
		s.End() // the inner tracer recorded the panic on its way up
		return
	}
	t.record(s, r)
	s.RecordPanic(p)
	s.End()
}

func (t *RequestTracer) record(s *Span, r RequestResult) {
	if !s.IsRecording() {
		return
	}
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	if r.Route != "" {
		s.SetName(t.spanName(r.Method, r.Route))
		s.SetAttribute(AttrHTTPRoute, r.Route)
	}
	s.SetAttribute(AttrHTTPMethod, r.Method)
	if r.Path != "" {
		s.SetAttribute(AttrURLPath, r.Path)
	}
	s.SetAttribute(AttrHTTPStatusCode, r.Status)
	if r.ResponseSize >= 0 {
		s.SetAttribute(AttrHTTPResponseSize, r.ResponseSize)
	}
}

// maxPanicStack bounds the stack recorded with a panic.
const maxPanicStack = 16 << 10

// RecordPanic marks the span failed by a panic (ErrorTypePanic) with the
// panic value's text and the stack of the goroutine calling it (call it
// from the deferred function that recovered). The caller decides whether
// to re-panic.
func (s *Span) RecordPanic(p any) {
	if !s.IsRecording() {
		return
	}
	stack := debug.Stack()
	if len(stack) > maxPanicStack {
		stack = stack[:maxPanicStack]
	}
	s.SetAttribute("exception.stacktrace", string(stack))
	s.Fail(ErrorTypePanic, fmt.Sprint(p))
}
