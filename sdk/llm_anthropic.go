package tracium

import (
	"encoding/json"
	"strings"
)

// anthropicAPI is Anthropic's Messages API.
type anthropicAPI struct{}

func (anthropicAPI) name() string { return providerAnthropic }

func (a anthropicAPI) match(path string) (llmEndpoint, bool) {
	if strings.HasSuffix(path, "/v1/messages") {
		return llmEndpoint{api: a, op: "chat"}, true
	}
	return llmEndpoint{}, false
}

type anthropicRequest struct {
	Model       string             `json:"model"`
	System      json.RawMessage    `json:"system"`
	Messages    []anthropicMessage `json:"messages"`
	Temperature *float64           `json:"temperature"`
	TopP        *float64           `json:"top_p"`
	MaxTokens   *int64             `json:"max_tokens"`
	Stream      bool               `json:"stream"`
	ToolChoice  json.RawMessage    `json:"tool_choice"`
	Tools       []struct {
		Name string `json:"name"`
	} `json:"tools"`
}

// anthropicBlock is one content block of a request or an answer.
type anthropicBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	Thinking  string          `json:"thinking"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	Source    *struct {
		Type      string `json:"type"` // base64, url, file, text
		MediaType string `json:"media_type"`
		Data      string `json:"data"`
		URL       string `json:"url"`
		FileID    string `json:"file_id"`
	} `json:"source"`
}

func (anthropicAPI) request(_ llmEndpoint, body []byte) llmRequest {
	var req anthropicRequest
	if json.Unmarshal(body, &req) != nil {
		return llmRequest{}
	}
	out := llmRequest{model: req.Model, stream: req.Stream}
	var c Chat
	if sys := anthropicBlocks(req.System); len(sys) > 0 {
		c.Messages = append(c.Messages, Message{Role: RoleSystem, Parts: sys})
	}
	for _, m := range req.Messages {
		c.Messages = append(c.Messages, m.chat())
	}
	if len(c.Messages) > 0 {
		out.input = marshalChat(c)
	}
	p := &out.params
	p.temperature, p.topP, p.maxTokens = req.Temperature, req.TopP, req.MaxTokens
	var choice struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	if json.Unmarshal(req.ToolChoice, &choice) == nil && choice.Type != "" {
		p.toolChoice = strings.TrimSpace(choice.Type + " " + choice.Name)
	}
	for _, t := range req.Tools {
		if t.Name != "" {
			p.tools = append(p.tools, t.Name)
		}
	}
	return out
}

// anthropicMessage is one message of a request.
type anthropicMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// chat converts a message: a user turn of only tool results is the
// tool's.
func (m anthropicMessage) chat() Message {
	parts := anthropicBlocks(m.Content)
	role := m.Role
	if role == RoleUser && len(parts) > 0 && allToolResults(parts) {
		role = RoleTool
	}
	if parts == nil {
		parts = []Part{}
	}
	return Message{Role: role, Parts: parts}
}

func allToolResults(parts []Part) bool {
	for _, p := range parts {
		if p.Type != PartToolCallResponse {
			return false
		}
	}
	return true
}

// anthropicBlocks reads a content value: a string or a list of blocks.
func anthropicBlocks(raw json.RawMessage) []Part {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil
		}
		return []Part{TextPart(s)}
	}
	var blocks []anthropicBlock
	if json.Unmarshal(raw, &blocks) != nil {
		return nil
	}
	parts := make([]Part, 0, len(blocks))
	for _, b := range blocks {
		parts = append(parts, b.part())
	}
	return parts
}

func (b *anthropicBlock) part() Part {
	switch b.Type {
	case "text":
		return TextPart(b.Text)
	case "thinking":
		return Part{Type: PartReasoning, Content: b.Thinking}
	case "redacted_thinking":
		return Part{Type: PartReasoning, Content: "[redacted thinking]"}
	case "tool_use", "server_tool_use":
		return Part{Type: PartToolCall, ID: b.ID, Name: b.Name, Arguments: b.Input}
	case "tool_result":
		return Part{Type: PartToolCallResponse, ID: b.ToolUseID, Response: JSONValue(anthropicText(b.Content))}
	case "image", "document":
		modality := ModalityImage
		if b.Type == "document" {
			modality = ModalityDocument
		}
		if b.Source == nil {
			return Part{Type: PartBlob, Modality: modality}
		}
		src := b.Source
		switch src.Type {
		case "file":
			return Part{Type: PartFile, Modality: modality, MIMEType: src.MediaType, FileID: src.FileID}
		case "text":
			return TextPart(src.Data)
		}
		return mediaPart(modality, src.MediaType, src.Data, src.URL)
	}
	return Part{Type: PartType(b.Type), ID: b.ID, Name: b.Name}
}

// anthropicText is the text of a tool result's content (a string or
// blocks).
func anthropicText(raw json.RawMessage) string {
	var b strings.Builder
	for _, p := range anthropicBlocks(raw) {
		if p.Content != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(p.Content)
		}
	}
	if b.Len() == 0 && len(raw) > 0 && raw[0] != '[' && raw[0] != '"' {
		return string(raw)
	}
	return b.String()
}

// anthropicUsage is Anthropic's usage block. Its input_tokens leaves out
// the cache reads and writes; under the token convention they are part of
// the input.
type anthropicUsage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
}

func (w *anthropicUsage) usage() *Usage {
	return totalUsage(Usage{
		InputTokens:         w.InputTokens + w.CacheReadInputTokens + w.CacheCreationInputTokens,
		OutputTokens:        w.OutputTokens,
		CachedTokens:        w.CacheReadInputTokens,
		CacheCreationTokens: w.CacheCreationInputTokens,
	})
}

func (anthropicAPI) response(_ llmEndpoint, body []byte) llmResponse {
	var (
		res                  llmResponse
		content, stop, usage []byte
	)
	res.ok = topLevel(body, func(key, v []byte) {
		switch string(key) {
		case `"model"`:
			res.model = decodeString(v)
		case `"content"`:
			content = v
		case `"stop_reason"`:
			stop = v
		case `"usage"`:
			usage = v
		}
	})
	if !res.ok {
		return res
	}
	var u anthropicUsage
	if decodeUsage(usage, &u) {
		res.usage = u.usage()
	}
	if content == nil {
		return res
	}
	w := newChatWriter(len(body))
	w.message(RoleAssistant, decodeString(stop))
	scanArray(content, 0, 1, func(block []byte) {
		var typ, txt, think, id, name, input []byte
		scanObject(block, 0, 2, func(key, v []byte) {
			switch string(key) {
			case `"type"`:
				typ = v
			case `"text"`:
				txt = v
			case `"thinking"`:
				think = v
			case `"id"`:
				id = v
			case `"name"`:
				name = v
			case `"input"`:
				input = v
			}
		})
		switch t := decodeString(typ); t {
		case "text":
			w.rawText(PartText, txt)
		case "thinking":
			w.rawText(PartReasoning, think)
		case "tool_use", "server_tool_use":
			w.part(Part{Type: PartToolCall, ID: decodeString(id), Name: decodeString(name), Arguments: json.RawMessage(input)})
		default:
			w.part(Part{Type: PartType(t), ID: decodeString(id), Name: decodeString(name)})
		}
	})
	res.output = w.json(false)
	return res
}

// anthropicEvent is one event of a Messages stream.
type anthropicEvent struct {
	Type    string `json:"type"`
	Message *struct {
		Model string         `json:"model"`
		Usage anthropicUsage `json:"usage"`
	} `json:"message"`
	Index        int             `json:"index"`
	ContentBlock *anthropicBlock `json:"content_block"`
	Delta        *struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		Thinking    string `json:"thinking"`
		PartialJSON string `json:"partial_json"`
		StopReason  string `json:"stop_reason"`
	} `json:"delta"`
	Usage *anthropicUsage `json:"usage"`
	Error *providerError  `json:"error"`
}

func (anthropicAPI) event(_ llmEndpoint, data []byte, st *llmStream) {
	var ev anthropicEvent
	if json.Unmarshal(data, &ev) != nil {
		return
	}
	if ev.Error != nil {
		st.err = ev.Error
		return
	}
	switch ev.Type {
	case "message_start":
		if m := ev.Message; m != nil {
			st.setModel(m.Model)
			st.anthropic = m.Usage
			st.setUsage(st.anthropic.usage())
		}
	case "content_block_start":
		if b := ev.ContentBlock; b != nil {
			switch b.Type {
			case "tool_use", "server_tool_use":
				st.toolDelta(ev.Index, b.ID, b.Name, "")
			case "text":
				st.addText(b.Text)
			case "thinking":
				st.addReasoning(b.Thinking)
			}
		}
	case "content_block_delta":
		if d := ev.Delta; d != nil {
			switch d.Type {
			case "text_delta":
				st.addText(d.Text)
			case "thinking_delta":
				st.addReasoning(d.Thinking)
			case "input_json_delta":
				st.toolDelta(ev.Index, "", "", d.PartialJSON)
			}
		}
	case "message_delta":
		if ev.Delta != nil && ev.Delta.StopReason != "" {
			st.finishReason = ev.Delta.StopReason
		}
		if u := ev.Usage; u != nil {
			// message_delta's counts are cumulative for the message; the
			// input counts come with message_start and sometimes again here.
			st.anthropic.OutputTokens = u.OutputTokens
			if u.InputTokens != 0 || u.CacheReadInputTokens != 0 || u.CacheCreationInputTokens != 0 {
				st.anthropic.InputTokens = u.InputTokens
				st.anthropic.CacheReadInputTokens = u.CacheReadInputTokens
				st.anthropic.CacheCreationInputTokens = u.CacheCreationInputTokens
			}
			st.setUsage(st.anthropic.usage())
		}
	case "message_stop":
		st.finished = true
	}
}
