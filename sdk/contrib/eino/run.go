package traciumeino

import (
	"cmp"
	"context"
	"sync/atomic"
	"time"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/flow/agent/react"

	tracium "github.com/tracium/tracium/sdk"
)

// kind is what a run records, chosen from its component.
type kind uint8

const (
	kindNode      kind = iota // a node span alone: Lambda, ToolsNode, ChatTemplate...
	kindGraph                 // a graph (or agent) span with its edges
	kindModel                 // an llm span
	kindTool                  // a tool span
	kindRetriever             // a retrieval span
	kindIndexer               // a retrieval span with the stored ids
	kindEmbedding             // an embedding span
)

// runKey is the context key of the innermost run this package started.
type runKey struct{}

// run is one callback run (OnStart to OnEnd) of a component, node or
// graph, carried in the context Eino passes from OnStart to the end
// callbacks.
type run struct {
	info   *callbacks.RunInfo
	parent *run
	addr   compose.Address
	kind   kind
	// span is the run's own span; node is the node span around it when
	// the run opened a node of a graph (the same span for a plain node).
	span, node *tracium.Span
	// graph is set on graph runs: the log of their nodes, for the edges.
	graph *graphRun
	// owner is the graph whose node this run is, entry its place in the
	// owner's log; owner is nil when the run is not a node.
	owner *graphRun
	entry int
	// modelIn is a model call's input, turned into the recorded shape at
	// the end only when the HTTP call did not already record it.
	modelIn any
	// begun is when a model call started, for its time to first token.
	begun time.Time
	ended atomic.Bool
}

// runOf returns the run ctx carries when it is info's.
func runOf(ctx context.Context, info *callbacks.RunInfo) *run {
	r, _ := ctx.Value(runKey{}).(*run)
	if r == nil || r.info != info {
		return nil
	}
	return r
}

// claimEnd reports whether the caller is the first to end the run: a run
// seen by two copies of the handler (Register and Handler together) ends
// once.
func (r *run) claimEnd() bool { return r.ended.CompareAndSwap(false, true) }

// start opens the spans of the callback run info describes and returns a
// context carrying it, or a nil run when there is nothing to record.
func (h *handler) start(ctx context.Context, info *callbacks.RunInfo) (context.Context, *run) {
	if info == nil {
		return ctx, nil
	}
	parent, _ := ctx.Value(runKey{}).(*run)
	if parent != nil && parent.info == info {
		// A second copy of the handler: the first one records this run.
		return ctx, nil
	}
	addr := compose.GetCurrentAddress(ctx)
	var seg compose.AddressSegment
	if len(addr) > 0 {
		seg = addr[len(addr)-1]
	}
	// A run at a new address is a node, a tool call or a graph; one at its
	// parent's address is a component the parent called.
	newPlace := len(addr) > 0 && (parent == nil || !parent.addr.Equals(addr))
	r := &run{info: info, parent: parent, addr: addr, kind: kindOf(info.Component)}
	if r.kind == kindNode && !(newPlace && seg.Type == compose.AddressSegmentNode) && !isGraph(info.Component) {
		// A Lambda or template called inside another component: its
		// caller's span covers it.
		return ctx, nil
	}
	if newPlace && seg.Type == compose.AddressSegmentNode && parent != nil && parent.graph != nil &&
		parent.addr.Equals(addr[:len(addr)-1]) {
		r.owner = parent.graph
		r.entry = r.owner.logStart(seg.ID)
	}

	switch {
	case isGraph(info.Component):
		ctx = r.startGraph(ctx, seg)
	case newPlace && seg.Type == compose.AddressSegmentNode:
		ctx, r.node = tracium.StartSpan(ctx, tracium.SpanNode, seg.ID)
		setNodeAttributes(r.node, seg, addr)
		if r.kind == kindNode {
			r.span = r.node
		} else {
			ctx = r.startComponent(ctx, cmp.Or(info.Name, seg.ID))
		}
	case newPlace && seg.Type == compose.AddressSegmentTool:
		ctx = r.startComponent(ctx, cmp.Or(info.Name, seg.ID))
		r.span.SetAttribute(tracium.AttrGraphPath, addr.String())
		r.span.SetAttribute(tracium.AttrToolCallID, cmp.Or(seg.SubID, compose.GetToolCallID(ctx)))
	default:
		ctx = r.startComponent(ctx, cmp.Or(info.Name, info.Type, string(info.Component)))
		if r.kind == kindTool {
			if id := compose.GetToolCallID(ctx); id != "" {
				r.span.SetAttribute(tracium.AttrToolCallID, id)
			}
		}
	}
	return context.WithValue(ctx, runKey{}, r), r
}

