package traciumgin

import (
	"cmp"
	"errors"

	"github.com/gin-gonic/gin"

	tracium "github.com/tracium/tracium/sdk"
)

// Option configures Middleware; every tracium.RequestOption is one.
type Option = tracium.RequestOption

// unmatchedRoute stands in for the route template of a request that
// matched no route, so the span is not named by a raw path.
const unmatchedRoute = "unmatched"

// Middleware returns gin middleware that traces each request as an http
// span (see the package documentation). Register it after gin.Recovery.
// The handler it returns is safe for concurrent use.
func Middleware(opts ...Option) gin.HandlerFunc {
	t := tracium.NewRequestTracer(opts...)
	return func(c *gin.Context) {
		r := c.Request
		if t.Skip(r.URL.Path) {
			c.Next()
			return
		}
		// gin routes before it runs the handler chain, so the template is
		// already known; it is "" when no route matched.
		route := c.FullPath()
		ctx, span := t.Start(r.Context(), r.Method, cmp.Or(route, unmatchedRoute), r.Header.Get)
		c.Request = r.WithContext(ctx)
		c.Set(tracium.ContextSpanKey, span)
		defer func() {
			res := tracium.RequestResult{
				Method: r.Method, Route: route, Path: r.URL.Path,
				Status: c.Writer.Status(), ResponseSize: responseSize(c, route),
			}
			if p := recover(); p != nil {
				t.EndPanic(span, res, p)
				panic(p)
			}
			res.Err = handlerErrors(c.Errors)
			t.End(span, res)
		}()
		c.Next()
	}
}

// responseSize is the body size written so far. gin writes its own 404
// or 405 body for an unmatched request after the handler chain returns,
// so there the size is unknown (negative) unless a handler wrote one.
func responseSize(c *gin.Context, route string) int64 {
	if !c.Writer.Written() {
		if route == "" {
			return -1
		}
		return 0
	}
	return int64(c.Writer.Size())
}

// handlerErrors is the error that the errors attached with c.Error amount
// to: the one error itself, so the span records its type, or all of them.
func handlerErrors(errs []*gin.Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0].Err
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e.Err
	}
	return errors.Join(all...)
}
