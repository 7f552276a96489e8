package tracium

import (
	"net/http"
	"sync"
)

// Transport wraps base (http.DefaultTransport when nil) so that every
// request made with a traced context carries the W3C traceparent of the
// span in that context: the service called continues the trace. A request
// that already has a traceparent keeps it.
//
// It also records LLM calls, recognized by path on any host (OpenAI's
// /chat/completions, /completions, /responses and /embeddings,
// Anthropic's /v1/messages, Gemini's models/{model}:generateContent and
// :streamGenerateContent, and the paths of WithLLMPaths): each attempt
// becomes an llm span (embedding for embeddings) under the span its
// context carries, or the root of a new trace on the default client, with
// the provider, models, input (inline images replaced by a reference),
// request parameters, output, token usage and errors. Streaming
// responses are teed, not buffered; their span ends at EOF, on a read
// error, on Close or when the request's context ends, so response bodies
// must be closed, as net/http requires anyway. Other requests pay one
// path check. Safe for concurrent use.
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
	if r.Method == http.MethodPost {
		if ep, ok := llmToRecord(r); ok {
			return recordLLM(r, ep, true, t.base.RoundTrip)
		}
	}
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
