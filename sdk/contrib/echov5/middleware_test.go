package traciumecho_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	tracium "github.com/tracium/tracium/sdk"
	traciumecho "github.com/tracium/tracium/sdk/contrib/echov5"
	"github.com/tracium/tracium/sdk/internal/webtest"
)

// framework runs the shared scenarios on echo v5; handlers trace with
// the request's context.
type framework struct{}

func (framework) Serve(t *testing.T, routes []webtest.Route, opts ...tracium.RequestOption) string {
	e := echo.New()
	e.Logger = slog.New(slog.DiscardHandler)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true}), traciumecho.Middleware(opts...))
	for _, r := range routes {
		e.Add(r.Method, r.Path, func(c *echo.Context) error {
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

// errGone carries its own status, as echo.HTTPStatusCoder lets errors do.
type errGone struct{}

func (errGone) Error() string   { return "archived" }
func (errGone) StatusCode() int { return http.StatusGone }

// echo v5 answers a returned error with the status of the first error in
// its chain that carries one (echo.HTTPStatusCoder), else 500. Below 500
// the span stays ok.
func TestErrorStatus(t *testing.T) {
	t.Parallel()
	b := webtest.Start(t, framework{}, []webtest.Route{
		{Method: http.MethodGet, Path: "/forbidden", Handler: webtest.Fails(echo.NewHTTPError(http.StatusForbidden, "no"))},
		{Method: http.MethodGet, Path: "/gateway", Handler: webtest.Fails(echo.NewHTTPError(http.StatusBadGateway, "upstream"))},
		{Method: http.MethodGet, Path: "/wrapped", Handler: webtest.Fails(fmt.Errorf("load: %w", echo.ErrNotFound))},
		{Method: http.MethodGet, Path: "/gone", Handler: webtest.Fails(fmt.Errorf("load: %w", errGone{}))},
		{Method: http.MethodGet, Path: "/late", Handler: func(webtest.Request) webtest.Reply {
			return webtest.Reply{Status: http.StatusOK, Body: "sent", Err: errors.New("audit log failed")}
		}},
	})
	b.Check(t, []webtest.Case{
		{Method: "GET", Path: "/forbidden", Status: 403, Name: "GET /forbidden", Route: "/forbidden", Size: webtest.NoSize},
		{Method: "GET", Path: "/gateway", Status: 502, Name: "GET /gateway", Route: "/gateway",
			ErrType: "*echo.HTTPError", Fail: "code=502, message=upstream", Size: webtest.NoSize},
		{Method: "GET", Path: "/wrapped", Status: 404, Name: "GET /wrapped", Route: "/wrapped", Size: webtest.NoSize},
		{Method: "GET", Path: "/gone", Status: 410, Name: "GET /gone", Route: "/gone", Size: webtest.NoSize},
		// An error after the answer was sent changes no status, but the
		// span records it.
		{Method: "GET", Path: "/late", Status: 200, Name: "GET /late", Route: "/late", ErrType: "error", Fail: "audit log failed"},
	})
}
