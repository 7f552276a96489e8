// Package webtest is the one statement of what a web framework
// integration under sdk/contrib must do. Run holds the scenarios every
// framework passes (spans and LLM calls nest under the request's span, an
// incoming traceparent is continued, route templates and statuses,
// returned errors, panics, concurrent requests, skipped paths and
// recorded headers), written once against Framework, the small interface
// each integration's test implements. Bundle and Case serve the cases
// only one framework has, which stay in that integration's own test.
//
// Every server here is real: it listens on a local port and is driven
// over HTTP, and its spans travel through a tracium.Client to a
// spantest.Collector.
package webtest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// Framework is one web framework with its Tracium middleware, as its
// integration's test drives it.
type Framework interface {
	// Serve starts a server on a local port that answers routes, traced
	// by the integration's middleware built with opts and registered
	// after the framework's own panic recovery, and returns its base URL
	// ("http://127.0.0.1:port"). The test's cleanup stops it.
	Serve(t *testing.T, routes []Route, opts ...tracium.RequestOption) string
	// CatchAll is the template, in the framework's syntax, of a route
	// matching every path below prefix: "/files/*" or "/files/*name".
	CatchAll(prefix string) string
}

// Route is one route a scenario registers.
type Route struct {
	Method string
	// Path is the route template: ":name" parameters, which every
	// framework here spells alike, or a Framework.CatchAll.
	Path    string
	Handler Handler
}

// Handler is a route's body, written once for every framework; the
// Framework runs it inside the framework's own handler. It may panic.
type Handler func(Request) Reply

// Request is what a Handler gets from the framework's handler.
type Request struct {
	// Context is the context the framework hands handlers to trace with
	// (the request's, fiber's user context, or the framework's own).
	Context context.Context
	// Param returns a route parameter's value, safe to keep after the
	// handler returns.
	Param func(name string) string
}

// Reply is what a Handler answers.
type Reply struct {
	// Status and Body are written first, unless Status is 0.
	Status int
	Body   string
	// Err, when set, is then handed to the framework the way its
	// handlers report errors: returned (echo, fiber), or attached with
	// c.Error (gin; with nothing written, c.AbortWithError(500, Err)).
	Err error
}

// Fails is a Handler that writes nothing and reports err.
func Fails(err error) Handler {
	return func(Request) Reply { return Reply{Err: err} }
}

// Answer is the error a handler that returns errors (echo's, fiber's)
// returns for r: it writes r with write unless r.Status is 0, then
// returns write's error or r.Err.
func (r Reply) Answer(write func(status int, body string) error) error {
	if r.Status != 0 {
		if err := write(r.Status, r.Body); err != nil {
			return err
		}
	}
	return r.Err
}

// QuotaError is a typed error handlers return, so that a span's error
// type can be told from a plain error's.
type QuotaError struct{ Tenant string }

// Error says whose quota ran out.
func (e *QuotaError) Error() string { return "quota exceeded for " + e.Tenant }

// Bundle is one test's tracing world: a collector, a client sending to
// it, a fake OpenAI server for handlers to call, and the URL of the
// server under test.
type Bundle struct {
	Collector *spantest.Collector
	Client    *tracium.Client
	LLM       *fakellm.Server
	// URL is the base URL of the server under test, set by Start or by
	// the caller once its own server listens.
	URL string
}

// Setup returns a Bundle whose server is yet to start: a test that builds
// its own server passes b.Options() to the middleware and sets b.URL.
func Setup(t *testing.T) *Bundle {
	t.Helper()
	b := &Bundle{Collector: spantest.NewCollector(t), LLM: fakellm.New(t, fakellm.Options{})}
	b.Client = b.Collector.NewClient(t)
	return b
}

// Start returns a Bundle whose server fw serves routes with opts.
func Start(t *testing.T, fw Framework, routes []Route, opts ...tracium.RequestOption) *Bundle {
	t.Helper()
	b := Setup(t)
	b.URL = fw.Serve(t, routes, b.Options(opts...)...)
	return b
}

// ServeHTTP serves h on a local port until the test ends and returns its
// base URL.
func ServeHTTP(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Listen serves on a new local port with serve, a server's method that
// serves a net.Listener until stopped (fiber's app.Listener), and returns
// the base URL once ready is closed. The test's cleanup calls stop and
// waits for serve to return.
func Listen(t *testing.T, serve func(net.Listener) error, ready <-chan struct{}, stop func() error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serve(ln) }()
	select {
	case <-ready:
	case err := <-served:
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// Options is opts after tracium.WithRequestClient(b.Client), so that the
// middleware's spans reach b's collector.
func (b *Bundle) Options(opts ...tracium.RequestOption) []tracium.RequestOption {
	return append([]tracium.RequestOption{tracium.WithRequestClient(b.Client)}, opts...)
}

// Send makes one request to the server and returns the status and body.
func (b *Bundle) Send(t *testing.T, method, path string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, b.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, string(body)
}

// Spans flushes the client and returns every span the collector has.
func (b *Bundle) Spans(t *testing.T) []tracium.SpanData {
	t.Helper()
	spantest.Flush(t, b.Client)
	return b.Collector.Spans()
}

// Request returns the one http span recorded for path, failing the test
// unless there is exactly one.
func (b *Bundle) Request(t *testing.T, path string) tracium.SpanData {
	t.Helper()
	var found []tracium.SpanData
	for _, s := range b.Spans(t) {
		if s.Type == tracium.SpanHTTP && s.Attributes[tracium.AttrURLPath] == path {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d http spans for %s, want 1: %+v", len(found), path, found)
	}
	return found[0]
}
