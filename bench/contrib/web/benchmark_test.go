package webbench

import (
	"io"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	otelfiber "github.com/gofiber/contrib/otelfiber/v2"
	fiber2 "github.com/gofiber/fiber/v2"
	fiber3 "github.com/gofiber/fiber/v3"
	echo4 "github.com/labstack/echo/v4"
	echo5 "github.com/labstack/echo/v5"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	tracium "github.com/tracium/tracium/sdk"
	traciumecho "github.com/tracium/tracium/sdk/contrib/echo"
	traciumecho5 "github.com/tracium/tracium/sdk/contrib/echov5"
	traciumfiber "github.com/tracium/tracium/sdk/contrib/fiber"
	traciumfiber3 "github.com/tracium/tracium/sdk/contrib/fiberv3"
	traciumgin "github.com/tracium/tracium/sdk/contrib/gin"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// Each benchmark serves the same route with the same handler: bare, with
// Tracium's middleware, and with OpenTelemetry's instrumentation for the
// framework where the module proxy serves one. The added cost of a
// middleware is its ns/op and allocs/op less the bare framework's.

func BenchmarkGin(b *testing.B) {
	serve := func(b *testing.B, drain func(), mw ...gin.HandlerFunc) {
		r := gin.New()
		r.Use(mw...)
		r.GET(route, func(c *gin.Context) { c.String(http.StatusOK, "user "+c.Param("id")) })
		serveHTTP(b, r, drain)
	}
	b.Run("bare", func(b *testing.B) { serve(b, nil) })
	b.Run("tracium", func(b *testing.B) {
		c, drain := traciumClient(b)
		serve(b, drain, traciumgin.Middleware(tracium.WithRequestClient(c)))
	})
	// What an Orchestrion build makes of the bare program: the server's
	// handler wrapped where it is served, yielding its span to gin's
	// middleware (one span per request).
	b.Run("tracium-zero-code", func(b *testing.B) {
		c, drain := traciumClient(b)
		r := gin.New()
		r.Use(traciumgin.Middleware(tracium.WithYieldToInner(), tracium.WithRequestClient(c)))
		r.GET(route, func(c *gin.Context) { c.String(http.StatusOK, "user "+c.Param("id")) })
		serveHTTP(b, tracium.HTTPMiddlewareWith(tracium.WithYieldToInner(), tracium.WithRequestClient(c))(r), drain)
	})
	b.Run("otelgin", func(b *testing.B) {
		tp, drain := otelProvider(b)
		serve(b, drain, otelgin.Middleware("bench", otelgin.WithTracerProvider(tp), otelgin.WithPropagators(propagator)))
	})
}

func BenchmarkEcho(b *testing.B) {
	serve := func(b *testing.B, drain func(), mw ...echo4.MiddlewareFunc) {
		e := echo4.New()
		e.Logger.SetOutput(io.Discard)
		e.Use(mw...)
		e.GET(route, func(c echo4.Context) error { return c.String(http.StatusOK, "user "+c.Param("id")) })
		serveHTTP(b, e, drain)
	}
	b.Run("bare", func(b *testing.B) { serve(b, nil) })
	b.Run("tracium", func(b *testing.B) {
		c, drain := traciumClient(b)
		serve(b, drain, traciumecho.Middleware(tracium.WithRequestClient(c)))
	})
	b.Run("otelecho", func(b *testing.B) {
		tp, drain := otelProvider(b)
		serve(b, drain, otelecho.Middleware("bench", otelecho.WithTracerProvider(tp), otelecho.WithPropagators(propagator)))
	})
}

// No OpenTelemetry instrumentation for echo v5 is served; otelhttp around
// the echo handler is the nearest peer (a server span per request, named
// without the route).
func BenchmarkEchoV5(b *testing.B) {
	app := func(mw ...echo5.MiddlewareFunc) *echo5.Echo {
		e := echo5.New()
		e.Use(mw...)
		e.GET(route, func(c *echo5.Context) error { return c.String(http.StatusOK, "user "+c.Param("id")) })
		return e
	}
	b.Run("bare", func(b *testing.B) { serveHTTP(b, app(), nil) })
	b.Run("tracium", func(b *testing.B) {
		c, drain := traciumClient(b)
		serveHTTP(b, app(traciumecho5.Middleware(tracium.WithRequestClient(c))), drain)
	})
	b.Run("otelhttp", func(b *testing.B) {
		tp, drain := otelProvider(b)
		serveHTTP(b, otelhttp.NewHandler(app(), "server", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(propagator)), drain)
	})
}

func BenchmarkFiber(b *testing.B) {
	serve := func(b *testing.B, drain func(), mw ...any) {
		app := fiber2.New()
		if len(mw) > 0 {
			app.Use(mw...)
		}
		app.Get(route, func(c *fiber2.Ctx) error { return c.SendString("user " + c.Params("id")) })
		serveFast(b, app.Handler(), drain)
	}
	b.Run("bare", func(b *testing.B) { serve(b, nil) })
	b.Run("tracium", func(b *testing.B) {
		c, drain := traciumClient(b)
		serve(b, drain, traciumfiber.Middleware(tracium.WithRequestClient(c)))
	})
	b.Run("otelfiber", func(b *testing.B) {
		tp, drain := otelProvider(b)
		serve(b, drain, otelfiber.Middleware(otelfiber.WithTracerProvider(tp), otelfiber.WithPropagators(propagator)))
	})
}

// No OpenTelemetry instrumentation for fiber v3 is served.
func BenchmarkFiberV3(b *testing.B) {
	serve := func(b *testing.B, drain func(), mw ...any) {
		app := fiber3.New()
		if len(mw) > 0 {
			app.Use(mw...)
		}
		app.Get(route, func(c fiber3.Ctx) error { return c.SendString("user " + c.Params("id")) })
		serveFast(b, app.Handler(), drain)
	}
	b.Run("bare", func(b *testing.B) { serve(b, nil) })
	b.Run("tracium", func(b *testing.B) {
		c, drain := traciumClient(b)
		serve(b, drain, traciumfiber3.Middleware(tracium.WithRequestClient(c)))
	})
}
