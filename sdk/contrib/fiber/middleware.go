package traciumfiber

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

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
	return func(c *fiber.Ctx) error {
		if t.Skip(c.Path()) {
			return c.Next()
		}
		// fiber's strings point into buffers that fasthttp reuses for the
		// next request, and the span is encoded after the handler returns:
		// what the span keeps is copied.
		method := stableMethod(c.Method())
		header := func(key string) string { return strings.Clone(c.Get(key)) }
		ctx, span := t.Start(c.UserContext(), method, unmatchedRoute, header)
		c.SetUserContext(ctx)
		res := tracium.RequestResult{Method: method, Path: strings.Clone(c.Path())}
		own := c.Route()
		defer func() {
			if p := recover(); p != nil {
				// recover answers with a 500 after this returns.
				res.Route, res.ResponseSize = routeOf(c, own, http.StatusInternalServerError), -1
				t.EndPanic(span, res, p)
				panic(p)
			}
		}()
		err := c.Next()
		res.Status, res.ResponseSize, res.Err = outcome(c, err)
		res.Route = routeOf(c, own, res.Status)
		t.End(span, res)
		return err
	}
}

// routeOf is the template of the route that answered, known once
// c.Next has returned, or "" when fiber answered 404 or 405 with no route
// matched past own, the route the middleware runs in: app.Use layers
// registered together share one route, so own is theirs.
func routeOf(c *fiber.Ctx, own *fiber.Route, status int) string {
	r := c.Route()
	if r == own && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) {
		return ""
	}
	return r.Path
}

// outcome is the status the client gets for a handler that returned err,
// by the rule of fiber's DefaultErrorHandler, the body size when it is
// known, and the error to record: none for a *fiber.Error below 500,
// which is how fiber answers a client's mistake.
func outcome(c *fiber.Ctx, err error) (status int, size int64, recorded error) {
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

// stableMethod returns m as a string that does not share fasthttp's
// buffer, without allocating for the standard methods.
func stableMethod(m string) string {
	for _, std := range [...]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodHead, http.MethodOptions, http.MethodConnect, http.MethodTrace} {
		if m == std {
			return std
		}
	}
	return strings.Clone(m)
}
