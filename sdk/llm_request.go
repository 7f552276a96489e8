package tracium

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// llmRequest is the part of an LLM request body the span records. It
// covers the OpenAI, Anthropic and Gemini shapes at once: each provider
// leaves the other fields empty.
type llmRequest struct {
	Model    string          `json:"model"`
	Messages json.RawMessage `json:"messages"`
	Input    json.RawMessage `json:"input"`
	Prompt   json.RawMessage `json:"prompt"`
	// Anthropic.
	System json.RawMessage `json:"system"`
	// Gemini.
	Contents          json.RawMessage `json:"contents"`
	SystemInstruction json.RawMessage `json:"systemInstruction"`
	GenerationConfig  *struct {
		Temperature     *float64 `json:"temperature"`
		TopP            *float64 `json:"topP"`
		MaxOutputTokens *int64   `json:"maxOutputTokens"`
	} `json:"generationConfig"`

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
	Tools []struct {
		Name     string `json:"name"`
		Function *struct {
			Name string `json:"name"`
		} `json:"function"`
		FunctionDeclarations []struct {
			Name string `json:"name"`
		} `json:"functionDeclarations"`
	} `json:"tools"`

	// input is what the span records as its input, built by parse.
	input json.RawMessage
}

// parseLLMRequest decodes body; a body that is not JSON gives an empty
// request, so the call is still recorded with what the response says.
func parseLLMRequest(ep llmEndpoint, body []byte) llmRequest {
	var req llmRequest
	if json.Unmarshal(body, &req) != nil {
		return llmRequest{}
	}
	switch {
	case ep.provider == providerAnthropic:
		req.input = marshalRaw(struct {
			System   json.RawMessage `json:"system,omitempty"`
			Messages json.RawMessage `json:"messages,omitempty"`
		}{req.System, req.Messages})
	case ep.provider == providerGoogle:
		req.input = marshalRaw(struct {
			SystemInstruction json.RawMessage `json:"systemInstruction,omitempty"`
			Contents          json.RawMessage `json:"contents,omitempty"`
		}{req.SystemInstruction, req.Contents})
	case req.Messages != nil:
		req.input = req.Messages
	case req.Input != nil:
		req.input = req.Input
	default:
		req.input = req.Prompt
	}
	req.input = redactImages(req.input)
	return req
}

func marshalRaw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// record sets the span's input and request-parameter attributes.
func (req *llmRequest) record(s *Span) {
	if len(req.input) > 0 {
		s.RecordInput(validJSON(req.input))
	}
	if g := req.GenerationConfig; g != nil {
		req.Temperature = cmpPtr(req.Temperature, g.Temperature)
		req.TopP = cmpPtr(req.TopP, g.TopP)
		req.MaxOutputTokens = cmpPtr(req.MaxOutputTokens, g.MaxOutputTokens)
	}
	if req.Temperature != nil {
		s.SetAttribute("temperature", *req.Temperature)
	}
	if req.TopP != nil {
		s.SetAttribute("top_p", *req.TopP)
	}
	if req.MaxTokens != nil {
		s.SetAttribute("max_tokens", *req.MaxTokens)
	}
	if req.MaxCompletionTokens != nil {
		s.SetAttribute("max_completion_tokens", *req.MaxCompletionTokens)
	}
	if req.MaxOutputTokens != nil {
		s.SetAttribute("max_output_tokens", *req.MaxOutputTokens)
	}
	if req.Stream {
		s.SetAttribute(AttrStream, true)
	}
	var tools []string
	for _, t := range req.Tools {
		switch {
		case t.Function != nil && t.Function.Name != "":
			tools = append(tools, t.Function.Name)
		case t.Name != "":
			tools = append(tools, t.Name)
		}
		for _, f := range t.FunctionDeclarations {
			tools = append(tools, f.Name)
		}
	}
	if len(tools) > 0 {
		s.SetAttribute("tools", tools)
	}
	if len(req.ToolChoice) > 0 && string(req.ToolChoice) != "null" {
		var str string
		if json.Unmarshal(req.ToolChoice, &str) == nil {
			s.SetAttribute("tool_choice", str)
		} else {
			s.SetAttribute("tool_choice", string(req.ToolChoice))
		}
	}
	if req.ResponseFormat != nil && req.ResponseFormat.Type != "" {
		s.SetAttribute("response_format", req.ResponseFormat.Type)
	}
}

func cmpPtr[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

// redactImages replaces inline image and file payloads (base64 data URLs,
// Anthropic base64 sources, Gemini inline_data) by a short reference such
// as "[image/png, 1234 bytes]", so spans carry what was sent, not
// megabytes of base64. Inputs without such payloads are returned as is.
func redactImages(raw json.RawMessage) json.RawMessage {
	if !bytes.Contains(raw, []byte(";base64,")) && !bytes.Contains(raw, []byte(`"data"`)) {
		return raw
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	v = redactValue(v)
	b, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return b
}

func redactValue(v any) any {
	switch v := v.(type) {
	case string:
		if mime, data, ok := strings.Cut(v, ";base64,"); ok && strings.HasPrefix(mime, "data:") {
			return payloadRef(strings.TrimPrefix(mime, "data:"), data)
		}
		return v
	case []any:
		for i := range v {
			v[i] = redactValue(v[i])
		}
		return v
	case map[string]any:
		if data, ok := v["data"].(string); ok {
			for _, k := range [...]string{"mime_type", "mimeType", "media_type"} {
				if mime, ok := v[k].(string); ok {
					v["data"] = payloadRef(mime, data)
					return v
				}
			}
		}
		for k, e := range v {
			v[k] = redactValue(e)
		}
		return v
	}
	return v
}

// payloadRef names a base64 payload by type and decoded size.
func payloadRef(mime, data string) string {
	n := len(data) / 4 * 3
	if rem := len(data) % 4; rem > 1 {
		n += rem - 1 // unpadded base64
	}
	n -= len(data) - len(strings.TrimRight(data, "="))
	return "[" + mime + ", " + strconv.Itoa(max(n, 0)) + " bytes]"
}
