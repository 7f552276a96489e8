// Package traciumgin traces gin servers with Tracium. Add one line where
// the engine is built, after gin.Recovery (or gin.Default) so that
// Recovery still answers a panicking handler:
//
//	r.Use(traciumgin.Middleware())
//
// Each request becomes one http span, named by method and route template
// ("GET /users/:id"), that continues an incoming W3C traceparent or starts
// a trace on the default client. It records the method, route, path,
// status, response size, the errors handlers attach with c.Error (the
// span fails with them, whatever the status), a 5xx status, and a panic,
// which is recorded and then re-panicked. A request that matches no route
// is named "METHOD unmatched", with no http.route, so that scanners do not
// fill the trace list with one name per probed path.
//
// Handlers reach the span through the request's context, and also through
// c itself: tracium.StartSpan(c, ...) and an LLM call made with c as its
// context nest under the request span even with gin's ContextWithFallback
// off, its default (the middleware stores the span under
// tracium.ContextSpanKey, which the SDK reads from contexts such as
// *gin.Context). Options are the SDK's request options
// (tracium.WithSkipPaths, WithSpanName, WithRequestHeaders,
// WithRequestClient).
package traciumgin
