package traciumlangchaingo

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"unsafe"

	"github.com/petermattis/goid"
	tracium "github.com/tracium/tracium/sdk"
)

// A run may hand work to goroutines of its own: chains.Apply (which
// MapReduceDocuments and the other document chains use) runs a chain over
// many inputs on worker goroutines, with the caller's context, and a tool
// may do the same. Such a goroutine starts with an empty lane, yet its
// spans belong under the chain or tool that started it. Go keeps who
// created each goroutine, and prints it at the end of the goroutine's
// stack trace ("created by chains.Apply in goroutine 7"); so a goroutine
// with an empty lane, whose context carries a span that entries open on
// other lanes started under too, reads its creator from its stack trace
// (once: the answer is cached) and nests under the creator's innermost
// open entry of the same context.
//
// The stack trace costs microseconds, so it is read only when an open
// entry somewhere shares the context's span (the open index says so).
// Under a context with no span, which unrelated runs share, only a
// goroutine LangChainGo itself created is taken to belong to its creator's
// run: a worker pool an application started long before may serve many.

// maxInheritDepth bounds the creators walked up through goroutines that
// have no open entry of their own.
const maxInheritDepth = 4

// maxCreators bounds the creators one lane shard caches.
const maxCreators = 1 << 10

// creator is who created a goroutine: its id (0 when unknown) and
// whether the creating code is LangChainGo's.
type creator struct {
	gid         int64
	langchaingo bool
}

// topFor returns the entry a callback on goroutine g, under a context
// carrying ctxSpan, nests under: the innermost of g's lane, else the one
// it inherits from its creator, else nil.
func topFor(g int64, ctxSpan *tracium.Span) *entry {
	if top := lanes.top(g); top != nil {
		return top
	}
	if !lanes.open.has(ctxSpan) {
		return nil
	}
	return lanes.inherited(g, ctxSpan)
}

// inherited finds g's parent entry among its creators' lanes.
func (r *laneRegistry) inherited(g int64, ctxSpan *tracium.Span) *entry {
	matches := func(e *entry) bool {
		return !e.leaf() && (e.ctxSpan == ctxSpan || e.span == ctxSpan)
	}
	for range maxInheritDepth {
		c := r.creatorOf(g)
		if c.gid == 0 || ctxSpan == nil && !c.langchaingo {
			return nil
		}
		if e := r.find(c.gid, matches); e != nil {
			return e
		}
		g = c.gid
	}
	return nil
}

// creatorOf returns who created g: from the cache, or, when g is the
// calling goroutine, from its stack trace. A goroutine other than the
// caller that is not cached is unknown.
func (r *laneRegistry) creatorOf(g int64) creator {
	sh := r.shard(g)
	sh.mu.Lock()
	c, ok := sh.creators[g]
	sh.mu.Unlock()
	if ok {
		return c
	}
	if g != goid.Get() {
		return creator{}
	}
	c = readCreator()
	sh.mu.Lock()
	if sh.creators == nil || len(sh.creators) >= maxCreators {
		sh.creators = make(map[int64]creator)
	}
	sh.creators[g] = c
	sh.mu.Unlock()
	return c
}

// stackBuffers hold stack traces while readCreator reads them.
var stackBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

var createdBy = []byte("\ncreated by ")

// readCreator reads the calling goroutine's creator from the last frame
// of its stack trace: "created by <function> in goroutine <id>".
func readCreator() creator {
	bp := stackBuffers.Get().(*[]byte)
	defer stackBuffers.Put(bp)
	n := runtime.Stack(*bp, false)
	if n == len(*bp) {
		return creator{} // cut short: the creator is in the part left out
	}
	trace := (*bp)[:n]
	i := bytes.LastIndex(trace, createdBy)
	if i < 0 {
		return creator{}
	}
	line, _, _ := bytes.Cut(trace[i+len(createdBy):], []byte("\n"))
	fn, id, ok := bytes.Cut(line, []byte(" in goroutine "))
	if !ok {
		return creator{}
	}
	gid, err := strconv.ParseInt(string(id), 10, 64)
	if err != nil {
		return creator{}
	}
	return creator{gid: gid, langchaingo: bytes.HasPrefix(fn, []byte("github.com/tmc/langchaingo/"))}
}

// ctxIndex counts open entries by the span their context carried (nil
// included). Safe for concurrent use.
type ctxIndex struct {
	shards [laneShards]struct {
		mu sync.Mutex
		n  map[*tracium.Span]int32
	}
}

func (x *ctxIndex) shard(s *tracium.Span) int {
	// Spans are heap objects of more than 64 bytes: the low bits of their
	// addresses say nothing.
	return int(uintptr(unsafe.Pointer(s)) >> 6 % laneShards)
}

// add changes the count of s by d.
func (x *ctxIndex) add(s *tracium.Span, d int32) {
	sh := &x.shards[x.shard(s)]
	sh.mu.Lock()
	if sh.n == nil {
		sh.n = make(map[*tracium.Span]int32)
	}
	if n := sh.n[s] + d; n > 0 {
		sh.n[s] = n
	} else {
		delete(sh.n, s)
	}
	sh.mu.Unlock()
}

// has reports whether some open entry started under s.
func (x *ctxIndex) has(s *tracium.Span) bool {
	sh := &x.shards[x.shard(s)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.n[s] > 0
}
