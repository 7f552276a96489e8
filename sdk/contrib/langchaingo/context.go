package traciumlangchaingo

import (
	"context"

	"github.com/petermattis/goid"
	tracium "github.com/tracium/tracium/sdk"
)

// Context returns ctx carrying the innermost span the handler has open on
// the calling goroutine (inside a tool's Call, that tool's span), or ctx
// itself when there is none. LangChainGo hands a tool the context its
// caller had, which holds none of the handler's spans; a tool that starts
// spans of its own with tracium.StartSpan, or calls a model through
// another client, passes Context(ctx) so that they nest under the tool.
// Callbacks fired under the returned context nest as they would under
// ctx.
func Context(ctx context.Context) context.Context {
	ctxSpan := tracium.SpanFromContext(ctx)
	top := topFor(goid.Get(), ctxSpan)
	if top == nil || parentOf(ctxSpan, top) != top.span {
		return ctx
	}
	return tracium.ContextWithSpan(ctx, top.span)
}
