package tracium

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sync"
	"time"
)

// traceState is what every span of one trace shares. It is written once
// when the trace's first local span starts and only read afterwards, so
// spans on many goroutines may use it without locking.
type traceState struct {
	client  *Client
	id      traceID
	sampled bool
}

// attribute is one SetAttribute pair. A small slice of these is cheaper
// than a map for the handful of attributes a span usually carries.
type attribute struct {
	key   string
	value any
}

// Span measures one unit of work: an LLM call, a tool call, a retrieval.
// Start one with StartSpan or AgentTrace.Span and finish it with End.
//
// All methods are safe for concurrent use, are no-ops on a nil *Span, and
// are no-ops once End has run, so a span may be handed to other
// goroutines and ended from any of them.
type Span struct {
	ts        *traceState
	id        spanID
	parent    spanID
	spanType  SpanType
	name      string
	agentName string
	start     time.Time
	// agentRoot marks the span that carries trace-level fields: the root
	// of the trace in this process, or an AgentTrace.
	agentRoot bool
	// remote marks a span context read from a traceparent header: it is
	// only a parent for local spans and is never ended or sent.
	remote bool

	mu     sync.Mutex
	ended  bool
	failed bool
	dur    time.Duration
	// capture is where the span stands with the LLM call it captures
	// (CaptureLLMCall); endAsked says End came while the call was still
	// being read.
	capture  captureState
	endAsked bool

	attrs      []attribute
	attrInline [4]attribute
	// ext holds the fields most spans never set; keeping them out of
	// line halves the size of a span, and with it the garbage collector's
	// work, at the cost of one allocation for spans that use them.
	ext *spanExt

	// own holds the trace state when this span began the trace here, so
	// that starting a trace costs no extra allocation.
	own traceState
}

// spanExt is the out-of-line part of a Span, guarded by the span's mu.
type spanExt struct {
	errType, errMsg string

	input, output         any
	hasInput, hasOutput   bool
	inputJSON, outputJSON []byte
	// rawInput and rawOutput are an LLM call's request and response
	// bodies as sent, for the raw view beside the chat.
	rawInput, rawOutput []byte

	model, requestModel, provider string
	usage                         Usage
	hasUsage                      bool
	cost                          float64
	hasCost                       bool
	ttft                          time.Duration
	hasTTFT                       bool

	// share is set on a request span that inner request tracers may take
	// over (WithYieldToInner).
	share *requestShare

	// Trace-level fields, set only on agentRoot spans.
	tags      []string
	userID    string
	sessionID string
	metadata  map[string]any
}

// noExt is read in place of a missing spanExt; it is never written.
var noExt spanExt

// x returns the span's ext, creating it; the caller holds mu or owns the
// span exclusively (before it is published).
func (s *Span) x() *spanExt {
	if s.ext == nil {
		s.ext = &spanExt{}
	}
	return s.ext
}

// xr returns the span's ext for reading, after End.
func (s *Span) xr() *spanExt {
	if s.ext == nil {
		return &noExt
	}
	return s.ext
}

// newRootSpan starts a span that begins a trace in this process: a new
// trace when remote is nil, else a continuation of the remote one.
func newRootSpan(c *Client, remote *Span, spanType SpanType, name, agentName string) *Span {
	s := &Span{spanType: spanType, name: name, agentName: agentName}
	s.beginTrace(c, remote)
	s.id = newSpanID()
	s.attrs = s.attrInline[:0]
	s.start = time.Now()
	return s
}

// beginTrace makes s, not yet published, the first span in this process
// of a trace of c: a new trace, sampled by c, when remote is nil, else the
// remote trace with the remote's sampling decision.
func (s *Span) beginTrace(c *Client, remote *Span) {
	if remote != nil {
		s.continueTrace(c, remote.ts.id, remote.id, remote.ts.sampled)
		return
	}
	t := newTraceID()
	s.continueTrace(c, t, spanID{}, c.sampled(t))
}

// continueTrace makes s, not yet published, the first span in this
// process of trace t of c, under parent (none when zero).
func (s *Span) continueTrace(c *Client, t traceID, parent spanID, sampled bool) {
	s.agentRoot = true
	s.own = traceState{client: c, id: t, sampled: sampled}
	s.parent = parent
	s.ts = &s.own
	if len(c.cfg.defaultTags) > 0 {
		s.x().tags = slices.Clip(c.cfg.defaultTags)
	}
}

