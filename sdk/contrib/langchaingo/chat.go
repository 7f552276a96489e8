package traciumlangchaingo

import (
	"strings"

	"github.com/tmc/langchaingo/llms"
	tracium "github.com/tracium/tracium/sdk"
)

// What an llm span records when the handler alone sees the call (its HTTP
// call did not go through Transport): the messages and answer converted to
// tracium's recorded chat shape, and the usage LangChainGo's providers put
// in GenerationInfo mapped to tracium's token convention.

// maxRecordedText caps the text one chat records; past it the chat is
// marked truncated.
const maxRecordedText = 1 << 20

// chatBuilder converts messages, spending a shared text budget.
type chatBuilder struct {
	chat   tracium.Chat
	budget int
}

func newChatBuilder(n int) *chatBuilder {
	return &chatBuilder{chat: tracium.Chat{Messages: make([]tracium.Message, 0, n)}, budget: maxRecordedText}
}

// text returns s cut to what is left of the budget.
func (b *chatBuilder) text(s string) string {
	if len(s) > b.budget {
		s = truncate(s, b.budget)
		b.chat.Truncated = true
	}
	b.budget -= len(s)
	return s
}

// inputChat records the messages a model was sent.
func inputChat(ms []llms.MessageContent) tracium.Chat {
	b := newChatBuilder(len(ms))
	for _, m := range ms {
		msg := tracium.Message{Role: role(m.Role), Parts: make([]tracium.Part, 0, len(m.Parts))}
		for _, p := range m.Parts {
			if part, ok := b.part(p); ok {
				msg.Parts = append(msg.Parts, part)
			}
		}
		b.chat.Messages = append(b.chat.Messages, msg)
	}
	return b.chat
}

// promptChat records the prompts of HandleLLMStart, one user message each.
func promptChat(prompts []string) tracium.Chat {
	b := newChatBuilder(len(prompts))
	for _, p := range prompts {
		b.chat.Messages = append(b.chat.Messages, tracium.TextMessage(tracium.RoleUser, b.text(p)))
	}
	return b.chat
}

// role maps LangChainGo's message types to the recorded roles.
func role(t llms.ChatMessageType) string {
	switch t {
	case llms.ChatMessageTypeSystem:
		return tracium.RoleSystem
	case llms.ChatMessageTypeHuman, llms.ChatMessageTypeGeneric:
		return tracium.RoleUser
	case llms.ChatMessageTypeAI:
		return tracium.RoleAssistant
	case llms.ChatMessageTypeTool, llms.ChatMessageTypeFunction:
		return tracium.RoleTool
	}
	return string(t)
}

// part converts one content part; media payloads are left out, as the SDK
// leaves them out of the chats it records from the wire.
func (b *chatBuilder) part(p llms.ContentPart) (tracium.Part, bool) {
	switch p := p.(type) {
	case llms.TextContent:
		return tracium.TextPart(b.text(p.Text)), true
	case llms.ImageURLContent:
		if rest, ok := strings.CutPrefix(p.URL, "data:"); ok {
			mime, data, _ := strings.Cut(rest, ",")
			mime, _, _ = strings.Cut(mime, ";")
			return tracium.Part{Type: tracium.PartBlob, Modality: tracium.ModalityImage, MIMEType: mime, Size: int64(len(data))}, true
		}
		return tracium.Part{Type: tracium.PartURI, Modality: tracium.ModalityImage, URI: truncate(p.URL, maxRecordedField)}, true
	case llms.BinaryContent:
		return tracium.Part{Type: tracium.PartBlob, Modality: modality(p.MIMEType), MIMEType: p.MIMEType, Size: int64(len(p.Data))}, true
	case llms.ToolCall:
		if p.FunctionCall == nil {
			return tracium.Part{}, false
		}
		return tracium.ToolCallPart(p.ID, p.FunctionCall.Name, b.text(p.FunctionCall.Arguments)), true
	case llms.ToolCallResponse:
		return tracium.ToolResultPart(p.ToolCallID, p.Name, b.text(p.Content)), true
	}
	return tracium.Part{}, false
}

