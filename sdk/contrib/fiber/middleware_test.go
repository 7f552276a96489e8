package traciumfiber_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	fiberrecover "github.com/gofiber/fiber/v2/middleware/recover"

	tracium "github.com/tracium/tracium/sdk"
	traciumfiber "github.com/tracium/tracium/sdk/contrib/fiber"
	"github.com/tracium/tracium/sdk/internal/webtest"
)

// framework runs the shared scenarios on fiber v2; handlers trace with
// the user context.
type framework struct{}

func (framework) Serve(t *testing.T, routes []webtest.Route, opts ...tracium.RequestOption) string {
	return serve(t, opts, func(app *fiber.App) {
		for _, r := range routes {
			app.Add(r.Method, r.Path, handler(r.Handler))
		}
	})
}

func (framework) CatchAll(prefix string) string { return prefix + "*" }

func handler(h webtest.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// fasthttp reuses the parameter's bytes for the next request.
		param := func(name string) string { return strings.Clone(c.Params(name)) }
		send := func(status int, body string) error { return c.Status(status).SendString(body) }
		return h(webtest.Request{Context: c.UserContext(), Param: param}).Answer(send)
	}
}

// serve starts a fiber app traced by Middleware(opts...) after the
// recover middleware, with the routes register adds, on a local port.
func serve(t *testing.T, opts []tracium.RequestOption, register func(*fiber.App)) string {
	t.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	listening := make(chan struct{})
	app.Hooks().OnListen(func(fiber.ListenData) error { close(listening); return nil })
	app.Use(fiberrecover.New())
	app.Use(traciumfiber.Middleware(opts...))
	register(app)
	stop := func() error { return app.ShutdownWithTimeout(5 * time.Second) }
	return webtest.Listen(t, app.Listener, listening, stop)
}

func TestSharedScenarios(t *testing.T) {
	t.Parallel()
	webtest.Run(t, framework{})
}

// fiber answers a returned error by the rule of its DefaultErrorHandler:
// the code of a *fiber.Error anywhere in the chain, else 500, replacing
// what the handler wrote. Below 500 the span stays ok. A route matched
// for another method is a 405, named as unmatched; a group's route is
// recorded with the group's prefix.
func TestErrorsAndRouting(t *testing.T) {
	t.Parallel()
	b := webtest.Setup(t)
	b.URL = serve(t, b.Options(), func(app *fiber.App) {
		app.Put("/only-put", func(c *fiber.Ctx) error { return c.SendStatus(http.StatusNoContent) })
		app.Get("/forbidden", func(c *fiber.Ctx) error { return fiber.NewError(http.StatusForbidden, "no") })
		app.Get("/gateway", func(c *fiber.Ctx) error { return fiber.NewError(http.StatusBadGateway, "upstream") })
		app.Get("/wrapped", func(c *fiber.Ctx) error { return fmt.Errorf("load: %w", fiber.ErrNotFound) })
		app.Get("/late", func(c *fiber.Ctx) error {
			_ = c.SendString("partial")
			return errors.New("audit log failed")
		})
		app.Group("/api").Get("/v1/:name", func(c *fiber.Ctx) error { return c.SendString(c.Params("name")) })
	})
	b.Check(t, []webtest.Case{
		{Method: "DELETE", Path: "/only-put", Status: 405, Name: "DELETE unmatched", Size: webtest.NoSize},
		{Method: "GET", Path: "/forbidden", Status: 403, Name: "GET /forbidden", Route: "/forbidden", Size: webtest.NoSize},
		{Method: "GET", Path: "/gateway", Status: 502, Name: "GET /gateway", Route: "/gateway",
			ErrType: "*fiber.Error", Fail: "upstream", Size: webtest.NoSize},
		{Method: "GET", Path: "/wrapped", Status: 404, Name: "GET /wrapped", Route: "/wrapped", Size: webtest.NoSize},
		{Method: "GET", Path: "/late", Status: 500, Name: "GET /late", Route: "/late",
			ErrType: "error", Fail: "audit log failed", Size: webtest.NoSize},
		{Method: "GET", Path: "/api/v1/x", Status: 200, Name: "GET /api/v1/:name", Route: "/api/v1/:name"},
	})
}
