// Package traciumecho traces servers built on echo v5
// (github.com/labstack/echo/v5) with Tracium. Add one line where the
// server is built, after middleware.Recover so that Recover still answers
// a panicking handler:
//
//	e.Use(traciumecho.Middleware())
//
// Each request becomes one http span, named by method and route template
// ("GET /users/:id"), that continues an incoming W3C traceparent or starts
// a trace on the default client. It records the method, route, path,
// status, response size, the error the handler returned, a 5xx status,
// and a panic, which is recorded and then re-panicked.
//
// A returned error is recorded with the status echo itself resolves for
// it (echo.ResolveResponseStatus, the rule of its default error handler):
// the status already written when the response is committed, else the
// code of an echo.HTTPStatusCoder in the error's chain, else 500. An
// error that carries a status below 500 is the way echo answers a
// client's mistake (echo.ErrNotFound, a failed bind), so the span records
// its status and stays ok, as any 4xx answer does; every other returned
// error fails the span with its type and message. A custom
// HTTPErrorHandler that answers with other statuses is not consulted.
//
// A request that matches no route is named "METHOD unmatched", with no
// http.route, so that scanners do not fill the trace list with one name
// per probed path. Handlers reach the span through
// c.Request().Context(): tracium.StartSpan and LLM calls made with it
// nest under the request span. Options are the SDK's request options
// (tracium.WithSkipPaths, WithSpanName, WithRequestHeaders,
// WithRequestClient).
//
// The module is github.com/tracium/tracium/sdk/contrib/echov5, a sibling
// of sdk/contrib/echo (echo v4), not sdk/contrib/echo/v5: Go reads a /v5
// suffix as major version 5 of the echo contrib module itself, which
// would tie this module's versions to echo's and make it share a release
// line with the v4 integration. As its own module it is versioned on its
// own, like every other contrib module.
package traciumecho
