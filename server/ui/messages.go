package ui

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Message is one chat message as the trace page shows it.
type Message struct {
	Role       string
	Text       string
	ToolCalls  []ToolCall
	ToolCallID string // a tool result answers this call
	Images     int    // image parts, shown as references only
}

// ToolCall is a function call the model asked for.
type ToolCall struct {
	ID, Name, Arguments string
}

// chatMessages reads the chat messages in a span's input or output, in
// the shapes OpenAI, Anthropic and Gemini use (a list of messages, an
// object with "messages" or "contents", a chat completion, a single
// message). It returns nil when the JSON is not a conversation; the page
// then shows the raw JSON.
func chatMessages(raw []byte) []Message {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	var list []json.RawMessage
	if raw[0] == '[' {
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		return messagesOf(list)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	var out []Message
	if sys, ok := obj["system"]; ok { // Anthropic's system prompt
		if t := textOf(sys); t != "" {
			out = append(out, Message{Role: "system", Text: t})
		}
	}
	if sys, ok := obj["systemInstruction"]; ok { // Gemini's
		if m, ok := messageOf(sys); ok {
			m.Role = "system"
			out = append(out, m)
		}
	}
	for _, key := range []string{"messages", "contents", "input"} {
		if v, ok := obj[key]; ok && json.Unmarshal(v, &list) == nil {
			return append(out, messagesOf(list)...)
		}
	}
	if v, ok := obj["choices"]; ok { // a chat completion
		var choices []struct {
			Message json.RawMessage `json:"message"`
		}
		if json.Unmarshal(v, &choices) == nil && len(choices) > 0 {
			if m, ok := messageOf(choices[0].Message); ok {
				return append(out, m)
			}
		}
	}
	if v, ok := obj["candidates"]; ok { // a Gemini response
		var cands []struct {
			Content json.RawMessage `json:"content"`
		}
		if json.Unmarshal(v, &cands) == nil && len(cands) > 0 {
			if m, ok := messageOf(cands[0].Content); ok {
				return append(out, m)
			}
		}
	}
	if m, ok := messageOf(raw); ok {
		return append(out, m)
	}
	if len(out) > 0 {
		return out
	}
	return nil
}

func messagesOf(list []json.RawMessage) []Message {
	var out []Message
	for _, item := range list {
		m, ok := messageOf(item)
		if !ok {
			return nil // not a conversation after all
		}
		out = append(out, m)
	}
	return out
}

// messageOf reads one message: {role, content | parts, tool_calls, ...}.
func messageOf(raw json.RawMessage) (Message, bool) {
	var m struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		Parts      json.RawMessage `json:"parts"`
		ToolCallID string          `json:"tool_call_id"`
		ToolCalls  []struct {
			ID       string `json:"id"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	}
	if json.Unmarshal(raw, &m) != nil || m.Role == "" && m.Parts == nil {
		return Message{}, false
	}
	out := Message{Role: m.Role, ToolCallID: m.ToolCallID}
	if out.Role == "" {
		out.Role = "model"
	}
	for _, tc := range m.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	content := m.Content
	if content == nil {
		content = m.Parts
	}
	readParts(content, &out)
	return out, true
}

// readParts fills text, tool calls and results from a content value: a
// string, or a list of typed parts.
func readParts(raw json.RawMessage, m *Message) {
	if len(raw) == 0 {
		return
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		m.Text = s
		return
	}
	var parts []map[string]json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		m.Text = string(raw)
		return
	}
	var texts []string
	for _, p := range parts {
		var typ string
		_ = json.Unmarshal(p["type"], &typ)
		switch {
		case p["text"] != nil:
			texts = append(texts, textOf(p["text"]))
		case typ == "image_url" || typ == "image" || typ == "input_image" || p["inlineData"] != nil || p["fileData"] != nil:
			m.Images++
		case typ == "tool_use":
			m.ToolCalls = append(m.ToolCalls, ToolCall{ID: textOf(p["id"]), Name: textOf(p["name"]), Arguments: compact(p["input"])})
		case typ == "tool_result":
			m.ToolCallID = textOf(p["tool_use_id"])
			texts = append(texts, contentText(p["content"]))
		case p["functionCall"] != nil:
			var fc struct {
				Name string          `json:"name"`
				Args json.RawMessage `json:"args"`
			}
			_ = json.Unmarshal(p["functionCall"], &fc)
			m.ToolCalls = append(m.ToolCalls, ToolCall{Name: fc.Name, Arguments: compact(fc.Args)})
		case p["functionResponse"] != nil:
			texts = append(texts, compact(p["functionResponse"]))
		}
	}
	m.Text = strings.Join(texts, "\n")
}

func contentText(raw json.RawMessage) string {
	var m Message
	readParts(raw, &m)
	return m.Text
}

func textOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return contentText(raw)
}

func compact(raw json.RawMessage) string {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return string(raw)
	}
	return buf.String()
}

// prettyJSON indents JSON for the raw view, cut at limit bytes so that a
// 1 MB prompt does not make a 1 MB page unless asked for.
func prettyJSON(raw []byte, limit int) (text string, cut bool) {
	if len(raw) == 0 {
		return "", false
	}
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		buf.Reset()
		buf.Write(raw)
	}
	if limit > 0 && buf.Len() > limit {
		return buf.String()[:limit], true
	}
	return buf.String(), false
}
