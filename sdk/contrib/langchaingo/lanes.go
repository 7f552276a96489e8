package traciumlangchaingo

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/tmc/langchaingo/schema"
	tracium "github.com/tracium/tracium/sdk"
)

// LangChainGo's callbacks receive the caller's context and cannot return
// one, and a chain hands its own context, unchanged, to the chains, models,
// tools and retrievers it calls. Nothing in a callback says which run it
// belongs to: ten goroutines calling one chain with one context fire
// identical callbacks. What does tell them apart is the goroutine: a
// LangChainGo run makes its calls, and fires their callbacks, on the
// goroutine that called it. So the handler keeps, per goroutine, a lane:
// the stack of spans it has open there, innermost last. A start nests
// under the lane's innermost span and pushes; an end pops back to the
// innermost span of its kind. The HTTP transport reads the same lane to
// find the llm span of the call it carries.

// entry is one open span of a lane. Only the lane's goroutine changes its
// fields, except that the transport may end an llm entry's span from the
// goroutine that closes the response body (span methods are safe for
// that).
type entry struct {
	span  *tracium.Span
	kind  tracium.SpanType
	start time.Time
	// ctxSpan is the span the callback's context carried when this entry
	// started: a later callback whose context carries another span runs
	// under a span the application started itself, and nests there.
	ctxSpan *tracium.Span

	// llm entries.
	fromPrompts bool // started by HandleLLMStart, which a content start may follow
	wire        bool // its HTTP call went through Transport
	streamed    bool // a streamed chunk reached the handler

	// tool entries started from an agent action, which the agent executor
	// runs without any tool callback.
	action  *schema.AgentAction // as the agent gave it, for finding its result
	adopted bool                // the tool's own HandleToolStart came

	// chain entries that turned out to be an agent executor.
	actions        []actionRecord
	actionsOmitted int
	finish         *finishRecord
}

// leaf reports whether nothing the handler sees can run inside the entry:
// an LLM call or a retrieval fires no callbacks of its own until it ends,
// so another callback on its lane means it returned without its end
// callback (LangChainGo's OpenAI provider fires none on an error, its
// Anthropic provider none on success, a failing retriever none at all).
func (e *entry) leaf() bool { return e.kind == tracium.SpanLLM || e.kind == tracium.SpanRetrieval }

// Bounds on what a lane registry may hold. Lanes are deleted when they
// empty; a lane stays only while a goroutine is inside a recorded run, or
// when a run left a span open and its goroutine ended. Past maxLanes the
// registry ends and drops the entries older than staleAfter; if that
// frees nothing, new runs are not recorded until runs finish.
const (
	laneShards = 64
	maxLanes   = 1 << 16
	staleAfter = time.Hour
)

// laneRegistry maps goroutine ids to lanes. Safe for concurrent use.
type laneRegistry struct {
	count  atomic.Int64
	sweeps atomic.Int64 // unix seconds of the last sweep
	shards [laneShards]laneShard
	// open counts the open entries by the span their context carried,
	// so that a goroutine with an empty lane learns cheaply whether some
	// other lane may hold its parent (see inherit.go).
	open ctxIndex
}

type laneShard struct {
	mu    sync.Mutex
	lanes map[int64][]*entry
	// creators caches, per goroutine that asked, the goroutine that
	// created it (see inherit.go).
	creators map[int64]creator
}

// lanes is the process's one registry. It is package state because the
// handlers a program creates, and the transport wrapped around
// LangChainGo's HTTP client at init, must all see the same lanes: a
// chain's handler opens the span that a model's handler nests under and
// that the transport records the HTTP call into.
var lanes laneRegistry

func (r *laneRegistry) shard(g int64) *laneShard {
	return &r.shards[uint64(g)%laneShards]
}

// top returns the innermost entry of goroutine g's lane, or nil.
func (r *laneRegistry) top(g int64) *entry {
	sh := r.shard(g)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if l := sh.lanes[g]; len(l) > 0 {
		return l[len(l)-1]
	}
	return nil
}

// find returns the innermost entry of g's lane that match accepts, or
// nil.
func (r *laneRegistry) find(g int64, match func(*entry) bool) *entry {
	sh := r.shard(g)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	l := sh.lanes[g]
	for i := len(l) - 1; i >= 0; i-- {
		if match(l[i]) {
			return l[i]
		}
	}
	return nil
}

