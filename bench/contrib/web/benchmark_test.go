package webbench

import (
	"io"
	"net/http"
	"testing"

	otelfiber "github.com/gofiber/contrib/otelfiber/v2"
	fiber2 "github.com/gofiber/fiber/v2"
	fiber3 "github.com/gofiber/fiber/v3"
	"github.com/gin-gonic/gin"
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
	serve := func(b *testing.B, mw ...gin.HandlerFunc) {
		r := gin.New()
		r.Use(mw...)
		r.GET(route, func(c *gin.Context) { c.String(http.StatusOK, "user "+c.Param("id")) })
		serveHTTP(b, r)
	}
	b.Run("bare", func(b *testing.B) { serve(b) })
	b.Run("tracium", func(b *testing.B) {
		serve(b, traciumgin.Middleware(tracium.WithRequestClient(traciumClient(b))))
	})
	b.Run("otelgin", func(b *testing.B) {
		serve(b, otelgin.Middleware("bench", otelgin.WithTracerProvider(otelProvider(b)), otelgin.WithPropagators(propagator)))
	})
}

func BenchmarkEcho(b *testing.B) {
	serve := func(b *testing.B, mw ...echo4.MiddlewareFunc) {
		e := echo4.New()
		e.Logger.SetOutput(io.Discard)
		e.Use(mw...)
		e.GET(route, func(c echo4.Context) error { return c.String(http.StatusOK, "user "+c.Param("id")) })
		serveHTTP(b, e)
	}
	b.Run("bare", func(b *testing.B) { serve(b) })
	b.Run("tracium", func(b *testing.B) {
		serve(b, traciumecho.Middleware(tracium.WithRequestClient(traciumClient(b))))
	})
	b.Run("otelecho", func(b *testing.B) {
		serve(b, otelecho.Middleware("bench", otelecho.WithTracerProvider(otelProvider(b)), otelecho.WithPropagators(propagator)))
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
	b.Run("bare", func(b *testing.B) { serveHTTP(b, app()) })
	b.Run("tracium", func(b *testing.B) {
		serveHTTP(b, app(traciumecho5.Middleware(tracium.WithRequestClient(traciumClient(b)))))
	})
	b.Run("otelhttp", func(b *testing.B) {
		serveHTTP(b, otelhttp.NewHandler(app(), "server", otelhttp.WithTracerProvider(otelProvider(b)), otelhttp.WithPropagators(propagator)))
	})
}

func BenchmarkFiber(b *testing.B) {
	serve := func(b *testing.B, mw ...any) {
		app := fiber2.New()
		if len(mw) > 0 {
			app.Use(mw...)
		}
		app.Get(route, func(c *fiber2.Ctx) error { return c.SendString("user " + c.Params("id")) })
		serveFast(b, app.Handler())
	}
	b.Run("bare", func(b *testing.B) { serve(b) })
	b.Run("tracium", func(b *testing.B) {
		serve(b, traciumfiber.Middleware(tracium.WithRequestClient(traciumClient(b))))
	})
	b.Run("otelfiber", func(b *testing.B) {
		serve(b, otelfiber.Middleware(otelfiber.WithTracerProvider(otelProvider(b)), otelfiber.WithPropagators(propagator)))
	})
}

// No OpenTelemetry instrumentation for fiber v3 is served.
func BenchmarkFiberV3(b *testing.B) {
	serve := func(b *testing.B, mw ...any) {
		app := fiber3.New()
		if len(mw) > 0 {
			app.Use(mw...)
		}
		app.Get(route, func(c fiber3.Ctx) error { return c.SendString("user " + c.Params("id")) })
		serveFast(b, app.Handler())
	}
	b.Run("bare", func(b *testing.B) { serve(b) })
	b.Run("tracium", func(b *testing.B) {
		serve(b, traciumfiber3.Middleware(tracium.WithRequestClient(traciumClient(b))))
	})
}
