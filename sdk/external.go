package tracium

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Another tracing library in the same process, OpenTelemetry's through
// sdk/contrib/otel: its spans and Tracium's nest in one trace whichever
// starts inside the other, and both reach the same collector. What the SDK
// needs of that library is the small ExternalTracer below, in standard
// library types, so the SDK imports nothing of it.

// SpanContext identifies a span to another tracing library: its ids, its
// trace's sampling decision and when it started.
type SpanContext struct {
	TraceID [16]byte
	SpanID  [8]byte
	Sampled bool
	// Remote says the span is another process's, read from a traceparent:
	// it only parents spans and has no Start.
	Remote bool
	// Start is when the span started; zero when not known. Of two spans a
	// context carries, one of each library, the one that started last is
	// the parent of the next span.
	Start time.Time
}

// SpanContextFromContext returns the Tracium span ctx carries, local or a
// remote parent read by Extract, and false when it carries none. Spans of
// an ExternalTracer are not looked at: this is what that library reads to
// put its own spans under Tracium's.
func SpanContextFromContext(ctx context.Context) (SpanContext, bool) {
	s := spanFromContext(ctx)
	if s == nil {
		return SpanContext{}, false
	}
	return SpanContext{TraceID: s.ts.id, SpanID: s.id, Sampled: s.ts.sampled, Remote: s.remote, Start: s.start}, true
}

// ExternalTracer is how the SDK sees the spans of another tracing library
// in a context. Its methods are called when a Tracium span starts and must
// be safe for concurrent use and quick.
type ExternalTracer interface {
	// SpanFromContext returns the library's current span in ctx, with
	// the trace id Tracium knows its trace by, and false when there is
	// none or the library's spans are not to be followed now.
	SpanFromContext(ctx context.Context) (SpanContext, bool)
	// ContextWithSpan returns ctx carrying sc, a Tracium span, as the
	// library's current span, so that the library's spans started under
	// it are its children. The SDK calls it for spans started where ctx
	// already carries one of the library's spans.
	ContextWithSpan(ctx context.Context, sc SpanContext) context.Context
	// AdoptLLMCall is asked when the SDK's Transport or Middleware
	// records an LLM call whose context's innermost span is sc, one of
	// the library's. When sc is the library's span of that same call
	// (an LLM client's own span of the request), it returns true, the
	// parent the call's span takes in sc's place, and whether it also
	// takes sc's id (the first attempt of the call does, so that sc's
	// children stay under it); the library then drops sc, and the call
	// is one span.
	AdoptLLMCall(ctx context.Context, sc SpanContext) (parent [8]byte, takeID, ok bool)
}

// externalTracer is the registered ExternalTracer, nil when none.
var externalTracer atomic.Pointer[externalHolder]

type externalHolder struct{ t ExternalTracer }

// SetExternalTracer registers t, replacing any earlier one; nil removes
// it. Integrations call it once (sdk/contrib/otel's NewSpanProcessor).
// Safe for concurrent use.
func SetExternalTracer(t ExternalTracer) {
	if t == nil {
		externalTracer.Store(nil)
		return
	}
	externalTracer.Store(&externalHolder{t})
}

// externalParent returns the external span in ctx when it, not local, is
// the innermost: the one that started last. found reports whether ctx
// carries an external span at all, which then also hears of the span
// about to start (ContextWithSpan).
func externalParent(ctx context.Context, local *Span) (ext SpanContext, innermost, found bool, t ExternalTracer) {
	h := externalTracer.Load()
	if h == nil || ctx == nil {
		return ext, false, false, nil
	}
	ext, found = h.t.SpanFromContext(ctx)
	if !found {
		return ext, false, false, nil
	}
	switch {
	case local == nil:
		innermost = true
	case local.remote:
		// A live external span is newer than a header read; of two
		// remote parents the SDK's own wins.
		innermost = !ext.Start.IsZero()
	default:
		innermost = ext.SpanID != local.id && ext.Start.After(local.start)
	}
	return ext, innermost, true, h.t
}

