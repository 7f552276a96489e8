//go:build tools

package all

// The packages whose orchestrion.yml aspects an Orchestrion build applies
// when a program's orchestrion.tool.go imports this package.
import (
	_ "github.com/tracium/tracium/sdk/auto"                // integration
	_ "github.com/tracium/tracium/sdk/contrib/asynq"       // integration
	_ "github.com/tracium/tracium/sdk/contrib/echo"        // integration
	_ "github.com/tracium/tracium/sdk/contrib/echov5"      // integration
	_ "github.com/tracium/tracium/sdk/contrib/eino"        // integration
	_ "github.com/tracium/tracium/sdk/contrib/fiber"       // integration
	_ "github.com/tracium/tracium/sdk/contrib/fiberv3"     // integration
	_ "github.com/tracium/tracium/sdk/contrib/gin"         // integration
	_ "github.com/tracium/tracium/sdk/contrib/grpc"        // integration
	_ "github.com/tracium/tracium/sdk/contrib/langchaingo" // integration
	_ "github.com/tracium/tracium/sdk/contrib/river"       // integration
)
