package traciumgin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	tracium "github.com/tracium/tracium/sdk"
	traciumgin "github.com/tracium/tracium/sdk/contrib/gin"
	"github.com/tracium/tracium/sdk/internal/webtest"
)

func init() { gin.SetMode(gin.TestMode) }

// framework runs the shared scenarios on gin: handlers trace with ctx,
// on an engine with ContextWithFallback set to fallback.
type framework struct {
	ctx      func(c *gin.Context) context.Context
	fallback bool
}

var (
	requestContext = framework{ctx: func(c *gin.Context) context.Context { return c.Request.Context() }}
	ginContext     = framework{ctx: func(c *gin.Context) context.Context { return c }}
)

func (f framework) Serve(t *testing.T, routes []webtest.Route, opts ...tracium.RequestOption) string {
	return serve(t, opts, func(e *gin.Engine) {
		e.ContextWithFallback = f.fallback
		for _, r := range routes {
			e.Handle(r.Method, r.Path, f.handler(r.Handler))
		}
	})
}

func (framework) CatchAll(prefix string) string { return prefix + "*name" }

// handler runs h as a gin handler. gin handlers return no error: one is
// attached with c.Error, or with nothing written answered as a 500.
func (f framework) handler(h webtest.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := h(webtest.Request{Context: f.ctx(c), Param: c.Param})
		switch {
		case r.Err != nil && r.Status == 0:
			_ = c.AbortWithError(http.StatusInternalServerError, r.Err)
			return
		case r.Err != nil:
			_ = c.Error(r.Err)
		}
		c.String(r.Status, r.Body)
	}
}

// serve starts a gin engine traced by Middleware(opts...) after
// gin.Recovery, with the routes register adds, over a local listener.
func serve(t *testing.T, opts []tracium.RequestOption, register func(*gin.Engine)) string {
	t.Helper()
	e := gin.New()
	e.Use(gin.RecoveryWithWriter(io.Discard))
	e.Use(traciumgin.Middleware(opts...))
	register(e)
	return webtest.ServeHTTP(t, e)
}

// The shared scenarios trace with *gin.Context itself, a context.Context
// whose Value reads c.Keys (ContextWithFallback is off by default).
func TestSharedScenarios(t *testing.T) {
	t.Parallel()
	webtest.Run(t, ginContext)
}

// The span is found through c.Request.Context() too, and through
// *gin.Context with ContextWithFallback on, when its Value reads
// c.Request.Context() as well.
func TestEveryContextCarriesTheSpan(t *testing.T) {
	t.Parallel()
	for name, fw := range map[string]framework{
		"request context":           requestContext,
		"gin context with fallback": {ctx: ginContext.ctx, fallback: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			webtest.Nest(t, fw)
		})
	}
}

func TestRecordsContextErrors(t *testing.T) {
	t.Parallel()
	b := webtest.Setup(t)
	b.URL = serve(t, b.Options(), func(e *gin.Engine) {
		e.GET("/one", func(c *gin.Context) {
			_ = c.AbortWithError(http.StatusTooManyRequests, &webtest.QuotaError{Tenant: "acme"})
		})
		e.GET("/two", func(c *gin.Context) {
			_ = c.Error(errors.New("cache miss"))
			_ = c.Error(errors.New("fallback failed"))
			c.String(http.StatusOK, "partial")
		})
	})
	b.Check(t, []webtest.Case{
		// The error marks the span failed, whatever the status.
		{Method: "GET", Path: "/one", Status: 429, Name: "GET /one", Route: "/one",
			ErrType: "*webtest.QuotaError", Fail: "quota exceeded for acme", Size: webtest.SizeIfKnown},
		{Method: "GET", Path: "/two", Status: 200, Name: "GET /two", Route: "/two",
			ErrType: "error", Fail: "cache miss\nfallback failed"},
	})
}
