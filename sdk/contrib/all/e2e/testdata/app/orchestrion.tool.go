// This file was created by `orchestrion pin`, and is used to ensure the
// `go.mod` file contains the necessary entries to ensure repeatable builds when
// using `orchestrion`. It is also used to set up which integrations are enabled.

//go:build tools

package main

// Tracium's integrations, in place of the tracer import pin adds.
import (
	_ "github.com/DataDog/orchestrion" // integration

	_ "github.com/tracium/tracium/sdk/contrib/all" // integration
)
