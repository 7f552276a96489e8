package traciumeino_test

import (
	tracium "github.com/tracium/tracium/sdk"
	traciumeino "github.com/tracium/tracium/sdk/contrib/eino"
)

// The one line a program adds, in main after tracium.Init: every Eino
// graph, chain, workflow and ReAct agent compiled afterwards is traced.
func Example() {
	tracium.Init()
	traciumeino.Register()
}
