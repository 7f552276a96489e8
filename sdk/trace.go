package tracium

import (
	"context"
	"maps"
	"time"
)

// AgentTrace is one run of an agent: the root span (type agent) of a
// trace, carrying the trace-level fields (agent name, user, session, tags,
// metadata). Start one with Client.AgentTrace and End it when the run is
// over. Like Span, its methods are safe for concurrent use and are no-ops
// on a nil *AgentTrace or after End.
type AgentTrace struct {
	span Span
}

// TraceOption sets a trace-level field of an AgentTrace.
type TraceOption func(*traceSetup)

// traceSetup is what a TraceOption may change: the agent span before it
// starts. Wrapping it keeps options from calling the span's methods early.
type traceSetup struct{ span *Span }

// WithTags adds tags to the trace, after the client's default tags.
func WithTags(tags ...string) TraceOption {
	return func(t *traceSetup) { t.span.addTags(tags) }
}

// WithUserID records the end user the agent ran for.
func WithUserID(id string) TraceOption { return func(t *traceSetup) { t.span.x().userID = id } }

// WithSessionID records the conversation or session the run belongs to.
func WithSessionID(id string) TraceOption { return func(t *traceSetup) { t.span.x().sessionID = id } }

// WithMetadata records free-form trace metadata; the map is copied, so the
// caller may reuse it.
func WithMetadata(md map[string]any) TraceOption {
	return func(t *traceSetup) {
		x := t.span.x()
		if x.metadata == nil {
			x.metadata = make(map[string]any, len(md))
		}
		maps.Copy(x.metadata, md)
	}
}

// WithInput records the run's input, as AgentTrace.RecordInput does.
func WithInput(v any) TraceOption {
	return func(t *traceSetup) { x := t.span.x(); x.input, x.hasInput = v, true }
}

// AgentTrace starts a run of the named agent and returns it with a context
// that carries it, so that StartSpan calls under that context nest inside.
// It begins a new trace unless ctx carries a traceparent from Extract (the
// remote trace is continued) or a span of a trace in progress (the agent
// run becomes a span of that trace, and its agent name applies to the
// spans under it), of Tracium's or of an ExternalTracer's, whichever
// started last. An empty agentName falls back to the client's default.
// The caller must call End. Safe for concurrent use.
func (c *Client) AgentTrace(ctx context.Context, agentName string, opts ...TraceOption) (context.Context, *AgentTrace) {
	if c == nil {
		c = DefaultClient()
	}
	if agentName == "" {
		agentName = c.cfg.defaultAgentName
	}
	at := &AgentTrace{}
	s := &at.span
	s.spanType, s.name, s.agentName = SpanAgent, agentName, agentName
	if s.name == "" {
		s.name = string(SpanAgent)
	}
	parent := spanFromContext(ctx)
	ext, innermost, found, et := externalParent(ctx, parent)
	switch {
	case innermost && parent != nil && !parent.remote && parent.ts.id == ext.TraceID:
		s.ts, s.parent, s.agentRoot = parent.ts, ext.SpanID, true
	case innermost:
		s.continueTrace(c, ext.TraceID, ext.SpanID, ext.Sampled)
	case parent != nil && !parent.remote:
		// An agent run inside another trace's span is a sub-agent: it
		// carries its own trace-level fields but stays in that trace.
		s.ts, s.parent, s.agentRoot = parent.ts, parent.id, true
	default:
		s.beginTrace(c, parent)
	}
	s.id = newSpanID()
	s.attrs = s.attrInline[:0]
	setup := traceSetup{span: s}
	for _, opt := range opts {
		if opt != nil {
			opt(&setup)
		}
	}
	s.start = time.Now()
	if found {
		ctx = withExternal(ctx, et, s)
	}
	return contextWithSpan(ctx, s), at
}

// root returns the trace's root span, nil-safe so that every method of a
// nil *AgentTrace is a no-op.
func (a *AgentTrace) root() *Span {
	if a == nil {
		return nil
	}
	return &a.span
}

// Span starts a span in this trace: under the span ctx carries if it
// belongs to this trace (a span of an ExternalTracer too, when it started
// last), else directly under the agent. The caller must End it.
func (a *AgentTrace) Span(ctx context.Context, spanType SpanType, name string) (context.Context, *Span) {
	root := a.root()
	if root == nil {
		return StartSpan(ctx, spanType, name)
	}
	parent := root
	p := spanFromContext(ctx)
	if p != nil && !p.remote && p.ts == root.ts {
		parent = p
	}
	s := newChildSpan(parent, spanType, name)
	ext, innermost, found, et := externalParent(ctx, p)
	if !found {
		return contextWithSpan(ctx, s), s
	}
	if innermost && ext.TraceID == root.ts.id {
		s.parent = ext.SpanID
	}
	return contextWithSpan(withExternal(ctx, et, s), s), s
}

// TraceID returns the trace's id as 32 lowercase hex digits.
func (a *AgentTrace) TraceID() string { return a.root().TraceID() }

// SpanID returns the id of the agent's own span.
func (a *AgentTrace) SpanID() string { return a.root().SpanID() }

// RootSpan returns the agent's own span, for the Span methods that
// AgentTrace does not repeat.
func (a *AgentTrace) RootSpan() *Span { return a.root() }

// RecordInput records the run's input; see Span.RecordInput.
func (a *AgentTrace) RecordInput(v any) { a.root().RecordInput(v) }

// RecordOutput records the run's output; see Span.RecordInput.
func (a *AgentTrace) RecordOutput(v any) { a.root().RecordOutput(v) }

// SetAttribute sets an attribute of the agent's span.
func (a *AgentTrace) SetAttribute(key string, value any) { a.root().SetAttribute(key, value) }

// SetError marks the run as failed.
func (a *AgentTrace) SetError(err error) { a.root().SetError(err) }

// End finishes the run and queues its span; see Span.End. Spans of the
// trace that end later are still sent.
func (a *AgentTrace) End() { a.root().End() }
