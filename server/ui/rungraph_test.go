package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// flowOf lays out spans defined "id:parent:type:name:startms:endms".
func flowOf(t *testing.T, moves map[string][]graphMove, defs ...string) (labels []string, edges map[string]int) {
	t.Helper()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	spans := make([]store.TreeSpan, len(defs))
	for i, d := range defs {
		f := strings.Split(d, ":")
		ms := func(s string) time.Duration {
			var n int
			for _, c := range s {
				n = n*10 + int(c-'0')
			}
			return time.Duration(n) * time.Millisecond
		}
		spans[i] = store.TreeSpan{SpanID: f[0], ParentSpanID: f[1], Type: store.SpanType(f[2]), Name: f[3],
			StartTime: base.Add(ms(f[4])), EndTime: base.Add(ms(f[5]))}
		if f[0] == "bad" {
			spans[i].Status = store.StatusError
		}
	}
	tr := newTree(spans)
	flow := runFlow(tr, func(i int) []graphMove { return moves[spans[i].SpanID] }, func(id string) string { return "?span=" + id })
	edges = map[string]int{}
	for _, nd := range flow.Nodes {
		labels = append(labels, nd.Label)
	}
	for _, e := range flow.Edges {
		edges[flow.Nodes[e.From].Label+">"+flow.Nodes[e.To].Label] = e.Count
	}
	return labels, edges
}

func TestRunFlowAgent(t *testing.T) {
	t.Parallel()
	// An agent loop: llm, tool, llm, tool, llm, the two middle tools at once.
	_, edges := flowOf(t, nil,
		"a::agent:agent:0:100", "l1:a:llm:chat:1:10", "t1:a:tool:search:11:20", "t2:a:tool:fetch:11:20",
		"l2:a:llm:chat:21:30", "bad:a:tool:search:31:40", "l3:a:llm:chat:41:50")
	want := map[string]int{"agent>chat": 1, "chat>search": 2, "chat>fetch": 1, "search>chat": 2, "fetch>chat": 1}
	for k, n := range want {
		if edges[k] != n {
			t.Errorf("edge %s counted %d, want %d (edges %v)", k, edges[k], n, edges)
		}
	}
}

func TestRunFlowRecordedEdges(t *testing.T) {
	t.Parallel()
	labels, edges := flowOf(t, map[string][]graphMove{"g": {{"start", "model"}, {"model", "tools"}, {"tools", "model"}, {"model", "end"}}},
		"g::graph:react:0:100", "m1:g:node:model:1:10", "tl:g:node:tools:11:20", "m2:g:node:model:21:30")
	if edges["tools>model"] != 1 || edges["model>tools"] != 1 || edges["react>start"] != 1 || edges["model>end"] != 1 {
		t.Errorf("edges %v, want the recorded ones and the graph into its first step", edges)
	}
	if strings.Join(labels, ",") != "react,model,tools,start,end" {
		t.Errorf("nodes %v", labels)
	}
}
