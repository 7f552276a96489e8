package otlp

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracium/tracium/store"
)

// The table test: one row for each row of the precedence tables in
// docs/opentelemetry.md (TestPrecedenceCoversDocs checks that none is
// missing). Where a row's field has a later source, the row's span
// carries that one too, and the row checks that the first wins and the
// other stays in the attributes.

type precedenceRow struct {
	id    string // "type:<attr>=<type>", "field:<field>", "usage:<convention>", "input N", "output N"
	span  spanOpts
	check func(t *testing.T, s store.Span)
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	for _, row := range precedenceRows() {
		t.Run(row.id, func(t *testing.T) {
			t.Parallel()
			row.check(t, mapOne(t, row.span))
		})
	}
}

// TestPrecedenceCoversDocs: every row of the documented tables has a row
// here.
func TestPrecedenceCoversDocs(t *testing.T) {
	t.Parallel()
	have := map[string]bool{}
	for _, r := range precedenceRows() {
		have[r.id] = true
	}
	var want []string
	for _, r := range typeRules {
		for _, id := range typeRowIDs(r) {
			want = append(want, id)
		}
	}
	for _, r := range fieldRules {
		want = append(want, "field:"+r.field)
	}
	for _, p := range requestParams {
		want = append(want, "field:attribute `"+p.attr+"`")
	}
	for _, c := range []string{"OpenTelemetry GenAI, OpenLLMetry", "OpenInference", "Vercel AI SDK", "Genkit"} {
		want = append(want, "usage:"+c)
	}
	for i := range inputRules {
		want = append(want, "input "+strconv.Itoa(i+1))
	}
	for i := range outputRules {
		want = append(want, "output "+strconv.Itoa(i+1))
	}
	for _, id := range want {
		if !have[id] {
			t.Errorf("no table test row for %s", id)
		}
	}
}

func typeRowIDs(r typeRule) []string {
	attr := keyNames[r.key]
	switch {
	case r.any != "":
		return []string{"type:" + attr + "=" + string(r.any)}
	case r.kinds != nil:
		return []string{"type:" + attr + "=server", "type:" + attr + "=client"}
	}
	var ids []string
	seen := map[store.SpanType]bool{}
	for _, v := range r.values {
		if !seen[v.typ] {
			seen[v.typ] = true
			ids = append(ids, "type:"+attr+"="+string(v.typ))
		}
	}
	return ids
}

func precedenceRows() []precedenceRow {
	rows := typeRows()
	rows = append(rows, fieldRows()...)
	rows = append(rows, usageRows()...)
	rows = append(rows, payloadRows()...)
	return rows
}

// typeRows: for each documented value, a span whose attribute has that
// value (as its convention spells it) and, when there is one, the next
// rule's attribute with a value of another type, which must lose.
func typeRows() []precedenceRow {
	var rows []precedenceRow
	for i, r := range typeRules {
		var rival map[string]any
		for _, next := range typeRules[i+1:] {
			if next.any != "" {
				rival = map[string]any{keyNames[next.key]: "x"}
				break
			}
			if len(next.values) > 0 {
				rival = map[string]any{keyNames[next.key]: next.values[len(next.values)-1].value}
				break
			}
		}
		add := func(id string, attrs map[string]any, kind ptrace.SpanKind, want store.SpanType) {
			for k, v := range rival {
				if _, ok := attrs[k]; !ok && typeOf(rival) != want {
					attrs[k] = v
				}
			}
			rows = append(rows, precedenceRow{id: id, span: spanOpts{name: "op", kind: kind, attrs: attrs},
				check: func(t *testing.T, s store.Span) {
					if s.Type != want {
						t.Errorf("type = %s, want %s", s.Type, want)
					}
					payload := s.Input != nil || s.Output != nil
					if a := attrsOf(t, s); a[keyNames[r.key]] == nil && !(payload && r.any != "" && strings.HasPrefix(keyNames[r.key], "gcp.")) {
						t.Errorf("the attribute that decided the type is not kept: %v", a)
					}
				}})
		}
		switch {
		case r.any != "":
			add("type:"+keyNames[r.key]+"="+string(r.any), map[string]any{keyNames[r.key]: `{"contents":[]}`}, 0, r.any)
		case r.kinds != nil:
			add("type:"+keyNames[r.key]+"=server", map[string]any{keyNames[r.key]: "grpc"}, ptrace.SpanKindServer, store.SpanHTTP)
			add("type:"+keyNames[r.key]+"=client", map[string]any{keyNames[r.key]: "grpc"}, ptrace.SpanKindClient, store.SpanTool)
		default:
			seen := map[store.SpanType]bool{}
			for _, v := range r.values {
				if seen[v.typ] {
					continue
				}
				seen[v.typ] = true
				add("type:"+keyNames[r.key]+"="+string(v.typ), map[string]any{keyNames[r.key]: v.value}, 0, v.typ)
			}
		}
	}
	return rows
}

