package tracium

// Attribute keys that Tracium's integrations record and its UI reads. They
// follow the OpenTelemetry semantic conventions where one exists, so that a
// span from an integration and the same span arriving over OTLP look alike.
const (
	// HTTP server and client spans.
	AttrHTTPMethod       = "http.request.method"
	AttrHTTPRoute        = "http.route"
	AttrHTTPStatusCode   = "http.response.status_code"
	AttrHTTPResponseSize = "http.response.body.size"
	AttrURLPath          = "url.path"
	// AttrHTTPRequestHeaderPrefix is followed by the lower-cased header
	// name: "http.request.header.x-tenant".
	AttrHTTPRequestHeaderPrefix = "http.request.header."

	// RPC spans (gRPC).
	AttrRPCSystem         = "rpc.system"
	AttrRPCService        = "rpc.service"
	AttrRPCMethod         = "rpc.method"
	AttrRPCGRPCStatusCode = "rpc.grpc.status_code"

	// Background job spans (task type). Queue, id and system follow
	// OpenTelemetry's messaging conventions; the others have none.
	AttrMessagingSystem    = "messaging.system"
	AttrMessagingQueue     = "messaging.destination.name"
	AttrMessagingMessageID = "messaging.message.id"
	AttrMessagingOperation = "messaging.operation.type" // "send" (enqueue) or "process"
	AttrTaskAttempt        = "task.attempt"             // 1 for the first run
	AttrTaskMaxRetries     = "task.max_retries"
	AttrTaskQueuedMS       = "task.queued_ms" // from enqueue (or schedule) to the start of this attempt

	// Framework runs (graph, chain, node, agent spans). A graph span
	// records the edges its run took, in order, as a list of
	// {"from": node, "to": node} objects (repeats included, so that loops
	// and fan-out show), for the UI's graph view; node spans record their
	// key and address path.
	AttrGraphEdges = "graph.edges"
	AttrGraphNode  = "graph.node"
	AttrGraphPath  = "graph.path"
	// AttrFramework names the framework that recorded a span
	// ("langchaingo", "eino").
	AttrFramework = "framework"

	// Tool spans (OpenTelemetry GenAI names).
	AttrToolName   = "gen_ai.tool.name"
	AttrToolCallID = "gen_ai.tool.call.id"

	// LLM request parameters, as the SDK and the framework integrations
	// record them.
	AttrTemperature         = "temperature"
	AttrTopP                = "top_p"
	AttrMaxTokens           = "max_tokens"
	AttrMaxCompletionTokens = "max_completion_tokens"
	AttrMaxOutputTokens     = "max_output_tokens"
	AttrStop                = "stop"
	AttrTools               = "tools"       // the names of the tools offered
	AttrToolChoice          = "tool_choice" // "auto", "required", a tool's name, or the provider's JSON
	AttrResponseFormat      = "response_format"

	// LLM spans.
	AttrStream            = "stream"
	AttrStreamClosedEarly = "stream_closed_early" // the caller closed the stream before its end: not an error
	AttrUsageMissing      = "usage_missing"       // the provider reported no token counts
	AttrUsageEstimated    = "usage_estimated"     // the collector estimated the counts (set by the collector only)
	AttrAttempt           = "attempt"             // the client's retry count of this call, 0 for the first try

	// OpenTelemetry spans nested under Tracium spans (sdk/contrib/otel),
	// as 32 and 16 lowercase hex digits: the Tracium trace an OpenTelemetry
	// span belongs to when its own trace id is another (a TracerProvider
	// the bridge did not build picks its ids), and its parent when that is
	// a Tracium span rather than the parent OTLP names. The collector's
	// OTLP mapping gives the span this trace id and this parent.
	AttrTraciumTraceID      = "tracium.trace_id"
	AttrTraciumParentSpanID = "tracium.parent_span_id"
)

// Error types the SDK and its integrations record for failures that carry
// no error value of their own.
const (
	ErrorTypePanic     = "panic"
	ErrorTypeHTTPError = "http_error"
)
