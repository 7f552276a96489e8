package tracium

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// wireUsage holds the token counts of every provider's usage block; each
// provider fills its own fields and usage() maps them to a Usage.
type wireUsage struct {
	// OpenAI chat completions.
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	TotalTokens         int64 `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	// OpenAI Responses API and Anthropic.
	InputTokens        int64 `json:"input_tokens"`
	OutputTokens       int64 `json:"output_tokens"`
	InputTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	// Anthropic.
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
}

// geminiUsage is Gemini's usageMetadata.
type geminiUsage struct {
	PromptTokenCount        int64 `json:"promptTokenCount"`
	CandidatesTokenCount    int64 `json:"candidatesTokenCount"`
	CachedContentTokenCount int64 `json:"cachedContentTokenCount"`
	ThoughtsTokenCount      int64 `json:"thoughtsTokenCount"`
	TotalTokenCount         int64 `json:"totalTokenCount"`
}

func (g *geminiUsage) usage() Usage {
	return Usage{InputTokens: g.PromptTokenCount, OutputTokens: g.CandidatesTokenCount,
		CachedTokens: g.CachedContentTokenCount, ReasoningTokens: g.ThoughtsTokenCount,
		TotalTokens: g.TotalTokenCount}
}

// usage maps the counts of provider's usage block.
func (w *wireUsage) usage(provider string) Usage {
	if provider == providerAnthropic {
		return Usage{InputTokens: w.InputTokens, OutputTokens: w.OutputTokens,
			CachedTokens: w.CacheReadInputTokens, CacheCreationTokens: w.CacheCreationInputTokens,
			TotalTokens: w.InputTokens + w.OutputTokens + w.CacheReadInputTokens + w.CacheCreationInputTokens}
	}
	if w.PromptTokens == 0 && w.CompletionTokens == 0 && (w.InputTokens != 0 || w.OutputTokens != 0) {
		return Usage{InputTokens: w.InputTokens, OutputTokens: w.OutputTokens,
			CachedTokens: w.InputTokensDetails.CachedTokens, ReasoningTokens: w.OutputTokensDetails.ReasoningTokens,
			TotalTokens: w.TotalTokens}
	}
	return Usage{InputTokens: w.PromptTokens, OutputTokens: w.CompletionTokens,
		CachedTokens: w.PromptTokensDetails.CachedTokens, ReasoningTokens: w.CompletionTokensDetails.ReasoningTokens,
		TotalTokens: w.TotalTokens}
}

// llmOutput is what the span records as output. Non-streaming calls keep
// the provider's message as sent; streams are assembled into Content and
// ToolCalls.
type llmOutput struct {
	Role         string          `json:"role,omitempty"`
	Content      string          `json:"content,omitempty"`
	ToolCalls    []llmToolCall   `json:"tool_calls,omitempty"`
	Message      json.RawMessage `json:"message,omitempty"`
	FinishReason string          `json:"finish_reason,omitempty"`
	Truncated    bool            `json:"truncated,omitempty"`
}

// llmToolCall is one tool call assembled from a stream.
type llmToolCall struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
}

// json encodes o, splicing in Message (valid, since json.Unmarshal
// produced it) instead of encoding it again.
func (o llmOutput) json() validJSON {
	msg := o.Message
	o.Message = nil
	rest, err := json.Marshal(o)
	if err != nil {
		return nil
	}
	if msg == nil {
		return rest
	}
	b := make([]byte, 0, len(msg)+len(rest)+12)
	b = append(b, `{"message":`...)
	b = append(b, msg...)
	if len(rest) > 2 {
		b = append(b, ',')
	}
	return append(b, rest[1:]...)
}

// response records a non-streaming 2xx answer. It decodes only the small
// fields; the assistant message is kept as the raw JSON the scan checked.
func (c *llmCall) response(raw []byte) {
	var (
		model             string
		out               llmOutput
		usage, geminiMeta []byte
	)
	// first walks the first element of an array the scan has checked.
	first := func(arr []byte, member func(key, value []byte)) {
		if i := skipWS(arr, 1); i < len(arr) && arr[i] == '{' {
			scanObject(arr, i, 2, member)
		}
	}
	ok := topLevel(raw, func(key, v []byte) {
		switch string(key) {
		case `"model"`, `"modelVersion"`:
			model = cmpOr(model, decodeString(v))
		case `"usage"`:
			usage = v
		case `"usageMetadata"`:
			geminiMeta = v
		case `"choices"`: // OpenAI chat and legacy completions
			first(v, func(key, v []byte) {
				switch string(key) {
				case `"message"`:
					out.Message = json.RawMessage(v)
				case `"text"`:
					out.Content = decodeString(v)
				case `"finish_reason"`:
					out.FinishReason = decodeString(v)
				}
			})
		case `"output"`: // OpenAI Responses API
			out.Message = json.RawMessage(v)
		case `"status"`:
			out.FinishReason = cmpOr(out.FinishReason, decodeString(v))
		case `"content"`: // Anthropic
			out.Role, out.Message = "assistant", json.RawMessage(v)
		case `"stop_reason"`:
			out.FinishReason = decodeString(v)
		case `"candidates"`: // Gemini
			first(v, func(key, v []byte) {
				switch string(key) {
				case `"content"`:
					out.Message = json.RawMessage(v)
				case `"finishReason"`:
					out.FinishReason = decodeString(v)
				}
			})
		}
	})
	c.span.SetModel(cmpOr(model, c.model))
	if !ok {
		c.span.SetAttribute(AttrUsageMissing, true)
		return
	}
	if c.ep.op != "embedding" && (out.Message != nil || out.Content != "" || out.FinishReason != "") {
		c.span.RecordOutput(out.json())
	}
	var u wireUsage
	var g geminiUsage
	switch {
	case usage != nil && string(usage) != "null" && json.Unmarshal(usage, &u) == nil:
		c.span.SetUsage(u.usage(c.ep.provider))
	case geminiMeta != nil && string(geminiMeta) != "null" && json.Unmarshal(geminiMeta, &g) == nil:
		c.span.SetUsage(g.usage())
	default:
		c.span.SetAttribute(AttrUsageMissing, true)
	}
}

// decodeString decodes a raw JSON string value, or gives "" for any other
// value.
func decodeString(v []byte) string {
	if len(v) < 2 || v[0] != '"' {
		return ""
	}
	if s := v[1 : len(v)-1]; !bytes.ContainsRune(s, '\\') {
		return string(s)
	}
	var s string
	json.Unmarshal(v, &s)
	return s
}

// providerError is the error object of all three providers: OpenAI's
// {error:{type,code,message}}, Anthropic's {type:"error",error:{type,
// message}}, Gemini's {error:{code,status,message}}.
type providerError struct {
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
	Status  string          `json:"status"`
	Message string          `json:"message"`
}

// kind is the error_type recorded for the error.
func (e *providerError) kind() string {
	if e.Type != "" {
		return e.Type
	}
	if e.Status != "" {
		return e.Status
	}
	var s string
	if json.Unmarshal(e.Code, &s) == nil {
		return s
	}
	return ""
}

// httpError records a 4xx or 5xx answer with the provider's error type
// and message when the body has them.
func (c *llmCall) httpError(status int, raw []byte) {
	c.span.SetAttribute("http_status", status)
	var body struct {
		Error *providerError `json:"error"`
	}
	errType, msg := "http_"+strconv.Itoa(status), ""
	if json.Unmarshal(raw, &body) == nil && body.Error != nil {
		errType = cmpOr(body.Error.kind(), errType)
		msg = body.Error.Message
	}
	if msg == "" {
		msg = truncateString(string(raw), 1024)
	}
	c.span.setFailure(errType, msg)
}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
