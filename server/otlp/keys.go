package otlp

// The attribute keys the mapping reads, one enumeration so that a span's
// attributes are indexed in one pass (spanAttrs) and every rule names its
// keys by constant. keyNames spells each as emitters send it.
type key uint8

const (
	// Span type.
	kGenAIOperationName key = iota
	kOpenInferenceSpanKind
	kTraceloopSpanKind
	kTraceloopEntityName
	kLLMRequestType
	kAIOperationID
	kGenkitType
	kGenkitSubtype
	kADKLLMRequest
	kADKLLMResponse
	kADKToolCallArgs
	kADKToolResponse
	kHTTPRequestMethod
	kHTTPMethod
	kRPCSystem
	kMessagingSystem

	// Model and provider.
	kGenAIResponseModel
	kGenAIRequestModel
	kLLMResponseModelName
	kLLMModelName
	kLLMRequestModelName
	kLLMInvocationParameters
	kAIResponseModel
	kAIModelID
	kEmbeddingModelName
	kGenkitName
	kGenAIProviderName
	kGenAISystem
	kLLMProvider
	kLLMSystem
	kAIModelProvider

	// Usage.
	kGenAIInputTokens
	kGenAIOutputTokens
	kGenAICacheReadTokens
	kGenAICacheCreationTokens
	kGenAIReasoningTokens
	kGenAIPromptTokens
	kGenAICompletionTokens
	kGenAICacheReadTokensOld
	kGenAICacheCreationTokensOld
	kGenAIReasoningTokensOld
	kGenAITotalTokens
	kLLMUsageTotalTokens
	kLLMTokenPrompt
	kLLMTokenCompletion
	kLLMTokenTotal
	kLLMTokenCacheRead
	kLLMTokenCacheWrite
	kLLMTokenReasoning
	kAIUsagePromptTokens
	kAIUsageCompletionTokens
	kAIUsageInputTokens
	kAIUsageOutputTokens
	kAIUsageTotalTokens
	kAIUsageCachedInputTokens
	kAIUsageReasoningTokens
	kAIUsageNoCacheTokens
	kAIUsageCacheReadTokens
	kAIUsageCacheWriteTokens
	kAIUsageTextTokens
	kAIUsageOutputReasoningTokens
	kAIUsageTokens
	kAIProviderMetadata

	// Messages and payloads.
	kGenAIInputMessages
	kGenAIOutputMessages
	kGenAISystemInstructions
	kGenAIPrompt
	kGenAICompletion
	kGenAIFinishReasons
	kLLMFinishReason
	kAIPromptMessages
	kAIPrompt
	kAIResponseText
	kAIResponseReasoning
	kAIResponseToolCalls
	kAIResponseFinishReason
	kAIResponseObject
	kAIValue
	kAIValues
	kGenkitInput
	kGenkitOutput
	kInputValue
	kInputMimeType
	kOutputValue
	kOutputMimeType
	kTraceloopEntityInput
	kTraceloopEntityOutput

	// Tools.
	kGenAIToolName
	kToolName
	kAIToolCallName
	kGenAIToolCallID
	kAIToolCallID
	kGenAIToolCallArguments
	kAIToolCallArgs
	kGenAIToolCallResult
	kAIToolCallResult

	// Trace fields, timing, errors.
	kGenAIConversationID
	kSessionID
	kTraceloopSessionID
	kAISessionID
	kUserID
	kEndUserID
	kTraceloopUserID
	kAIUserID
	kTagTags
	kGenAIAgentName
	kAgentName
	kMetadata
	kGenAITimeToFirstChunk
	kGenAIClientTimeToFirstChunk
	kAIMsToFirstChunk
	kErrorType

	// Request parameters, renamed to the SDK's attribute names.
	kGenAIRequestTemperature
	kGenAIRequestTopP
	kGenAIRequestMaxTokens
	kGenAIRequestStream

	// Bridge markers.
	kTraciumTraceID
	kTraciumParentSpanID

	numKeys
)

