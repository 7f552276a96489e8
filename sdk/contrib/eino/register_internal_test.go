package traciumeino

import (
	"testing"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/compose"
)

// TestRegisterOnce calls Register twice and counts Eino's global
// registrations: one handler, one compile callback. Not parallel: it
// replaces the registration functions.
func TestRegisterOnce(t *testing.T) {
	var handlers []callbacks.Handler
	var compiles [][]compose.GraphCompileCallback
	appendGlobalHandlers = func(hs ...callbacks.Handler) { handlers = append(handlers, hs...) }
	setCompileCallbacks = func(cbs []compose.GraphCompileCallback) { compiles = append(compiles, cbs) }
	t.Cleanup(func() {
		appendGlobalHandlers, setCompileCallbacks = callbacks.AppendGlobalHandlers, compose.InitGraphCompileCallbacks
	})
	Register()
	Register()
	if len(handlers) != 1 || handlers[0] != Handler() {
		t.Errorf("Register twice appended %d global handlers (%v), want Handler() once", len(handlers), handlers)
	}
	if len(compiles) != 1 || len(compiles[0]) != 1 || compiles[0][0] != CompileCallback() {
		t.Errorf("Register twice set the compile callbacks %v, want [CompileCallback()] once", compiles)
	}
}
