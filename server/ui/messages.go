package ui

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	tracium "github.com/tracium/tracium/sdk"
)

// The trace page shows an llm span's input and output as chat messages.
// They are read in one shape only, the recorded chat of the SDK
// (tracium.Chat, docs/data-model.md), which the SDK writes for every
// provider and the collector's OTLP mapping writes too: one decode, no
// guessing at providers' formats here. Anything else is shown as JSON.

// Message is one chat message as the trace page shows it.
type Message struct {
	Role         string
	Parts        []PartView
	FinishReason string
}

// PartView is one part of a message, ready to print.
type PartView struct {
	// Kind picks the rendering: "text", "reasoning", "refusal",
	// "tool_call", "tool_result", "media" or "other".
	Kind string
	// Text is the part's text, its arguments or its result, cut at the
	// page's limit (Cut says so).
	Text string
	Cut  bool
	// ToolID and ToolName name a tool call or the call a result answers.
	ToolID, ToolName string
	// Label describes media or a part of another type.
	Label string
}

// chatMessages reads a span's input or output as chat messages; nil when
// it is not a recorded chat. Each part's text is cut at limit bytes (0:
// no cut).
func chatMessages(raw []byte, limit int) []Message {
	c, ok := tracium.ParseChat(raw)
	if !ok {
		return nil
	}
	out := make([]Message, 0, len(c.Messages))
	for _, m := range c.Messages {
		msg := Message{Role: m.Role, FinishReason: m.FinishReason, Parts: make([]PartView, 0, len(m.Parts))}
		for _, p := range m.Parts {
			msg.Parts = append(msg.Parts, partView(p, limit))
		}
		out = append(out, msg)
	}
	if c.Truncated && len(out) > 0 {
		last := &out[len(out)-1]
		last.Parts = append(last.Parts, PartView{Kind: "other", Label: "The recorded answer was cut at the SDK's 1 MB limit."})
	}
	return out
}

func partView(p tracium.Part, limit int) PartView {
	v := PartView{ToolID: p.ID, ToolName: p.Name}
	switch p.Type {
	case tracium.PartText, tracium.PartReasoning, tracium.PartRefusal:
		v.Kind = string(p.Type)
		v.Text, v.Cut = cut(p.Content, limit)
	case tracium.PartToolCall:
		v.Kind = "tool_call"
		v.Text, v.Cut = cut(compactJSON(p.Arguments), limit)
	case tracium.PartToolCallResponse:
		v.Kind = "tool_result"
		v.Text, v.Cut = cut(jsonAsText(p.Response), limit)
	case tracium.PartBlob, tracium.PartURI, tracium.PartFile:
		v.Kind, v.Label = "media", mediaLabel(p)
	default:
		v.Kind, v.Label = "other", string(p.Type)
		v.Text, v.Cut = cut(p.Content, limit)
	}
	return v
}

// mediaLabel describes a media part: "image · image/png · 48 KB",
// "image · https://…", "document · file-abc".
func mediaLabel(p tracium.Part) string {
	label := cmpNonEmpty(p.Modality, "media")
	if p.MIMEType != "" {
		label += " · " + p.MIMEType
	}
	switch {
	case p.URI != "":
		label += " · " + p.URI
	case p.FileID != "":
		label += " · file " + p.FileID
	case p.Size > 0:
		label += " · " + formatBytes(p.Size)
	}
	return label
}

func cmpNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// jsonAsText shows a JSON string as its text and anything else as
// compact JSON.
func jsonAsText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return compactJSON(raw)
}

func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return string(raw)
	}
	return buf.String()
}

// cut shortens s to at most limit bytes on a rune boundary.
func cut(s string, limit int) (string, bool) {
	if limit <= 0 || len(s) <= limit {
		return s, false
	}
	i := limit
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}

// prettyJSON indents JSON for the raw view, cut at limit bytes so that a
// 1 MB prompt does not make a 1 MB page unless asked for.
func prettyJSON(raw []byte, limit int) (text string, cutShort bool) {
	if len(raw) == 0 {
		return "", false
	}
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		buf.Reset()
		buf.Write(raw)
	}
	return cut(buf.String(), limit)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
