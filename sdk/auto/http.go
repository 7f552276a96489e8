package auto

import (
	"net/http"
	_ "unsafe" // for go:linkname

	tracium "github.com/tracium/tracium/sdk"
)

// serverTracer traces the requests of servers wrapped by Handler, yielding
// to the request tracer of a framework behind it.
var serverTracer = tracium.HTTPMiddlewareWith(tracium.WithYieldToInner())

// serverHandler is a server's handler wrapped by Handler.
type serverHandler struct {
	next, traced http.Handler
}

// Handler wraps h (http.DefaultServeMux when nil) so that each request is
// an http span, as tracium.HTTPMiddleware makes it, unless the default
// client has WithAutoInstrumentHTTPServers(false). A handler Handler
// returned is returned as it is. An Orchestrion build wraps every
// net/http server's handler with it when the server starts serving.
func Handler(h http.Handler) http.Handler {
	if _, ok := h.(*serverHandler); ok {
		return h
	}
	if h == nil {
		h = http.DefaultServeMux
	}
	return &serverHandler{next: h, traced: serverTracer(h)}
}

func (h *serverHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if tracium.DefaultClient().AutoInstrumentHTTPServers() {
		h.traced.ServeHTTP(w, r)
		return
	}
	h.next.ServeHTTP(w, r)
}

// wrapServerHandler is Handler under the name the code woven into
// net/http's Server.Serve links to (net/http cannot import this package,
// which imports it).
//
//go:linkname wrapServerHandler
func wrapServerHandler(h http.Handler) http.Handler { return Handler(h) }

// tracedMiddleware records LLM calls; Middleware consults the switch first.
var tracedMiddleware = tracium.Middleware()

// Middleware returns the client middleware an Orchestrion build gives
// openai-go and anthropic-sdk-go clients (option.WithMiddleware): it is
// tracium.Middleware while the default client auto-instruments LLM
// clients, and passes calls through untouched otherwise.
func Middleware() func(*http.Request, func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	return middleware
}

func middleware(r *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	if !tracium.DefaultClient().AutoInstrumentLLMClients() {
		return next(r)
	}
	return tracedMiddleware(r, next)
}

// llmTransport is tracium.Transport around base while the default client
// auto-instruments LLM clients, and base otherwise.
type llmTransport struct {
	base, traced http.RoundTripper
}

// Transport wraps base (http.DefaultTransport when nil) so that the LLM
// calls made through it are recorded, as tracium.Transport does, while
// the default client auto-instruments LLM clients. A transport Transport
// returned is returned as it is.
func Transport(base http.RoundTripper) http.RoundTripper {
	if t, ok := base.(*llmTransport); ok {
		return t
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &llmTransport{base: base, traced: tracium.Transport(base)}
}

func (t *llmTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if tracium.DefaultClient().AutoInstrumentLLMClients() {
		return t.traced.RoundTrip(r)
	}
	return t.base.RoundTrip(r)
}

// HTTPClient returns a copy of hc (an empty client when nil) whose
// transport is Transport around hc's: for a client the program handed to
// an LLM library, which the program may share with other code and so is
// never changed in place.
func HTTPClient(hc *http.Client) *http.Client {
	if hc == nil {
		return &http.Client{Transport: Transport(nil)}
	}
	c := *hc
	c.Transport = Transport(hc.Transport)
	return &c
}

// WrapHTTPClient puts Transport around hc's transport in place: for a
// client an LLM library built for itself. A nil hc is left alone.
func WrapHTTPClient(hc *http.Client) {
	if hc != nil {
		hc.Transport = Transport(hc.Transport)
	}
}

// Doer is what go-openai sends its requests with (its HTTPDoer).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// WrapDoer returns d with its LLM calls recorded: a copy from HTTPClient
// for an *http.Client, Middleware around Do for any other Doer; nil stays
// nil.
func WrapDoer(d Doer) Doer {
	switch c := d.(type) {
	case nil, *doer:
		return d
	case *http.Client:
		if c == nil {
			return d
		}
		return HTTPClient(c)
	}
	return &doer{next: d}
}

type doer struct{ next Doer }

func (d *doer) Do(r *http.Request) (*http.Response, error) { return middleware(r, d.next.Do) }
