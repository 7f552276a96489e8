package traciumeino

import (
	"strings"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components/model"
	"github.com/cloudwego/eino/schema"

	tracium "github.com/tracium/tracium/sdk"
)

// answer is what a model call returned, from its callback output or
// assembled from a stream.
type answer struct {
	msg    *schema.Message
	usage  *tracium.Usage
	config *model.Config
}

// modelAnswer reads a model callback output: the typed output a component
// reports itself, or the bare message of a component the graph wraps.
func modelAnswer(output callbacks.CallbackOutput) answer {
	out := model.ConvCallbackOutput(output)
	if out == nil {
		return answer{}
	}
	a := answer{msg: out.Message, config: out.Config, usage: usageOf(out.TokenUsage)}
	if a.usage == nil && out.Message != nil && out.Message.ResponseMeta != nil {
		a.usage = schemaUsage(out.Message.ResponseMeta.Usage)
	}
	return a
}

// recordModel records a model call from the callbacks' view, unless the
// HTTP call it made was recorded into the span: the wire's chat, model and
// usage are exact, and eino-ext's OpenAI model drops some of them (the
// reasoning tokens of a stream).
func (r *run) recordModel(a answer, streamed bool) {
	s := r.span
	if streamed {
		s.SetAttribute(tracium.AttrStream, true)
	}
	if s.LLMCallRecorded() {
		return
	}
	in := model.ConvCallbackInput(r.modelIn)
	var reqModel string
	if in != nil {
		s.RecordInput(tracium.Chat{Messages: chatMessages(in.Messages)})
		recordRequest(s, in)
		if in.Config != nil {
			reqModel = in.Config.Model
		}
	}
	if reqModel != "" {
		s.SetRequestModel(reqModel)
	}
	if a.config != nil && a.config.Model != "" {
		s.SetModel(a.config.Model)
	} else if reqModel != "" {
		s.SetModel(reqModel)
	}
	if a.msg != nil {
		m := chatMessage(a.msg)
		if a.msg.ResponseMeta != nil {
			m.FinishReason = a.msg.ResponseMeta.FinishReason
		}
		s.RecordOutput(tracium.Chat{Messages: []tracium.Message{m}})
	}
	if a.usage != nil {
		s.SetUsage(*a.usage)
	} else {
		s.SetAttribute(tracium.AttrUsageMissing, true)
	}
}

// recordRequest records the tools, tool choice and parameters a model
// call was made with, under the attribute names the SDK's transport uses.
func recordRequest(s *tracium.Span, in *model.CallbackInput) {
	if len(in.Tools) > 0 {
		names := make([]string, 0, len(in.Tools))
		for _, t := range in.Tools {
			if t != nil {
				names = append(names, t.Name)
			}
		}
		s.SetAttribute(tracium.AttrTools, names)
	}
	if in.ToolChoice != nil {
		s.SetAttribute(tracium.AttrToolChoice, toolChoice(*in.ToolChoice))
	}
	if c := in.Config; c != nil {
		if c.Temperature != 0 {
			s.SetAttribute(tracium.AttrTemperature, float64(c.Temperature))
		}
		if c.TopP != 0 {
			s.SetAttribute(tracium.AttrTopP, float64(c.TopP))
		}
		if c.MaxTokens != 0 {
			s.SetAttribute(tracium.AttrMaxTokens, int64(c.MaxTokens))
		}
		if len(c.Stop) > 0 {
			s.SetAttribute(tracium.AttrStop, c.Stop)
		}
	}
}

// toolChoice names Eino's tool choice as OpenAI's API does, as the
// transport records it.
func toolChoice(c schema.ToolChoice) string {
	switch c {
	case schema.ToolChoiceForbidden:
		return "none"
	case schema.ToolChoiceAllowed:
		return "auto"
	case schema.ToolChoiceForced:
		return "required"
	}
	return string(c)
}

func usageOf(u *model.TokenUsage) *tracium.Usage {
	if u == nil {
		return nil
	}
	return &tracium.Usage{
		InputTokens:     int64(u.PromptTokens),
		CachedTokens:    int64(u.PromptTokenDetails.CachedTokens),
		OutputTokens:    int64(u.CompletionTokens),
		ReasoningTokens: int64(u.CompletionTokensDetails.ReasoningTokens),
		TotalTokens:     int64(u.PromptTokens + u.CompletionTokens),
	}
}

func schemaUsage(u *schema.TokenUsage) *tracium.Usage {
	if u == nil {
		return nil
	}
	return &tracium.Usage{
		InputTokens:     int64(u.PromptTokens),
		CachedTokens:    int64(u.PromptTokenDetails.CachedTokens),
		OutputTokens:    int64(u.CompletionTokens),
		ReasoningTokens: int64(u.CompletionTokensDetails.ReasoningTokens),
		TotalTokens:     int64(u.PromptTokens + u.CompletionTokens),
	}
}

