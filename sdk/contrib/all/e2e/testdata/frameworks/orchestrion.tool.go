//go:build tools

package main

// Tracium's integrations, in place of the tracer import orchestrion pin adds.
import (
	_ "github.com/DataDog/orchestrion" // integration

	_ "github.com/tracium/tracium/sdk/contrib/all" // integration
)
