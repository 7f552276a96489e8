package webtest

import (
	"fmt"
	"net/http"
	"testing"

	tracium "github.com/tracium/tracium/sdk"
)

func skipsAndHeaders(t *testing.T, fw Framework) {
	traced := func(r Request) Reply {
		return Reply{Status: http.StatusOK, Body: fmt.Sprint(tracium.SpanFromContext(r.Context) != nil)}
	}
	// Header names are given in any case; credentials are never recorded,
	// however they are spelled.
	b := Start(t, fw, []Route{{http.MethodGet, "/healthz", traced}, {http.MethodGet, "/tenants/:id", traced}},
		tracium.WithSkipPaths("/healthz"), tracium.WithRequestHeaders("X-Tenant", "x-request-id", "Authorization", "COOKIE"),
		tracium.WithSpanName(func(method, route string) string { return "api " + method + " " + route }))
	h := http.Header{"X-Tenant": {"acme"}, "X-Request-Id": {"r-9"}, "Authorization": {"Bearer secret"}, "Cookie": {"session=secret"}}
	if _, body := b.Send(t, http.MethodGet, "/healthz", h); body != "false" {
		t.Errorf("a skipped path's handler saw a span")
	}
	if _, body := b.Send(t, http.MethodGet, "/tenants/9", h); body != "true" {
		t.Errorf("a traced path's handler saw no span")
	}
	// A framework that reuses its buffers for the next request (fasthttp)
	// must not rewrite what the first span recorded, which is encoded
	// only when the client next exports: the same headers, values of the
	// same lengths, sent at once on the same connection.
	h = http.Header{"X-Tenant": {"zzzz"}, "X-Request-Id": {"r-0"}, "Authorization": {"Bearer 000000"}, "Cookie": {"session=000000"}}
	b.Send(t, http.MethodGet, "/tenants/0", h)
	if spans := b.Spans(t); len(spans) != 2 {
		t.Fatalf("%d spans, want only /tenants/9's and /tenants/0's: %+v", len(spans), spans)
	}
	s := b.Request(t, "/tenants/9")
	a := s.Attributes
	if s.Name != "api GET /tenants/:id" || a[tracium.AttrHTTPRequestHeaderPrefix+"x-tenant"] != "acme" ||
		a[tracium.AttrHTTPRequestHeaderPrefix+"x-request-id"] != "r-9" {
		t.Errorf("span %q attributes %v", s.Name, a)
	}
	for _, secret := range []string{"authorization", "cookie"} {
		if _, ok := a[tracium.AttrHTTPRequestHeaderPrefix+secret]; ok {
			t.Errorf("the %s header was recorded", secret)
		}
	}
	if a := b.Request(t, "/tenants/0").Attributes; a[tracium.AttrHTTPRequestHeaderPrefix+"x-tenant"] != "zzzz" ||
		a[tracium.AttrHTTPRequestHeaderPrefix+"x-request-id"] != "r-0" {
		t.Errorf("the second request's attributes %v", a)
	}
}