// startUnderExternal starts a span under ext, the innermost span of a
// context: in local's trace state when local (the Tracium span the context
// carries) is of the same trace, so that its agent and client carry on,
// else as the first span here of ext's trace, on c (the default client
// when nil). It returns nil when the span would not be sent.
func startUnderExternal(c *Client, local *Span, ext SpanContext, spanType SpanType, name string) *Span {
	if local != nil && !local.remote && local.ts.id == ext.TraceID {
		if !local.ts.sampled || local.ts.client.exp == nil {
			return nil
		}
		s := newChildSpan(local, spanType, name)
		s.parent = ext.SpanID
		return s
	}
	if !ext.Sampled {
		return nil
	}
	if c == nil {
		c = DefaultClient()
	}
	if c.exp == nil {
		return nil
	}
	s := &Span{spanType: spanType, name: name, agentName: c.cfg.defaultAgentName}
	s.continueTrace(c, ext.TraceID, ext.SpanID, true)
	s.id = newSpanID()
	s.attrs = s.attrInline[:0]
	s.start = time.Now()
	return s
}

// withExternal returns ctx carrying s for the external tracer too.
func withExternal(ctx context.Context, t ExternalTracer, s *Span) context.Context {
	return t.ContextWithSpan(ctx, SpanContext{TraceID: s.ts.id, SpanID: s.id, Sampled: s.ts.sampled, Start: s.start})
}

// currentIDs is the innermost span's ids in ctx, of either library, for
// traceparent.
func currentIDs(ctx context.Context) (t traceID, s spanID, sampled, ok bool) {
	local := spanFromContext(ctx)
	if ext, innermost, _, _ := externalParent(ctx, local); innermost {
		return ext.TraceID, ext.SpanID, ext.Sampled, true
	}
	if local == nil {
		return t, s, false, false
	}
	return local.ts.id, local.id, local.ts.sampled, true
}

// Exporter is what a Client flushes and shuts down beside its own queue:
// the exporter of spans another tracing library made, sent to the same
// collector (sdk/contrib/otel's OpenTelemetry batch processor is one; an
// OpenTelemetry SpanProcessor satisfies it).
type Exporter interface {
	ForceFlush(ctx context.Context) error
	Shutdown(ctx context.Context) error
}

// attachedExporters are a Client's Exporters.
type attachedExporters struct {
	mu     sync.Mutex
	list   []Exporter
	closed bool
}

// AddExporter makes c's Flush flush e and c's Shutdown shut e down, so that
// the spans e holds are sent when the client's are. It returns false, and
// keeps nothing, when c sends no spans (disabled) or was shut down. Safe
// for concurrent use.
func (c *Client) AddExporter(e Exporter) bool {
	if !c.Enabled() || e == nil {
		return false
	}
	c.attached.mu.Lock()
	defer c.attached.mu.Unlock()
	if c.attached.closed {
		return false
	}
	c.attached.list = append(c.attached.list, e)
	return true
}

// flushAttached flushes every Exporter; the first error is returned.
func (c *Client) flushAttached(ctx context.Context, shutdown bool) error {
	c.attached.mu.Lock()
	list := c.attached.list
	if shutdown {
		c.attached.closed, c.attached.list = true, nil
	}
	c.attached.mu.Unlock()
	var err error
	for _, e := range list {
		f := e.ForceFlush
		if shutdown {
			f = e.Shutdown
		}
		err = cmpErr(err, f(ctx))
	}
	return err
}

// CollectorConfig is where and how a Client sends spans, for an Exporter
// that sends another library's spans to the same collector.
type CollectorConfig struct {
	// Endpoint is the collector's base URL without a trailing slash;
	// OTLP goes to Endpoint + "/v1/traces".
	Endpoint string
	// APIKey is the project's key, sent as "Authorization: Bearer".
	APIKey string
	// HTTPClient is the client's (WithHTTPClient): proxies, TLS, timeout.
	HTTPClient *http.Client
	// BatchSize, FlushInterval and MaxQueueSize are the client's batching.
	BatchSize     int
	FlushInterval time.Duration
	MaxQueueSize  int
}

// CollectorConfig returns where and how c sends spans.
func (c *Client) CollectorConfig() CollectorConfig {
	return CollectorConfig{
		Endpoint:      c.cfg.endpoint,
		APIKey:        c.cfg.apiKey,
		HTTPClient:    c.cfg.httpClient,
		BatchSize:     c.cfg.batchSize,
		FlushInterval: c.cfg.flushInterval,
		MaxQueueSize:  c.cfg.maxQueueSize,
	}
}