// newChildSpan starts a span under parent in parent's trace.
func newChildSpan(parent *Span, spanType SpanType, name string) *Span {
	s := &Span{
		ts:        parent.ts,
		id:        newSpanID(),
		parent:    parent.id,
		spanType:  spanType,
		name:      name,
		agentName: parent.agentName,
	}
	s.attrs = s.attrInline[:0]
	s.start = time.Now()
	return s
}

// StartSpan starts a span and returns it with a context that carries it.
// A span that would not be sent — its trace was not sampled, or its client
// is disabled — is not made: StartSpan returns ctx as it is and a nil
// *Span, whose methods do nothing, at the cost of a few loads.
// The span nests under the span or trace ctx carries, in that trace's
// client; under a context from Extract it continues the remote trace; with
// neither it begins a new trace on the default client, named after the
// client's default agent. When ctx also carries a span of an
// ExternalTracer (OpenTelemetry's, through sdk/contrib/otel), the one of
// the two that started last is the parent. The caller must End the span. Safe for
// concurrent use.
func StartSpan(ctx context.Context, spanType SpanType, name string) (context.Context, *Span) {
	return startSpan(ctx, nil, spanType, name)
}

// startSpan is StartSpan with the client for a trace that starts here; a
// nil c means the default client.
func startSpan(ctx context.Context, c *Client, spanType SpanType, name string) (context.Context, *Span) {
	return startSpanFor(ctx, c, spanType, name, false)
}

// startSpanFor is startSpan; llmCall says the span records an LLM call
// from the wire, which takes the place of an external span of the same
// call (ExternalTracer.AdoptLLMCall).
func startSpanFor(ctx context.Context, c *Client, spanType SpanType, name string, llmCall bool) (context.Context, *Span) {
	parent := spanFromContext(ctx)
	if externalTracer.Load() == nil {
		// No other tracing library: the common case skips the
		// bookkeeping of one, whose results are costly to return.
		return startLocalIn(ctx, c, parent, spanType, name)
	}
	ext, innermost, found, et := externalParent(ctx, parent)
	if !found {
		return startLocalIn(ctx, c, parent, spanType, name)
	}
	var s *Span
	if innermost {
		s = startUnderExternal(c, parent, ext, spanType, name)
		if s != nil && llmCall {
			if p, takeID, ok := et.AdoptLLMCall(ctx, ext); ok {
				s.parent = p
				if takeID {
					s.id = ext.SpanID
				}
			}
		}
	} else {
		s = startLocal(c, parent, spanType, name)
	}
	if s == nil {
		return ctx, nil
	}
	// ctx carries the other library's span: it hears of this one too,
	// so that its spans started under this one are this one's children.
	return contextWithSpan(withExternal(ctx, et, s), s), s
}

// startLocalIn is startLocal returning a context that carries the span,
// or ctx as it is when there is no span.
func startLocalIn(ctx context.Context, c *Client, parent *Span, spanType SpanType, name string) (context.Context, *Span) {
	s := startLocal(c, parent, spanType, name)
	if s == nil {
		return ctx, nil
	}
	return contextWithSpan(ctx, s), s
}

// startLocal starts a span under parent, the Tracium span a context
// carries, or as the root of a trace of c (the default client when nil);
// it returns nil when the span would not be sent.
func startLocal(c *Client, parent *Span, spanType SpanType, name string) *Span {
	if parent != nil && !parent.remote {
		if !parent.ts.sampled || parent.ts.client.exp == nil {
			// Nothing under this parent is sent: no span, no context,
			// no allocation. The parent stays in ctx, so its trace (and
			// its sampling decision) still propagates.
			return nil
		}
		return newChildSpan(parent, spanType, name)
	}
	if c == nil {
		c = DefaultClient()
	}
	if c.exp == nil {
		return nil // a disabled client records nothing
	}
	return newRootSpan(c, parent, spanType, name, c.cfg.defaultAgentName)
}

// SpanID returns the span's id as 16 lowercase hex digits, or "" for a
// nil span.
func (s *Span) SpanID() string {
	if s == nil {
		return ""
	}
	return s.id.String()
}

// TraceID returns the id of the span's trace as 32 lowercase hex digits,
// or "" for a nil span.
func (s *Span) TraceID() string {
	if s == nil {
		return ""
	}
	return s.ts.id.String()
}

