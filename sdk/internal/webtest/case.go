package webtest

import (
	"testing"

	tracium "github.com/tracium/tracium/sdk"
)

// Case is one request and what the client and its span must see.
type Case struct {
	Method, Path string
	// Status is the answer the client gets, and the span records.
	Status int
	// Name is the span's name.
	Name string
	// Route is the span's http.route; "" when it must have none (no
	// route matched).
	Route string
	// ErrType and Fail are the span's error type and message; with Fail
	// "" the span is ok.
	ErrType, Fail string
	Size          SizeRule
}

// SizeRule says what a span records as the response size.
type SizeRule int

const (
	// SizeOfBody: the body's length, which the middleware saw written.
	SizeOfBody SizeRule = iota
	// NoSize: nothing, because the framework writes the body (its error
	// handler's, its 404) after the middleware has returned.
	NoSize
	// SizeIfKnown: the body's length or nothing, as frameworks differ.
	SizeIfKnown
)

// Check sends each case's request to b's server and checks the answer and
// the span against it.
func (b *Bundle) Check(t *testing.T, cases []Case) {
	t.Helper()
	for _, tc := range cases {
		status, body := b.Send(t, tc.Method, tc.Path, nil)
		if status != tc.Status {
			t.Fatalf("%s %s answered %d, want %d", tc.Method, tc.Path, status, tc.Status)
		}
		s := b.Request(t, tc.Path)
		a := s.Attributes
		if s.Name != tc.Name || a[tracium.AttrHTTPMethod] != tc.Method || a[tracium.AttrHTTPStatusCode] != float64(tc.Status) {
			t.Errorf("%s %s: span %q attributes %v, want %q with status %d", tc.Method, tc.Path, s.Name, a, tc.Name, tc.Status)
		}
		size, sized := a[tracium.AttrHTTPResponseSize]
		switch {
		case tc.Size == SizeOfBody && size != float64(len(body)),
			tc.Size == NoSize && sized,
			tc.Size == SizeIfKnown && sized && size != float64(len(body)):
			t.Errorf("%s %s: response size %v, body %q", tc.Method, tc.Path, size, body)
		}
		if route, ok := a[tracium.AttrHTTPRoute]; tc.Route != "" && route != tc.Route || tc.Route == "" && ok {
			t.Errorf("%s %s: http.route %v, want %q", tc.Method, tc.Path, route, tc.Route)
		}
		if tc.Fail == "" && s.Status != "ok" ||
			tc.Fail != "" && (s.Status != "error" || s.ErrorType != tc.ErrType || s.ErrorMessage != tc.Fail) {
			t.Errorf("%s %s: status %q error %s %q, want %s %q", tc.Method, tc.Path, s.Status, s.ErrorType, s.ErrorMessage, tc.ErrType, tc.Fail)
		}
	}
}
