package chart

import (
	"fmt"
	"strings"
	"testing"
)

func TestFlowColumns(t *testing.T) {
	t.Parallel()
	// a → b → c, a → c, and c → b closing a loop.
	f := Flow{Nodes: make([]FlowNode, 3), Edges: []FlowEdge{{0, 1, 1}, {1, 2, 1}, {0, 2, 1}, {2, 1, 2}}}
	if got := fmt.Sprint(flowColumns(f)); got != "[0 1 2]" {
		t.Errorf("columns %s, want [0 1 2]: the loop c→b must not push b past c", got)
	}
}

func TestGraph(t *testing.T) {
	t.Parallel()
	f := Flow{
		Nodes: []FlowNode{{Label: "agent <run>", Kind: "agent", Visits: 1, URL: "/traces/x?span=a"},
			{Label: "search", Kind: "tool", Visits: 3, Failed: true, URL: "/traces/x?span=b&view=graph"},
			{Label: "chat gpt-4o", Kind: "llm", Visits: 4}},
		Edges: []FlowEdge{{0, 2, 1}, {2, 1, 3}, {1, 2, 3}},
	}
	svg := string(Graph(`Run "x"`, f))
	for _, want := range []string{`<a href="/traces/x?span=b&amp;view=graph">`, "agent &lt;run&gt;", "flow-failed", "3 visits",
		"×3", `class="flow-step flow-llm"`, "<title id=\"flow-title\">Run &#34;x&#34;</title>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("graph lacks %q", want)
		}
	}
	if strings.Count(svg, "flow-edge") != 3 {
		t.Errorf("%d edges drawn, want 3", strings.Count(svg, "flow-edge"))
	}
	if got := string(Graph("empty", Flow{})); !strings.Contains(got, "No steps") {
		t.Errorf("an empty flow draws %q", got)
	}
}

// TestGraphHundredNodes: a 100-step chain stays boxes of full size in a
// picture that grows, every node drawn once.
func TestGraphHundredNodes(t *testing.T) {
	t.Parallel()
	var f Flow
	for i := range 100 {
		f.Nodes = append(f.Nodes, FlowNode{Label: fmt.Sprintf("step-%d", i), Kind: "node", Visits: 1})
		if i > 0 {
			f.Edges = append(f.Edges, FlowEdge{i - 1, i, 1})
		}
	}
	svg := string(Graph("chain", f))
	if n := strings.Count(svg, "<rect "); n != 100 {
		t.Errorf("%d boxes, want 100", n)
	}
	if !strings.Contains(svg, fmt.Sprintf(`width="%s"`, n(2*flowMargin+100*flowBoxW+99*flowColGap))) {
		t.Errorf("the picture does not grow with the chain")
	}
}
