package pricing

import (
	"slices"
	"strings"
	"testing"
)

// datasetDifferences are the prices in which genai-prices differs from
// the table Tracium used to type by hand (testdata/prices-2026-11-24.json),
// for the models that table priced.
var datasetDifferences = map[string]string{
	"claude-sonnet-4": "no price above 200,000 input tokens: Anthropic retired the 1M-context beta on 2026-04-30, so such requests now fail",
}

// TestHandTypedModelsCostTheSame prices the calls of conventionCases on
// every model of the hand-typed table as Tracium did (that table, the
// counts as reported, the formula per provider) and as it does now (the
// generated table, the counts under the convention, one formula): the
// costs agree except for datasetDifferences.
func TestHandTypedModelsCostTheSame(t *testing.T) {
	t.Parallel()
	old, err := LoadFile("testdata/prices-2026-11-24.json")
	if err != nil {
		t.Fatal(err)
	}
	table := Default()
	var differ []string
	for name, was := range old.prices {
		now, ok := table.lookup(name)
		if !ok {
			t.Errorf("%s: priced by the hand-typed table, not by the generated one", name)
			continue
		}
		same := true
		for _, tt := range conventionCases {
			if tt.provider != was.Provider {
				continue
			}
			before := reportedCost(was.Provider, was, tt.reported)
			after := now.cost(tt.converted)
			if !near(after, before) {
				same = false
				if _, listed := datasetDifferences[name]; !listed {
					t.Errorf("%s, %s: %.10f now (%s), %.10f before", name, tt.name, after, now.Model, before)
				}
			}
		}
		if !same {
			differ = append(differ, name)
		}
	}
	for name := range datasetDifferences {
		if !slices.Contains(differ, name) {
			t.Errorf("%s is listed as priced differently but costs the same", name)
		}
	}
	if len(old.prices) < 28 {
		t.Errorf("hand-typed table has %d models, want 28", len(old.prices))
	}
	t.Logf("%d hand-typed models, differing: %s", len(old.prices), strings.Join(differ, ", "))
}
