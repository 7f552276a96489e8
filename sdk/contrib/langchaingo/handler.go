package traciumlangchaingo

import (
	"context"
	"time"

	"github.com/petermattis/goid"
	"github.com/tmc/langchaingo/callbacks"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/schema"
	tracium "github.com/tracium/tracium/sdk"
)

// framework is the value of tracium.AttrFramework on every span recorded
// here.
const framework = "langchaingo"

// Attributes the handler records beside tracium's own.
const (
	// attrAgentActions lists the actions an agent took, in order (the
	// first maxActions); attrAgentActionsOmitted counts the rest.
	attrAgentActions        = "agent.actions"
	attrAgentActionsOmitted = "agent.actions_omitted"
	// attrAgentFinish is the agent's finish: its return values and log.
	attrAgentFinish = "agent.finish"
	// attrToolCallID is the id of the model's tool call a tool span
	// answers, under OpenTelemetry GenAI's name.
	attrToolCallID = "gen_ai.tool.call.id"
	// attrDocuments counts the documents a retriever returned.
	attrDocuments = "retrieval.documents"
	// attrEndInferred marks a span LangChainGo never reported the end of;
	// it ended when the next callback showed its call had returned.
	attrEndInferred = "langchaingo.end_inferred"
	// attrAbandoned marks a span ended after staleAfter with no end.
	attrAbandoned = "langchaingo.abandoned"
)

// NewHandler returns a LangChainGo callbacks handler that records what it
// is told as Tracium spans; pass it wherever LangChainGo takes one
// (openai.WithCallback, chains.WithCallback, agents.WithCallbacksHandler,
// the CallbacksHandler field of tools and retrievers). One handler may
// serve every component and goroutine of a program; handlers hold no state
// of their own, so any number of them nest their spans together.
//
// Spans nest under the span the callback's context carries (an
// AgentTrace, an HTTP request span) or start a trace of their own on the
// default client; under each other they nest by goroutine, as LangChainGo
// runs them. Nothing is recorded while the default client has
// WithAutoInstrumentLangChain(false). See the package documentation for
// what each callback records.
func NewHandler() callbacks.Handler { return handler{} }

// handler implements callbacks.Handler. chainName names the chain spans
// it starts; Chain sets it to the type of the chain it wraps.
type handler struct{ chainName string }

var _ callbacks.Handler = handler{}

// begin starts a span of kind under the innermost span of goroutine g's
// lane (or of its creator's, see topFor), or under the span ctx carries,
// and pushes it on g's lane. It returns nil when recording is off or the
// span would go nowhere.
func begin(ctx context.Context, g int64, kind tracium.SpanType, name string) *entry {
	c := tracium.DefaultClient()
	if !c.AutoInstrumentLangChain() {
		return nil
	}
	ctxSpan := tracium.SpanFromContext(ctx)
	parent := parentOf(ctxSpan, topFor(g, ctxSpan))
	if parent == nil && !c.Enabled() {
		return nil // a new trace on a client that sends nothing
	}
	if parent != nil && parent != ctxSpan {
		ctx = tracium.ContextWithSpan(ctx, parent)
	}
	_, span := tracium.StartSpan(ctx, kind, name)
	span.SetAttribute(tracium.AttrFramework, framework)
	e := &entry{span: span, kind: kind, start: time.Now(), ctxSpan: ctxSpan}
	if !lanes.push(g, e) {
		return nil // the span is never ended, so never sent
	}
	return e
}

// parentOf picks the parent of a span starting under a context that
// carries ctxSpan while top is the innermost entry of the lane: top, unless
// the context carries a span the application started inside top (or one
// from another run altogether), which is closer.
func parentOf(ctxSpan *tracium.Span, top *entry) *tracium.Span {
	if top != nil && (ctxSpan == nil || ctxSpan == top.ctxSpan || ctxSpan == top.span) {
		return top.span
	}
	return ctxSpan
}

// settle ends the leaf spans at the top of g's lane: a new callback there
// means their calls returned without an end callback.
func settle(g int64) {
	for _, e := range lanes.popLeaves(g) {
		e.span.SetAttribute(attrEndInferred, true)
		endEntry(e)
	}
}

// closeAll ends entries popped above the one an end callback was for;
// err, when set, is the error that came up through them.
func closeAll(es []*entry, err error) {
	for _, e := range es {
		if err != nil && !e.span.LLMCallRecorded() {
			e.span.SetError(err)
		}
		if e.leaf() {
			e.span.SetAttribute(attrEndInferred, true)
		}
		endEntry(e)
	}
}

