// Package traciumfiber traces servers built on fiber v2
// (github.com/gofiber/fiber/v2) with Tracium. Add one line where the app
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
// A request that no route matched (a 404 or 405 with no route reached
// past the app.Use layer the middleware runs in) is named
// "METHOD unmatched", with no http.route, so that scanners do not fill
// the trace list with one name per probed path; one that only an app.Use
// layer with a prefix answered is named by that prefix ("GET /api").
//
// Handlers reach the span through c.UserContext(): tracium.StartSpan and
// LLM calls made with it nest under the request span. c.Context() is
// fasthttp's RequestCtx, which fasthttp reuses once the handler returns
// while net/http still reads the context of a request made with it, so it
// is no context for outgoing calls and does not carry the span. Options
// are the SDK's request options (tracium.WithSkipPaths, WithSpanName,
// WithRequestHeaders, WithRequestClient).
//
// For fiber v3 use github.com/tracium/tracium/sdk/contrib/fiberv3.
package traciumfiber
