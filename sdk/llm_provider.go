package tracium

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// How an LLM call is read. Each provider's wire format is one file
// implementing llmAPI: llm_openai.go (chat completions, legacy
// completions, Responses, embeddings, and every OpenAI-compatible server),
// llm_anthropic.go (Messages) and llm_gemini.go (generateContent on the
// Gemini API and Vertex AI). llm.go records the exchange and llm_stream.go
// tees streams, the same for every provider. A new provider is one file
// and one entry in llmAPIs.

// llmAPI is one provider's wire format.
type llmAPI interface {
	// name is the provider recorded on the span.
	name() string
	// match recognizes a request path as a call of this API.
	match(path string) (llmEndpoint, bool)
	// request reads a request body.
	request(ep llmEndpoint, body []byte) llmRequest
	// response reads a 2xx JSON answer.
	response(ep llmEndpoint, body []byte) llmResponse
	// event reads the data of one stream event into the stream.
	event(ep llmEndpoint, data []byte, st *llmStream)
}

// llmAPIs are tried in order; the first match wins.
var llmAPIs = [...]llmAPI{openAIAPI{}, anthropicAPI{}, geminiAPI{}}

// Providers, as recorded in a span's provider field.
const (
	providerOpenAI    = "openai"
	providerAnthropic = "anthropic"
	providerGoogle    = "google"
)

// llmEndpoint is what the request path says about an LLM call: whose wire
// format it speaks and which operation it is.
type llmEndpoint struct {
	api llmAPI
	// op names the span ("chat", "completion", "responses", "embedding").
	op string
	// model is the model named in the path (Gemini), else empty.
	model string
	// stream is true when the path itself asks for a stream (Gemini).
	stream bool
}

// llmRequest is what a request body says.
type llmRequest struct {
	model  string
	stream bool
	// input is the request's messages as a Chat.
	input  validJSON
	params llmParams
}

// llmParams are the request parameters recorded as attributes.
type llmParams struct {
	temperature, topP                   *float64
	maxTokens, maxCompletion, maxOutput *int64
	tools                               []string
	toolChoice                          string
	responseFormat                      string
}

// llmResponse is what a 2xx answer says.
type llmResponse struct {
	model string
	// output is the answer as a Chat; nil when the answer has none (an
	// embedding).
	output validJSON
	// usage is nil when the answer reports no token counts.
	usage *Usage
	// ok is false when the body is not the JSON the API answers with.
	ok bool
}

// record sets the span's request-parameter attributes.
func (p *llmParams) record(s *Span) {
	setFloat := func(key string, v *float64) {
		if v != nil {
			s.SetAttribute(key, *v)
		}
	}
	setInt := func(key string, v *int64) {
		if v != nil {
			s.SetAttribute(key, *v)
		}
	}
	setFloat(AttrTemperature, p.temperature)
	setFloat(AttrTopP, p.topP)
	setInt(AttrMaxTokens, p.maxTokens)
	setInt(AttrMaxCompletionTokens, p.maxCompletion)
	setInt(AttrMaxOutputTokens, p.maxOutput)
	if len(p.tools) > 0 {
		s.SetAttribute(AttrTools, p.tools)
	}
	if p.toolChoice != "" {
		s.SetAttribute(AttrToolChoice, p.toolChoice)
	}
	if p.responseFormat != "" {
		s.SetAttribute(AttrResponseFormat, p.responseFormat)
	}
}

// toolChoiceText reads a tool_choice value: a string ("auto"), or an
// object recorded as its compact JSON.
func toolChoiceText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return ""
	}
	return b.String()
}

// totalUsage completes u by the token convention: total is input plus
// output.
func totalUsage(u Usage) *Usage {
	u.TotalTokens = u.InputTokens + u.OutputTokens
	return &u
}

// decodeUsage decodes a usage object into v and reports whether there was
// one.
func decodeUsage(raw []byte, v any) bool {
	return len(raw) > 0 && string(raw) != "null" && json.Unmarshal(raw, v) == nil
}

// modalityOf maps a MIME type to a part's modality.
func modalityOf(mime string) string {
	switch {
	case strings.HasPrefix(mime, "image/"):
		return ModalityImage
	case strings.HasPrefix(mime, "audio/"):
		return ModalityAudio
	case strings.HasPrefix(mime, "video/"):
		return ModalityVideo
	}
	return ModalityDocument
}

// mediaPart records media that came inline (base64 of the given MIME
// type) or by reference (a URL). The payload itself is never recorded,
// only its type and decoded size.
func mediaPart(modality, mime, data, url string) Part {
	if m, payload, ok := strings.Cut(url, ";base64,"); ok && strings.HasPrefix(m, "data:") {
		mime, data, url = strings.TrimPrefix(m, "data:"), payload, ""
	}
	if modality == "" {
		modality = modalityOf(mime)
	}
	if url != "" {
		return Part{Type: PartURI, Modality: modality, MIMEType: mime, URI: url}
	}
	return Part{Type: PartBlob, Modality: modality, MIMEType: mime, Size: base64Size(data)}
}

// base64Size is the decoded size of a base64 payload.
func base64Size(data string) int64 {
	n := len(data) / 4 * 3
	if rem := len(data) % 4; rem > 1 {
		n += rem - 1 // unpadded base64
	}
	n -= len(data) - len(strings.TrimRight(data, "="))
	return int64(max(n, 0))
}

// jsonText returns raw as text: a JSON string decoded, anything else as
// its JSON.
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

// redactImages replaces inline image and file payloads (base64 data URLs,
// Anthropic base64 sources, Gemini inline_data) by a short reference such
// as "[image/png, 1234 bytes]", so that the raw request kept beside the
// chat carries what was sent, not megabytes of base64. Bodies without such
// payloads are returned as they are.
func redactImages(raw []byte) []byte {
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
	return "[" + mime + ", " + strconv.FormatInt(base64Size(data), 10) + " bytes]"
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

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func cmpPtr[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}
