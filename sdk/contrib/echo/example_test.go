package traciumecho_test

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	tracium "github.com/tracium/tracium/sdk"
	traciumecho "github.com/tracium/tracium/sdk/contrib/echo"
)

// The one line: Middleware after echo's Recover.
func Example() {
	tracium.Trace()
	e := echo.New()
	e.Use(middleware.Recover())
	e.Use(traciumecho.Middleware())
	e.GET("/users/:id", func(c echo.Context) error {
		// Spans and LLM calls made with the request's context nest under
		// the request's span.
		_, span := tracium.StartSpan(c.Request().Context(), tracium.SpanTool, "load user")
		defer span.End()
		return c.JSON(http.StatusOK, map[string]string{"id": c.Param("id")})
	})
	_ = e.Start(":8080")
}