// endEntry ends e's span with what only its end knows.
func endEntry(e *entry) {
	if e.kind == tracium.SpanAgent {
		if len(e.actions) > 0 {
			e.span.SetAttribute(attrAgentActions, e.actions)
		}
		if e.actionsOmitted > 0 {
			e.span.SetAttribute(attrAgentActionsOmitted, e.actionsOmitted)
		}
		if e.finish != nil {
			e.span.SetAttribute(attrAgentFinish, e.finish)
		}
	}
	e.span.End()
}

func isChain(e *entry) bool {
	return e.kind == tracium.SpanChain || e.kind == tracium.SpanAgent
}
func isTool(e *entry) bool      { return e.kind == tracium.SpanTool }
func isRetrieval(e *entry) bool { return e.kind == tracium.SpanRetrieval }
func isLLM(e *entry) bool       { return e.kind == tracium.SpanLLM }

// HandleText is not recorded: LangChainGo fires it for no run.
func (handler) HandleText(context.Context, string) {}

// HandleLLMStart starts an llm span for a completion of prompts. No
// provider of LangChainGo v0.1.14 calls it; a model that does and then
// also calls HandleLLMGenerateContentStart gets one span.
func (handler) HandleLLMStart(ctx context.Context, prompts []string) {
	g := goid.Get()
	settle(g)
	if e := begin(ctx, g, tracium.SpanLLM, "llm"); e != nil {
		e.fromPrompts = true
		e.span.RecordInput(promptChat(prompts))
	}
}

// HandleLLMGenerateContentStart starts an llm span with the messages
// sent. When the messages carry the result of the tool call the agent
// executor ran last, that tool span ends first, with the result.
func (handler) HandleLLMGenerateContentStart(ctx context.Context, ms []llms.MessageContent) {
	g := goid.Get()
	if top := lanes.top(g); top != nil && top.kind == tracium.SpanLLM && top.fromPrompts && !top.wire {
		top.fromPrompts = false
		top.span.RecordInput(inputChat(ms))
		return
	}
	settle(g)
	endObservedTool(g, func(a *schema.AgentAction) (string, bool) { return messagesObservation(ms, a) })
	if e := begin(ctx, g, tracium.SpanLLM, "llm"); e != nil {
		e.span.RecordInput(inputChat(ms))
	}
}

// HandleLLMGenerateContentEnd ends the llm span with the answer, unless
// its HTTP call was recorded into it already (the wire's model, usage and
// chat are exact).
func (handler) HandleLLMGenerateContentEnd(_ context.Context, res *llms.ContentResponse) {
	e := lanes.popTop(goid.Get(), isLLM)
	if e == nil {
		return
	}
	if !e.span.LLMCallRecorded() {
		recordResponse(e.span, res)
	}
	endEntry(e)
}

// HandleLLMError ends the llm span as failed. LangChainGo's OpenAI
// provider never calls it; the transport or the enclosing chain's error
// ends that span instead.
func (handler) HandleLLMError(_ context.Context, err error) {
	e := lanes.popTop(goid.Get(), isLLM)
	if e == nil {
		return
	}
	if !e.span.LLMCallRecorded() {
		e.span.SetError(err)
	}
	endEntry(e)
}

// HandleChainStart starts a chain span with the chain's inputs. An agent
// executor starts as a chain too; its first action makes it an agent
// span.
func (h handler) HandleChainStart(ctx context.Context, inputs map[string]any) {
	g := goid.Get()
	settle(g)
	endObservedTool(g, func(a *schema.AgentAction) (string, bool) { return scratchpadObservation(inputs, a) })
	name := h.chainName
	if name == "" {
		name = "chain"
	}
	if e := begin(ctx, g, tracium.SpanChain, name); e != nil {
		e.span.RecordInput(boundedMap(inputs))
	}
}

// HandleChainEnd ends the innermost chain or agent span with its outputs.
func (handler) HandleChainEnd(_ context.Context, outputs map[string]any) {
	e, above := lanes.popTo(goid.Get(), isChain)
	closeAll(above, nil)
	if e == nil {
		return
	}
	e.span.RecordOutput(boundedMap(outputs))
	endEntry(e)
}

