package otlp

import (
	"encoding/json"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/store"
)

// payloadRule reads a span's input or output from one convention's
// attributes; the first rule that reads something wins. A rule that
// reads messages builds a chat; the others take a JSON value.
type payloadRule struct {
	// attrs names the attributes read, for the documentation.
	attrs string
	read  func(m *mapper, c *chat) bool
	// value, for rules that take a JSON value rather than messages.
	value func(m *mapper) []byte
}

// inputRules and outputRules are the input and output precedence;
// docs/opentelemetry.md shows them (TestDocsMatchRules).
var inputRules = []payloadRule{
	{attrs: "`gen_ai.input.messages`, `gen_ai.system_instructions`", read: (*mapper).genAIInput},
	{attrs: "events `gen_ai.client.inference.operation.details`, `gen_ai.system.message`, `gen_ai.user.message`, " +
		"`gen_ai.assistant.message`, `gen_ai.tool.message`, `gen_ai.content.prompt`", read: (*mapper).eventInput},
	{attrs: "`gen_ai.prompt` (JSON, deprecated)", read: (*mapper).deprecatedPrompt},
	{attrs: "`gen_ai.prompt.N.*` (OpenLLMetry)", read: func(m *mapper, c *chat) bool { return m.flat(c, famPrompt, tracium.RoleUser) }},
	{attrs: "`llm.input_messages.N.message.*` (OpenInference)", read: func(m *mapper, c *chat) bool {
		return m.flat(c, famInputMessages, tracium.RoleUser)
	}},
	{attrs: "`ai.prompt.messages`, then `ai.prompt` (Vercel AI SDK)", read: (*mapper).vercelInput},
	{attrs: "`genkit:input` of a model action (Genkit)", read: (*mapper).genkitInput},
	{attrs: "`gcp.vertex.agent.llm_request` (ADK)", read: (*mapper).adkInput},
	{attrs: "`ai.values`, `ai.value` (Vercel AI SDK embeddings)", read: (*mapper).vercelEmbedInput},
	{attrs: "`gen_ai.tool.call.arguments`, `gcp.vertex.agent.tool_call_args`, `ai.toolCall.args` (tool arguments)",
		value: func(m *mapper) []byte { return m.firstJSON(kGenAIToolCallArguments, kADKToolCallArgs, kAIToolCallArgs) }},
	{attrs: "`genkit:input`, `input.value`, `traceloop.entity.input` (any JSON or text)",
		value: func(m *mapper) []byte { return m.firstJSON(kGenkitInput, kInputValue, kTraceloopEntityInput) }},
}

var outputRules = []payloadRule{
	{attrs: "`gen_ai.output.messages`", read: (*mapper).genAIOutput},
	{attrs: "events `gen_ai.client.inference.operation.details`, `gen_ai.choice`, `gen_ai.content.completion`",
		read: (*mapper).eventOutput},
	{attrs: "`gen_ai.completion` (JSON, deprecated)", read: (*mapper).deprecatedCompletion},
	{attrs: "`gen_ai.completion.N.*` (OpenLLMetry)", read: func(m *mapper, c *chat) bool {
		return m.flat(c, famCompletion, tracium.RoleAssistant)
	}},
	{attrs: "`llm.output_messages.N.message.*` (OpenInference)", read: func(m *mapper, c *chat) bool {
		return m.flat(c, famOutputMessages, tracium.RoleAssistant)
	}},
	{attrs: "`ai.response.text`, `ai.response.reasoning`, `ai.response.toolCalls`, `ai.response.finishReason` (Vercel AI SDK)",
		read: (*mapper).vercelOutput},
	{attrs: "`genkit:output` of a model action (Genkit)", read: (*mapper).genkitOutputChat},
	{attrs: "`gcp.vertex.agent.llm_response` (ADK)", read: (*mapper).adkOutput},
	{attrs: "`gen_ai.tool.call.result`, `gcp.vertex.agent.tool_response`, `ai.toolCall.result` (tool results)",
		value: func(m *mapper) []byte { return m.firstJSON(kGenAIToolCallResult, kADKToolResponse, kAIToolCallResult) }},
	{attrs: "`genkit:output` (of a `tool.v2` action, its `output`), `output.value`, `traceloop.entity.output`, `ai.response.object` (any JSON or text)",
		value: func(m *mapper) []byte {
			if out := m.genkitToolOutput(); out != nil {
				return out
			}
			return m.firstJSON(kGenkitOutput, kOutputValue, kTraceloopEntityOutput, kAIResponseObject)
		}},
}

