package traciumecho_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	tracium "github.com/tracium/tracium/sdk"
	traciumecho "github.com/tracium/tracium/sdk/contrib/echo"
	"github.com/tracium/tracium/sdk/internal/webtest"
)

// framework runs the shared scenarios on echo v4; handlers trace with
// the request's context.
type framework struct{}

func (framework) Serve(t *testing.T, routes []webtest.Route, opts ...tracium.RequestOption) string {
	e := echo.New()
	e.Logger.SetOutput(io.Discard)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true}), traciumecho.Middleware(opts...))
	for _, r := range routes {
		e.Add(r.Method, r.Path, func(c echo.Context) error {
			return r.Handler(webtest.Request{Context: c.Request().Context(), Param: c.Param}).Answer(c.String)
		})
	}
	return webtest.ServeHTTP(t, e)
}

func (framework) CatchAll(prefix string) string { return prefix + "*" }

func TestSharedScenarios(t *testing.T) {
	t.Parallel()
	webtest.Run(t, framework{})
}

// echo answers a returned error as DefaultHTTPErrorHandler does: an
// *echo.HTTPError's code, its Internal *echo.HTTPError's if it has one,
// else 500. Below 500 the span stays ok.
func TestHTTPErrorStatus(t *testing.T) {
	t.Parallel()
	internal := echo.NewHTTPError(http.StatusBadGateway).SetInternal(echo.NewHTTPError(http.StatusConflict, "taken"))
	b := webtest.Start(t, framework{}, []webtest.Route{
		{Method: http.MethodGet, Path: "/forbidden", Handler: webtest.Fails(echo.NewHTTPError(http.StatusForbidden, "no"))},
		{Method: http.MethodGet, Path: "/gateway", Handler: webtest.Fails(echo.NewHTTPError(http.StatusBadGateway, "upstream"))},
		{Method: http.MethodGet, Path: "/wrapped", Handler: webtest.Fails(fmt.Errorf("load: %w", echo.ErrNotFound))},
		{Method: http.MethodGet, Path: "/internal", Handler: webtest.Fails(internal)},
		{Method: http.MethodGet, Path: "/late", Handler: func(webtest.Request) webtest.Reply {
			return webtest.Reply{Status: http.StatusOK, Body: "sent", Err: errors.New("audit log failed")}
		}},
	})
	b.Check(t, []webtest.Case{
		{Method: "GET", Path: "/forbidden", Status: 403, Name: "GET /forbidden", Route: "/forbidden", Size: webtest.NoSize},
		{Method: "GET", Path: "/gateway", Status: 502, Name: "GET /gateway", Route: "/gateway",
			ErrType: "*echo.HTTPError", Fail: "code=502, message=upstream", Size: webtest.NoSize},
		// echo's default error handler does not unwrap: a wrapped
		// HTTPError is a 500.
		{Method: "GET", Path: "/wrapped", Status: 500, Name: "GET /wrapped", Route: "/wrapped",
			ErrType: "*echo.HTTPError", Fail: "load: code=404, message=Not Found", Size: webtest.NoSize},
		{Method: "GET", Path: "/internal", Status: 409, Name: "GET /internal", Route: "/internal", Size: webtest.NoSize},
		// An error after the answer was sent changes no status, but the
		// span records it.
		{Method: "GET", Path: "/late", Status: 200, Name: "GET /late", Route: "/late", ErrType: "error", Fail: "audit log failed"},
	})
}
