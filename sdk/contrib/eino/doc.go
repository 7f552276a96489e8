// Package traciumeino traces Eino (github.com/cloudwego/eino) graphs,
// chains, workflows, ReAct agents and their components with Tracium. The
// one line a program adds, in main after tracium.Init:
//
//	traciumeino.Register()
//
// Register installs a global Eino callback handler, once however often it
// is called, and reads each graph's declared edges when Eino compiles it.
// Handler returns the same handler for one run instead
// (compose.WithCallbacks(traciumeino.Handler())). Nothing is recorded
// while the default client has WithAutoInstrumentLangGraph(false).
//
// What a run records, nested under whatever trace or span its context
// carries (an AgentTrace, an HTTP request span) and as a trace of its own
// when there is none:
//
//   - a graph, chain or workflow run is a graph span named by its graph
//     name, with its input and output and, in graph.edges, the edges the
//     run took: [{"from","to"}...] in the order the nodes ran, START and
//     END included, with the branch chosen, every path of a fan-out and a
//     repeat for every turn of a loop. A graph used as a node of another
//     is a graph span in its parent's node place.
//   - each node is a node span named by its node key, with graph.node (the
//     key) and graph.path (its compose.GetCurrentAddress).
//   - a ChatModel call is an llm span under its node: the model, the
//     messages, tools, tool choice and parameters, the answer with its tool
//     calls and finish reason, and usage with cached and reasoning tokens,
//     in the recorded chat shape and the token convention (tracium.Usage).
//     When the model calls its provider over HTTP through the SDK's
//     transport (eino-ext's OpenAI model does, once tracium.Init has run),
//     that call is recorded into this span (Span.CaptureLLMCall): one span
//     per call, with the wire's answering model, exact usage and time to
//     first token. A model that makes no HTTP call has its callback output
//     and usage recorded. A streamed answer is read from a copy of the
//     stream, so the caller's stream is never delayed; the span ends when
//     the stream does, with the assembled answer and the time to first
//     token.
//   - a tool call is a tool span with the tool's name, arguments, result
//     and tool call id.
//   - a retriever call is a retrieval span (query, document ids, scores and
//     content cut to 1 KiB), an indexer call a retrieval span with the
//     stored document ids, an embedding call an embedding span.
//   - a ReAct agent (flow/agent/react) is an agent span around its model
//     and tool steps.
//   - an error marks the span of the node that failed and the graph's.
//
// A span started inside a node with tracium.StartSpan nests under that
// node.
//
// Graph edges come from the declared edges and branches, which Eino hands
// only to compile callbacks: Register installs one
// (compose.InitGraphCompileCallbacks, replacing the list set before it). A
// program with compile callbacks of its own includes CompileCallback in
// its list; one that traces with Handler alone passes it to Compile
// (compose.WithGraphCompileCallbacks). A graph compiled without it records
// no edges; everything else is recorded.
package traciumeino
