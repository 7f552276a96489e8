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

// spanFromContext returns the current span, including a remote span
// context stored by Extract.
func spanFromContext(ctx context.Context) *Span {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Value(spanKey{}).(*Span)
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
