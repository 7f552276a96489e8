package tracium

import (
	"bytes"
	"encoding/json"
	"strings"
)

// The recorded chat shape. Whatever the provider, endpoint or framework, an
// llm span's input and output hold a Chat: the input the messages sent
// (system instructions first, as a "system" message), the output the
// messages the model returned (one per choice or candidate) with their
// finish reasons. The shape is OpenTelemetry's GenAI message schema
// (gen_ai.input.messages and gen_ai.output.messages, semantic conventions
// v1.41): roles, and typed parts for text, reasoning, tool calls and their
// results, and media. Two Tracium additions: a blob part carries the
// payload's size instead of its bytes (payloads are never recorded), and
// Chat.Truncated says a stream's text was cut at the recording limit.
//
// The SDK writes it, the collector's OTLP mapping writes it, and the web UI
// reads only it; docs/data-model.md describes it for other producers. The
// provider's own request and response bodies are kept beside it, in the
// span's raw input and output.

// Chat is an llm span's input or output.
type Chat struct {
	Messages []Message `json:"messages"`
	// Truncated says some text was left out: a stream's output past the
	// recording limit.
	Truncated bool `json:"truncated,omitempty"`
}

// Roles of chat messages.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// Message is one chat message.
type Message struct {
	// Role is one of the Role constants; another value is shown as given.
	Role string `json:"role"`
	// Name is the participant's name, when the provider has one.
	Name  string `json:"name,omitempty"`
	Parts []Part `json:"parts"`
	// FinishReason is why the model stopped, on output messages only, as
	// the provider spells it ("stop", "end_turn", "tool_calls", "STOP").
	FinishReason string `json:"finish_reason,omitempty"`
}

// PartType says what a Part holds.
type PartType string

// The part types. Producers may use other types; readers show those by
// their type and content.
const (
	PartText             PartType = "text"               // Content
	PartReasoning        PartType = "reasoning"          // Content: thinking the provider returned
	PartRefusal          PartType = "refusal"            // Content: the model declined
	PartToolCall         PartType = "tool_call"          // ID, Name, Arguments
	PartToolCallResponse PartType = "tool_call_response" // ID, Name when known, Response
	PartBlob             PartType = "blob"               // Modality, MIMEType, Size: an inline payload, left out
	PartURI              PartType = "uri"                // Modality, MIMEType, URI
	PartFile             PartType = "file"               // Modality, MIMEType, FileID: an uploaded file
)

// Modalities of media parts.
const (
	ModalityImage = "image"
	ModalityAudio = "audio"
	ModalityVideo = "video"
	// ModalityDocument is a Tracium addition for PDFs and other files.
	ModalityDocument = "document"
)

// Part is one typed piece of a message; which fields are set depends on
// Type.
type Part struct {
	Type    PartType `json:"type"`
	Content string   `json:"content,omitempty"`
	// ID is a tool call's id; a tool_call_response names the call it
	// answers.
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	// Arguments are a tool call's arguments, a JSON value; arguments that
	// are not valid JSON (a stream cut short) are kept as a JSON string.
	Arguments json.RawMessage `json:"arguments,omitempty"`
	// Response is a tool call's result, a JSON value.
	Response json.RawMessage `json:"response,omitempty"`
	Modality string          `json:"modality,omitempty"`
	MIMEType string          `json:"mime_type,omitempty"`
	URI      string          `json:"uri,omitempty"`
	FileID   string          `json:"file_id,omitempty"`
	// Size is the byte length of a blob's payload, which is not recorded.
	Size int64 `json:"size,omitempty"`
}

// TextPart returns a text part.
func TextPart(text string) Part { return Part{Type: PartText, Content: text} }

// TextMessage returns a message of one text part.
func TextMessage(role, text string) Message {
	return Message{Role: role, Parts: []Part{TextPart(text)}}
}

// ToolCallPart returns a tool call part. arguments is the JSON text the
// provider sent; when it is not valid JSON it is kept as a JSON string.
func ToolCallPart(id, name, arguments string) Part {
	return Part{Type: PartToolCall, ID: id, Name: name, Arguments: JSONValue(arguments)}
}

// ToolResultPart returns a tool call response part; result is kept as JSON
// when it is valid JSON, else as a JSON string.
func ToolResultPart(id, name, result string) Part {
	return Part{Type: PartToolCallResponse, ID: id, Name: name, Response: JSONValue(result)}
}

// JSONValue returns s as a JSON value: s itself when it is valid JSON
// (an object, an array, a number...), else s encoded as a JSON string. An
// empty s gives nil.
func JSONValue(s string) json.RawMessage {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil
	}
	if json.Valid([]byte(t)) {
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(s)
	return b
}

// Text returns the text of the message's text parts, joined by newlines.
func (m Message) Text() string {
	var b strings.Builder
	for _, p := range m.Parts {
		if p.Type == PartText && p.Content != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(p.Content)
		}
	}
	return b.String()
}

// ParseChat reads a span's input or output as a Chat. ok is false when the
// JSON is not in the recorded chat shape (a span that recorded something
// else), and the caller shows it as plain JSON. It decodes raw once.
func ParseChat(raw []byte) (c Chat, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || !bytes.Contains(raw, []byte(`"messages"`)) {
		return Chat{}, false
	}
	if json.Unmarshal(raw, &c) != nil || c.Messages == nil {
		return Chat{}, false
	}
	for _, m := range c.Messages {
		if m.Role == "" {
			return Chat{}, false
		}
	}
	return c, true
}
