package server

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// securityHeaders sets on every response what a browser needs to treat
// it safely: no content sniffing, no referrer sent off-site, and no
// caching of API answers, which hold trace data.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/v1/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// bodyDeadline gives a request's body d to arrive, so that a client that
// sends headers and then trickles its body, or never sends it, cannot
// hold a connection: past the deadline reads fail and the connection
// closes, whether or not the handler reads the body. Once the body has
// been read to its end the deadline is lifted: it bounds the client, never
// the handler's own work (a read deadline that passes while a handler
// works would cancel the handler's context).
func bodyDeadline(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body != nil && r.Body != http.NoBody {
				rc := http.NewResponseController(w)
				if rc.SetReadDeadline(time.Now().Add(d)) == nil {
					r.Body = &deadlineBody{ReadCloser: r.Body, lift: func() { _ = rc.SetReadDeadline(time.Time{}) }}
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// deadlineBody lifts the read deadline when the body reaches its end.
type deadlineBody struct {
	io.ReadCloser
	lift func()
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && b.lift != nil {
		b.lift()
		b.lift = nil
	}
	return n, err
}
