package traciumgin_test

import (
	"github.com/gin-gonic/gin"

	tracium "github.com/tracium/tracium/sdk"
	traciumgin "github.com/tracium/tracium/sdk/contrib/gin"
)

// The one line: Middleware after gin's Recovery (gin.Default includes it).
func Example() {
	tracium.Trace()
	r := gin.Default()
	r.Use(traciumgin.Middleware())
	r.GET("/users/:id", func(c *gin.Context) {
		// Spans and LLM calls made with c or c.Request.Context() nest
		// under the request's span.
		_, span := tracium.StartSpan(c, tracium.SpanTool, "load user")
		defer span.End()
		c.JSON(200, gin.H{"id": c.Param("id")})
	})
	_ = r.Run(":8080")
}
