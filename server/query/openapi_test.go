package query_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/api"
	"github.com/tracium/tracium/server/query"
)

// TestOpenAPIDescribesEveryRoute walks the query API's routes and finds
// each, with its method, in the OpenAPI document.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}]*\}`)
	described := map[string]map[string]json.RawMessage{}
	for p, ops := range doc.Paths {
		described[param.ReplaceAllString(p, "{}")] = ops
	}
	r := chi.NewRouter()
	query.New(nil, nil, nil).Routes(r)
	n := 0
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		n++
		ops, ok := described[param.ReplaceAllString(route, "{}")]
		if _, has := ops[map[string]string{"GET": "get", "POST": "post"}[method]]; !ok || !has {
			t.Errorf("%s %s is not in the OpenAPI document", method, route)
		}
		return nil
	})
	if err != nil || n < 11 {
		t.Fatalf("walked %d routes: %v", n, err)
	}
}
