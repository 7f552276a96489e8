package otlp

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracium/tracium/store"
)

// The precedence tables of docs/opentelemetry.md are rendered from the
// mapping's own rule tables; this test fails when the two differ.

func codeList(keys []key) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = "`" + keyNames[k] + "`"
	}
	return strings.Join(names, ", ")
}

// typeTableRows renders typeRules: one row per attribute and type.
func typeTableRows() []string {
	var rows []string
	for _, r := range typeRules {
		attr := "`" + keyNames[r.key] + "`"
		switch {
		case r.any != "":
			rows = append(rows, "| "+attr+" | any | `"+string(r.any)+"` | "+r.convention+" |")
		case r.kinds != nil:
			rows = append(rows, "| "+attr+" | any, on a server span | `"+string(r.kinds[ptrace.SpanKindServer])+"` | "+r.convention+" |")
			rows = append(rows, "| "+attr+" | any, on a client span | `"+string(r.kinds[ptrace.SpanKindClient])+"` | "+r.convention+" |")
		default:
			var order []store.SpanType
			byType := map[store.SpanType][]string{}
			for _, v := range r.values {
				if byType[v.typ] == nil {
					order = append(order, v.typ)
				}
				byType[v.typ] = append(byType[v.typ], "`"+v.value+"`")
			}
			for _, t := range order {
				rows = append(rows, "| "+attr+" | "+strings.Join(byType[t], ", ")+" | `"+string(t)+"` | "+r.convention+" |")
			}
		}
	}
	return rows
}

// fieldRule is one row of the field table: a Tracium field and the
// attributes that fill it, in order.
type fieldRule struct {
	field string
	keys  []key
	note  string
}

var fieldRules = []fieldRule{
	{"`model`", modelKeys, "the model that answered; else the requested model; Genkit: the model of `genkit:name`"},
	{"`request_model`", requestModelKeys, "else the `model` of OpenInference's `llm.invocation_parameters` (not its `llm.model_name`, which its instrumentors overwrite with the model that answered); Genkit: the model of `genkit:name`"},
	{"`provider`", providerKeys, "normalized (see Providers); Genkit: the plugin of `genkit:name`"},
	{"`session_id`", sessionKeys, "OpenLLMetry's association property `session_id`; the AI SDK's telemetry metadata `sessionId`"},
	{"`user_id`", userKeys, "OpenLLMetry's association property `user_id`; the AI SDK's telemetry metadata `userId`"},
	{"`agent_name`", agentKeys, ""},
	{"`tags`", []key{kTagTags}, "a list of strings, or its JSON"},
	{"`metadata`", []key{kMetadata}, "a JSON object; else every `metadata.*` attribute, as one object"},
	{"`time_to_first_token_ms`", []key{kGenAITimeToFirstChunk, kGenAIClientTimeToFirstChunk, kAIMsToFirstChunk},
		"the first two in seconds, the last in milliseconds"},
	{"attribute `gen_ai.tool.name`", toolNameKeys, "the SDK's name for it; else a Genkit tool action's `genkit:name`, an OpenLLMetry tool's `traceloop.entity.name`"},
	{"attribute `gen_ai.tool.call.id`", toolCallIDKey, "the SDK's name for it"},
	{"`error_type`", []key{kErrorType}, "after the `exception` event's `exception.type`"},
	{"`trace_id`", []key{kTraciumTraceID}, "the Tracium bridge's marker replaces the span's trace id"},
	{"`parent_span_id`", []key{kTraciumParentSpanID}, "the Tracium bridge's marker replaces the span's parent"},
}

func fieldTableRows() []string {
	var rows []string
	for _, r := range fieldRules {
		rows = append(rows, "| "+r.field+" | "+codeList(r.keys)+" | "+r.note+" |")
	}
	for _, p := range requestParams {
		rows = append(rows, "| attribute `"+p.attr+"` | `"+keyNames[p.k]+"` | the SDK's name for the request parameter |")
	}
	return rows
}

func usageTableRows() []string {
	return []string{
		"| OpenTelemetry GenAI, OpenLLMetry | " + codeList(genAIUsageKeys) + " |",
		"| OpenInference | " + codeList(openInferenceUsageKeys) + " |",
		"| Vercel AI SDK | " + codeList(vercelUsageKeys) + " |",
		"| Genkit | `usage` in `genkit:output` (`inputTokens`, `outputTokens`, `cachedContentTokens`, `thoughtsTokens`, `totalTokens`) |",
	}
}

func payloadTableRows() []string {
	var rows []string
	for i, r := range inputRules {
		rows = append(rows, "| input "+strconv.Itoa(i+1)+" | "+r.attrs+" |")
	}
	for i, r := range outputRules {
		rows = append(rows, "| output "+strconv.Itoa(i+1)+" | "+r.attrs+" |")
	}
	return rows
}

func TestDocsMatchRules(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/opentelemetry.md")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, rows := range [][]string{typeTableRows(), fieldTableRows(), usageTableRows(), payloadTableRows()} {
		for _, row := range rows {
			if !strings.Contains(string(doc), row+"\n") {
				missing = append(missing, row)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("docs/opentelemetry.md lacks these rows of the rules (or shows them otherwise):\n%s", strings.Join(missing, "\n"))
	}
}
