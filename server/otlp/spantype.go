package otlp

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracium/tracium/store"
)

// typeRule reads a span's type from one attribute: a value listed in
// values gives that type (compared case-insensitively); a rule with any
// set matches whatever the value. The rules are tried in order and the
// first that matches wins; a span none matches is custom.
type typeRule struct {
	key    key
	values []typeValue
	any    store.SpanType
	// kinds, when set, picks the type by the span's OTel kind instead
	// (rpc.system: the server's span is the SDK's http span, a client's
	// call its tool span).
	kinds map[ptrace.SpanKind]store.SpanType
	// convention names the source in the documentation.
	convention string
}

type typeValue struct {
	value string
	typ   store.SpanType
}

func tv(typ store.SpanType, values ...string) []typeValue {
	out := make([]typeValue, len(values))
	for i, v := range values {
		out[i] = typeValue{v, typ}
	}
	return out
}

func join(lists ...[]typeValue) []typeValue {
	var out []typeValue
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// typeRules is the span type precedence; docs/opentelemetry.md shows it
// (TestDocsMatchRules keeps the two the same).
var typeRules = []typeRule{
	{key: kGenAIOperationName, convention: "OpenTelemetry GenAI", values: join(
		tv(store.SpanLLM, "chat", "text_completion", "generate_content"),
		tv(store.SpanEmbedding, "embeddings"),
		tv(store.SpanTool, "execute_tool"),
		tv(store.SpanAgent, "invoke_agent", "create_agent"),
		tv(store.SpanGraph, "invoke_workflow"),
		tv(store.SpanNode, "invoke_node"),
		tv(store.SpanRetrieval, "retrieval", "rerank"),
		tv(store.SpanPlan, "plan"),
	)},
	{key: kOpenInferenceSpanKind, convention: "OpenInference", values: join(
		tv(store.SpanLLM, "LLM"),
		tv(store.SpanEmbedding, "EMBEDDING"),
		tv(store.SpanChain, "CHAIN"),
		tv(store.SpanRetrieval, "RETRIEVER", "RERANKER"),
		tv(store.SpanTool, "TOOL"),
		tv(store.SpanAgent, "AGENT"),
		tv(store.SpanCustom, "GUARDRAIL", "EVALUATOR", "PROMPT"),
	)},
	{key: kTraceloopSpanKind, convention: "OpenLLMetry", values: join(
		tv(store.SpanChain, "workflow", "task"),
		tv(store.SpanAgent, "agent"),
		tv(store.SpanTool, "tool"),
	)},
	{key: kLLMRequestType, convention: "OpenLLMetry", values: join(
		tv(store.SpanLLM, "chat", "completion"),
		tv(store.SpanEmbedding, "embedding"),
		tv(store.SpanRetrieval, "rerank"),
	)},
	{key: kAIOperationID, convention: "Vercel AI SDK", values: join(
		tv(store.SpanAgent, "ai.generateText", "ai.streamText", "ai.generateObject", "ai.streamObject"),
		tv(store.SpanLLM, "ai.generateText.doGenerate", "ai.streamText.doStream",
			"ai.generateObject.doGenerate", "ai.streamObject.doStream"),
		tv(store.SpanTool, "ai.toolCall"),
		tv(store.SpanChain, "ai.embed", "ai.embedMany"),
		tv(store.SpanEmbedding, "ai.embed.doEmbed", "ai.embedMany.doEmbed"),
		tv(store.SpanRetrieval, "ai.rerank", "ai.rerank.doRerank"),
	)},
	{key: kGenkitSubtype, convention: "Genkit", values: join(
		tv(store.SpanLLM, "model", "background-model"),
		tv(store.SpanEmbedding, "embedder"),
		tv(store.SpanRetrieval, "retriever", "indexer"),
		tv(store.SpanTool, "tool", "tool.v2"),
		tv(store.SpanChain, "flow", "flowStep"),
	)},
	{key: kGenkitType, convention: "Genkit", values: tv(store.SpanChain, "flow", "flowStep")},
	{key: kADKLLMRequest, convention: "ADK", any: store.SpanLLM},
	{key: kADKLLMResponse, convention: "ADK", any: store.SpanLLM},
	{key: kADKToolCallArgs, convention: "ADK", any: store.SpanTool},
	{key: kHTTPRequestMethod, convention: "OpenTelemetry HTTP", any: store.SpanHTTP},
	{key: kHTTPMethod, convention: "OpenTelemetry HTTP (before v1.20)", any: store.SpanHTTP},
	{key: kRPCSystem, convention: "OpenTelemetry RPC", kinds: map[ptrace.SpanKind]store.SpanType{
		ptrace.SpanKindServer: store.SpanHTTP, ptrace.SpanKindClient: store.SpanTool,
	}},
	{key: kMessagingSystem, convention: "OpenTelemetry messaging", any: store.SpanTask},
}

// spanType applies typeRules. The attribute that decided is kept in the
// span's attributes: it tells which convention the span came from.
func spanType(a *spanAttrs, kind ptrace.SpanKind) store.SpanType {
	for i := range typeRules {
		r := &typeRules[i]
		v, ok := a.value(r.key)
		if !ok {
			continue
		}
		switch {
		case r.any != "":
			return r.any
		case r.kinds != nil:
			if t, ok := r.kinds[kind]; ok {
				return t
			}
			continue
		}
		s := strings.TrimSpace(v.AsString())
		for _, c := range r.values {
			if strings.EqualFold(s, c.value) {
				return c.typ
			}
		}
	}
	return store.SpanCustom
}
