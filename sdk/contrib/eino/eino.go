package traciumeino

import (
	"context"
	"sync"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"

	tracium "github.com/tracium/tracium/sdk"
)

// framework is the AttrFramework value of every span this package starts.
const framework = "eino"

var registerOnce sync.Once

// Eino's global registrations, which the test of Register counts.
var (
	appendGlobalHandlers = callbacks.AppendGlobalHandlers
	setCompileCallbacks  = compose.InitGraphCompileCallbacks
)

// Register makes every Eino run in the process traced: it appends the
// handler to Eino's global callback handlers and installs the compile
// callback that reads each graph's edges. Call it once in main after
// tracium.Init and before graphs are compiled; later calls do nothing.
// Like Eino's own global registration it is not meant to race with graph
// runs.
func Register() {
	registerOnce.Do(func() {
		appendGlobalHandlers(theHandler)
		setCompileCallbacks([]compose.GraphCompileCallback{shapes})
	})
}

// CompileCallback returns the compile callback Register installs, which
// keeps each compiled graph's declared edges and branches so that its runs
// can record the edges they took. Eino keeps one global list of compile
// callbacks and Register replaces it; a program that sets its own list
// with compose.InitGraphCompileCallbacks includes this one in it, and one
// that traces with Handler alone passes it to Compile with
// compose.WithGraphCompileCallbacks.
func CompileCallback() compose.GraphCompileCallback { return shapes }

// Handler returns the Tracium callback handler for one run:
// runnable.Invoke(ctx, in, compose.WithCallbacks(traciumeino.Handler())).
// It is the handler Register installs; a run that has both records each
// span once. Safe for concurrent use by any number of runs.
func Handler() callbacks.Handler { return theHandler }

// theHandler is stateless: everything about one run travels in its
// context.
var theHandler = &handler{}

// handler turns Eino callbacks into spans. Each OnStart puts a *run in the
// context Eino hands to the matching OnEnd, OnError or stream end.
type handler struct{}

// Needed tells Eino to skip the handler (and the stream copies it would
// get) when nothing would be recorded: instrumentation is off, or no
// client could send the spans.
func (h *handler) Needed(ctx context.Context, _ *callbacks.RunInfo, _ callbacks.CallbackTiming) bool {
	c := tracium.DefaultClient()
	if !c.AutoInstrumentLangGraph() {
		return false
	}
	return c.Enabled() || tracium.SpanFromContext(ctx) != nil
}

// OnStart starts the spans of a component, node or graph run.
func (h *handler) OnStart(ctx context.Context, info *callbacks.RunInfo, input callbacks.CallbackInput) context.Context {
	ctx, r := h.start(ctx, info)
	if r != nil {
		r.recordInput(input)
	}
	return ctx
}

// OnStartWithStreamInput starts the spans of a run whose input is a
// stream (a graph run by Stream or Transform); the input is read from the
// handler's own copy.
func (h *handler) OnStartWithStreamInput(ctx context.Context, info *callbacks.RunInfo, input *schema.StreamReader[callbacks.CallbackInput]) context.Context {
	ctx, r := h.start(ctx, info)
	if r == nil {
		input.Close()
		return ctx
	}
	go r.readInputStream(input)
	return ctx
}

// OnEnd records the output and ends the run's spans.
func (h *handler) OnEnd(ctx context.Context, info *callbacks.RunInfo, output callbacks.CallbackOutput) context.Context {
	if r := runOf(ctx, info); r != nil && r.claimEnd() {
		r.finish(output)
	}
	return ctx
}

// OnEndWithStreamOutput reads the handler's copy of the output stream in
// a goroutine and ends the spans when the stream ends; the caller's copy
// is never waited on.
func (h *handler) OnEndWithStreamOutput(ctx context.Context, info *callbacks.RunInfo, output *schema.StreamReader[callbacks.CallbackOutput]) context.Context {
	r := runOf(ctx, info)
	if r == nil || !r.claimEnd() {
		output.Close()
		return ctx
	}
	r.logEnd(true)
	go r.readOutputStream(output)
	return ctx
}

// OnError marks the run's spans failed and ends them. An error reported
// without a start (a model that fails before calling OnStart) gets a
// failed span of its own.
func (h *handler) OnError(ctx context.Context, info *callbacks.RunInfo, err error) context.Context {
	r := runOf(ctx, info)
	if r == nil {
		if ctx, r = h.start(ctx, info); r == nil {
			return ctx
		}
	}
	if r.claimEnd() {
		r.fail(err)
	}
	return ctx
}