// typeOf is the type a lone rival attribute gives.
func typeOf(attrs map[string]any) store.SpanType {
	var a spanAttrs
	td := ptrace.NewSpan()
	_ = td.Attributes().FromRaw(attrs)
	a.reset(td.Attributes())
	return spanType(&a, ptrace.SpanKindUnspecified)
}

func wantAttr(t *testing.T, s store.Span, key string, want any) {
	t.Helper()
	got, ok := attrsOf(t, s)[key]
	switch {
	case want == nil && ok:
		t.Errorf("attribute %s = %v, want it consumed", key, got)
	case want != nil && !ok:
		t.Errorf("attribute %s missing, want %v", key, want)
	case want != nil:
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Errorf("attribute %s = %s, want %s", key, gb, wb)
		}
	}
}

func fieldRows() []precedenceRow {
	str := func(id, field string, attrs map[string]any, get func(store.Span) string, want, loser string) precedenceRow {
		return precedenceRow{id: "field:" + field, span: spanOpts{name: "op", attrs: attrs}, check: func(t *testing.T, s store.Span) {
			if got := get(s); got != want {
				t.Errorf("%s = %q, want %q", field, got, want)
			}
			if loser != "" {
				wantAttr(t, s, loser, attrs[loser])
			}
		}}
	}
	llm := func(m map[string]any) map[string]any { m["gen_ai.operation.name"] = "chat"; return m }
	rows := []precedenceRow{
		str("", "`model`", llm(map[string]any{"gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.request.model": "gpt-4o",
			"llm.model_name": "gpt-4o-mini"}), func(s store.Span) string { return s.Model }, "gpt-4o-2024-08-06", "llm.model_name"),
		str("", "`request_model`", llm(map[string]any{"llm.request.model_name": "claude-sonnet-4-5", "llm.model_name": "claude-x",
			"llm.response.model_name": "claude-sonnet-4-5-20250929"}),
			func(s store.Span) string { return s.RequestModel + " " + s.Model }, "claude-sonnet-4-5 claude-sonnet-4-5-20250929", ""),
		str("", "`provider`", llm(map[string]any{"gen_ai.system": "az.ai.openai", "llm.provider": "anthropic"}),
			func(s store.Span) string { return s.Provider }, "openai", "llm.provider"),
		str("", "`session_id`", map[string]any{"gen_ai.conversation.id": "conv_5j66", "session.id": "s-2"},
			func(s store.Span) string { return s.SessionID }, "conv_5j66", "session.id"),
		str("", "`user_id`", map[string]any{"user.id": "u-1", "enduser.id": "u-2"},
			func(s store.Span) string { return s.UserID }, "u-1", "enduser.id"),
		str("", "`agent_name`", map[string]any{"gen_ai.agent.name": "Math Tutor", "agent.name": "other"},
			func(s store.Span) string { return s.AgentName }, "Math Tutor", "agent.name"),
		str("", "`tags`", map[string]any{"tag.tags": []any{"prod", "beta", "prod"}},
			func(s store.Span) string { return strings.Join(s.Tags, ",") }, "beta,prod", ""),
		str("", "`metadata`", map[string]any{"metadata": `{"tenant":"acme","tier":2}`, "metadata.region": "eu"},
			func(s store.Span) string { return string(s.Metadata) }, `{"tenant":"acme","tier":2}`, "metadata.region"),
		str("", "`time_to_first_token_ms`", map[string]any{"gen_ai.response.time_to_first_chunk": 0.25, "ai.response.msToFirstChunk": 900},
			func(s store.Span) string {
				if s.TimeToFirstTokenMS == nil {
					return "none"
				}
				return strconv.FormatFloat(*s.TimeToFirstTokenMS, 'f', -1, 64)
			}, "250", "ai.response.msToFirstChunk"),
		str("", "attribute `gen_ai.tool.name`", map[string]any{"openinference.span.kind": "TOOL", "tool.name": "get_weather"},
			func(s store.Span) string { return attrString(s, "gen_ai.tool.name") + "|" + attrString(s, "tool.name") }, "get_weather|", ""),
		str("", "attribute `gen_ai.tool.call.id`", map[string]any{"ai.operationId": "ai.toolCall", "ai.toolCall.id": "call_1",
			"ai.toolCall.name": "search"},
			func(s store.Span) string {
				return attrString(s, "gen_ai.tool.call.id") + "|" + attrString(s, "gen_ai.tool.name")
			}, "call_1|search", ""),
		{id: "field:`error_type`", span: spanOpts{name: "op", status: ptrace.StatusCodeError, message: "upstream timed out",
			attrs:  map[string]any{"error.type": "timeout"},
			events: []eventOpts{{name: "exception", attrs: map[string]any{"exception.type": "httpx.ReadTimeout", "exception.stacktrace": "Traceback…"}}}},
			check: func(t *testing.T, s store.Span) {
				if s.Status != store.StatusError || s.ErrorType != "httpx.ReadTimeout" || s.ErrorMessage != "upstream timed out" {
					t.Errorf("status %s %q %q", s.Status, s.ErrorType, s.ErrorMessage)
				}
				wantAttr(t, s, "error.type", "timeout")
				wantAttr(t, s, "exception.stacktrace", "Traceback…")
				wantAttr(t, s, attrEvents, nil)
			}},
		{id: "field:`trace_id`", span: spanOpts{name: "op", attrs: map[string]any{"tracium.trace_id": "0AF7651916CD43DD8448EB211C80319C"}},
			check: func(t *testing.T, s store.Span) {
				if s.TraceID != "0af7651916cd43dd8448eb211c80319c" {
					t.Errorf("trace_id = %s", s.TraceID)
				}
				wantAttr(t, s, "tracium.trace_id", nil)
			}},
		{id: "field:`parent_span_id`", span: spanOpts{name: "op", attrs: map[string]any{"tracium.parent_span_id": "b7ad6b7169203331"}},
			check: func(t *testing.T, s store.Span) {
				if s.ParentSpanID != "b7ad6b7169203331" {
					t.Errorf("parent_span_id = %s", s.ParentSpanID)
				}
			}},
	}
	for _, p := range requestParams {
		p := p
		var v any = 0.5
		switch p.attr {
		case "max_tokens":
			v = 256
		case "stream":
			v = true
		}
		rows = append(rows, precedenceRow{id: "field:attribute `" + p.attr + "`",
			span: spanOpts{name: "op", attrs: map[string]any{keyNames[p.k]: v}},
			check: func(t *testing.T, s store.Span) {
				wantAttr(t, s, p.attr, v)
				wantAttr(t, s, keyNames[p.k], nil)
			}})
	}
	return rows
}

