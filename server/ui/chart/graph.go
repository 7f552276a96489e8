package chart

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
)

// Flow is a run drawn as a graph: the steps it took (agents, tools, model
// calls, graph nodes) as boxes, and the moves between them as arrows,
// counted when the run took one more than once.
type Flow struct {
	Nodes []FlowNode
	Edges []FlowEdge
}

// FlowNode is one step of a run; repeated visits share a node.
type FlowNode struct {
	Label string
	// Kind is the span type ("agent", "tool", "llm", "node", ...): the box
	// gets class flow-<kind>.
	Kind   string
	Visits int
	Failed bool
	// URL opens the node's (first) span.
	URL string
}

// FlowEdge is a move from one node to another, by index into Nodes.
type FlowEdge struct {
	From, To, Count int
}

// Layout of a flow graph, in viewBox units.
const (
	flowBoxW   = 168.0
	flowBoxH   = 40.0
	flowColGap = 72.0
	flowRowGap = 22.0
	flowMargin = 16.0
	flowTop    = 32.0 // room for loops over the first row
	flowLabel  = 24   // characters of a label drawn
)

// Graph draws f left to right: each node in the column of its longest
// path from a node nothing leads to, arrows between boxes, moves that go
// back (loops) curving below, counts on arrows taken more than once.
// Failed nodes carry class flow-failed. Readable up to a few hundred
// nodes: the picture grows rather than shrinking its boxes.
func Graph(title string, f Flow) template.HTML {
	if len(f.Nodes) == 0 {
		return template.HTML(`<p class="empty">No steps to draw.</p>`)
	}
	col := flowColumns(f)
	rows := map[int]int{}
	x, y := make([]float64, len(f.Nodes)), make([]float64, len(f.Nodes))
	maxCol, maxRow := 0, 0
	for i := range f.Nodes {
		c := col[i]
		x[i] = flowMargin + float64(c)*(flowBoxW+flowColGap)
		y[i] = flowTop + float64(rows[c])*(flowBoxH+flowRowGap)
		maxCol, maxRow = max(maxCol, c), max(maxRow, rows[c])
		rows[c]++
	}
	w := 2*flowMargin + float64(maxCol+1)*flowBoxW + float64(maxCol)*flowColGap
	h := flowTop + flowMargin + float64(maxRow+1)*flowBoxH + float64(maxRow)*flowRowGap + flowBoxH // room for loops
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="flow" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="flow-title">`,
		n(w), n(h), n(w), n(h))
	fmt.Fprintf(&b, `<title id="flow-title">%s</title>`, esc(title))
	b.WriteString(`<defs><marker id="flow-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="flow-arrowhead"/></marker></defs>`)
	for _, e := range f.Edges {
		flowEdge(&b, x, y, col, e)
	}
	for i, nd := range f.Nodes {
		flowNode(&b, x[i], y[i], nd)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func flowEdge(b *strings.Builder, x, y []float64, col []int, e FlowEdge) {
	x1, y1 := x[e.From]+flowBoxW, y[e.From]+flowBoxH/2
	x2, y2 := x[e.To], y[e.To]+flowBoxH/2
	var d string
	var lx, ly float64
	switch {
	case e.From == e.To:
		// A step that followed itself: a loop over the box's right end.
		sx, sy := x[e.From]+flowBoxW-36, y[e.From]
		d = fmt.Sprintf("M%s,%s C%s,%s %s,%s %s,%s", n(sx), n(sy), n(sx), n(sy-22), n(sx+30), n(sy-22), n(sx+30), n(sy))
		lx, ly = sx+15, sy-20
	case col[e.To] > col[e.From]:
		mid := (x1 + x2) / 2
		d = fmt.Sprintf("M%s,%s C%s,%s %s,%s %s,%s", n(x1), n(y1), n(mid), n(y1), n(mid), n(y2), n(x2), n(y2))
		lx, ly = mid, (y1+y2)/2-4
	default:
		// Back to an earlier (or the same) column: a loop under the boxes.
		bx1, by1 := x[e.From]+flowBoxW/2, y[e.From]+flowBoxH
		bx2, by2 := x[e.To]+flowBoxW/2, y[e.To]+flowBoxH
		low := max(by1, by2) + flowBoxH*0.8
		d = fmt.Sprintf("M%s,%s C%s,%s %s,%s %s,%s", n(bx1), n(by1), n(bx1), n(low), n(bx2), n(low), n(bx2), n(by2))
		lx, ly = (bx1+bx2)/2, low-2
	}
	fmt.Fprintf(b, `<path class="flow-edge" d="%s" marker-end="url(#flow-arrow)"/>`, d)
	if e.Count > 1 {
		fmt.Fprintf(b, `<text class="flow-count" x="%s" y="%s" text-anchor="middle">×%d</text>`, n(lx), n(ly), e.Count)
	}
}

func flowNode(b *strings.Builder, x, y float64, nd FlowNode) {
	class := "flow-step flow-" + cssIdent(nd.Kind)
	if nd.Failed {
		class += " flow-failed"
	}
	label := clip(nd.Label, flowLabel)
	if nd.URL != "" {
		fmt.Fprintf(b, `<a href="%s">`, esc(nd.URL))
	}
	fmt.Fprintf(b, `<g class="%s"><title>%s</title>`, class, esc(nd.Label))
	fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" rx="6"/>`, n(x), n(y), n(flowBoxW), n(flowBoxH))
	fmt.Fprintf(b, `<text class="flow-label" x="%s" y="%s">%s</text>`, n(x+8), n(y+17), esc(label))
	sub := nd.Kind
	if nd.Visits > 1 {
		sub += fmt.Sprintf(" · %d visits", nd.Visits)
	}
	fmt.Fprintf(b, `<text class="flow-kind" x="%s" y="%s">%s</text>`, n(x+8), n(y+32), esc(sub))
	b.WriteString(`</g>`)
	if nd.URL != "" {
		b.WriteString(`</a>`)
	}
}

// flowColumns places each node in the column of its longest path from a
// source, over the graph without the edges that close cycles (found by a
// depth-first walk from the nodes in order). Linear in nodes and edges.
func flowColumns(f Flow) []int {
	nn := len(f.Nodes)
	out := make([][]int, nn)
	for _, e := range f.Edges {
		if e.From >= 0 && e.From < nn && e.To >= 0 && e.To < nn && e.From != e.To {
			out[e.From] = append(out[e.From], e.To)
		}
	}
	// Order the nodes so that every kept edge goes forward: reverse
	// post-order of an iterative DFS; an edge to a node on the stack
	// closes a cycle and is ignored.
	const (
		unseen = iota
		onStack
		done
	)
	state := make([]int, nn)
	var order []int
	type frame struct{ v, next int }
	for s := range nn {
		if state[s] != unseen {
			continue
		}
		stack := []frame{{v: s}}
		state[s] = onStack
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next < len(out[top.v]) {
				w := out[top.v][top.next]
				top.next++
				if state[w] == unseen {
					state[w] = onStack
					stack = append(stack, frame{v: w})
				}
				continue
			}
			state[top.v] = done
			order = append(order, top.v)
			stack = stack[:len(stack)-1]
		}
	}
	slices.Reverse(order)
	pos := make([]int, nn)
	for i, v := range order {
		pos[v] = i
	}
	col := make([]int, nn)
	for _, v := range order {
		for _, w := range out[v] {
			if pos[w] > pos[v] { // forward: not a cycle's closing edge
				col[w] = max(col[w], col[v]+1)
			}
		}
	}
	return col
}

// cssIdent keeps the letters, digits and dashes of s, for a class name.
func cssIdent(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, strings.ToLower(s))
}
