package traciumecho

import (
	"cmp"
	"net/http"

	"github.com/labstack/echo/v4"

	tracium "github.com/tracium/tracium/sdk"
)

// Option configures Middleware; every tracium.RequestOption is one.
type Option = tracium.RequestOption

// unmatchedRoute stands in for the route template of a request that
// matched no route, so the span is not named by a raw path.
const unmatchedRoute = "unmatched"

// Middleware returns echo middleware that traces each request as an http
// span (see the package documentation). Register it with e.Use after
// middleware.Recover. The middleware is safe for concurrent use.
func Middleware(opts ...Option) echo.MiddlewareFunc {
	t := tracium.NewRequestTracer(opts...)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if t.Skip(r.URL.Path) {
				return next(c)
			}
			// echo routes before it runs e.Use middleware, so the
			// template is known; it is "" when no route matched.
			route := c.Path()
			ctx, span := t.Start(r.Context(), r.Method, cmp.Or(route, unmatchedRoute), r.Header.Get)
			c.SetRequest(r.WithContext(ctx))
			res := tracium.RequestResult{Method: r.Method, Route: route, Path: r.URL.Path}
			defer func() {
				if p := recover(); p != nil {
					// Recover writes its 500 after this returns.
					if resp := c.Response(); resp.Committed {
						res.Status, res.ResponseSize = resp.Status, resp.Size
					} else {
						res.ResponseSize = -1
					}
					t.EndPanic(span, res, p)
					panic(p)
				}
			}()
			err := next(c)
			res.Status, res.ResponseSize, res.Err = outcome(c.Response(), err)
			t.End(span, res)
			return err
		}
	}
}

// outcome is the status the client gets for a handler that returned err,
// by the rules of echo's DefaultHTTPErrorHandler, the body size when it
// is known, and the error to record: none for an *echo.HTTPError below
// 500, which is how echo answers a client's mistake.
func outcome(resp *echo.Response, err error) (status int, size int64, recorded error) {
	if resp.Committed || err == nil {
		return resp.Status, resp.Size, err
	}
	// The error handler writes the body after the middleware returns.
	he, ok := err.(*echo.HTTPError)
	if !ok {
		return http.StatusInternalServerError, -1, err
	}
	if inner, ok := he.Internal.(*echo.HTTPError); ok {
		he = inner
	}
	if he.Code < http.StatusInternalServerError {
		return he.Code, -1, nil
	}
	return he.Code, -1, err
}
