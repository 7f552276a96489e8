package otlp

import (
	"bytes"
	"encoding/json"
	"strings"

	tracium "github.com/tracium/tracium/sdk"
)

// OpenTelemetry GenAI messages (semantic conventions v1.37 and later:
// gen_ai.input.messages, gen_ai.output.messages, gen_ai.system_instructions)
// are the recorded chat's own schema, read part by part. A message
// without parts is in the shape older conventions used in the same
// places (the deprecated gen_ai.prompt, the v1.28 events' bodies):
// OpenAI's {role, content, tool_calls}, read by the SDK's own reader.

// genaiMessage is one message of the schema.
type genaiMessage struct {
	Role         string      `json:"role"`
	Name         string      `json:"name"`
	Parts        []genaiPart `json:"parts"`
	FinishReason string      `json:"finish_reason"`
}

// genaiPart is one typed part. The schema's tool_call_response carries
// "response"; the registry's example spells it "result", and both are
// read. A blob's "content" is its base64 payload, recorded by size only.
type genaiPart struct {
	Type      string          `json:"type"`
	Content   textValue       `json:"content"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Response  json.RawMessage `json:"response"`
	Result    json.RawMessage `json:"result"`
	Modality  string          `json:"modality"`
	MIMEType  string          `json:"mime_type"`
	URI       string          `json:"uri"`
	FileID    string          `json:"file_id"`
}

func (c *chat) genaiPart(p genaiPart) (tracium.Part, bool) {
	id, _ := fieldString(p.ID, 1024)
	name, _ := fieldString(p.Name, 1024)
	switch typ := tracium.PartType(strings.ToLower(p.Type)); typ {
	case tracium.PartText, tracium.PartReasoning, tracium.PartRefusal:
		s := string(p.Content)
		return c.text(typ, s), s != ""
	case tracium.PartToolCall:
		return tracium.Part{Type: typ, ID: id, Name: name, Arguments: argsJSON(p.Arguments)}, true
	case tracium.PartToolCallResponse:
		return tracium.Part{Type: typ, ID: id, Name: name, Response: argsJSON(firstRaw(p.Response, p.Result))}, true
	case tracium.PartBlob:
		return mediaPart(p.Modality, p.MIMEType, string(p.Content), ""), true
	case tracium.PartURI:
		return mediaPart(p.Modality, p.MIMEType, "", p.URI), true
	case tracium.PartFile:
		mime, _ := fieldString(p.MIMEType, 255)
		file, _ := fieldString(p.FileID, 1024)
		return tracium.Part{Type: typ, Modality: cmpStr(p.Modality, modalityOf(p.MIMEType)), MIMEType: mime, FileID: file}, true
	}
	// Another type (a provider's server-side tool): kept by its type,
	// with its content as text.
	t, _ := fieldString(p.Type, 64)
	return c.text(tracium.PartType(cmpStr(t, "unknown")), string(p.Content)), true
}

// genaiMessages decodes a JSON array of messages into c; role is the role
// of a message that names none. It reports whether raw held any. The
// schema's messages are decoded in one pass; a list holding a message in
// OpenAI's shape is read again message by message.
func (c *chat) genaiMessages(raw []byte, role string) bool {
	var msgs []genaiMessage
	if json.Unmarshal(raw, &msgs) != nil {
		return false
	}
	for _, m := range msgs {
		if m.Parts == nil {
			return c.mixedMessages(raw, role)
		}
	}
	for _, m := range msgs {
		c.genaiMessage(m, role)
	}
	return len(msgs) > 0
}

// mixedMessages reads a list whose messages are in either shape.
func (c *chat) mixedMessages(raw []byte, role string) bool {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return false
	}
	for _, item := range list {
		var m genaiMessage
		if json.Unmarshal(item, &m) != nil {
			continue
		}
		if m.Parts == nil && c.openAIMessage(item, role) {
			continue
		}
		c.genaiMessage(m, role)
	}
	return len(list) > 0
}

// genaiMessage adds one message of the schema.
func (c *chat) genaiMessage(m genaiMessage, role string) {
	msg := tracium.Message{Role: normalizeRole(m.Role, role)}
	msg.Name, _ = fieldString(m.Name, 256)
	msg.FinishReason, _ = fieldString(m.FinishReason, 64)
	msg.Parts = make([]tracium.Part, 0, len(m.Parts))
	for _, p := range m.Parts {
		if part, ok := c.genaiPart(p); ok {
			msg.Parts = append(msg.Parts, part)
		}
	}
	c.add(msg)
}

// openAIMessage adds a message in OpenAI's shape ({role, content,
// tool_calls, tool_call_id}), read by the SDK's reader. A message naming
// no role gets role. It reports whether raw was one.
func (c *chat) openAIMessage(raw json.RawMessage, role string) bool {
	var m struct {
		Role      string          `json:"role"`
		Content   json.RawMessage `json:"content"`
		ToolCalls json.RawMessage `json:"tool_calls"`
	}
	if json.Unmarshal(raw, &m) != nil || (len(m.Content) == 0 && len(m.ToolCalls) == 0) {
		return false
	}
	msgs, ok := tracium.ProviderMessages(providerOpenAI, append(append([]byte{'['}, raw...), ']'))
	if !ok || len(msgs) != 1 {
		return false
	}
	msg := c.cut(msgs[0])
	msg.Role = normalizeRole(msg.Role, role)
	c.add(msg)
	return true
}

// systemInstructions reads gen_ai.system_instructions (a list of parts,
// or plain text) as the system message that opens the input.
func (c *chat) systemInstructions(raw []byte) bool {
	msg := tracium.Message{Role: tracium.RoleSystem}
	var parts []genaiPart
	if json.Unmarshal(raw, &parts) == nil {
		for _, p := range parts {
			if part, ok := c.genaiPart(p); ok {
				msg.Parts = append(msg.Parts, part)
			}
		}
	} else if s := strings.TrimSpace(string(raw)); s != "" {
		msg.Parts = []tracium.Part{c.text(tracium.PartText, cleanString(s))}
	}
	if len(msg.Parts) == 0 {
		return false
	}
	c.msgs = append([]tracium.Message{msg}, c.msgs...)
	return true
}

// textValue is a JSON value that stands for text, read as contentText
// reads it while the value is decoded.
type textValue string

func (t *textValue) UnmarshalJSON(b []byte) error {
	if n := len(b); n >= 2 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0 {
		*t = textValue(b[1 : n-1]) // the decoder has checked the token
		return nil
	}
	*t = textValue(contentText(b))
	return nil
}

// contentText reads a JSON value that stands for text: a string as it is,
// anything else as its compact JSON.
func contentText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return ""
	}
	return b.String()
}

func cmpStr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
