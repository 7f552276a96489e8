package tracium

import (
	"bufio"
	"errors"
	"net"
	"net/http"
)

// HTTPMiddleware traces a net/http server: each request gets a span of
// type http named "METHOD route", where route is the ServeMux pattern that
// matched (r.Pattern) or else the URL path. The span continues the trace
// of an incoming traceparent header and otherwise starts a new trace on
// the default client; handlers reach it with SpanFromContext and nest
// their own spans under r.Context(). It records the method, route and
// status code, marks 5xx responses as errors, and records a panic as an
// error before re-panicking.
//
// It is named HTTPMiddleware, not Middleware, because Middleware is kept
// for the LLM-client instrumentation. The handler it returns is safe for
// concurrent use.
func HTTPMiddleware(next http.Handler) http.Handler {
	return httpMiddleware(nil, next)
}

// HTTPMiddleware is the package-level HTTPMiddleware with traces that
// start at this server sent by c instead of the default client.
func (c *Client) HTTPMiddleware(next http.Handler) http.Handler {
	return httpMiddleware(c, next)
}

func httpMiddleware(c *Client, next http.Handler) http.Handler {
	var opts []RequestOption
	if c != nil {
		opts = append(opts, WithRequestClient(c))
	}
	return HTTPMiddlewareWith(opts...)(next)
}

// HTTPMiddlewareWith is HTTPMiddleware configured by opts (skipped paths,
// span names, recorded headers, the client).
func HTTPMiddlewareWith(opts ...RequestOption) func(http.Handler) http.Handler {
	t := NewRequestTracer(opts...)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if t.Skip(r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			ctx, span := t.Start(r.Context(), r.Method, r.URL.Path, r.Header.Get)
			rw := &statusWriter{ResponseWriter: w}
			r = r.WithContext(ctx)
			defer func() {
				// r.Pattern is set by ServeMux while routing, which happens
				// inside next when the middleware wraps a mux.
				res := RequestResult{Method: r.Method, Route: routeOf(r), Path: r.URL.Path, Status: rw.status, ResponseSize: rw.size}
				if p := recover(); p != nil {
					t.EndPanic(span, res, p)
					panic(p)
				}
				t.End(span, res)
			}()
			next.ServeHTTP(rw, r)
		})
	}
}

// routeOf is the ServeMux pattern that matched r without its method, or
// the path when none did.
func routeOf(r *http.Request) string {
	route := r.Pattern
	if route == "" {
		return r.URL.Path
	}
	if _, path, ok := cutMethod(route); ok {
		return path
	}
	return route
}

// cutMethod splits a ServeMux pattern "GET /x/{id}" into its method and
// path so the span name does not repeat the method.
func cutMethod(pattern string) (method, path string, ok bool) {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case ' ', '\t':
			return pattern[:i], pattern[i+1:], true
		case '/':
			return "", pattern, false
		}
	}
	return "", pattern, false
}

// statusWriter remembers the status code and body size a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	size   int64
}

// WriteHeader records the first status, the one the client sees.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records the implicit 200 of a handler that never set a status.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += int64(n)
	return n, err
}

// Flush keeps streaming responses (server-sent events from an LLM proxy)
// working through the wrapper.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack keeps WebSocket upgrades working through the wrapper.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		w.status = http.StatusSwitchingProtocols
		return h.Hijack()
	}
	return nil, nil, errors.New("tracium: the ResponseWriter does not support hijacking")
}

// Unwrap lets http.ResponseController reach the underlying writer's other
// optional methods.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