var keyNames = [numKeys]string{
	kGenAIOperationName:    "gen_ai.operation.name",
	kOpenInferenceSpanKind: "openinference.span.kind",
	kTraceloopSpanKind:     "traceloop.span.kind",
	kTraceloopEntityName:   "traceloop.entity.name",
	kLLMRequestType:        "llm.request.type",
	kAIOperationID:         "ai.operationId",
	kGenkitType:            "genkit:type",
	kGenkitSubtype:         "genkit:metadata:subtype",
	kADKLLMRequest:         "gcp.vertex.agent.llm_request",
	kADKLLMResponse:        "gcp.vertex.agent.llm_response",
	kADKToolCallArgs:       "gcp.vertex.agent.tool_call_args",
	kADKToolResponse:       "gcp.vertex.agent.tool_response",
	kHTTPRequestMethod:     "http.request.method",
	kHTTPMethod:            "http.method",
	kRPCSystem:             "rpc.system",
	kMessagingSystem:       "messaging.system",

	kGenAIResponseModel:      "gen_ai.response.model",
	kGenAIRequestModel:       "gen_ai.request.model",
	kLLMResponseModelName:    "llm.response.model_name",
	kLLMModelName:            "llm.model_name",
	kLLMRequestModelName:     "llm.request.model_name",
	kLLMInvocationParameters: "llm.invocation_parameters",
	kAIResponseModel:         "ai.response.model",
	kAIModelID:               "ai.model.id",
	kEmbeddingModelName:      "embedding.model_name",
	kGenkitName:              "genkit:name",
	kGenAIProviderName:       "gen_ai.provider.name",
	kGenAISystem:             "gen_ai.system",
	kLLMProvider:             "llm.provider",
	kLLMSystem:               "llm.system",
	kAIModelProvider:         "ai.model.provider",

	kGenAIInputTokens:             "gen_ai.usage.input_tokens",
	kGenAIOutputTokens:            "gen_ai.usage.output_tokens",
	kGenAICacheReadTokens:         "gen_ai.usage.cache_read.input_tokens",
	kGenAICacheCreationTokens:     "gen_ai.usage.cache_creation.input_tokens",
	kGenAIReasoningTokens:         "gen_ai.usage.reasoning.output_tokens",
	kGenAIPromptTokens:            "gen_ai.usage.prompt_tokens",
	kGenAICompletionTokens:        "gen_ai.usage.completion_tokens",
	kGenAICacheReadTokensOld:      "gen_ai.usage.cache_read_input_tokens",
	kGenAICacheCreationTokensOld:  "gen_ai.usage.cache_creation_input_tokens",
	kGenAIReasoningTokensOld:      "gen_ai.usage.reasoning_tokens",
	kGenAITotalTokens:             "gen_ai.usage.total_tokens",
	kLLMUsageTotalTokens:          "llm.usage.total_tokens",
	kLLMTokenPrompt:               "llm.token_count.prompt",
	kLLMTokenCompletion:           "llm.token_count.completion",
	kLLMTokenTotal:                "llm.token_count.total",
	kLLMTokenCacheRead:            "llm.token_count.prompt_details.cache_read",
	kLLMTokenCacheWrite:           "llm.token_count.prompt_details.cache_write",
	kLLMTokenReasoning:            "llm.token_count.completion_details.reasoning",
	kAIUsagePromptTokens:          "ai.usage.promptTokens",
	kAIUsageCompletionTokens:      "ai.usage.completionTokens",
	kAIUsageInputTokens:           "ai.usage.inputTokens",
	kAIUsageOutputTokens:          "ai.usage.outputTokens",
	kAIUsageTotalTokens:           "ai.usage.totalTokens",
	kAIUsageCachedInputTokens:     "ai.usage.cachedInputTokens",
	kAIUsageReasoningTokens:       "ai.usage.reasoningTokens",
	kAIUsageNoCacheTokens:         "ai.usage.inputTokenDetails.noCacheTokens",
	kAIUsageCacheReadTokens:       "ai.usage.inputTokenDetails.cacheReadTokens",
	kAIUsageCacheWriteTokens:      "ai.usage.inputTokenDetails.cacheWriteTokens",
	kAIUsageTextTokens:            "ai.usage.outputTokenDetails.textTokens",
	kAIUsageOutputReasoningTokens: "ai.usage.outputTokenDetails.reasoningTokens",
	kAIUsageTokens:                "ai.usage.tokens",
	kAIProviderMetadata:           "ai.response.providerMetadata",

	kGenAIInputMessages:      "gen_ai.input.messages",
	kGenAIOutputMessages:     "gen_ai.output.messages",
	kGenAISystemInstructions: "gen_ai.system_instructions",
	kGenAIPrompt:             "gen_ai.prompt",
	kGenAICompletion:         "gen_ai.completion",
	kGenAIFinishReasons:      "gen_ai.response.finish_reasons",
	kLLMFinishReason:         "llm.finish_reason",
	kAIPromptMessages:        "ai.prompt.messages",
	kAIPrompt:                "ai.prompt",
	kAIResponseText:          "ai.response.text",
	kAIResponseReasoning:     "ai.response.reasoning",
	kAIResponseToolCalls:     "ai.response.toolCalls",
	kAIResponseFinishReason:  "ai.response.finishReason",
	kAIResponseObject:        "ai.response.object",
	kAIValue:                 "ai.value",
	kAIValues:                "ai.values",
	kGenkitInput:             "genkit:input",
	kGenkitOutput:            "genkit:output",
	kInputValue:              "input.value",
	kInputMimeType:           "input.mime_type",
	kOutputValue:             "output.value",
	kOutputMimeType:          "output.mime_type",
	kTraceloopEntityInput:    "traceloop.entity.input",
	kTraceloopEntityOutput:   "traceloop.entity.output",

	kGenAIToolName:          "gen_ai.tool.name",
	kToolName:               "tool.name",
	kAIToolCallName:         "ai.toolCall.name",
	kGenAIToolCallID:        "gen_ai.tool.call.id",
	kAIToolCallID:           "ai.toolCall.id",
	kGenAIToolCallArguments: "gen_ai.tool.call.arguments",
	kAIToolCallArgs:         "ai.toolCall.args",
	kGenAIToolCallResult:    "gen_ai.tool.call.result",
	kAIToolCallResult:       "ai.toolCall.result",

	kGenAIConversationID:         "gen_ai.conversation.id",
	kSessionID:                   "session.id",
	kTraceloopSessionID:          "traceloop.association.properties.session_id",
	kAISessionID:                 "ai.telemetry.metadata.sessionId",
	kUserID:                      "user.id",
	kEndUserID:                   "enduser.id",
	kTraceloopUserID:             "traceloop.association.properties.user_id",
	kAIUserID:                    "ai.telemetry.metadata.userId",
	kTagTags:                     "tag.tags",
	kGenAIAgentName:              "gen_ai.agent.name",
	kAgentName:                   "agent.name",
	kMetadata:                    "metadata",
	kGenAITimeToFirstChunk:       "gen_ai.response.time_to_first_chunk",
	kGenAIClientTimeToFirstChunk: "gen_ai.client.operation.time_to_first_chunk",
	kAIMsToFirstChunk:            "ai.response.msToFirstChunk",
	kErrorType:                   "error.type",

	kGenAIRequestTemperature: "gen_ai.request.temperature",
	kGenAIRequestTopP:        "gen_ai.request.top_p",
	kGenAIRequestMaxTokens:   "gen_ai.request.max_tokens",
	kGenAIRequestStream:      "gen_ai.request.stream",

	kTraciumTraceID:      "tracium.trace_id",
	kTraciumParentSpanID: "tracium.parent_span_id",
}

