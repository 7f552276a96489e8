package traciumriver

import (
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

func TestConfigure(t *testing.T) {
	t.Parallel()
	if Configure(nil) != nil {
		t.Errorf("Configure(nil) is not nil")
	}
	other := &river.MiddlewareDefaults{}
	cfg := &river.Config{Middleware: []rivertype.Middleware{other}, MaxAttempts: 3}
	got := Configure(cfg)
	if got == cfg || len(cfg.Middleware) != 1 {
		t.Fatalf("Configure changed the caller's Config")
	}
	if got.MaxAttempts != 3 || len(got.Middleware) != 2 || got.Middleware[0] != other {
		t.Fatalf("Configure lost the Config's settings: %+v", got)
	}
	if _, ok := got.Middleware[1].(*Middleware); !ok {
		t.Errorf("Configure added %T, want *Middleware", got.Middleware[1])
	}
	if Configure(got) != got {
		t.Errorf("a Config with the middleware was configured again")
	}
	for _, c := range []*river.Config{
		{JobInsertMiddleware: []rivertype.JobInsertMiddleware{NewMiddleware()}},
		{WorkerMiddleware: []rivertype.WorkerMiddleware{NewMiddleware()}},
	} {
		if Configure(c) != c {
			t.Errorf("a Config with the middleware in its insert or worker list was configured again")
		}
	}
}
