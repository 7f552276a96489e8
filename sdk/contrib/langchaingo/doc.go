// Package traciumlangchaingo traces LangChainGo (github.com/tmc/langchaingo)
// chains, agents, tools, retrievers and LLM calls with Tracium. The line a
// program adds is one handler, given to each component that takes one:
//
//	h := traciumlangchaingo.NewHandler()
//	llm, _ := openai.New(openai.WithCallback(h))
//	chain := chains.NewLLMChain(llm, prompt, chains.WithCallback(h))
//
// (and agents.WithCallbacksHandler(h) for an agent and its executor, the
// CallbacksHandler field for tools and retrievers). Chains LangChainGo
// runs without callbacks of their own (SequentialChain, RetrievalQA and
// the other document chains) take one more word: chains.Call(ctx,
// traciumlangchaingo.Chain(seq), inputs).
//
// What is recorded, each span nested under the span the context carries
// (an AgentTrace, an HTTP request span) or in a trace of its own:
//
//   - a chain: a chain span with its inputs and outputs;
//   - the agent executor: an agent span with every action (tool, tool
//     input, log, tool call id) and the finish, each action's tool call a
//     tool span under it with the tool's input and result;
//   - a tool that reports itself: a tool span with its input and output;
//   - a retriever: a retrieval span with the query and the documents
//     (content, metadata and score, each cut to a bound);
//   - an LLM call: one llm span with the messages and answer in Tracium's
//     recorded chat shape (tool calls included), the stop reason, the
//     answering model, the usage under Tracium's token convention, and for
//     a stream the time to first token.
//
// The llm span is one span however the call is seen. Importing this
// package wraps the transport of LangChainGo's own HTTP client
// (httputil.DefaultClient, which its providers use unless given another):
// the call's HTTP exchange is recorded into the handler's llm span, with
// the model that answered, the provider's exact usage and the time to the
// first streamed chunk even when the chunks go only to the application's
// streaming function. A provider given its own HTTP client takes
// Transport around that client's transport for the same result; without
// it the span holds what the callbacks tell: the usage read from the
// provider's GenerationInfo (OpenAI's PromptTokens, CompletionTokens,
// ReasoningTokens, PromptCachedTokens; Anthropic's InputTokens,
// OutputTokens, CacheCreationInputTokens, CacheReadInputTokens), and the
// time to the first chunk that reaches the handler. Do not give a provider
// tracium.HTTPClient or http.DefaultClient after tracium.Init: its calls
// are then recorded once by the handler and once more by tracium's
// transport, which cannot tell they are the same.
//
// LangChainGo's callbacks cannot return a context, and nested chains,
// models and tools all receive their caller's. Spans nest by goroutine
// instead: LangChainGo runs a chain's calls, and fires their callbacks, on
// the goroutine that called it, so each goroutine's open spans are a stack
// that every callback there pushes to or pops from. Runs of one trace on
// many goroutines at once, sharing one context, nest correctly; so do the
// goroutines a run starts (see below).
//
// What LangChainGo v0.1.14 does not report, and how the handler covers it:
// no provider calls HandleLLMStart (the span starts at
// HandleLLMGenerateContentStart); the OpenAI provider fires no
// HandleLLMError (the transport ends the span with the provider's error,
// else the enclosing chain's HandleChainError does); the Anthropic
// provider fires no HandleLLMGenerateContentEnd (the transport, else the
// next callback, ends the span); the agent executor fires no tool
// callbacks (its actions start the tool spans, and the result comes from
// the next plan's prompt); SequentialChain and RetrievalQA fire nothing
// (Chain). What remains:
//
//   - Work a run hands to goroutines of its own nests under the chain or
//     tool that started them (each such goroutine reads its creator from
//     its stack trace once) when LangChainGo started them (chains.Apply,
//     which MapReduceDocuments uses) or when the context carries a span;
//     a goroutine the application starts under a context with no span,
//     or whose creator has ended, nests under the context's span.
//   - A span the application starts inside a tool, with tracium.StartSpan
//     on the tool's context, nests beside the tool span, not under it: the
//     context holds none of the handler's spans. Context(ctx) returns one
//     that does.
//   - When the executor runs several actions of one plan, the tool spans
//     before the last have no output, and with a MRKL prompt of one's own
//     whose scratchpad is not last, the last tool span's output holds the
//     prompt's tail too.
//   - Chain spans are named "chain" (a callback does not say which chain
//     it is), except those Chain wraps.
//   - A model call that fails where the transport does not see it, outside
//     any chain, keeps its span open until the next callback on that
//     goroutine; spans left open an hour are ended when the lanes fill
//     (attribute langchaingo.abandoned).
//
// Nothing is recorded while the default client has
// WithAutoInstrumentLangChain(false); LangChainGo's HTTP calls are then
// traced as any client's are, while the default client auto-instruments
// LLM clients.
package traciumlangchaingo