// modality names a media type's modality.
func modality(mime string) string {
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

// outputChat records a model's answer: one assistant message per choice.
func outputChat(res *llms.ContentResponse) tracium.Chat {
	b := newChatBuilder(len(res.Choices))
	for _, c := range res.Choices {
		if c == nil {
			continue
		}
		msg := tracium.Message{Role: tracium.RoleAssistant, FinishReason: c.StopReason}
		if c.ReasoningContent != "" {
			msg.Parts = append(msg.Parts, tracium.Part{Type: tracium.PartReasoning, Content: b.text(c.ReasoningContent)})
		}
		if c.Content != "" {
			msg.Parts = append(msg.Parts, tracium.TextPart(b.text(c.Content)))
		}
		for _, tc := range c.ToolCalls {
			if part, ok := b.part(tc); ok {
				msg.Parts = append(msg.Parts, part)
			}
		}
		if len(c.ToolCalls) == 0 && c.FuncCall != nil {
			msg.Parts = append(msg.Parts, tracium.ToolCallPart("", c.FuncCall.Name, b.text(c.FuncCall.Arguments)))
		}
		if msg.Parts == nil {
			msg.Parts = []tracium.Part{}
		}
		b.chat.Messages = append(b.chat.Messages, msg)
	}
	return b.chat
}

// recordResponse records the answer of a call the wire did not show.
func recordResponse(s *tracium.Span, res *llms.ContentResponse) {
	if res == nil || len(res.Choices) == 0 {
		s.SetAttribute(tracium.AttrUsageMissing, true)
		return
	}
	s.RecordOutput(outputChat(res))
	var info map[string]any
	if c := res.Choices[0]; c != nil {
		info = c.GenerationInfo
	}
	if model, ok := info["model"].(string); ok && model != "" {
		s.SetModel(model)
	}
	u, provider, ok := usage(info)
	if provider != "" {
		s.SetProvider(provider)
	}
	if ok {
		s.SetUsage(u)
	} else {
		s.SetAttribute(tracium.AttrUsageMissing, true)
	}
}

// usage maps the token counts a provider put in GenerationInfo to the
// token convention, and names the provider whose keys they are. ok is
// false when there are none, or only zeros.
//
// OpenAI's keys (also Ollama's, Maritaca's and Google AI's PromptTokens
// and CompletionTokens) count the prompt with its cached part and the
// completion with its reasoning part, as the convention does. Anthropic's
// InputTokens leaves out the cache reads and writes, which the convention
// counts as input. Bedrock's and Google's lower-case input_tokens and
// output_tokens are whole counts.
func usage(info map[string]any) (u tracium.Usage, provider string, ok bool) {
	if in, found := count(info, "InputTokens"); found {
		out, _ := count(info, "OutputTokens")
		read, _ := count(info, "CacheReadInputTokens")
		write, _ := count(info, "CacheCreationInputTokens")
		u = tracium.Usage{InputTokens: in + read + write, OutputTokens: out, CachedTokens: read, CacheCreationTokens: write}
		provider = "anthropic"
	} else if in, found := count(info, "PromptTokens"); found {
		out, _ := count(info, "CompletionTokens")
		u.InputTokens, u.OutputTokens = in, out
		u.CachedTokens, _ = count(info, "PromptCachedTokens")
		u.ReasoningTokens, _ = count(info, "ReasoningTokens")
		if _, openai := info["PromptCachedTokens"]; openai {
			provider = "openai"
		}
	} else if in, found := count(info, "input_tokens"); found {
		u.InputTokens = in
		u.OutputTokens, _ = count(info, "output_tokens")
	}
	if u.InputTokens == 0 && u.OutputTokens == 0 {
		// No keys, or zeros standing in for counts the provider did
		// not send (a stream without usage).
		return tracium.Usage{}, provider, false
	}
	u.TotalTokens = u.InputTokens + u.OutputTokens
	return u, provider, true
}

// count reads a token count, whatever integer or float type the provider
// stored it as.
func count(info map[string]any, key string) (int64, bool) {
	switch v := info[key].(type) {
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint32:
		return int64(v), true
	case uint64:
		return int64(v), true
	case float64:
		return int64(v), true
	case float32:
		return int64(v), true
	}
	return 0, false
}
