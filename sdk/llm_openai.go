package tracium

import (
	"encoding/json"
	"strconv"
	"strings"
)

// openAIAPI is OpenAI's wire format: chat completions, legacy completions,
// the Responses API and embeddings. Azure OpenAI, OpenRouter, vLLM, Ollama
// and every other OpenAI-compatible server speak it too, and so do the
// paths and hosts named by WithLLMPaths and WithLLMHosts.
type openAIAPI struct{}

func (openAIAPI) name() string { return providerOpenAI }

func (a openAIAPI) match(path string) (llmEndpoint, bool) {
	switch {
	case strings.HasSuffix(path, "/chat/completions"):
		return llmEndpoint{api: a, op: "chat"}, true
	case strings.HasSuffix(path, "/completions"):
		return llmEndpoint{api: a, op: "completion"}, true
	case strings.HasSuffix(path, "/responses"):
		return llmEndpoint{api: a, op: "responses"}, true
	case strings.HasSuffix(path, "/embeddings"):
		return llmEndpoint{api: a, op: "embedding"}, true
	}
	return llmEndpoint{}, false
}

// openAIRequest covers the request bodies of every OpenAI endpoint.
type openAIRequest struct {
	Model        string          `json:"model"`
	Messages     []openAIMessage `json:"messages"`
	Prompt       json.RawMessage `json:"prompt"`
	Input        json.RawMessage `json:"input"`
	Instructions string          `json:"instructions"`

	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	MaxTokens           *int64          `json:"max_tokens"`
	MaxCompletionTokens *int64          `json:"max_completion_tokens"`
	MaxOutputTokens     *int64          `json:"max_output_tokens"`
	Stream              bool            `json:"stream"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	ResponseFormat      *struct {
		Type string `json:"type"`
	} `json:"response_format"`
	Text *struct {
		Format struct {
			Type string `json:"type"`
		} `json:"format"`
	} `json:"text"`
	Tools []struct {
		Type     string `json:"type"`
		Name     string `json:"name"`
		Function *struct {
			Name string `json:"name"`
		} `json:"function"`
	} `json:"tools"`
}

type openAIMessage struct {
	Role       string           `json:"role"`
	Name       string           `json:"name"`
	Content    json.RawMessage  `json:"content"`
	Refusal    string           `json:"refusal"`
	ToolCalls  []openAIToolCall `json:"tool_calls"`
	ToolCallID string           `json:"tool_call_id"`
}

type openAIToolCall struct {
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// openAIContentPart is one typed part of a chat message's or a Responses
// input item's content.
type openAIContentPart struct {
	Type     string          `json:"type"`
	Text     string          `json:"text"`
	Refusal  string          `json:"refusal"`
	ImageURL json.RawMessage `json:"image_url"` // chat: {url}; Responses: a string
	FileID   string          `json:"file_id"`
	Audio    *struct {
		Data   string `json:"data"`
		Format string `json:"format"`
	} `json:"input_audio"`
	File *struct {
		FileID   string `json:"file_id"`
		FileData string `json:"file_data"`
	} `json:"file"`
	FileData string `json:"file_data"`
}

func (openAIAPI) request(ep llmEndpoint, body []byte) llmRequest {
	var req openAIRequest
	if json.Unmarshal(body, &req) != nil {
		return llmRequest{}
	}
	out := llmRequest{model: req.Model, stream: req.Stream}
	var c Chat
	switch ep.op {
	case "responses":
		if req.Instructions != "" {
			c.Messages = append(c.Messages, TextMessage(RoleSystem, req.Instructions))
		}
		c.Messages = append(c.Messages, openAIInputItems(req.Input)...)
	case "completion", "embedding":
		raw := req.Prompt
		if ep.op == "embedding" {
			raw = req.Input
		}
		if parts := openAITexts(raw); len(parts) > 0 {
			c.Messages = []Message{{Role: RoleUser, Parts: parts}}
		}
	default:
		for _, m := range req.Messages {
			c.Messages = append(c.Messages, m.chat())
		}
	}
	if len(c.Messages) > 0 {
		out.input = marshalChat(c)
	}
	p := &out.params
	p.temperature, p.topP = req.Temperature, req.TopP
	p.maxTokens, p.maxCompletion, p.maxOutput = req.MaxTokens, req.MaxCompletionTokens, req.MaxOutputTokens
	p.toolChoice = toolChoiceText(req.ToolChoice)
	if req.ResponseFormat != nil {
		p.responseFormat = req.ResponseFormat.Type
	} else if req.Text != nil {
		p.responseFormat = req.Text.Format.Type
	}
	for _, t := range req.Tools {
		switch {
		case t.Function != nil && t.Function.Name != "":
			p.tools = append(p.tools, t.Function.Name)
		case t.Name != "":
			p.tools = append(p.tools, t.Name)
		case t.Type != "" && t.Type != "function":
			p.tools = append(p.tools, t.Type) // a built-in tool: web_search, file_search
		}
	}
	return out
}

// chat converts a chat completions message.
func (m openAIMessage) chat() Message {
	role := m.Role
	if role == "developer" {
		role = RoleSystem
	}
	out := Message{Role: role, Name: m.Name}
	if role == RoleTool {
		out.Parts = []Part{{Type: PartToolCallResponse, ID: m.ToolCallID, Response: JSONValue(openAIContentText(m.Content))}}
		return out
	}
	out.Parts = openAIContent(m.Content)
	if m.Refusal != "" {
		out.Parts = append(out.Parts, Part{Type: PartRefusal, Content: m.Refusal})
	}
	for _, tc := range m.ToolCalls {
		out.Parts = append(out.Parts, ToolCallPart(tc.ID, tc.Function.Name, tc.Function.Arguments))
	}
	if out.Parts == nil {
		out.Parts = []Part{}
	}
	return out
}

// openAIContent reads a content value: a string, or a list of typed parts
// (chat's text, image_url, input_audio, file; the Responses API's
// input_text, output_text, input_image, input_file, refusal).
func openAIContent(raw json.RawMessage) []Part {
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
	var list []openAIContentPart
	if json.Unmarshal(raw, &list) != nil {
		return []Part{TextPart(string(raw))}
	}
	parts := make([]Part, 0, len(list))
	for _, p := range list {
		switch p.Type {
		case "text", "input_text", "output_text":
			parts = append(parts, TextPart(p.Text))
		case "refusal":
			parts = append(parts, Part{Type: PartRefusal, Content: p.Refusal})
		case "image_url", "input_image":
			var url string
			if json.Unmarshal(p.ImageURL, &url) != nil {
				var obj struct {
					URL string `json:"url"`
				}
				_ = json.Unmarshal(p.ImageURL, &obj)
				url = obj.URL
			}
			if url == "" && p.FileID != "" {
				parts = append(parts, Part{Type: PartFile, Modality: ModalityImage, FileID: p.FileID})
				continue
			}
			parts = append(parts, mediaPart(ModalityImage, "", "", url))
		case "input_audio":
			if p.Audio != nil {
				parts = append(parts, mediaPart(ModalityAudio, "audio/"+p.Audio.Format, p.Audio.Data, ""))
			}
		case "file", "input_file":
			id, data := p.FileID, p.FileData
			if p.File != nil {
				id, data = p.File.FileID, p.File.FileData
			}
			if id != "" {
				parts = append(parts, Part{Type: PartFile, Modality: ModalityDocument, FileID: id})
			} else {
				parts = append(parts, mediaPart(ModalityDocument, "application/pdf", "", data))
			}
		default:
			parts = append(parts, Part{Type: PartType(p.Type), Content: p.Text})
		}
	}
	return parts
}

// openAIContentText is a content value's text, for tool results.
func openAIContentText(raw json.RawMessage) string {
	var b strings.Builder
	for _, p := range openAIContent(raw) {
		if p.Content != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(p.Content)
		}
	}
	return b.String()
}

// openAITexts reads a prompt or an embedding input: a string, a list of
// strings, or token ids (recorded by count).
func openAITexts(raw json.RawMessage) []Part {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []Part{TextPart(s)}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	parts := make([]Part, 0, len(list))
	for _, item := range list {
		if json.Unmarshal(item, &s) == nil {
			parts = append(parts, TextPart(s))
			continue
		}
		var ids []json.RawMessage
		if json.Unmarshal(item, &ids) == nil {
			parts = append(parts, TextPart("["+strconv.Itoa(len(ids))+" token ids]"))
		} else {
			parts = append(parts, TextPart("[1 token id]"))
		}
	}
	return parts
}

// openAIInputItem is one item of a Responses API input list.
type openAIInputItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Output    json.RawMessage `json:"output"`
	Summary   []struct {
		Text string `json:"text"`
	} `json:"summary"`
}

// openAIInputItems reads a Responses API input: a string or a list of
// items (messages, function calls and their outputs, reasoning).
func openAIInputItems(raw json.RawMessage) []Message {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []Message{TextMessage(RoleUser, s)}
	}
	var items []openAIInputItem
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	msgs := make([]Message, 0, len(items))
	for _, it := range items {
		switch it.Type {
		case "", "message":
			role := it.Role
			if role == "developer" {
				role = RoleSystem
			}
			parts := openAIContent(it.Content)
			if parts == nil {
				parts = []Part{}
			}
			msgs = append(msgs, Message{Role: role, Parts: parts})
		case "function_call":
			msgs = append(msgs, Message{Role: RoleAssistant, Parts: []Part{ToolCallPart(it.CallID, it.Name, it.Arguments)}})
		case "function_call_output":
			msgs = append(msgs, Message{Role: RoleTool, Parts: []Part{{Type: PartToolCallResponse, ID: it.CallID, Response: JSONValue(jsonText(it.Output))}}})
		case "reasoning":
			var parts []Part
			for _, sm := range it.Summary {
				parts = append(parts, Part{Type: PartReasoning, Content: sm.Text})
			}
			msgs = append(msgs, Message{Role: RoleAssistant, Parts: parts})
		default:
			msgs = append(msgs, Message{Role: RoleAssistant, Parts: []Part{{Type: PartType(it.Type), ID: it.CallID}}})
		}
	}
	return msgs
}

// openAIUsage is the usage block of chat completions, legacy completions,
// embeddings (prompt_ and completion_ counts) and the Responses API
// (input_ and output_ counts). Both already follow the token convention:
// the prompt count includes the cached tokens, the completion count the
// reasoning tokens.
type openAIUsage struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	PromptTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	InputTokens        int64 `json:"input_tokens"`
	OutputTokens       int64 `json:"output_tokens"`
	InputTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
}

func (w *openAIUsage) usage() *Usage {
	if w.PromptTokens == 0 && w.CompletionTokens == 0 && (w.InputTokens != 0 || w.OutputTokens != 0) {
		return totalUsage(Usage{InputTokens: w.InputTokens, OutputTokens: w.OutputTokens,
			CachedTokens: w.InputTokensDetails.CachedTokens, ReasoningTokens: w.OutputTokensDetails.ReasoningTokens})
	}
	return totalUsage(Usage{InputTokens: w.PromptTokens, OutputTokens: w.CompletionTokens,
		CachedTokens: w.PromptTokensDetails.CachedTokens, ReasoningTokens: w.CompletionTokensDetails.ReasoningTokens})
}

func (openAIAPI) response(ep llmEndpoint, body []byte) llmResponse {
	var (
		res            llmResponse
		usage, choices []byte
		output, status []byte
	)
	res.ok = topLevel(body, func(key, v []byte) {
		switch string(key) {
		case `"model"`:
			res.model = decodeString(v)
		case `"usage"`:
			usage = v
		case `"choices"`:
			choices = v
		case `"output"`:
			output = v
		case `"status"`:
			status = v
		}
	})
	if !res.ok {
		return res
	}
	var u openAIUsage
	if decodeUsage(usage, &u) {
		res.usage = u.usage()
	}
	switch {
	case ep.op == "embedding":
	case output != nil:
		res.output = openAIOutputItems(output, decodeString(status), len(body))
	case choices != nil:
		res.output = openAIChoices(choices, len(body))
	}
	return res
}

// openAIChoices converts the choices of a chat or legacy completion, one
// message per choice, splicing the text as sent.
func openAIChoices(choices []byte, size int) validJSON {
	w := newChatWriter(size)
	scanArray(choices, 0, 1, func(choice []byte) {
		var msg, text, finish []byte
		scanObject(choice, 0, 2, func(key, v []byte) {
			switch string(key) {
			case `"message"`:
				msg = v
			case `"text"`:
				text = v
			case `"finish_reason"`:
				finish = v
			}
		})
		w.message(RoleAssistant, decodeString(finish))
		w.rawText(PartText, text)
		if msg != nil {
			openAIMessageParts(w, msg)
		}
	})
	if w.empty() {
		return nil
	}
	return w.json(false)
}

// openAIMessageParts writes an answer message's content, refusal, tool
// calls and (from servers that send it) reasoning.
func openAIMessageParts(w *chatWriter, msg []byte) {
	var calls []byte
	scanObject(msg, 0, 3, func(key, v []byte) {
		switch string(key) {
		case `"reasoning_content"`, `"reasoning"`: // DeepSeek, vLLM, OpenRouter
			w.rawText(PartReasoning, v)
		case `"content"`:
			if len(v) > 0 && v[0] == '[' { // a list of parts, from compatible servers
				var raw json.RawMessage = v
				for _, p := range openAIContent(raw) {
					w.part(p)
				}
				return
			}
			w.rawText(PartText, v)
		case `"refusal"`:
			w.rawText(PartRefusal, v)
		case `"tool_calls"`:
			calls = v
		}
	})
	var tcs []openAIToolCall
	if calls != nil && json.Unmarshal(calls, &tcs) == nil {
		for _, tc := range tcs {
			w.part(ToolCallPart(tc.ID, tc.Function.Name, tc.Function.Arguments))
		}
	}
}

// openAIOutputItems converts a Responses API output list: messages,
// function calls and reasoning summaries become one assistant message;
// other items (web searches, code interpreter calls) are parts of their
// own type.
func openAIOutputItems(output []byte, status string, size int) validJSON {
	w := newChatWriter(size)
	w.message(RoleAssistant, status)
	scanArray(output, 0, 1, func(item []byte) {
		var typ, content, callID, name, args, summary []byte
		scanObject(item, 0, 2, func(key, v []byte) {
			switch string(key) {
			case `"type"`:
				typ = v
			case `"content"`:
				content = v
			case `"call_id"`:
				callID = v
			case `"name"`:
				name = v
			case `"arguments"`:
				args = v
			case `"summary"`:
				summary = v
			}
		})
		switch t := decodeString(typ); t {
		case "message":
			scanArray(content, 0, 3, func(part []byte) {
				var ptyp, text, refusal []byte
				scanObject(part, 0, 4, func(key, v []byte) {
					switch string(key) {
					case `"type"`:
						ptyp = v
					case `"text"`:
						text = v
					case `"refusal"`:
						refusal = v
					}
				})
				if decodeString(ptyp) == "refusal" {
					w.rawText(PartRefusal, refusal)
				} else {
					w.rawText(PartText, text)
				}
			})
		case "function_call":
			w.part(ToolCallPart(decodeString(callID), decodeString(name), decodeString(args)))
		case "reasoning":
			scanArray(summary, 0, 3, func(s []byte) {
				scanObject(s, 0, 4, func(key, v []byte) {
					if string(key) == `"text"` {
						w.rawText(PartReasoning, v)
					}
				})
			})
		default:
			w.part(Part{Type: PartType(t), ID: decodeString(callID)})
		}
	})
	return w.json(false)
}

// openAIEvent is one data payload of a chat completions or Responses API
// stream.
type openAIEvent struct {
	Type    string       `json:"type"`
	Model   string       `json:"model"`
	Usage   *openAIUsage `json:"usage"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role             string `json:"role"`
			Content          string `json:"content"`
			Refusal          string `json:"refusal"`
			ReasoningContent string `json:"reasoning_content"`
			Reasoning        string `json:"reasoning"`
			ToolCalls        []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		Text         string `json:"text"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	// The Responses API.
	Delta       json.RawMessage `json:"delta"`
	OutputIndex int             `json:"output_index"`
	Item        *struct {
		Type   string `json:"type"`
		CallID string `json:"call_id"`
		Name   string `json:"name"`
	} `json:"item"`
	Response json.RawMessage `json:"response"`
	Error    *providerError  `json:"error"`
}

func (openAIAPI) event(ep llmEndpoint, data []byte, st *llmStream) {
	var ev openAIEvent
	if json.Unmarshal(data, &ev) != nil {
		return
	}
	if ev.Error != nil {
		st.err = ev.Error
		return
	}
	st.setModel(ev.Model)
	if ev.Usage != nil {
		st.setUsage(ev.Usage.usage())
	}
	for _, ch := range ev.Choices {
		if ch.Index != 0 {
			continue // the span records the first choice of n
		}
		d := &ch.Delta
		st.addReasoning(cmpOr(d.ReasoningContent, d.Reasoning))
		st.addText(d.Content)
		st.addText(ch.Text)
		st.addRefusal(d.Refusal)
		for _, tc := range d.ToolCalls {
			st.toolDelta(tc.Index, tc.ID, tc.Function.Name, tc.Function.Arguments)
		}
		if ch.FinishReason != "" {
			st.finishReason, st.finished = ch.FinishReason, true
		}
	}
	switch ev.Type {
	case "response.output_text.delta":
		st.addText(decodeString(ev.Delta))
	case "response.reasoning_summary_text.delta":
		st.addReasoning(decodeString(ev.Delta))
	case "response.output_item.added":
		if ev.Item != nil && ev.Item.Type == "function_call" {
			st.toolDelta(ev.OutputIndex, ev.Item.CallID, ev.Item.Name, "")
		}
	case "response.function_call_arguments.delta":
		st.toolDelta(ev.OutputIndex, "", "", decodeString(ev.Delta))
	case "response.completed", "response.incomplete", "response.failed":
		st.finished = true
		// The final event carries the whole response: it is the answer.
		if res := (openAIAPI{}).response(ep, ev.Response); res.ok {
			st.setModel(res.model)
			if res.usage != nil {
				st.setUsage(res.usage)
			}
			st.whole, st.raw = res.output, validJSON(ev.Response)
		}
	}
}
