package traciumeino

import (
	"context"
	"slices"
	"testing"

	"github.com/cloudwego/eino/compose"
)

func branch(ends ...string) compose.GraphBranch {
	m := map[string]bool{}
	for _, e := range ends {
		m[e] = true
	}
	return *compose.NewGraphBranch(func(context.Context, string) (string, error) { return ends[0], nil }, m)
}

// TestWalk replays node logs against graph shapes.
func TestWalk(t *testing.T) {
	t.Parallel()
	const S, E = compose.START, compose.END
	ok := func(key string, start, end int) nodeRun { return nodeRun{key: key, start: start, end: end, ok: true} }
	tests := []struct {
		name     string
		edges    map[string][]string
		branches map[string][]compose.GraphBranch
		log      []nodeRun
		ended    bool
		want     []string
	}{
		{
			name:  "a chain",
			edges: map[string][]string{S: {"a"}, "a": {"b"}, "b": {E}},
			log:   []nodeRun{ok("a", 1, 2), ok("b", 3, 4)},
			ended: true,
			want:  []string{"start>a", "a>b", "b>end"},
		},
		{
			name:  "a fan-out whose second path starts after the first ended",
			edges: map[string][]string{S: {"a"}, "a": {"b", "c"}, "b": {E}, "c": {E}},
			log:   []nodeRun{ok("a", 1, 2), ok("b", 3, 4), ok("c", 5, 6)},
			ended: true,
			want:  []string{"start>a", "a>b", "a>c", "b>end", "c>end"},
		},
		{
			name:     "a loop through a branch",
			edges:    map[string][]string{S: {"chat"}, "tools": {"chat"}},
			branches: map[string][]compose.GraphBranch{"chat": {branch("tools", E)}},
			log:      []nodeRun{ok("chat", 1, 2), ok("tools", 3, 4), ok("chat", 5, 6), ok("tools", 7, 8), ok("chat", 9, 10)},
			ended:    true,
			want:     []string{"start>chat", "chat>tools", "tools>chat", "chat>tools", "tools>chat", "chat>end"},
		},
		{
			name:     "a branch end reached by another path is not the branch's choice",
			edges:    map[string][]string{S: {"p"}, "m": {"n"}, "n": {E}},
			branches: map[string][]compose.GraphBranch{"p": {branch("m", "n")}},
			log:      []nodeRun{ok("p", 1, 2), ok("m", 3, 4), ok("n", 5, 6)},
			ended:    true,
			want:     []string{"start>p", "p>m", "m>n", "n>end"},
		},
		{
			name:  "a failed node stops the walk",
			edges: map[string][]string{S: {"a"}, "a": {"b"}, "b": {E}},
			log:   []nodeRun{ok("a", 1, 2), {key: "b", start: 3, end: 4}},
			want:  []string{"start>a", "a>b"},
		},
		{
			name:  "a fan-in takes both inputs once",
			edges: map[string][]string{S: {"a", "b"}, "a": {"c"}, "b": {"c"}, "c": {E}},
			log:   []nodeRun{ok("a", 1, 3), ok("b", 2, 4), ok("c", 5, 6)},
			ended: true,
			want:  []string{"start>a", "start>b", "a>c", "b>c", "c>end"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			nodes := map[string]compose.GraphNodeInfo{}
			for _, r := range tt.log {
				nodes[r.key] = compose.GraphNodeInfo{}
			}
			sh := newShape(&compose.GraphInfo{Nodes: nodes, Edges: tt.edges, Branches: tt.branches})
			var got []string
			for _, e := range sh.walk(tt.log, tt.ended) {
				got = append(got, e.From+">"+e.To)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("edges %v, want %v", got, tt.want)
			}
		})
	}
}
