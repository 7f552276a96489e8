package auto

import (
	"context"
	"sync"
	"time"

	tracium "github.com/tracium/tracium/sdk"
)

// ShutdownTimeout bounds how long the flush at the end of main, or on a
// terminating signal, may take.
const ShutdownTimeout = 5 * time.Second

var (
	startOnce sync.Once
	// started is the client Start made; a program may replace it as the
	// default with a tracium.Init of its own.
	started *tracium.Client
)

// Start sets Tracium up from the environment, as tracium.Trace does, but
// leaves http.DefaultTransport alone (LLM clients are instrumented where
// they are built), and starts flushing on SIGTERM and SIGINT. An
// Orchestrion build calls it in an init function of package main; later
// calls do nothing.
func Start() {
	startOnce.Do(func() {
		started = tracium.Init(tracium.WithDefaultTransport(false))
		watchSignals()
	})
}

// Shutdown flushes and stops the default client, and the one Start made
// if the program replaced it, within ShutdownTimeout. An Orchestrion build
// defers it at the top of main.
func Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	shutdownClients(ctx)
}

func shutdownClients(ctx context.Context) {
	c := tracium.DefaultClient()
	_ = c.Shutdown(ctx)
	if started != nil && started != c {
		_ = started.Shutdown(ctx)
	}
}

// flushClients sends what the default client and Start's have queued,
// within ShutdownTimeout, and keeps them running.
func flushClients() {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	c := tracium.DefaultClient()
	_ = c.Flush(ctx)
	if started != nil && started != c {
		_ = started.Flush(ctx)
	}
}