func attrString(s store.Span, key string) string {
	var m map[string]any
	_ = json.Unmarshal(s.Attributes, &m)
	v, _ := m[key].(string)
	return v
}

func wantUsage(t *testing.T, s store.Span, want store.Usage) {
	t.Helper()
	if s.Usage == nil {
		t.Fatalf("no usage, want %+v", want)
	}
	if *s.Usage != want {
		t.Errorf("usage = %+v, want %+v", *s.Usage, want)
	}
}

func usageRows() []precedenceRow {
	return []precedenceRow{
		// Anthropic through an OpenTelemetry GenAI instrumentation: input
		// already counts the cache. The OpenInference counts beside it lose.
		{id: "usage:OpenTelemetry GenAI, OpenLLMetry", span: spanOpts{name: "chat claude-sonnet-4-5", attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.request.model": "claude-sonnet-4-5",
			"gen_ai.usage.input_tokens": 19, "gen_ai.usage.output_tokens": 6,
			"gen_ai.usage.cache_read.input_tokens": 3, "gen_ai.usage.cache_creation.input_tokens": 5,
			"llm.token_count.prompt": 11,
		}}, check: func(t *testing.T, s store.Span) {
			wantUsage(t, s, store.Usage{InputTokens: 19, OutputTokens: 6, CachedTokens: 3, CacheCreationTokens: 5, TotalTokens: 25})
			wantAttr(t, s, "llm.token_count.prompt", 11)
			wantAttr(t, s, "gen_ai.usage.input_tokens", nil)
		}},
		{id: "usage:OpenInference", span: spanOpts{name: "ChatCompletion", attrs: map[string]any{
			"openinference.span.kind": "LLM", "llm.provider": "openai", "llm.model_name": "gpt-4o",
			"llm.token_count.prompt": 12, "llm.token_count.completion": 7, "llm.token_count.total": 19,
			"llm.token_count.prompt_details.cache_read": 4, "llm.token_count.completion_details.reasoning": 2,
		}}, check: func(t *testing.T, s store.Span) {
			wantUsage(t, s, store.Usage{InputTokens: 12, OutputTokens: 7, CachedTokens: 4, ReasoningTokens: 2, TotalTokens: 19})
		}},
		// AI SDK 5 with Anthropic: the provider's own counts, cache left
		// out of the input (the write only in the provider metadata).
		{id: "usage:Vercel AI SDK", span: spanOpts{name: "ai.generateText.doGenerate", attrs: map[string]any{
			"ai.operationId": "ai.generateText.doGenerate", "ai.model.provider": "anthropic.messages", "ai.model.id": "claude-sonnet-4-5",
			"ai.usage.inputTokens": 11, "ai.usage.outputTokens": 6, "ai.usage.totalTokens": 17, "ai.usage.cachedInputTokens": 3,
			"ai.response.providerMetadata": `{"anthropic":{"cacheCreationInputTokens":5}}`,
			"gen_ai.usage.input_tokens":    11, "gen_ai.usage.output_tokens": 6,
		}}, check: func(t *testing.T, s store.Span) {
			wantUsage(t, s, store.Usage{InputTokens: 19, OutputTokens: 6, CachedTokens: 3, CacheCreationTokens: 5, TotalTokens: 25})
			wantAttr(t, s, "gen_ai.usage.input_tokens", 11)
		}},
		// Genkit's Gemini plugin: thoughts apart from the candidates.
		{id: "usage:Genkit", span: spanOpts{name: "googleai/gemini-2.5-flash", attrs: map[string]any{
			"genkit:type": "action", "genkit:metadata:subtype": "model", "genkit:name": "googleai/gemini-2.5-flash",
			"genkit:output": `{"message":{"role":"model","content":[{"text":"Paris."}]},"finishReason":"stop",` +
				`"usage":{"inputTokens":9,"outputTokens":5,"totalTokens":17,"cachedContentTokens":2,"thoughtsTokens":3}}`,
		}}, check: func(t *testing.T, s store.Span) {
			wantUsage(t, s, store.Usage{InputTokens: 9, OutputTokens: 8, CachedTokens: 2, ReasoningTokens: 3, TotalTokens: 17})
			if s.Model != "gemini-2.5-flash" || s.Provider != "google" {
				t.Errorf("model %q provider %q", s.Model, s.Provider)
			}
		}},
	}
}
