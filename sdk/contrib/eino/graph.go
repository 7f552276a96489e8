package traciumeino

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/cloudwego/eino/compose"
)

// Bounds on the graph view data.
const (
	// maxNodeRuns caps the node runs one graph run logs for its edges; a
	// longer run (a loop of thousands of turns) records the edges of its
	// first maxNodeRuns node runs.
	maxNodeRuns = 1024
	// maxShapesPerName and maxShapeNames bound the compiled graph shapes
	// kept: a program compiling graphs in a loop keeps the newest ones.
	maxShapesPerName = 8
	maxShapeNames    = 1024
)

// edge is one step of a graph run, as graph.edges records it.
type edge struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// graphRun is the log of one graph run's nodes, in the order they
// started; Eino runs a node at most once at a time within a run.
type graphRun struct {
	// key finds the graph's shape: its name, followed by "/node" for each
	// level of a subgraph added as a node.
	key string

	mu        sync.Mutex
	seq       int
	log       []nodeRun
	truncated bool
}

// nodeRun is one run of one node: when it started and ended, in the
// graph's event order (end 0: not ended), and whether it succeeded.
type nodeRun struct {
	key        string
	start, end int
	ok         bool
}

// logStart notes that node key started and returns its place in the log,
// or -1 once the log is full.
func (g *graphRun) logStart(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.log) == maxNodeRuns {
		g.truncated = true
		return -1
	}
	g.seq++
	g.log = append(g.log, nodeRun{key: key, start: g.seq})
	return len(g.log) - 1
}

// logEnd notes the end of the node run at i.
func (g *graphRun) logEnd(i int, ok bool) {
	if i < 0 {
		return
	}
	g.mu.Lock()
	g.seq++
	g.log[i].end, g.log[i].ok = g.seq, ok
	g.mu.Unlock()
}

// edges returns the edges the run took, or nil when the graph's shape is
// unknown (it was compiled before Register). ok says the run reached END.
func (g *graphRun) edges(ok bool) []edge {
	g.mu.Lock()
	log := slices.Clone(g.log)
	ok = ok && !g.truncated
	g.mu.Unlock()
	keys := make(map[string]bool, len(log))
	for _, r := range log {
		keys[r.key] = true
	}
	sh := shapes.lookup(g.key, keys)
	if sh == nil {
		return nil
	}
	return sh.walk(log, ok)
}

// shape is a compiled graph's declared edges and branches.
type shape struct {
	fingerprint string
	nodes       map[string]bool
	// preds lists, for each node (END included), where a run of it can
	// come from.
	preds map[string][]pred
}

// pred is a way into a node: a plain edge from a node (branch -1), or the
// branch at index branch of that node's branches.
type pred struct {
	from   string
	branch int
}

func newShape(info *compose.GraphInfo) *shape {
	sh := &shape{nodes: make(map[string]bool, len(info.Nodes)), preds: map[string][]pred{}}
	for k := range info.Nodes {
		sh.nodes[k] = true
	}
	add := func(from, to string, branch int) {
		p := pred{from, branch}
		if !slices.Contains(sh.preds[to], p) {
			sh.preds[to] = append(sh.preds[to], p)
		}
	}
	for from, tos := range info.Edges {
		for _, to := range tos {
			add(from, to, -1)
		}
	}
	for from, tos := range info.DataEdges {
		for _, to := range tos {
			add(from, to, -1)
		}
	}
	for from, bs := range info.Branches {
		for i := range bs {
			for to := range bs[i].GetEndNode() {
				add(from, to, i)
			}
		}
	}
	var fp []string
	for to, ps := range sh.preds {
		sort.Slice(ps, func(i, j int) bool {
			if ps[i].from != ps[j].from {
				return ps[i].from < ps[j].from
			}
			return ps[i].branch < ps[j].branch
		})
		for _, p := range ps {
			fp = append(fp, p.from+">"+to+"#"+strconv.Itoa(p.branch))
		}
	}
	for k := range sh.nodes {
		fp = append(fp, k)
	}
	sort.Strings(fp)
	sh.fingerprint = strings.Join(fp, "\n")
	return sh
}

