package tracium

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A server wrapped where it is served (WithYieldToInner) in front of a
// framework with its own request tracer records one span per request,
// named and finished by the framework's tracer; without the option each
// tracer records its own.
func TestYieldToInnerGivesOneSpanPerRequest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		yield bool
		want  []string
	}{
		{"yielding", true, []string{"GET /users/{id}", "POST /fail", "GET /panic"}},
		{"not yielding", false, []string{"GET /users/{id}", "GET /users/7", "POST /fail", "POST /fail", "GET /panic", "GET /panic"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tb := setup(t)
			mux := http.NewServeMux()
			mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
				_, child := StartSpan(r.Context(), SpanTool, "lookup")
				child.End()
				w.WriteHeader(http.StatusAccepted)
			})
			mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "no", http.StatusBadGateway)
			})
			mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
			// The framework: its own tracer inside, a recovery around it.
			inner := tb.client.HTTPMiddleware(mux)
			recovered := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer func() {
					if recover() != nil {
						w.WriteHeader(http.StatusInternalServerError)
					}
				}()
				inner.ServeHTTP(w, r)
			})
			var opts []RequestOption
			if tt.yield {
				opts = append(opts, WithYieldToInner())
			}
			outer := HTTPMiddlewareWith(append(opts, WithRequestClient(tb.client))...)(recovered)
			for _, req := range []*http.Request{
				httptest.NewRequest(http.MethodGet, "/users/7", nil),
				httptest.NewRequest(http.MethodPost, "/fail", nil),
				httptest.NewRequest(http.MethodGet, "/panic", nil),
			} {
				outer.ServeHTTP(httptest.NewRecorder(), req)
			}
			tb.flush(t)

			var got []string
			var lookupParent, usersID any
			for _, s := range tb.collector.spans() {
				if s["type"] == "http" {
					got = append(got, s["name"].(string))
				}
				switch s["name"] {
				case "lookup":
					lookupParent = s["parent_span_id"]
				case "GET /users/{id}":
					usersID = s["span_id"]
					attrs := s["attributes"].(map[string]any)
					if attrs[AttrHTTPRoute] != "/users/{id}" || attrs[AttrHTTPStatusCode] != 202.0 || s["status"] != "ok" {
						t.Errorf("request span = %v", s)
					}
				case "POST /fail", "GET /panic":
					if s["status"] != "error" {
						t.Errorf("%s span is %v, want error", s["name"], s["status"])
					}
				}
			}
			if !sameNames(got, tt.want) {
				t.Errorf("http spans %v, want %v", got, tt.want)
			}
			if lookupParent != usersID {
				t.Errorf("the handler's span has parent %v, want the request span %v", lookupParent, usersID)
			}
		})
	}
}

// sameNames compares two lists of names as multisets.
func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	n := map[string]int{}
	for _, s := range a {
		n[s]++
	}
	for _, s := range b {
		n[s]--
	}
	for _, c := range n {
		if c != 0 {
			return false
		}
	}
	return true
}
