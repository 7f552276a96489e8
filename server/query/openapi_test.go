package query_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/api"
	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/query"
)

// postNothing stands for the score poster: the routes are what is looked at.
type postNothing struct{}

func (postNothing) PostScores(http.ResponseWriter, *http.Request, auth.Caller) {}

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
	query.New(nil, nil, postNothing{}, nil).Routes(r)
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

// TestOpenAPIScoreDataIsTheWire: the document's ScoreData has exactly the
// fields of the SDK's ScoreData, the wire format's Go definition.
func TestOpenAPIScoreDataIsTheWire(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	documented := doc.Components.Schemas["ScoreData"].Properties
	typ := reflect.TypeFor[tracium.ScoreData]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if _, ok := documented[name]; !ok {
			t.Errorf("ScoreData.%s (%q) is not documented", typ.Field(i).Name, name)
		}
		delete(documented, name)
	}
	for name := range documented {
		t.Errorf("the document's ScoreData has %q, which the wire format does not", name)
	}
}
