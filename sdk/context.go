package tracium

import "context"

// spanKey is the context key of the current span. An unexported type
// keeps other packages from reading or overwriting it.
type spanKey struct{}

func contextWithSpan(ctx context.Context, s *Span) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithValue(ctx, spanKey{}, s)
}

// ContextSpanKey is the string key under which a web framework's own
// request context holds the current *Span when that context answers Value
// from a per-request store rather than from the request's
// context.Context: gin's *gin.Context (c.Set) with ContextWithFallback off,
// its default, and fiber's Ctx and fasthttp's RequestCtx (c.Locals). A
// context that carries no span under the SDK's own key is asked for this
// one, so a handler can pass the framework's context itself to StartSpan
// or to an LLM call and still nest under the request's span. The
// sdk/contrib middlewares set it; to attach a span to a context.Context of
// your own use ContextWithSpan, never context.WithValue with this key.
const ContextSpanKey = "tracium.span"

// spanFromContext returns the current span, including a remote span
// context stored by Extract.
func spanFromContext(ctx context.Context) *Span {
	if ctx == nil {
		return nil
	}
	if s, ok := ctx.Value(spanKey{}).(*Span); ok {
		return s
	}
	s, _ := ctx.Value(ContextSpanKey).(*Span)
	return s
}

// SpanFromContext returns the span ctx carries, or nil; calling methods on
// the nil result is safe. A remote parent read by Extract is not a local
// span, so it gives nil too.
func SpanFromContext(ctx context.Context) *Span {
	s := spanFromContext(ctx)
	if s == nil || s.remote {
		return nil
	}
	return s
}

// ContextWithSpan returns a copy of ctx that carries s, so that spans
// started under it nest inside s; use it to move a span to a context that
// did not come from StartSpan, such as a new background context for a
// goroutine that outlives the request.
func ContextWithSpan(ctx context.Context, s *Span) context.Context {
	if s == nil {
		return ctx
	}
	return contextWithSpan(ctx, s)
}