// IsRecording reports whether the span is sampled, not yet ended, and
// belongs to a client that sends spans: callers may skip building costly
// attributes when it is false.
func (s *Span) IsRecording() bool {
	if s == nil || s.remote || !s.ts.sampled || !s.ts.client.Enabled() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.ended
}

// lock takes the span's lock unless the span is nil or ended; callers
// that get true must unlock.
func (s *Span) lock() bool {
	if s == nil || s.remote || !s.ts.sampled {
		return false // nothing of an unsampled span is sent
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	return true
}

// RecordInput records the span's input. v is encoded as JSON when the span
// ends, so it must not be mutated concurrently with End; if it cannot be
// encoded, the encoding error's text is recorded instead.
func (s *Span) RecordInput(v any) {
	if s.lock() {
		x := s.x()
		x.input, x.hasInput = v, true
		s.mu.Unlock()
	}
}

// RecordOutput records the span's output; see RecordInput.
func (s *Span) RecordOutput(v any) {
	if s.lock() {
		x := s.x()
		x.output, x.hasOutput = v, true
		s.mu.Unlock()
	}
}

// SetAttribute sets one attribute, replacing an earlier value of the same
// key. Values are encoded as JSON by the exporter after End, so pass
// values that are not mutated afterwards (strings, numbers, bools are
// ideal).
func (s *Span) SetAttribute(key string, value any) {
	if s != nil { // inlined, so that a nil span costs a compare
		s.setAttribute(key, value)
	}
}

// setAttribute is SetAttribute on a span that is not nil.
func (s *Span) setAttribute(key string, value any) {
	if !s.lock() {
		return
	}
	for i := range s.attrs {
		if s.attrs[i].key == key {
			s.attrs[i].value = value
			s.mu.Unlock()
			return
		}
	}
	s.attrs = append(s.attrs, attribute{key, value})
	s.mu.Unlock()
}

// SetError marks the span as failed with err's type and message. A nil
// err does nothing.
func (s *Span) SetError(err error) {
	if err == nil || !s.lock() {
		return
	}
	x := s.x()
	s.failed, x.errType, x.errMsg = true, errorTypeName(err), err.Error()
	s.mu.Unlock()
}

// errorTypeName names an error by the type of the first error in its chain
// that is more than a message: "*net.OpError", "*url.Error",
// "context.deadlineExceededError". Plain errors.New and fmt.Errorf values
// say nothing by their type and give "error".
func errorTypeName(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch name := reflect.TypeOf(e).String(); name {
		case "*errors.errorString", "*fmt.wrapError", "*fmt.wrapErrors", "*errors.joinError":
		default:
			return name
		}
	}
	return "error"
}

// Failed reports whether the span has been marked failed (SetError, Fail,
// or the LLM capture's record of a failed call).
func (s *Span) Failed() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// Fail marks the span failed with an error type and message that come from
// no error value: a panic, a 5xx status, a provider's error body. A later
// SetError or Fail replaces them.
func (s *Span) Fail(errType, message string) { s.setFailure(errType, message) }

// setFailure is Fail.
func (s *Span) setFailure(errType, msg string) {
	if !s.lock() {
		return
	}
	x := s.x()
	s.failed, x.errType, x.errMsg = true, errType, msg
	s.mu.Unlock()
}

// setRawInput keeps an LLM call's request body (already checked JSON).
func (s *Span) setRawInput(b []byte) {
	if s.lock() {
		s.x().rawInput = b
		s.mu.Unlock()
	}
}

// setRawOutput keeps an LLM call's response body (already checked JSON).
func (s *Span) setRawOutput(b []byte) {
	if s.lock() {
		s.x().rawOutput = b
		s.mu.Unlock()
	}
}

// SetType changes the span's type, for when what the work is shows only
// after it started (a framework's chain that turns out to be an agent).
func (s *Span) SetType(t SpanType) {
	if s.lock() {
		s.spanType = t
		s.mu.Unlock()
	}
}

// SetName renames the span, for when the right name is known only after
// it started (a route matched while serving the request).
func (s *Span) SetName(name string) {
	if s.lock() {
		s.name = name
		s.mu.Unlock()
	}
}

// SetModel records the model that served an LLM call, as the provider
// reported it.
func (s *Span) SetModel(model string) {
	if s.lock() {
		s.x().model = model
		s.mu.Unlock()
	}
}

// SetRequestModel records the model an LLM call asked for, when it may
// differ from the model that answered.
func (s *Span) SetRequestModel(model string) {
	if s.lock() {
		s.x().requestModel = model
		s.mu.Unlock()
	}
}

