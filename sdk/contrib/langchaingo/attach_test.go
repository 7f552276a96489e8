package traciumlangchaingo

import (
	"testing"

	"github.com/tmc/langchaingo/callbacks"
)

func TestAttach(t *testing.T) {
	t.Parallel()
	var field callbacks.Handler
	Attach(&field)
	if _, ok := field.(handler); !ok {
		t.Fatalf("Attach set %T, want the Tracium handler", field)
	}
	own := callbacks.LogHandler{}
	field = own
	Attach(&field)
	if field != callbacks.Handler(own) {
		t.Errorf("Attach replaced the program's handler")
	}
	Attach(nil)
}
