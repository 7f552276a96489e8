package tracium

import (
	"net/http"
	"sync"
)

// Transport wraps base (http.DefaultTransport when nil) so that every
// request made with a traced context carries the W3C traceparent of the
// span in that context: the service called continues the trace. A request
// that already has a traceparent keeps it. Safe for concurrent use.
//
// Init and Trace install it around http.DefaultTransport, unless LLM
// client auto-instrumentation is turned off; use Transport or HTTPClient
// for clients built with their own transport.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if t, ok := base.(*transport); ok {
		return t // wrapping twice would do the work twice
	}
	return &transport{base: base}
}

// HTTPClient returns an http.Client whose requests carry the trace of
// their context; see Transport.
func HTTPClient() *http.Client { return &http.Client{Transport: Transport(nil)} }

type transport struct {
	base http.RoundTripper
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if spanFromContext(r.Context()) != nil && r.Header.Get(TraceparentHeader) == "" {
		// A RoundTripper must not change the caller's request.
		r = r.Clone(r.Context())
		Inject(r.Context(), r.Header)
	}
	return t.base.RoundTrip(r)
}

var installTransport sync.Once

// installDefaultTransport wraps http.DefaultTransport once per process.
// Call it before the program's HTTP clients run, as Init is meant to be
// called at the start of main: the swap is a plain write of a global.
func installDefaultTransport() {
	installTransport.Do(func() {
		http.DefaultTransport = Transport(http.DefaultTransport)
	})
}