// SetProvider records the LLM provider, such as "openai" or "anthropic".
func (s *Span) SetProvider(provider string) {
	if s.lock() {
		s.x().provider = provider
		s.mu.Unlock()
	}
}

// SetUsage records an LLM call's token counts.
func (s *Span) SetUsage(u Usage) {
	if s.lock() {
		x := s.x()
		x.usage, x.hasUsage = u, true
		s.mu.Unlock()
	}
}

// SetCost records the call's cost in US dollars; without it the collector
// prices the span from its model and usage.
func (s *Span) SetCost(usd float64) {
	if s.lock() {
		x := s.x()
		x.cost, x.hasCost = usd, true
		s.mu.Unlock()
	}
}

// SetTimeToFirstToken records how long a streaming call took to yield its
// first token.
func (s *Span) SetTimeToFirstToken(d time.Duration) {
	if s.lock() {
		x := s.x()
		x.ttft, x.hasTTFT = d, true
		s.mu.Unlock()
	}
}

// addTags appends trace-level tags; used for agent roots only.
func (s *Span) addTags(tags []string) {
	if len(tags) > 0 {
		x := s.x()
		x.tags = append(slices.Clip(x.tags), tags...)
	}
}

// captureState is an llm span's relation to the HTTP call it captures.
type captureState uint8

const (
	captureNone   captureState = iota
	captureOpen                // waiting for the call
	captureActive              // the call is being recorded into the span
	captureDone                // the call was recorded
)

// CaptureLLMCall makes s, an llm span a framework integration started for
// one model call, the span of the HTTP call that model makes under s's
// context: the SDK's Transport and Middleware record that call into s
// (the chat sent and received, the answering model, exact token usage,
// time to first token, the raw request and response) instead of starting
// a child span, so the call is one span carrying both the framework's view
// and the wire's. Only the first such call is captured; End waits for a
// captured stream still being read. Safe for concurrent use.
func (s *Span) CaptureLLMCall() {
	if s.lock() {
		if s.capture == captureNone {
			s.capture = captureOpen
		}
		s.mu.Unlock()
	}
}

// LLMCallRecorded reports whether a captured HTTP call has been recorded
// into s (see CaptureLLMCall): an integration then leaves the model,
// usage and chat the wire gave as they are.
func (s *Span) LLMCallRecorded() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.capture >= captureActive
}

// takeCapture claims s for an HTTP call when s waits for one.
func (s *Span) takeCapture() bool {
	if !s.lock() {
		return false
	}
	defer s.mu.Unlock()
	if s.capture != captureOpen {
		return false
	}
	s.capture = captureActive
	return true
}

// releaseCapture says the captured call is recorded; an End that came
// meanwhile goes through now.
func (s *Span) releaseCapture() {
	s.mu.Lock()
	s.capture = captureDone
	asked := s.endAsked
	s.mu.Unlock()
	if asked {
		s.End()
	}
}

// End finishes the span and queues it for sending. Input and output are
// encoded here, not later, because the caller may reuse those values once
// End returns. Calling End again, or on a nil span, does nothing. End never
// blocks on the network: when the queue is full the span is dropped and
// counted.
func (s *Span) End() {
	if s != nil { // inlined, so that a nil span costs a compare
		s.end()
	}
}

// end is End on a span that is not nil.
func (s *Span) end() {
	if !s.lock() {
		return
	}
	if s.capture == captureActive {
		// The captured call is still being read (a stream): it ends the
		// span when it is done.
		s.endAsked = true
		s.mu.Unlock()
		return
	}
	s.ended = true
	s.dur = time.Since(s.start)
	if x := s.ext; x != nil {
		if x.hasInput {
			x.inputJSON = marshalValue(x.input)
			x.input = nil
		}
		if x.hasOutput {
			x.outputJSON = marshalValue(x.output)
			x.output = nil
		}
	}
	s.mu.Unlock()
	// The exporter reads the span without its lock: every writer checks
	// ended under the lock first, and the channel send orders our writes
	// before its reads.
	if s.ts.sampled {
		if exp := s.ts.client.exp; exp != nil {
			exp.enqueue(s)
		}
	}
}

// marshalValue encodes v, or the encoding error's text as a JSON string
// so that the span still says what went wrong.
func marshalValue(v any) []byte {
	if raw, ok := v.(validJSON); ok {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal("tracium: cannot encode value as JSON: " + err.Error())
	}
	return b
}
