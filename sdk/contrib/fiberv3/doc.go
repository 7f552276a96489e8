// Package traciumfiber traces servers built on fiber v3
// (github.com/gofiber/fiber/v3) with Tracium. Add one line where the app
// is built, after the recover middleware so that it still answers a
// panicking handler:
//
//	app.Use(traciumfiber.Middleware())
//
// Each request becomes one http span, named by method and route template
// ("GET /users/:id"), that continues an incoming W3C traceparent or starts
// a trace on the default client. fiber knows the template only once the
// route has run, so the span is renamed when c.Next returns. It records
// the method, route, path, status, response size, the error the handler
// returned, a 5xx status, and a panic, which is recorded and then
// re-panicked.
//
// A returned error is recorded with the status fiber's default error
// handler sends for it: the code of a *fiber.Error in its chain, else
// 500. A *fiber.Error below 500 is the way fiber answers a client's
// mistake (fiber.ErrNotFound, a failed bind), so the span records its
// status and stays ok, as any 4xx answer does; every other returned error
// fails the span with its type and message. A custom ErrorHandler that
// answers with other statuses is not consulted. The size of a body that
// the error handler writes, or that is streamed, is not recorded.
//
// A request that matched no route (a 404 or 405 with c.Matched false) is
// named "METHOD unmatched", with no http.route, so that scanners do not
// fill the trace list with one name per probed path.
//
// Handlers reach the span through c.Context(), the context set with
// SetContext, and through c itself: fiber v3's Ctx is a context.Context
// whose Value reads fasthttp's user values, not that context, so the
// middleware also keeps the span in c.Locals under tracium.ContextSpanKey,
// where the SDK looks. tracium.StartSpan and LLM calls made with either
// nest under the request span; neither may be used once the handler has
// returned. Options are the SDK's request options (tracium.WithSkipPaths,
// WithSpanName, WithRequestHeaders, WithRequestClient).
//
// The module is github.com/tracium/tracium/sdk/contrib/fiberv3, a sibling
// of sdk/contrib/fiber (fiber v2), not sdk/contrib/fiber/v3: Go reads a
// /v3 suffix as major version 3 of the fiber contrib module itself, which
// would tie this module's versions to fiber's. As its own module it is
// versioned on its own, like every other contrib module.
package traciumfiber
