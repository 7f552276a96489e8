package otlp

import (
	"bytes"
	"encoding/json"
	"strings"

	tracium "github.com/tracium/tracium/sdk"
)

// The recorded chat shape is the SDK's (tracium.Chat, sdk/chat.go): the
// mapping builds tracium.Message values from each convention and encodes
// them once. Payloads of media are never recorded, only their type and
// size, as the SDK does.

// chat is one side of a call being built.
type chat struct {
	msgs      []tracium.Message
	truncated bool
	// provider is the span's, for contents in a provider's own format.
	provider string
}

func (c *chat) add(m tracium.Message) {
	if m.Parts == nil {
		m.Parts = []tracium.Part{}
	}
	c.msgs = append(c.msgs, m)
}

// json encodes the chat, or nil when it has no message.
func (c *chat) json() []byte {
	if len(c.msgs) == 0 {
		return nil
	}
	b, err := json.Marshal(tracium.Chat{Messages: c.msgs, Truncated: c.truncated})
	if err != nil {
		return nil
	}
	return b
}

// cut applies maxValueBytes to the text of a message read by one of the
// SDK's readers.
func (c *chat) cut(m tracium.Message) tracium.Message {
	for i := range m.Parts {
		if p := &m.Parts[i]; len(p.Content) > maxValueBytes {
			p.Content, _ = cutString(p.Content, maxValueBytes)
			c.truncated = true
		}
	}
	return m
}

// text returns a text part of type typ, cut at maxValueBytes.
func (c *chat) text(typ tracium.PartType, s string) tracium.Part {
	s, cut := cutString(s, maxValueBytes)
	c.truncated = c.truncated || cut
	return tracium.Part{Type: typ, Content: s}
}

// normalizeRole maps the roles conventions spell to the chat's: Gemini
// and Genkit's "model" is the assistant, OpenAI's "developer" the system.
func normalizeRole(role, fallback string) string {
	switch r := strings.ToLower(strings.TrimSpace(role)); r {
	case "":
		return fallback
	case "model", "ai", "bot":
		return tracium.RoleAssistant
	case "developer":
		return tracium.RoleSystem
	case "human":
		return tracium.RoleUser
	case "function", "ipython":
		return tracium.RoleTool
	default:
		out, _ := fieldString(r, 64)
		return out
	}
}

// argsJSON reads a tool call's arguments or result as the SDK records
// them: a JSON value, where a JSON string holding JSON (the OpenAI wire
// format's arguments) is that JSON.
func argsJSON(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		return jsonValue(s)
	}
	return rawJSON(raw)
}

// modalityOf maps a MIME type to a part's modality, as the SDK does.
func modalityOf(mime string) string {
	switch {
	case strings.HasPrefix(mime, "image/"):
		return tracium.ModalityImage
	case strings.HasPrefix(mime, "audio/"):
		return tracium.ModalityAudio
	case strings.HasPrefix(mime, "video/"):
		return tracium.ModalityVideo
	}
	return tracium.ModalityDocument
}

// mediaPart records media sent inline (base64 data, or a data: URL) by
// its type and decoded size, and media sent by reference by its URI.
func mediaPart(modality, mime, data, uri string) tracium.Part {
	if m, payload, ok := strings.Cut(uri, ";base64,"); ok && strings.HasPrefix(m, "data:") {
		mime, data, uri = strings.TrimPrefix(m, "data:"), payload, ""
	}
	if modality == "" {
		modality = modalityOf(mime)
	}
	mime, _ = fieldString(mime, 255)
	if uri != "" {
		uri, _ = fieldString(uri, maxValueBytes)
		return tracium.Part{Type: tracium.PartURI, Modality: modality, MIMEType: mime, URI: uri}
	}
	return tracium.Part{Type: tracium.PartBlob, Modality: modality, MIMEType: mime, Size: base64Size(data)}
}

// base64Size is the decoded size of a base64 payload.
func base64Size(data string) int64 {
	data = strings.TrimSpace(data)
	n := len(data) / 4 * 3
	if rem := len(data) % 4; rem > 1 {
		n += rem - 1 // unpadded
	}
	n -= len(data) - len(strings.TrimRight(data, "="))
	return int64(max(n, 0))
}

// isURL tells a URL from inline base64 data in the fields that take
// either (the Vercel AI SDK's image and data, Genkit's media url).
func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") ||
		strings.HasPrefix(s, "gs://") || strings.HasPrefix(s, "data:")
}