// push adds e as the innermost entry of g's lane; it reports false when
// the registry is full.
func (r *laneRegistry) push(g int64, e *entry) bool {
	sh := r.shard(g)
	sh.mu.Lock()
	l, ok := sh.lanes[g]
	if !ok && r.count.Load() >= maxLanes {
		sh.mu.Unlock()
		if !r.sweep() {
			return false
		}
		sh.mu.Lock()
		l, ok = sh.lanes[g]
	}
	if !ok {
		if sh.lanes == nil {
			sh.lanes = make(map[int64][]*entry)
		}
		r.count.Add(1)
	}
	sh.lanes[g] = append(l, e)
	sh.mu.Unlock()
	r.open.add(e.ctxSpan, 1)
	return true
}

// popTop removes the innermost entry of g's lane and returns it when
// match says it is the one; else it returns nil and removes nothing.
func (r *laneRegistry) popTop(g int64, match func(*entry) bool) *entry {
	sh := r.shard(g)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	l := sh.lanes[g]
	if len(l) == 0 || !match(l[len(l)-1]) {
		return nil
	}
	e := l[len(l)-1]
	l[len(l)-1] = nil
	r.setLane(sh, g, l[:len(l)-1])
	r.open.add(e.ctxSpan, -1)
	return e
}

// popLeaves removes the leaf entries at the top of g's lane (see leaf)
// and returns them, innermost first.
func (r *laneRegistry) popLeaves(g int64) []*entry {
	return r.popWhile(g, (*entry).leaf)
}

// popWhile removes entries from the top of g's lane while pop says so,
// and returns them, innermost first.
func (r *laneRegistry) popWhile(g int64, pop func(*entry) bool) []*entry {
	sh := r.shard(g)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	l := sh.lanes[g]
	i := len(l)
	for i > 0 && pop(l[i-1]) {
		i--
	}
	if i == len(l) {
		return nil
	}
	out := make([]*entry, 0, len(l)-i)
	for j := len(l) - 1; j >= i; j-- {
		out = append(out, l[j])
		r.open.add(l[j].ctxSpan, -1)
		l[j] = nil
	}
	r.setLane(sh, g, l[:i])
	return out
}

// popTo removes the innermost entry for which match is true and every
// entry above it. It returns that entry (nil, removing nothing, when
// there is none) and those above it, innermost first.
func (r *laneRegistry) popTo(g int64, match func(*entry) bool) (*entry, []*entry) {
	sh := r.shard(g)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	l := sh.lanes[g]
	i := len(l) - 1
	for i >= 0 && !match(l[i]) {
		i--
	}
	if i < 0 {
		return nil, nil
	}
	found := l[i]
	var above []*entry
	for j := len(l) - 1; j > i; j-- {
		above = append(above, l[j])
	}
	for _, e := range l[i:] {
		r.open.add(e.ctxSpan, -1)
	}
	clear(l[i:])
	r.setLane(sh, g, l[:i])
	return found, above
}

// remove takes e out of g's lane wherever it is; the transport ends an
// llm span this way when its HTTP call is over.
func (r *laneRegistry) remove(g int64, e *entry) {
	sh := r.shard(g)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	l := sh.lanes[g]
	for i := len(l) - 1; i >= 0; i-- {
		if l[i] == e {
			r.open.add(e.ctxSpan, -1)
			copy(l[i:], l[i+1:])
			l[len(l)-1] = nil
			r.setLane(sh, g, l[:len(l)-1])
			return
		}
	}
}

// setLane stores g's lane, deleting it when empty; the caller holds sh.mu.
func (r *laneRegistry) setLane(sh *laneShard, g int64, l []*entry) {
	if len(l) > 0 {
		sh.lanes[g] = l
		return
	}
	if _, ok := sh.lanes[g]; ok {
		delete(sh.lanes, g)
		r.count.Add(-1)
	}
}

// sweep ends and drops entries older than staleAfter, at most once a
// minute, and reports whether the registry has room afterwards.
func (r *laneRegistry) sweep() bool {
	now := time.Now()
	last := r.sweeps.Load()
	if now.Unix()-last >= 60 && r.sweeps.CompareAndSwap(last, now.Unix()) {
		var stale []*entry
		for i := range r.shards {
			sh := &r.shards[i]
			sh.mu.Lock()
			for g, l := range sh.lanes {
				kept := l[:0]
				for _, e := range l {
					if now.Sub(e.start) > staleAfter {
						stale = append(stale, e)
						r.open.add(e.ctxSpan, -1)
					} else {
						kept = append(kept, e)
					}
				}
				clear(l[len(kept):])
				r.setLane(sh, g, kept)
			}
			sh.mu.Unlock()
		}
		for _, e := range stale {
			e.span.SetAttribute(attrAbandoned, true)
			e.span.End()
		}
	}
	return r.count.Load() < maxLanes
}
