package ui

import (
	"cmp"
	"slices"

	"github.com/tracium/tracium/store"
)

// tree lays a trace's spans out as the page's tree. It accepts whatever
// the data holds, since spans come from clients: spans whose parent is
// missing (not arrived yet, or in another service) are roots; a span id
// seen twice is shown once; parent links that close a cycle are cut, and
// the page says where. Everything is iterative and linear in the number
// of spans, so a hostile or broken trace (a cycle, depth 100,000) costs
// no more than a well-formed one.
type tree struct {
	spans    []store.TreeSpan
	index    map[string]int // span id -> its first occurrence
	children [][]int        // by span position, ordered by start time
	roots    []int
	// size is the number of descendants of each span.
	size []int
	// cycles are spans whose parent link was cut to break a cycle.
	cycles []int
	// duplicates counts spans left out because their id came earlier.
	duplicates int
}

// newTree builds the tree of spans, which come ordered by start time.
func newTree(spans []store.TreeSpan) *tree {
	n := len(spans)
	t := &tree{spans: spans, index: make(map[string]int, n), children: make([][]int, n), size: make([]int, n)}
	for i := range spans {
		if _, dup := t.index[spans[i].SpanID]; dup {
			t.duplicates++
			continue
		}
		t.index[spans[i].SpanID] = i
	}
	parent := make([]int, n)
	for i := range spans {
		parent[i] = -2 // a duplicate: not in the tree
		if t.index[spans[i].SpanID] != i {
			continue
		}
		parent[i] = -1
		if p, ok := t.index[spans[i].ParentSpanID]; ok && spans[i].ParentSpanID != "" && p != i {
			parent[i] = p
		}
	}
	for i, p := range parent {
		switch {
		case p >= 0:
			t.children[p] = append(t.children[p], i)
		case p == -1:
			t.roots = append(t.roots, i)
		}
	}
	t.breakCycles(parent)
	t.countDescendants()
	return t
}

// breakCycles walks down from the roots; spans it never reaches hang in
// cycles. The earliest of them loses its parent link and becomes a root,
// and the walk goes on from it, until every span is reached.
func (t *tree) breakCycles(parent []int) {
	seen := make([]bool, len(t.spans))
	var stack []int
	walk := func(from int) {
		stack = append(stack[:0], from)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[i] {
				continue
			}
			seen[i] = true
			stack = append(stack, t.children[i]...)
		}
	}
	for _, r := range t.roots {
		walk(r)
	}
	for i := range t.spans {
		if seen[i] || parent[i] == -2 {
			continue
		}
		// i is the earliest unreached span (spans are in start order).
		p := parent[i]
		t.children[p] = slices.DeleteFunc(t.children[p], func(c int) bool { return c == i })
		t.roots = append(t.roots, i)
		t.cycles = append(t.cycles, i)
		walk(i)
	}
	slices.SortFunc(t.roots, func(a, b int) int {
		return cmp.Or(t.spans[a].StartTime.Compare(t.spans[b].StartTime), cmp.Compare(a, b))
	})
}

// countDescendants fills size in one post-order pass.
func (t *tree) countDescendants() {
	type frame struct{ i, next int }
	var stack []frame
	for _, r := range t.roots {
		stack = append(stack[:0], frame{i: r})
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next < len(t.children[f.i]) {
				c := t.children[f.i][f.next]
				f.next++
				stack = append(stack, frame{i: c})
				continue
			}
			for _, c := range t.children[f.i] {
				t.size[f.i] += 1 + t.size[c]
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// visit walks the tree depth first in display order, calling fn with each
// span and its depth; fn returns whether to descend into the span's
// children.
func (t *tree) visit(fn func(i, depth int) (descend bool)) {
	type item struct{ i, depth int }
	var stack []item
	for k := len(t.roots) - 1; k >= 0; k-- {
		stack = append(stack, item{t.roots[k], 0})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !fn(it.i, it.depth) {
			continue
		}
		kids := t.children[it.i]
		for k := len(kids) - 1; k >= 0; k-- {
			stack = append(stack, item{kids[k], it.depth + 1})
		}
	}
}
