package traciumfiber_test

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	tracium "github.com/tracium/tracium/sdk"
	traciumfiber "github.com/tracium/tracium/sdk/contrib/fiber"
)

// The one line: Middleware after fiber's recover middleware.
func Example() {
	tracium.Trace()
	app := fiber.New()
	app.Use(recover.New())
	app.Use(traciumfiber.Middleware())
	app.Get("/users/:id", func(c *fiber.Ctx) error {
		// Spans and LLM calls made with c.UserContext() nest under the
		// request's span.
		_, span := tracium.StartSpan(c.UserContext(), tracium.SpanTool, "load user")
		defer span.End()
		return c.JSON(fiber.Map{"id": c.Params("id")})
	})
	_ = app.Listen(":8080")
}