// walk replays the log against the shape: a run of node n took the edge
// from p when p's latest run had ended before n started, succeeded, and
// had not yet fed n (nor, through a branch, another end of that branch).
// START feeds each of its successors once; a successful run ends with the
// edges into END of the nodes that last ran.
func (sh *shape) walk(log []nodeRun, ok bool) []edge {
	type feed struct {
		run int // index in log; -1 is START
		to  string
	}
	type choice struct {
		run    int
		from   string
		branch int
	}
	fed := map[feed]bool{}
	chose := map[choice]bool{}
	runsOf := map[string][]int{}
	var out []edge
	take := func(target string, before int) {
		for _, p := range sh.preds[target] {
			q := -1
			if p.from != compose.START {
				q = latestRun(log, runsOf[p.from], before)
				if q < 0 {
					continue
				}
			}
			if fed[feed{q, target}] || (p.branch >= 0 && chose[choice{q, p.from, p.branch}]) {
				continue
			}
			fed[feed{q, target}] = true
			if p.branch >= 0 {
				chose[choice{q, p.from, p.branch}] = true
			}
			out = append(out, edge{From: p.from, To: target})
		}
	}
	for i, r := range log {
		take(r.key, r.start)
		runsOf[r.key] = append(runsOf[r.key], i)
	}
	if ok {
		take(compose.END, int(^uint(0)>>1))
	}
	return out
}

// latestRun returns the last of runs (indexes into log, in start order)
// that ended successfully before event seq, or -1.
func latestRun(log []nodeRun, runs []int, before int) int {
	for i := len(runs) - 1; i >= 0; i-- {
		r := log[runs[i]]
		if r.end != 0 && r.end < before {
			if r.ok {
				return runs[i]
			}
			return -1
		}
	}
	return -1
}

// shapeRegistry keeps the shapes of compiled graphs by name, so that a run
// can find the edges it may take. Eino names a run only by its graph's
// name; graphs sharing a name are told apart by the nodes that ran.
type shapeRegistry struct {
	mu     sync.Mutex
	byName map[string][]*shape
}

// shapes is filled by the compile callback Register installs.
var shapes = &shapeRegistry{byName: map[string][]*shape{}}

// OnFinish keeps the shape of a graph Eino has compiled, and those of the
// subgraphs added to it as nodes.
func (reg *shapeRegistry) OnFinish(_ context.Context, info *compose.GraphInfo) {
	if info != nil {
		reg.add(info.Name, info)
	}
}

func (reg *shapeRegistry) add(key string, info *compose.GraphInfo) {
	sh := newShape(info)
	reg.mu.Lock()
	list := reg.byName[key]
	list = slices.DeleteFunc(list, func(s *shape) bool { return s.fingerprint == sh.fingerprint })
	if len(list) == maxShapesPerName {
		list = list[1:]
	}
	if _, known := reg.byName[key]; !known && len(reg.byName) >= maxShapeNames {
		for k := range reg.byName {
			delete(reg.byName, k) // any one: a program with this many names compiles in a loop
			break
		}
	}
	reg.byName[key] = append(list, sh)
	reg.mu.Unlock()
	for k, n := range info.Nodes {
		if n.GraphInfo != nil {
			reg.add(key+"/"+k, n.GraphInfo)
		}
	}
}

// lookup returns the newest shape named key that has every node that ran.
func (reg *shapeRegistry) lookup(key string, ran map[string]bool) *shape {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	list := reg.byName[key]
	for i := len(list) - 1; i >= 0; i-- {
		sh := list[i]
		all := true
		for k := range ran {
			if !sh.nodes[k] {
				all = false
				break
			}
		}
		if all {
			return sh
		}
	}
	return nil
}