// startGraph opens a graph span: named by the graph's name, or by its node
// key when it runs as a node of another graph. A ReAct agent's graph is an
// agent span.
func (r *run) startGraph(ctx context.Context, seg compose.AddressSegment) context.Context {
	r.kind = kindGraph
	name := r.info.Name
	key := name
	if seg.Type == compose.AddressSegmentNode {
		name = cmp.Or(name, seg.ID)
		if r.owner != nil {
			key = r.owner.key + "/" + seg.ID
		}
	}
	name = cmp.Or(name, string(r.info.Component))
	typ := tracium.SpanGraph
	if r.info.Name == react.GraphName {
		typ = tracium.SpanAgent
	}
	ctx, r.span = tracium.StartSpan(ctx, typ, name)
	r.span.SetAttribute(tracium.AttrFramework, framework)
	if r.owner != nil {
		setNodeAttributes(r.span, seg, r.addr)
	}
	r.node = r.span
	r.graph = &graphRun{key: key}
	return ctx
}

// startComponent opens the span of a model, tool, retriever, indexer or
// embedding call.
func (r *run) startComponent(ctx context.Context, name string) context.Context {
	var typ tracium.SpanType
	switch r.kind {
	case kindModel:
		typ = tracium.SpanLLM
	case kindTool:
		typ = tracium.SpanTool
	case kindRetriever, kindIndexer:
		typ = tracium.SpanRetrieval
	case kindEmbedding:
		typ = tracium.SpanEmbedding
	default:
		typ = tracium.SpanCustom
	}
	ctx, r.span = tracium.StartSpan(ctx, typ, name)
	r.span.SetAttribute(tracium.AttrFramework, framework)
	switch r.kind {
	case kindModel, kindEmbedding:
		// The provider call the model makes over HTTP is this span.
		r.span.CaptureLLMCall()
		r.begun = time.Now()
	case kindTool:
		r.span.SetAttribute(tracium.AttrToolName, name)
	}
	return ctx
}

func setNodeAttributes(s *tracium.Span, seg compose.AddressSegment, addr compose.Address) {
	s.SetAttribute(tracium.AttrFramework, framework)
	s.SetAttribute(tracium.AttrGraphNode, seg.ID)
	s.SetAttribute(tracium.AttrGraphPath, addr.String())
}

func isGraph(c components.Component) bool {
	return c == compose.ComponentOfGraph || c == compose.ComponentOfChain || c == compose.ComponentOfWorkflow
}

func kindOf(c components.Component) kind {
	switch c {
	case components.ComponentOfChatModel:
		return kindModel
	case components.ComponentOfTool:
		return kindTool
	case components.ComponentOfRetriever:
		return kindRetriever
	case components.ComponentOfIndexer:
		return kindIndexer
	case components.ComponentOfEmbedding:
		return kindEmbedding
	}
	return kindNode
}

// logEnd notes the end of a node run in its graph's log and, for a graph,
// records the edges its run took.
func (r *run) logEnd(ok bool) {
	if r.owner != nil {
		r.owner.logEnd(r.entry, ok)
	}
	if r.graph != nil {
		if edges := r.graph.edges(ok); edges != nil {
			r.span.SetAttribute(tracium.AttrGraphEdges, edges)
		}
	}
}

// endSpans ends the run's span and the node span around it.
func (r *run) endSpans() {
	r.span.End()
	if r.node != r.span {
		r.node.End()
	}
}

// fail marks the run's spans failed with err and ends them.
func (r *run) fail(err error) {
	r.logEnd(false)
	if !r.span.LLMCallRecorded() {
		// A captured HTTP call that failed carries the provider's own
		// error type and message, which the client's error only wraps.
		r.span.SetError(err)
	}
	if r.node != r.span {
		r.node.SetError(err)
	}
	r.endSpans()
}
