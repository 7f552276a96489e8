package tracium

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serveTraced runs one request through HTTPMiddleware inside an agent
// trace of tb's client, so the server span goes to tb's collector.
func serveTraced(t *testing.T, tb *testBundle, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	ctx, at := tb.client.AgentTrace(t.Context(), "server")
	req := httptest.NewRequestWithContext(context.Background(), method, target, nil)
	Inject(ctx, req.Header)
	at.End()
	rec := httptest.NewRecorder()
	tb.client.HTTPMiddleware(h).ServeHTTP(rec, req)
	return rec
}

func TestHTTPMiddlewareRecordsRequest(t *testing.T) {
	t.Parallel()
	tb := setup(t)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		http.NewResponseController(w).Flush()
		if _, ok := w.(http.Flusher); !ok {
			t.Errorf("the wrapped writer lost http.Flusher")
		}
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadGateway)
	})
	rec := serveTraced(t, tb, mux, http.MethodGet, "/users/42")
	if rec.Code != http.StatusCreated || !rec.Flushed {
		t.Errorf("response %d flushed %t", rec.Code, rec.Flushed)
	}
	serveTraced(t, tb, mux, http.MethodPost, "/fail")
	serveTraced(t, tb, http.NotFoundHandler(), http.MethodGet, "/raw/path")
	tb.flush(t)

	spans := byName(tb.collector.spans())
	ok := spans["GET /users/{id}"]
	if ok == nil {
		t.Fatalf("no span named by route; got %v", keys(spans))
	}
	attrs := ok["attributes"].(map[string]any)
	if ok["type"] != "http" || ok["status"] != "ok" || attrs[AttrHTTPMethod] != "GET" ||
		attrs[AttrHTTPRoute] != "/users/{id}" || attrs[AttrHTTPStatusCode] != 201.0 || attrs[AttrURLPath] != "/users/42" {
		t.Errorf("span = %v", ok)
	}
	if ok["parent_span_id"] == nil {
		t.Errorf("server span did not continue the incoming trace")
	}
	fail := spans["POST /fail"]
	if fail["status"] != "error" || !strings.HasPrefix(fail["error_message"].(string), "502") {
		t.Errorf("5xx span = %v", fail)
	}
	if spans["GET /raw/path"] == nil {
		t.Errorf("no span named by URL path; got %v", keys(spans))
	}
}

func TestHTTPMiddlewareRecordsPanic(t *testing.T) {
	t.Parallel()
	tb := setup(t)

	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	func() {
		defer func() {
			if p := recover(); p != "kaboom" {
				t.Errorf("recovered %v, want the handler's panic", p)
			}
		}()
		serveTraced(t, tb, h, http.MethodGet, "/boom")
	}()
	tb.flush(t)
	s := byName(tb.collector.spans())["GET /boom"]
	if s == nil || s["status"] != "error" || s["error_type"] != "panic" || s["error_message"] != "kaboom" {
		t.Errorf("panic span = %v", s)
	}
}

func TestHTTPMiddlewareOverRealServer(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	srv := httptest.NewServer(tb.client.HTTPMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, SpanFromContext(r.Context()).TraceID())
	})))
	t.Cleanup(srv.Close)
	ctx, at := tb.client.AgentTrace(t.Context(), "client")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	Inject(ctx, req.Header)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	at.End()
	if string(body) != at.TraceID() {
		t.Errorf("server saw trace %q, want %q", body, at.TraceID())
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
