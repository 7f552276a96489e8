package otlp

import (
	"bytes"
	"encoding/json"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	tracium "github.com/tracium/tracium/sdk"
)

// The Vercel AI SDK's own attributes (its LegacyOpenTelemetry integration
// in AI SDK 7, its only one before): ai.prompt.messages on each provider
// call (the LanguageModel prompt: {role, content} with content a string
// or typed parts), ai.prompt on the call of generateText or streamText
// ({system, prompt, messages}), ai.response.text, ai.response.reasoning
// and ai.response.toolCalls for the answer. Part fields changed names
// between versions (args and input, result and output, mimeType and
// mediaType); both are read.

type vercelMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type vercelPart struct {
	Type       string          `json:"type"`
	Text       string          `json:"text"`
	Image      json.RawMessage `json:"image"`
	Data       json.RawMessage `json:"data"`
	MimeType   string          `json:"mimeType"`
	MediaType  string          `json:"mediaType"`
	ToolCallID string          `json:"toolCallId"`
	ToolName   string          `json:"toolName"`
	Input      json.RawMessage `json:"input"`
	Args       json.RawMessage `json:"args"`
	Output     json.RawMessage `json:"output"`
	Result     json.RawMessage `json:"result"`
}

func (c *chat) vercelMessages(raw []byte) bool {
	var msgs []vercelMessage
	if json.Unmarshal(raw, &msgs) != nil {
		return false
	}
	for _, vm := range msgs {
		c.vercelMessage(vm)
	}
	return len(msgs) > 0
}

func (c *chat) vercelMessage(vm vercelMessage) {
	msg := tracium.Message{Role: normalizeRole(vm.Role, tracium.RoleUser)}
	content := bytes.TrimSpace(vm.Content)
	var parts []vercelPart
	switch {
	case len(content) > 0 && content[0] == '"':
		if s := contentText(content); s != "" {
			msg.Parts = append(msg.Parts, c.text(tracium.PartText, s))
		}
	case json.Unmarshal(content, &parts) == nil:
		for _, p := range parts {
			if part, ok := c.vercelPart(p); ok {
				msg.Parts = append(msg.Parts, part)
			}
		}
	}
	c.add(msg)
}

func (c *chat) vercelPart(p vercelPart) (tracium.Part, bool) {
	switch p.Type {
	case "text":
		return c.text(tracium.PartText, p.Text), p.Text != ""
	case "reasoning":
		return c.text(tracium.PartReasoning, p.Text), p.Text != ""
	case "image", "file":
		data := p.Data
		if p.Type == "image" {
			data = p.Image
		}
		mime := cmpStr(p.MediaType, p.MimeType)
		s := contentText(data)
		if isURL(s) {
			return mediaPart("", mime, "", s), true
		}
		return mediaPart("", mime, s, ""), true
	case "tool-call":
		return tracium.Part{Type: tracium.PartToolCall, ID: p.ToolCallID, Name: p.ToolName,
			Arguments: argsJSON(firstRaw(p.Input, p.Args))}, true
	case "tool-result":
		return tracium.Part{Type: tracium.PartToolCallResponse, ID: p.ToolCallID, Name: p.ToolName,
			Response: vercelResult(firstRaw(p.Output, p.Result))}, true
	}
	t, _ := fieldString(p.Type, 64)
	return c.text(tracium.PartType(cmpStr(t, "unknown")), p.Text), true
}

// vercelResult reads a tool result: AI SDK 5's {type: "text"|"json"|…,
// value}, or the value itself.
func vercelResult(raw json.RawMessage) json.RawMessage {
	var out struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &out) == nil && out.Type != "" && len(out.Value) > 0 {
		return argsJSON(out.Value)
	}
	return argsJSON(raw)
}

func (m *mapper) vercelInput(c *chat) bool {
	if raw, ok := m.attrs.text(kAIPromptMessages); ok && jsonDepth(raw) <= maxValueDepth && c.vercelMessages(raw) {
		m.attrs.use(kAIPromptMessages)
		return true
	}
	var p struct {
		System   string          `json:"system"`
		Prompt   json.RawMessage `json:"prompt"`
		Messages json.RawMessage `json:"messages"`
	}
	if !m.decodeText(kAIPrompt, &p) {
		return false
	}
	if p.System != "" {
		c.add(tracium.Message{Role: tracium.RoleSystem, Parts: []tracium.Part{c.text(tracium.PartText, p.System)}})
	}
	if s := contentText(p.Prompt); s != "" && bytes.TrimSpace(p.Prompt)[0] == '"' {
		c.add(tracium.Message{Role: tracium.RoleUser, Parts: []tracium.Part{c.text(tracium.PartText, s)}})
	} else if len(p.Prompt) > 0 {
		c.vercelMessages(p.Prompt)
	}
	if len(p.Messages) > 0 {
		c.vercelMessages(p.Messages)
	}
	if len(c.msgs) == 0 {
		return false
	}
	m.attrs.use(kAIPrompt)
	return true
}

func (m *mapper) vercelOutput(c *chat) bool {
	a := &m.attrs
	msg := tracium.Message{Role: tracium.RoleAssistant}
	if s, ok := a.str(kAIResponseReasoning); ok {
		msg.Parts = append(msg.Parts, c.text(tracium.PartReasoning, cleanString(s)))
		a.use(kAIResponseReasoning)
	}
	if s, ok := a.str(kAIResponseText); ok {
		msg.Parts = append(msg.Parts, c.text(tracium.PartText, cleanString(s)))
		a.use(kAIResponseText)
	}
	var calls []struct {
		ID    string          `json:"toolCallId"`
		Name  string          `json:"toolName"`
		Args  json.RawMessage `json:"args"`
		Input json.RawMessage `json:"input"`
	}
	if m.decodeText(kAIResponseToolCalls, &calls) {
		for _, tc := range calls {
			msg.Parts = append(msg.Parts, tracium.Part{Type: tracium.PartToolCall, ID: tc.ID, Name: tc.Name,
				Arguments: argsJSON(firstRaw(tc.Input, tc.Args))})
		}
		a.use(kAIResponseToolCalls)
	}
	if len(msg.Parts) == 0 {
		return false
	}
	if s, ok := a.str(kAIResponseFinishReason); ok {
		msg.FinishReason, _ = fieldString(s, 64)
		a.use(kAIResponseFinishReason)
	}
	c.add(msg)
	return true
}

// vercelEmbedInput reads the values embedded: ai.values (a list of JSON
// texts) or ai.value (one), as one user message of their texts, the
// SDK's record of an embedding's input.
func (m *mapper) vercelEmbedInput(c *chat) bool {
	a := &m.attrs
	msg := tracium.Message{Role: tracium.RoleUser}
	for _, k := range [...]key{kAIValues, kAIValue} {
		v, ok := a.value(k)
		if !ok {
			continue
		}
		var texts []string
		if v.Type() == pcommon.ValueTypeSlice {
			for i := 0; i < v.Slice().Len(); i++ {
				texts = append(texts, v.Slice().At(i).AsString())
			}
		} else {
			texts = []string{v.AsString()}
		}
		for _, t := range texts {
			t = strings.TrimSpace(cleanString(t))
			if s := contentText(json.RawMessage(t)); s != "" && len(t) > 0 && t[0] == '"' {
				t = s
			}
			if t != "" {
				msg.Parts = append(msg.Parts, c.text(tracium.PartText, t))
			}
		}
		if len(msg.Parts) > 0 {
			a.use(k)
			c.add(msg)
			return true
		}
	}
	return false
}
