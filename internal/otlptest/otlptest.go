// Package otlptest expresses Tracium spans as OpenTelemetry traces, the
// way an application instrumented with the GenAI semantic conventions
// sends them, so that a benchmark can send the same spans over /v1/ingest
// and over OTLP.
package otlptest

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracium/tracium/store"
)

// FromSpans expresses spans as an application instrumented with the GenAI
// semantic conventions sends them: the same ids, times, names, models,
// usage, errors, trace fields and payloads.
func FromSpans(b testing.TB, spans []store.Span) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "bench")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("bench")
	for i := range spans {
		s := &spans[i]
		o := ss.Spans().AppendEmpty()
		o.SetTraceID(pcommon.TraceID(hexID(b, s.TraceID, 16)))
		o.SetSpanID(pcommon.SpanID(hexID(b, s.SpanID, 8)))
		if s.ParentSpanID != "" {
			o.SetParentSpanID(pcommon.SpanID(hexID(b, s.ParentSpanID, 8)))
		}
		o.SetName(s.Name)
		o.SetStartTimestamp(pcommon.NewTimestampFromTime(s.StartTime))
		o.SetEndTimestamp(pcommon.NewTimestampFromTime(s.EndTime))
		a := o.Attributes()
		switch s.Type {
		case store.SpanLLM:
			o.SetKind(ptrace.SpanKindClient)
			a.PutStr("gen_ai.operation.name", "chat")
			a.PutStr("gen_ai.request.model", s.Model)
			a.PutStr("gen_ai.provider.name", s.Provider)
			a.PutStr("gen_ai.input.messages", chatJSON(b, "user", s.Input))
			a.PutStr("gen_ai.output.messages", chatJSON(b, "assistant", s.Output))
		case store.SpanAgent:
			a.PutStr("gen_ai.operation.name", "invoke_agent")
			a.PutStr("input.value", string(s.Input))
			a.PutStr("output.value", string(s.Output))
		default:
			a.PutStr("gen_ai.operation.name", "execute_tool")
			a.PutStr("gen_ai.tool.name", s.Name)
			a.PutStr("input.value", string(s.Input))
			a.PutStr("output.value", string(s.Output))
		}
		if s.AgentName != "" {
			a.PutStr("gen_ai.agent.name", s.AgentName)
		}
		if s.UserID != "" {
			a.PutStr("user.id", s.UserID)
		}
		if s.SessionID != "" {
			a.PutStr("gen_ai.conversation.id", s.SessionID)
		}
		if u := s.Usage; u != nil {
			a.PutInt("gen_ai.usage.input_tokens", u.InputTokens)
			a.PutInt("gen_ai.usage.output_tokens", u.OutputTokens)
			a.PutInt("gen_ai.usage.cache_read.input_tokens", u.CachedTokens)
		}
		if s.Status == store.StatusError {
			o.Status().SetCode(ptrace.StatusCodeError)
			o.Status().SetMessage(s.ErrorMessage)
			a.PutStr("error.type", s.ErrorType)
		}
	}
	return td
}

// hexID decodes a hex id into the n bytes it must have.
func hexID(b testing.TB, s string, n int) []byte {
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != n {
		b.Fatalf("id %q", s)
	}
	return raw
}

// chatJSON is a fixture payload ({"content": ...} or a list of them) as
// the GenAI messages attribute of one message with role.
func chatJSON(b testing.TB, role string, payload json.RawMessage) string {
	var one struct{ Content string }
	var many []struct{ Content string }
	if json.Unmarshal(payload, &many) == nil && len(many) > 0 {
		one = many[0]
	} else if err := json.Unmarshal(payload, &one); err != nil {
		b.Fatal(err)
	}
	raw, err := json.Marshal([]map[string]any{{"role": role, "parts": []map[string]string{{"type": "text", "content": one.Content}}}})
	if err != nil {
		b.Fatal(err)
	}
	return string(raw)
}