// HandleChainError ends the innermost chain or agent span as failed, and
// the spans still open inside it with the same error: a failed model call
// reaches the handler only this way.
func (handler) HandleChainError(_ context.Context, err error) {
	e, above := lanes.popTo(goid.Get(), isChain)
	closeAll(above, err)
	if e == nil {
		return
	}
	e.span.SetError(err)
	endEntry(e)
}

// HandleToolStart starts a tool span with its input; inside the agent
// executor, whose action already started the tool's span, it adds to
// that span.
func (handler) HandleToolStart(ctx context.Context, input string) {
	g := goid.Get()
	settle(g)
	if top := lanes.top(g); top != nil && top.action != nil && !top.adopted {
		top.adopted = true
		top.span.RecordInput(tracium.JSONValue(truncate(input, maxRecordedField)))
		return
	}
	if e := begin(ctx, g, tracium.SpanTool, "tool"); e != nil {
		e.span.RecordInput(tracium.JSONValue(truncate(input, maxRecordedField)))
	}
}

// HandleToolEnd ends the innermost tool span with its output.
func (handler) HandleToolEnd(_ context.Context, output string) {
	e, above := lanes.popTo(goid.Get(), isTool)
	closeAll(above, nil)
	if e == nil {
		return
	}
	e.span.RecordOutput(tracium.JSONValue(truncate(output, maxRecordedField)))
	endEntry(e)
}

// HandleToolError ends the innermost tool span as failed.
func (handler) HandleToolError(_ context.Context, err error) {
	e, above := lanes.popTo(goid.Get(), isTool)
	closeAll(above, err)
	if e == nil {
		return
	}
	e.span.SetError(err)
	endEntry(e)
}

// HandleAgentAction makes the innermost chain span an agent span, adds
// the action to it, and starts the action's tool span: the executor runs
// tools without tool callbacks.
func (handler) HandleAgentAction(ctx context.Context, action schema.AgentAction) {
	g := goid.Get()
	closeAll(lanes.popWhile(g, leafOrAction), nil)
	rec := newAction(action)
	if agent := lanes.top(g); agent != nil && isChain(agent) {
		makeAgent(agent)
		if len(agent.actions) < maxActions {
			agent.actions = append(agent.actions, rec)
		} else {
			agent.actionsOmitted++
		}
	}
	if e := begin(ctx, g, tracium.SpanTool, action.Tool); e != nil {
		e.action = &action
		e.span.RecordInput(tracium.JSONValue(rec.ToolInput))
		if action.ToolID != "" {
			e.span.SetAttribute(attrToolCallID, action.ToolID)
		}
	}
}

// HandleAgentFinish makes the innermost chain span an agent span and
// records the finish on it.
func (handler) HandleAgentFinish(_ context.Context, finish schema.AgentFinish) {
	g := goid.Get()
	closeAll(lanes.popWhile(g, leafOrAction), nil)
	if agent := lanes.top(g); agent != nil && isChain(agent) {
		makeAgent(agent)
		agent.finish = &finishRecord{ReturnValues: boundedMap(finish.ReturnValues), Log: truncate(finish.Log, maxRecordedField)}
	}
}

// HandleRetrieverStart starts a retrieval span with the query.
func (handler) HandleRetrieverStart(ctx context.Context, query string) {
	g := goid.Get()
	settle(g)
	if e := begin(ctx, g, tracium.SpanRetrieval, "retriever"); e != nil {
		e.span.RecordInput(map[string]string{"query": truncate(query, maxRecordedField)})
	}
}

// HandleRetrieverEnd ends the retrieval span with the documents found.
func (handler) HandleRetrieverEnd(_ context.Context, _ string, docs []schema.Document) {
	e, above := lanes.popTo(goid.Get(), isRetrieval)
	closeAll(above, nil)
	if e == nil {
		return
	}
	e.span.RecordOutput(documents(docs))
	e.span.SetAttribute(attrDocuments, len(docs))
	endEntry(e)
}

// HandleStreamingFunc records the time to first token of the llm span
// being streamed, when its HTTP call was not seen (the wire's is exact).
func (handler) HandleStreamingFunc(_ context.Context, chunk []byte) {
	e := lanes.top(goid.Get())
	if e == nil || e.kind != tracium.SpanLLM || e.streamed || len(chunk) == 0 {
		return
	}
	e.streamed = true
	if !e.span.LLMCallRecorded() {
		e.span.SetTimeToFirstToken(time.Since(e.start))
		e.span.SetAttribute(tracium.AttrStream, true)
	}
}
