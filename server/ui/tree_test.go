package ui

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// spansOf builds spans named by id, each "id:parent", started in order.
func spansOf(defs ...string) []store.TreeSpan {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	out := make([]store.TreeSpan, len(defs))
	for i, d := range defs {
		id, parent, _ := strings.Cut(d, ":")
		out[i] = store.TreeSpan{SpanID: id, ParentSpanID: parent, Name: id, Type: store.SpanCustom,
			StartTime: start.Add(time.Duration(i) * time.Millisecond), EndTime: start.Add(time.Duration(i+1) * time.Millisecond)}
	}
	return out
}

// order lays the tree out fully open and returns the ids in display order
// with their depths.
func order(t *tree) string {
	var b strings.Builder
	t.visit(func(i, depth int) bool {
		fmt.Fprintf(&b, "%s%s ", strings.Repeat(".", depth), t.spans[i].SpanID)
		return true
	})
	return strings.TrimSpace(b.String())
}

func TestTree(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		spans      []store.TreeSpan
		want       string
		cycles     int
		duplicates int
	}{
		{"nested", spansOf("a:", "b:a", "c:b", "d:a"), "a .b ..c .d", 0, 0},
		{"missing parent is a root", spansOf("a:", "b:zz", "c:b"), "a b .c", 0, 0},
		{"two-span cycle", spansOf("a:b", "b:a"), "a .b", 1, 0},
		{"cycle below a root", spansOf("r:", "a:c", "b:a", "c:b"), "r a .b ..c", 1, 0},
		{"self parent", spansOf("a:a"), "a", 0, 0},
		// The same span id sent twice with another parent (PostgreSQL
		// stored both before spans had one identity): shown once.
		{"duplicate id", spansOf("a:", "b:a", "b:c", "c:b"), "a .b ..c", 0, 1},
	}
	for _, tt := range tests {
		tr := newTree(tt.spans)
		if got := order(tr); got != tt.want {
			t.Errorf("%s: order %q, want %q", tt.name, got, tt.want)
		}
		if len(tr.cycles) != tt.cycles || tr.duplicates != tt.duplicates {
			t.Errorf("%s: %d cycles cut, %d duplicates; want %d, %d", tt.name, len(tr.cycles), tr.duplicates, tt.cycles, tt.duplicates)
		}
		total := 0
		for _, r := range tr.roots {
			total += 1 + tr.size[r]
		}
		if total != len(tt.spans)-tt.duplicates {
			t.Errorf("%s: sizes add up to %d, want %d", tt.name, total, len(tt.spans)-tt.duplicates)
		}
	}
}

// TestTreeDeep: a chain 100,000 spans deep is laid out without recursion
// and drawn with a bounded indent.
func TestTreeDeep(t *testing.T) {
	t.Parallel()
	defs := make([]string, 100_000)
	defs[0] = "s0:"
	for i := 1; i < len(defs); i++ {
		defs[i] = fmt.Sprintf("s%d:s%d", i, i-1)
	}
	spans := spansOf(defs...)
	tr := newTree(spans)
	if tr.size[tr.roots[0]] != len(spans)-1 {
		t.Fatalf("root has %d descendants, want %d", tr.size[tr.roots[0]], len(spans)-1)
	}
	st := treeState{form: url.Values{"expand": {"all"}}, base: "/traces/x", limit: maxRows}
	rows, hidden := tr.rows(store.Trace{StartTime: spans[0].StartTime, EndTime: spans[len(spans)-1].EndTime}, st)
	if len(rows) != maxRows || hidden != len(spans)-maxRows {
		t.Errorf("%d rows and %d hidden, want %d and %d", len(rows), hidden, maxRows, len(spans)-maxRows)
	}
	if d := rows[len(rows)-1].Depth; d != maxIndent {
		t.Errorf("the deepest row is indented %d, want the cap %d", d, maxIndent)
	}
}

// TestTreeStateBounded: open/shut lists in a URL keep at most
// maxStateIDs ids, so one long link cannot make every row's links long.
func TestTreeStateBounded(t *testing.T) {
	t.Parallel()
	ids := make([]string, 5000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%016x", i+1)
	}
	st := treeState{form: url.Values{"open": {strings.Join(ids, ",")}}, base: "/traces/x", limit: rowsStep}
	if n := len(st.ids("open")); n != maxStateIDs {
		t.Fatalf("%d open ids kept, want %d", n, maxStateIDs)
	}
	link := st.toggle("00000000000000aa", false, st.ids("open"), nil)
	if len(link) > 2*maxStateIDs*18+200 {
		t.Errorf("a toggle link is %d bytes", len(link))
	}
}

func FuzzTree(f *testing.F) {
	f.Add("a: b:a c:b d:zz")
	f.Add("a:b b:a c:c a:c")
	f.Fuzz(func(t *testing.T, defs string) {
		spans := spansOf(strings.Fields(defs)...)
		if len(spans) > 2000 {
			return
		}
		tr := newTree(spans)
		seen := map[int]bool{}
		tr.visit(func(i, _ int) bool {
			if seen[i] {
				t.Fatalf("span %d shown twice", i)
			}
			seen[i] = true
			return true
		})
		if len(seen) != len(spans)-tr.duplicates {
			t.Fatalf("%d spans shown of %d (%d duplicates)", len(seen), len(spans), tr.duplicates)
		}
		tr.opening()
	})
}