// keyByName finds a key by its attribute name; built once from keyNames.
var keyByName = func() map[string]key {
	m := make(map[string]key, numKeys)
	for k, name := range keyNames {
		m[name] = key(k)
	}
	return m
}()

// The attribute families read by prefix: indexed messages and metadata
// entries. A family's attributes are consumed together.
type family uint8

const (
	famInputMessages  family = iota // llm.input_messages.N.… (OpenInference)
	famOutputMessages               // llm.output_messages.N.…
	famPrompt                       // gen_ai.prompt.N.… (OpenLLMetry)
	famCompletion                   // gen_ai.completion.N.…
	famMetadata                     // metadata.…
	numFamilies
)

var familyPrefixes = [numFamilies]string{
	famInputMessages:  "llm.input_messages.",
	famOutputMessages: "llm.output_messages.",
	famPrompt:         "gen_ai.prompt.",
	famCompletion:     "gen_ai.completion.",
	famMetadata:       "metadata.",
}

// familyOf returns the family of an attribute name not in keyNames, and
// the rest of the name after the family's prefix. OpenLLMetry's indexed
// prompts need a digit after the prefix: gen_ai.prompt.name is another
// convention's attribute.
func familyOf(name string) (family, string, bool) {
	for f, p := range familyPrefixes {
		if len(name) > len(p) && name[:len(p)] == p {
			rest := name[len(p):]
			if (family(f) == famPrompt || family(f) == famCompletion) && (rest[0] < '0' || rest[0] > '9') {
				return 0, "", false
			}
			return family(f), rest, true
		}
	}
	return 0, "", false
}