// mapPayloads sets the span's input and output.
func (m *mapper) mapPayloads(s *store.Span) {
	s.Input = m.payload(inputRules, s.Provider, false)
	s.Output = m.payload(outputRules, s.Provider, true)
	// A MIME type goes with the value it describes.
	if m.attrs.isUsed(kOutputValue) {
		m.attrs.use(kOutputMimeType)
	}
	if m.attrs.isUsed(kInputValue) {
		m.attrs.use(kInputMimeType)
	}
}

func (m *mapper) payload(rules []payloadRule, provider string, output bool) []byte {
	for _, r := range rules {
		if r.value != nil {
			if v := r.value(m); v != nil {
				return v
			}
			continue
		}
		c := chat{provider: provider}
		if r.read(m, &c) {
			if output {
				m.finishReasons(&c)
			}
			if b := c.json(); b != nil {
				return b
			}
		}
	}
	return nil
}

// finishReasons gives output messages without one the finish reason
// gen_ai.response.finish_reasons lists at their index, else (the first)
// OpenInference's llm.finish_reason.
func (m *mapper) finishReasons(c *chat) {
	if v, ok := m.attrs.value(kGenAIFinishReasons); ok && v.Type() == pcommon.ValueTypeSlice {
		reasons := v.Slice()
		for i := range c.msgs {
			if c.msgs[i].FinishReason == "" && i < reasons.Len() {
				c.msgs[i].FinishReason, _ = fieldString(reasons.At(i).AsString(), 64)
			}
		}
	}
	if r, ok := m.attrs.str(kLLMFinishReason); ok && len(c.msgs) > 0 && c.msgs[0].FinishReason == "" {
		c.msgs[0].FinishReason, _ = fieldString(r, 64)
		m.attrs.use(kLLMFinishReason)
	}
}

// firstJSON is the first of keys present as a JSON value: a string that is
// JSON as that JSON, any other string as a JSON string, a map or array as
// its JSON. ADK's placeholder "<not specified>" is no value.
func (m *mapper) firstJSON(keys ...key) []byte {
	a := &m.attrs
	for _, k := range keys {
		v, ok := a.value(k)
		if !ok {
			continue
		}
		var out []byte
		switch v.Type() {
		case pcommon.ValueTypeStr:
			if s := strings.TrimSpace(v.Str()); s != "" && s != "<not specified>" {
				out = jsonValue(cleanString(v.Str()))
			}
		case pcommon.ValueTypeMap, pcommon.ValueTypeSlice:
			var cut bool
			out = appendValue(nil, v, 0, &cut)
		default:
			out = appendValue(nil, v, 0, nil)
		}
		if out != nil {
			a.use(k)
			return out
		}
	}
	return nil
}

// messagesText reads k as a JSON messages text (a JSON string or a
// structured value), marking it used when it held messages.
func (m *mapper) messagesText(k key, c *chat, role string) bool {
	raw, ok := m.attrs.text(k)
	if !ok || jsonDepth(raw) > maxValueDepth {
		return false
	}
	if c.genaiMessages(raw, role) {
		m.attrs.use(k)
		return true
	}
	return false
}

func (m *mapper) genAIInput(c *chat) bool {
	read := m.messagesText(kGenAIInputMessages, c, tracium.RoleUser)
	if raw, ok := m.attrs.text(kGenAISystemInstructions); ok && c.systemInstructions(raw) {
		m.attrs.use(kGenAISystemInstructions)
		read = true
	}
	return read
}

func (m *mapper) genAIOutput(c *chat) bool {
	return m.messagesText(kGenAIOutputMessages, c, tracium.RoleAssistant)
}

func (m *mapper) deprecatedPrompt(c *chat) bool {
	return m.messagesText(kGenAIPrompt, c, tracium.RoleUser)
}

func (m *mapper) deprecatedCompletion(c *chat) bool {
	return m.messagesText(kGenAICompletion, c, tracium.RoleAssistant)
}

func (m *mapper) flat(c *chat, f family, role string) bool {
	if c.flatMessages(m.attrs.fams[f], role) {
		m.attrs.famUsed[f] = true
		return true
	}
	return false
}

func (m *mapper) adkInput(c *chat) bool {
	raw, ok := m.attrs.text(kADKLLMRequest)
	if ok && jsonDepth(raw) <= maxValueDepth && c.adkRequest(raw) {
		m.attrs.use(kADKLLMRequest)
		return true
	}
	return false
}

func (m *mapper) adkOutput(c *chat) bool {
	raw, ok := m.attrs.text(kADKLLMResponse)
	if ok && jsonDepth(raw) <= maxValueDepth && c.adkResponse(raw) {
		m.attrs.use(kADKLLMResponse)
		return true
	}
	return false
}

// decodeText unmarshals k's JSON text into v.
func (m *mapper) decodeText(k key, v any) bool {
	raw, ok := m.attrs.text(k)
	return ok && jsonDepth(raw) <= maxValueDepth && json.Unmarshal(raw, v) == nil
}
