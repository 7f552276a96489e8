package traciumfiber

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v3"

	tracium "github.com/tracium/tracium/sdk"
)

// Option configures Middleware; every tracium.RequestOption is one.
type Option = tracium.RequestOption

// unmatchedRoute stands in for the route template of a request that
// matched no route, so the span is not named by a raw path.
const unmatchedRoute = "unmatched"

// Middleware returns fiber middleware that traces each request as an
// http span (see the package documentation). Register it with app.Use
// after the recover middleware. The handler is safe for concurrent use.
func Middleware(opts ...Option) fiber.Handler {
	t := tracium.NewRequestTracer(opts...)
	return func(c fiber.Ctx) error {
		if t.Skip(c.Path()) {
			return c.Next()
		}
		// fiber's strings point into buffers that fasthttp reuses for the
		// next request, and the span is encoded after the handler returns:
		// what the span keeps is copied. c.Method is fiber's own constant.
		method := c.Method()
		header := func(key string) string { return strings.Clone(c.Get(key)) }
		ctx, span := t.Start(c.Context(), method, unmatchedRoute, header)
		c.SetContext(ctx)
		c.Locals(tracium.ContextSpanKey, span)
		res := tracium.RequestResult{Method: method, Path: strings.Clone(c.Path())}
		defer func() {
			if p := recover(); p != nil {
				// recover answers with a 500 after this returns.
				res.Route, res.ResponseSize = routeOf(c, http.StatusInternalServerError), -1
				t.EndPanic(span, res, p)
				panic(p)
			}
		}()
		err := c.Next()
		res.Status, res.ResponseSize, res.Err = outcome(c, err)
		res.Route = routeOf(c, res.Status)
		t.End(span, res)
		return err
	}
}

// routeOf is the template of the route that answered, known once
// c.Next has returned, or "" when fiber answered 404 or 405 because no
// route matched.
func routeOf(c fiber.Ctx, status int) string {
	if !c.Matched() && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) {
		return ""
	}
	return c.Route().Path
}

// outcome is the status the client gets for a handler that returned err,
// by the rule of fiber's DefaultErrorHandler, the body size when it is
// known, and the error to record: none for a *fiber.Error below 500,
// which is how fiber answers a client's mistake.
func outcome(c fiber.Ctx, err error) (status int, size int64, recorded error) {
	if err == nil {
		resp := c.Response()
		if resp.IsBodyStream() {
			// Reading the size of a stream would consume it.
			return resp.StatusCode(), -1, nil
		}
		return resp.StatusCode(), int64(len(resp.Body())), nil
	}
	// The error handler writes the status and body after this returns.
	status = http.StatusInternalServerError
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status = fe.Code
	}
	if status < http.StatusInternalServerError {
		return status, -1, nil
	}
	return status, -1, err
}
