package ui

import (
	"encoding/json"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/server/ui/chart"
	"github.com/tracium/tracium/store"
)

// The trace page's graph view: the run as the steps it took and the moves
// between them. A step is a span's type and name, so the same tool called
// three times is one box visited three times. A move is what followed
// what among the children of one span: the parent to its first child, each
// child to the next that started after it ended, and children that ran at
// once all from the one before them (fan-out) and the one after them from
// each of them (fan-in). A graph span that recorded
// the edges its run took (AttrGraphEdges, from the Eino integration) gives
// its children's moves instead.

// maxGraphSpans bounds the graph spans whose recorded edges are read, and
// maxLookBack how far back among its siblings a step's predecessors are
// looked for, so that a span with 10,000 children costs linear time.
const (
	maxGraphSpans = 50
	maxLookBack   = 32
)

// graphMove is one recorded edge of a graph run.
type graphMove struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// graphMoves reads a graph span's recorded edges from its attributes.
func graphMoves(attrs json.RawMessage) []graphMove {
	var a map[string]json.RawMessage
	if json.Unmarshal(attrs, &a) != nil {
		return nil
	}
	var moves []graphMove
	_ = json.Unmarshal(a[tracium.AttrGraphEdges], &moves)
	return moves
}

// flowBuilder gathers the nodes and counted edges of a flow.
type flowBuilder struct {
	flow  chart.Flow
	index map[string]int // kind + "\x00" + label -> node
	edges map[[2]int]int // from, to -> edge
}

func (b *flowBuilder) node(kind, label string) int {
	key := kind + "\x00" + label
	if i, ok := b.index[key]; ok {
		return i
	}
	b.index[key] = len(b.flow.Nodes)
	b.flow.Nodes = append(b.flow.Nodes, chart.FlowNode{Label: label, Kind: kind})
	return len(b.flow.Nodes) - 1
}

func (b *flowBuilder) edge(from, to int) {
	k := [2]int{from, to}
	if i, ok := b.edges[k]; ok {
		b.flow.Edges[i].Count++
		return
	}
	b.edges[k] = len(b.flow.Edges)
	b.flow.Edges = append(b.flow.Edges, chart.FlowEdge{From: from, To: to, Count: 1})
}

// runFlow builds the flow of t. moves gives a graph span's recorded edges
// (nil when it has none); selectURL the link to a span.
func runFlow(t *tree, moves func(i int) []graphMove, selectURL func(spanID string) string) chart.Flow {
	b := &flowBuilder{index: map[string]int{}, edges: map[[2]int]int{}}
	nodeOf := make([]int, len(t.spans))
	t.visit(func(i, _ int) bool {
		s := &t.spans[i]
		n := b.node(string(s.Type), s.Name)
		nodeOf[i] = n
		nd := &b.flow.Nodes[n]
		if nd.Visits == 0 {
			nd.URL = selectURL(s.SpanID)
		}
		nd.Visits++
		nd.Failed = nd.Failed || s.Status == store.StatusError
		return true
	})
	for i := range t.spans {
		kids := t.children[i]
		if len(kids) == 0 {
			continue
		}
		if m := moves(i); len(m) > 0 {
			byLabel := map[string]int{}
			for _, k := range kids {
				byLabel[t.spans[k].Name] = nodeOf[k]
			}
			step := func(label string) int {
				if n, ok := byLabel[label]; ok {
					return n
				}
				return b.node(string(store.SpanNode), label)
			}
			b.edge(nodeOf[i], step(m[0].From)) // into the graph's first step
			for _, mv := range m {
				b.edge(step(mv.From), step(mv.To))
			}
			continue
		}
		for j, k := range kids {
			preds := t.predecessors(kids[max(0, j-maxLookBack):j], k)
			if len(preds) == 0 {
				b.edge(nodeOf[i], nodeOf[k])
			}
			for _, p := range preds {
				b.edge(nodeOf[p], nodeOf[k])
			}
		}
	}
	return b.flow
}

// predecessors are the earlier siblings k followed: those that had ended
// when k started and were not followed by another that also had (a fan-in
// after work done at once gives every branch).
func (t *tree) predecessors(earlier []int, k int) []int {
	start := t.spans[k].StartTime
	var out []int
	for _, p := range earlier {
		pe := t.spans[p].EndTime
		if pe.After(start) {
			continue
		}
		superseded := false
		for _, q := range earlier {
			if !t.spans[q].StartTime.Before(pe) && !t.spans[q].EndTime.After(start) {
				superseded = true
				break
			}
		}
		if !superseded {
			out = append(out, p)
		}
	}
	return out
}
