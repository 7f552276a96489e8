package traciumriver

import (
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Configure returns cfg with the middleware added to its Middleware, as a
// copy so that the caller's Config is not changed; a Config that already
// has a *Middleware (in Middleware, JobInsertMiddleware or
// WorkerMiddleware) and a nil one are returned as they are. It is what an
// Orchestrion build wraps the Config of every river.NewClient call with;
// a program that builds its Config by hand adds NewMiddleware instead.
func Configure(cfg *river.Config) *river.Config {
	if cfg == nil || hasMiddleware(cfg) {
		return cfg
	}
	c := *cfg
	c.Middleware = append(append([]rivertype.Middleware(nil), cfg.Middleware...), NewMiddleware())
	return &c
}

func hasMiddleware(cfg *river.Config) bool {
	for _, m := range cfg.Middleware {
		if _, ok := m.(*Middleware); ok {
			return true
		}
	}
	for _, m := range cfg.JobInsertMiddleware {
		if _, ok := m.(*Middleware); ok {
			return true
		}
	}
	for _, m := range cfg.WorkerMiddleware {
		if _, ok := m.(*Middleware); ok {
			return true
		}
	}
	return false
}
