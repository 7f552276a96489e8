package traciumfiber_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	fiberrecover "github.com/gofiber/fiber/v3/middleware/recover"

	tracium "github.com/tracium/tracium/sdk"
	traciumfiber "github.com/tracium/tracium/sdk/contrib/fiberv3"
	"github.com/tracium/tracium/sdk/internal/webtest"
)

// framework runs the shared scenarios on fiber v3; handlers trace with
// ctx.
type framework struct {
	ctx func(c fiber.Ctx) context.Context
}

var (
	contextOfCtx = framework{ctx: func(c fiber.Ctx) context.Context { return c.Context() }}
	ctxItself    = framework{ctx: func(c fiber.Ctx) context.Context { return c }}
)

func (f framework) Serve(t *testing.T, routes []webtest.Route, opts ...tracium.RequestOption) string {
	return serve(t, opts, func(app *fiber.App) {
		for _, r := range routes {
			app.Add([]string{r.Method}, r.Path, f.handler(r.Handler))
		}
	})
}

func (framework) CatchAll(prefix string) string { return prefix + "*" }

func (f framework) handler(h webtest.Handler) fiber.Handler {
	return func(c fiber.Ctx) error {
		// fasthttp reuses the parameter's bytes for the next request.
		param := func(name string) string { return strings.Clone(c.Params(name)) }
		send := func(status int, body string) error { return c.Status(status).SendString(body) }
		return h(webtest.Request{Context: f.ctx(c), Param: param}).Answer(send)
	}
}

// serve starts a fiber app traced by Middleware(opts...) after the
// recover middleware, with the routes register adds, on a local port.
func serve(t *testing.T, opts []tracium.RequestOption, register func(*fiber.App)) string {
	t.Helper()
	app := fiber.New()
	listening := make(chan struct{})
	app.Hooks().OnListen(func(fiber.ListenData) error { close(listening); return nil })
	app.Use(fiberrecover.New())
	app.Use(traciumfiber.Middleware(opts...))
	register(app)
	listen := func(ln net.Listener) error { return app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }
	stop := func() error { return app.ShutdownWithTimeout(5 * time.Second) }
	return webtest.Listen(t, listen, listening, stop)
}

func TestSharedScenarios(t *testing.T) {
	t.Parallel()
	webtest.Run(t, contextOfCtx)
}

// fiber v3's Ctx is a context.Context of its own, whose Value reads
// fasthttp's user values rather than c.Context(): it carries the same
// span, and spans and LLM calls made with it nest alike.
func TestCtxItselfCarriesTheSpan(t *testing.T) {
	t.Parallel()
	t.Run("nest", func(t *testing.T) {
		t.Parallel()
		webtest.Nest(t, ctxItself)
	})
	t.Run("same span", func(t *testing.T) {
		t.Parallel()
		b := webtest.Setup(t)
		b.URL = serve(t, b.Options(), func(app *fiber.App) {
			app.Get("/users/:id", func(c fiber.Ctx) error {
				s := tracium.SpanFromContext(c)
				return c.SendString(fmt.Sprint(s != nil && s == tracium.SpanFromContext(c.Context())))
			})
		})
		if _, body := b.Send(t, http.MethodGet, "/users/42", nil); body != "true" {
			t.Errorf("the Ctx and its Context carry different spans")
		}
	})
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
		app.Put("/only-put", func(c fiber.Ctx) error { return c.SendStatus(http.StatusNoContent) })
		app.Get("/forbidden", func(c fiber.Ctx) error { return fiber.NewError(http.StatusForbidden, "no") })
		app.Get("/gateway", func(c fiber.Ctx) error { return fiber.NewError(http.StatusBadGateway, "upstream") })
		app.Get("/wrapped", func(c fiber.Ctx) error { return fmt.Errorf("load: %w", fiber.ErrNotFound) })
		app.Get("/late", func(c fiber.Ctx) error {
			_ = c.SendString("partial")
			return errors.New("audit log failed")
		})
		app.Group("/api").Get("/v1/:name", func(c fiber.Ctx) error { return c.SendString(c.Params("name")) })
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
