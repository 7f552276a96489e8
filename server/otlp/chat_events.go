package otlp

import (
	"bytes"
	"encoding/json"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	tracium "github.com/tracium/tracium/sdk"
)

// Messages carried as span events:
//
//   - gen_ai.client.inference.operation.details (semantic conventions
//     v1.37+), whose attributes are gen_ai.input.messages,
//     gen_ai.output.messages and gen_ai.system_instructions;
//   - the per-message events of v1.28 to v1.36 (gen_ai.system.message,
//     gen_ai.user.message, gen_ai.assistant.message, gen_ai.tool.message,
//     gen_ai.choice), defined as log records with a body; on a span their
//     body arrives as the event's attributes (role, content, tool_calls,
//     id; index, finish_reason, message) or as the JSON of
//     gen_ai.event.content. ADK's records carry a Gemini Content as
//     content;
//   - gen_ai.content.prompt and gen_ai.content.completion (v1.26), with
//     gen_ai.prompt and gen_ai.completion.
//
// An event read for its messages is not kept among the span's events;
// the operation details event is kept without the messages read.

// Event states in mapper.eventsUsed.
const (
	eventKept     = 0
	eventRead     = 1 // left out of otel.events
	eventStripped = 2 // kept without its message attributes
)

var messageEventRoles = map[string]string{
	"gen_ai.system.message":    tracium.RoleSystem,
	"gen_ai.user.message":      tracium.RoleUser,
	"gen_ai.assistant.message": tracium.RoleAssistant,
	"gen_ai.tool.message":      tracium.RoleTool,
}

const eventDetails = "gen_ai.client.inference.operation.details"

func (m *mapper) eventInput(c *chat) bool {
	read := false
	events := m.span.Events()
	for i := 0; i < events.Len(); i++ {
		ev := events.At(i)
		switch name := ev.Name(); {
		case name == eventDetails:
			attrs := ev.Attributes()
			got := eventMessages(attrs, "gen_ai.input.messages", c, tracium.RoleUser)
			if v, ok := attrs.Get("gen_ai.system_instructions"); ok {
				if raw, ok := valueText(v); ok && c.systemInstructions(raw) {
					got = true
				}
			}
			if got {
				m.eventsUsed[i], read = eventStripped, true
			}
		case name == "gen_ai.content.prompt":
			if eventMessages(ev.Attributes(), "gen_ai.prompt", c, tracium.RoleUser) {
				m.eventsUsed[i], read = eventRead, true
			}
		case messageEventRoles[name] != "":
			if c.messageEvent(ev, messageEventRoles[name]) {
				m.eventsUsed[i], read = eventRead, true
			}
		}
	}
	return read
}

func (m *mapper) eventOutput(c *chat) bool {
	read := false
	events := m.span.Events()
	for i := 0; i < events.Len(); i++ {
		ev := events.At(i)
		switch ev.Name() {
		case eventDetails:
			if eventMessages(ev.Attributes(), "gen_ai.output.messages", c, tracium.RoleAssistant) {
				m.eventsUsed[i], read = eventStripped, true
			}
		case "gen_ai.content.completion":
			if eventMessages(ev.Attributes(), "gen_ai.completion", c, tracium.RoleAssistant) {
				m.eventsUsed[i], read = eventRead, true
			}
		case "gen_ai.choice":
			if c.choiceEvent(ev) {
				m.eventsUsed[i], read = eventRead, true
			}
		}
	}
	return read
}

func eventMessages(attrs pcommon.Map, name string, c *chat, role string) bool {
	v, ok := attrs.Get(name)
	if !ok {
		return false
	}
	raw, ok := valueText(v)
	return ok && jsonDepth(raw) <= maxValueDepth && c.genaiMessages(raw, role)
}

// eventBody is a per-message event's body: the JSON of
// gen_ai.event.content, or the event's attributes.
type eventBody struct {
	Role         string          `json:"role"`
	Content      json.RawMessage `json:"content"`
	ToolCalls    json.RawMessage `json:"tool_calls"`
	ID           string          `json:"id"`
	Message      json.RawMessage `json:"message"`
	FinishReason string          `json:"finish_reason"`
}

func readEventBody(ev ptrace.SpanEvent) (eventBody, bool) {
	var raw []byte
	if v, ok := ev.Attributes().Get("gen_ai.event.content"); ok {
		raw, _ = valueText(v)
	} else {
		raw = appendMap(nil, ev.Attributes(), 1, nil)
	}
	var b eventBody
	if jsonDepth(raw) > maxValueDepth || json.Unmarshal(raw, &b) != nil {
		return eventBody{}, false
	}
	return b, true
}

// messageEvent adds a per-message event's message.
func (c *chat) messageEvent(ev ptrace.SpanEvent, role string) bool {
	b, ok := readEventBody(ev)
	if !ok {
		return false
	}
	return c.bodyMessage(b, role)
}

// choiceEvent adds a gen_ai.choice event's message: {index,
// finish_reason, message: {role, content, tool_calls}}, or ADK's
// {index, finish_reason, content}.
func (c *chat) choiceEvent(ev ptrace.SpanEvent) bool {
	b, ok := readEventBody(ev)
	if !ok {
		return false
	}
	finish := b.FinishReason
	if len(b.Message) > 0 && b.Message[0] == '{' {
		var msg eventBody
		if json.Unmarshal(b.Message, &msg) != nil {
			return false
		}
		b = msg
	}
	n := len(c.msgs)
	if !c.bodyMessage(b, tracium.RoleAssistant) {
		return false
	}
	if c.msgs[n].FinishReason == "" {
		c.msgs[n].FinishReason, _ = fieldString(finish, 64)
	}
	return true
}

// bodyMessage adds the message of an event body: a Gemini Content (ADK)
// or an OpenAI-style message.
func (c *chat) bodyMessage(b eventBody, role string) bool {
	content := bytes.TrimSpace(b.Content)
	if len(content) > 0 && content[0] == '{' {
		return c.geminiContent(content, role, "")
	}
	if len(content) == 0 && len(b.ToolCalls) == 0 {
		return false
	}
	msg := append(make([]byte, 0, 64+len(content)+len(b.ToolCalls)), `{"role":`...)
	msg = appendString(msg, cmpStr(b.Role, role))
	if len(content) > 0 {
		msg = append(msg, `,"content":`...)
		msg = append(msg, content...)
	}
	if len(b.ToolCalls) > 0 {
		msg = append(msg, `,"tool_calls":`...)
		msg = append(msg, b.ToolCalls...)
	}
	if b.ID != "" {
		msg = append(msg, `,"tool_call_id":`...)
		msg = appendString(msg, b.ID)
	}
	msg = append(msg, '}')
	return c.openAIMessage(msg, role)
}
