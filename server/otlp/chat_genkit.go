package otlp

import (
	"encoding/json"
	"strings"

	tracium "github.com/tracium/tracium/sdk"
)

// Genkit records every action's input and output as JSON (genkit:input,
// genkit:output). A model action's (genkit:metadata:subtype "model") are
// Genkit's GenerateRequest ({messages: [{role, content: [parts]}]}) and
// ModelResponse ({message, finishReason, usage}; older releases
// {candidates: [{message, finishReason}]}), read into the chat; any other
// action's are kept as the span's input and output as they are.

type genkitMessage struct {
	Role    string       `json:"role"`
	Content []genkitPart `json:"content"`
}

type genkitPart struct {
	Text      *string `json:"text"`
	Reasoning *string `json:"reasoning"`
	Media     *struct {
		URL         string `json:"url"`
		ContentType string `json:"contentType"`
	} `json:"media"`
	ToolRequest *struct {
		Ref   string          `json:"ref"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	} `json:"toolRequest"`
	ToolResponse *struct {
		Ref    string          `json:"ref"`
		Name   string          `json:"name"`
		Output json.RawMessage `json:"output"`
	} `json:"toolResponse"`
	Data json.RawMessage `json:"data"`
}

type genkitResponse struct {
	Message      *genkitMessage `json:"message"`
	FinishReason string         `json:"finishReason"`
	Candidates   []struct {
		Message      genkitMessage `json:"message"`
		FinishReason string        `json:"finishReason"`
	} `json:"candidates"`
	Usage *struct {
		InputTokens         *float64 `json:"inputTokens"`
		OutputTokens        *float64 `json:"outputTokens"`
		TotalTokens         *float64 `json:"totalTokens"`
		ThoughtsTokens      *float64 `json:"thoughtsTokens"`
		CachedContentTokens *float64 `json:"cachedContentTokens"`
	} `json:"usage"`
}

// genkitCache holds a model action's decoded output, read once for the
// chat and the usage.
type genkitCache struct {
	read bool
	out  *genkitResponse
}

// isGenkitModel reports whether the span is a Genkit model action.
func (m *mapper) isGenkitModel() bool {
	sub, _ := m.attrs.str(kGenkitSubtype)
	return sub == "model" || sub == "background-model"
}

func (m *mapper) genkitOutput() *genkitResponse {
	if !m.genkit.read {
		m.genkit.read = true
		var r genkitResponse
		if m.isGenkitModel() && m.decodeText(kGenkitOutput, &r) {
			m.genkit.out = &r
			m.attrs.use(kGenkitOutput)
		}
	}
	return m.genkit.out
}

func (m *mapper) genkitInput(c *chat) bool {
	var req struct {
		Messages []genkitMessage `json:"messages"`
	}
	if !m.isGenkitModel() || !m.decodeText(kGenkitInput, &req) || len(req.Messages) == 0 {
		return false
	}
	for _, gm := range req.Messages {
		c.genkitMessage(gm, tracium.RoleUser, "")
	}
	m.attrs.use(kGenkitInput)
	return true
}

func (m *mapper) genkitOutputChat(c *chat) bool {
	r := m.genkitOutput()
	if r == nil {
		return false
	}
	if r.Message != nil {
		c.genkitMessage(*r.Message, tracium.RoleAssistant, r.FinishReason)
	}
	for _, cand := range r.Candidates {
		c.genkitMessage(cand.Message, tracium.RoleAssistant, cand.FinishReason)
	}
	return len(c.msgs) > 0
}

// genkitMessage adds one message; Genkit's tool role carries the tool
// responses.
func (c *chat) genkitMessage(gm genkitMessage, role, finish string) {
	msg := tracium.Message{Role: normalizeRole(gm.Role, role)}
	msg.FinishReason, _ = fieldString(finish, 64)
	for _, p := range gm.Content {
		switch {
		case p.Text != nil:
			if *p.Text != "" {
				msg.Parts = append(msg.Parts, c.text(tracium.PartText, *p.Text))
			}
		case p.Reasoning != nil:
			msg.Parts = append(msg.Parts, c.text(tracium.PartReasoning, *p.Reasoning))
		case p.Media != nil:
			if isURL(p.Media.URL) {
				msg.Parts = append(msg.Parts, mediaPart("", p.Media.ContentType, "", p.Media.URL))
			} else {
				msg.Parts = append(msg.Parts, mediaPart("", p.Media.ContentType, p.Media.URL, ""))
			}
		case p.ToolRequest != nil:
			r := p.ToolRequest
			msg.Parts = append(msg.Parts, tracium.Part{Type: tracium.PartToolCall, ID: r.Ref, Name: r.Name, Arguments: argsJSON(r.Input)})
		case p.ToolResponse != nil:
			r := p.ToolResponse
			msg.Parts = append(msg.Parts, tracium.Part{Type: tracium.PartToolCallResponse, ID: r.Ref, Name: r.Name, Response: argsJSON(r.Output)})
		case len(p.Data) > 0:
			msg.Parts = append(msg.Parts, c.text(tracium.PartText, contentText(p.Data)))
		}
	}
	c.add(msg)
}

// genkitProvider reads a model action's provider from its name's plugin
// prefix ("googleai/gemini-2.5-flash", "vertexai/…", "anthropic/…").
func genkitProvider(name string) (provider, model string, ok bool) {
	prov, mod, ok := strings.Cut(name, "/")
	if !ok || mod == "" {
		return "", "", false
	}
	return normalizeProvider(prov, mod), mod, true
}

// genkitToolOutput is the result of a Genkit tool.v2 action: Genkit runs
// every tool as one and records its output as a MultipartToolResponse,
// {"output": result, "content": [parts]}. Without content parts the
// result is the output, as the SDK's tool spans and the model's next
// request (the toolResponse) record it; with them the whole response is
// kept.
func (m *mapper) genkitToolOutput() []byte {
	if sub, ok := m.attrs.str(kGenkitSubtype); !ok || !strings.EqualFold(sub, "tool.v2") {
		return nil
	}
	raw, ok := m.attrs.text(kGenkitOutput)
	if !ok || jsonDepth(raw) > maxValueDepth {
		return nil
	}
	var resp map[string]json.RawMessage
	if json.Unmarshal(raw, &resp) != nil || resp["output"] == nil {
		return nil
	}
	for k, v := range resp {
		if k != "output" && (k != "content" || string(v) != "null" && string(v) != "[]") {
			return nil
		}
	}
	out := rawJSON(resp["output"])
	if out != nil {
		m.attrs.use(kGenkitOutput)
	}
	return out
}