// chatMessages returns Eino messages in the recorded chat shape.
func chatMessages(msgs []*schema.Message) []tracium.Message {
	out := make([]tracium.Message, 0, len(msgs))
	for _, m := range msgs {
		if m != nil {
			out = append(out, chatMessage(m))
		}
	}
	return out
}

// chatMessage returns one Eino message in the recorded chat shape:
// reasoning, text and media parts, tool calls, and a tool message's result.
func chatMessage(m *schema.Message) tracium.Message {
	out := tracium.Message{Role: string(m.Role), Name: m.Name}
	if m.Role == schema.Tool {
		out.Parts = []tracium.Part{tracium.ToolResultPart(m.ToolCallID, m.ToolName, m.Content)}
		return out
	}
	if m.ReasoningContent != "" {
		out.Parts = append(out.Parts, tracium.Part{Type: tracium.PartReasoning, Content: m.ReasoningContent})
	}
	if m.Content != "" {
		out.Parts = append(out.Parts, tracium.TextPart(m.Content))
	}
	for _, p := range m.UserInputMultiContent {
		out.Parts = appendInputPart(out.Parts, p)
	}
	for _, p := range m.MultiContent {
		out.Parts = appendLegacyPart(out.Parts, p)
	}
	for _, p := range m.AssistantGenMultiContent {
		if p.Type == schema.ChatMessagePartTypeText && p.Text != "" {
			out.Parts = append(out.Parts, tracium.TextPart(p.Text))
		}
	}
	for _, tc := range m.ToolCalls {
		out.Parts = append(out.Parts, tracium.ToolCallPart(tc.ID, tc.Function.Name, tc.Function.Arguments))
	}
	if out.Parts == nil {
		out.Parts = []tracium.Part{}
	}
	return out
}

func appendInputPart(parts []tracium.Part, p schema.MessageInputPart) []tracium.Part {
	var common *schema.MessagePartCommon
	var modality string
	switch {
	case p.Type == schema.ChatMessagePartTypeText:
		if p.Text != "" {
			parts = append(parts, tracium.TextPart(p.Text))
		}
		return parts
	case p.Image != nil:
		common, modality = &p.Image.MessagePartCommon, tracium.ModalityImage
	case p.Audio != nil:
		common, modality = &p.Audio.MessagePartCommon, tracium.ModalityAudio
	case p.Video != nil:
		common, modality = &p.Video.MessagePartCommon, tracium.ModalityVideo
	case p.File != nil:
		common, modality = &p.File.MessagePartCommon, tracium.ModalityDocument
	default:
		return parts
	}
	return append(parts, mediaPart(modality, common.MIMEType, common.URL, common.Base64Data))
}

func appendLegacyPart(parts []tracium.Part, p schema.ChatMessagePart) []tracium.Part {
	switch {
	case p.Type == schema.ChatMessagePartTypeText:
		if p.Text != "" {
			parts = append(parts, tracium.TextPart(p.Text))
		}
	case p.ImageURL != nil:
		parts = append(parts, mediaPart(tracium.ModalityImage, p.ImageURL.MIMEType, &p.ImageURL.URL, nil))
	case p.AudioURL != nil:
		parts = append(parts, mediaPart(tracium.ModalityAudio, p.AudioURL.MIMEType, &p.AudioURL.URL, nil))
	case p.VideoURL != nil:
		parts = append(parts, mediaPart(tracium.ModalityVideo, p.VideoURL.MIMEType, &p.VideoURL.URL, nil))
	case p.FileURL != nil:
		parts = append(parts, mediaPart(tracium.ModalityDocument, p.FileURL.MIMEType, &p.FileURL.URL, nil))
	}
	return parts
}

// mediaPart is a URI part, or a blob part with the payload's size when
// the media is inline (base64 or a data: URL): payloads are never
// recorded.
func mediaPart(modality, mime string, url, base64 *string) tracium.Part {
	switch {
	case base64 != nil && *base64 != "":
		return tracium.Part{Type: tracium.PartBlob, Modality: modality, MIMEType: mime, Size: int64(len(*base64)) * 3 / 4}
	case url != nil && strings.HasPrefix(*url, "data:"):
		_, data, _ := strings.Cut(*url, ",")
		return tracium.Part{Type: tracium.PartBlob, Modality: modality, MIMEType: mime, Size: int64(len(data)) * 3 / 4}
	case url != nil:
		return tracium.Part{Type: tracium.PartURI, Modality: modality, MIMEType: mime, URI: *url}
	}
	return tracium.Part{Type: tracium.PartBlob, Modality: modality, MIMEType: mime}
}
