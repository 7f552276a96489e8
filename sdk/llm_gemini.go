package tracium

import (
	"encoding/json"
	"strings"
)

// geminiAPI is Google's generateContent, on the Gemini API
// (/v1beta/models/{model}:generateContent) and on Vertex AI
// (/v1/projects/…/publishers/google/models/{model}:generateContent), plain
// and streamed (:streamGenerateContent?alt=sse).
type geminiAPI struct{}

func (geminiAPI) name() string { return providerGoogle }

func (a geminiAPI) match(path string) (llmEndpoint, bool) {
	i := strings.LastIndexByte(path, ':')
	if i <= 0 {
		return llmEndpoint{}, false
	}
	method := path[i+1:]
	if method != "generateContent" && method != "streamGenerateContent" {
		return llmEndpoint{}, false
	}
	j := strings.LastIndex(path[:i], "/models/")
	if j < 0 {
		return llmEndpoint{}, false
	}
	return llmEndpoint{api: a, op: "chat", model: path[j+len("/models/") : i], stream: method == "streamGenerateContent"}, true
}

// geminiContent is a Content: a role and parts. The Go, Python and JS
// clients send camelCase; the REST API also takes snake_case, so both are
// read.
type geminiContent struct {
	Role  string       `json:"role"`
	Parts []geminiPart `json:"parts"`
}

type geminiPart struct {
	Text         string          `json:"text"`
	Thought      bool            `json:"thought"`
	InlineData   *geminiBlob     `json:"inlineData"`
	InlineData2  *geminiBlob     `json:"inline_data"`
	FileData     *geminiFile     `json:"fileData"`
	FileData2    *geminiFile     `json:"file_data"`
	FunctionCall *geminiFunction `json:"functionCall"`
	FunctionResp *geminiFunction `json:"functionResponse"`
	FunctionCal2 *geminiFunction `json:"function_call"`
	FunctionRes2 *geminiFunction `json:"function_response"`
}

type geminiBlob struct {
	MIMEType  string `json:"mimeType"`
	MIMEType2 string `json:"mime_type"`
	Data      string `json:"data"`
}

type geminiFile struct {
	MIMEType  string `json:"mimeType"`
	MIMEType2 string `json:"mime_type"`
	URI       string `json:"fileUri"`
	URI2      string `json:"file_uri"`
}

type geminiFunction struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Args     json.RawMessage `json:"args"`
	Response json.RawMessage `json:"response"`
}

type geminiRequest struct {
	Contents           []geminiContent `json:"contents"`
	SystemInstruction  *geminiContent  `json:"systemInstruction"`
	SystemInstruction2 *geminiContent  `json:"system_instruction"`
	GenerationConfig   *struct {
		Temperature     *float64 `json:"temperature"`
		TopP            *float64 `json:"topP"`
		MaxOutputTokens *int64   `json:"maxOutputTokens"`
	} `json:"generationConfig"`
	Tools []struct {
		FunctionDeclarations []struct {
			Name string `json:"name"`
		} `json:"functionDeclarations"`
	} `json:"tools"`
	ToolConfig *struct {
		FunctionCallingConfig struct {
			Mode string `json:"mode"`
		} `json:"functionCallingConfig"`
	} `json:"toolConfig"`
}

func (geminiAPI) request(_ llmEndpoint, body []byte) llmRequest {
	var req geminiRequest
	if json.Unmarshal(body, &req) != nil {
		return llmRequest{}
	}
	var out llmRequest
	var c Chat
	if sys := cmpPtr(req.SystemInstruction, req.SystemInstruction2); sys != nil {
		c.Messages = append(c.Messages, Message{Role: RoleSystem, Parts: geminiParts(sys.Parts)})
	}
	for _, content := range req.Contents {
		c.Messages = append(c.Messages, content.message())
	}
	if len(c.Messages) > 0 {
		out.input = marshalChat(c)
	}
	if g := req.GenerationConfig; g != nil {
		out.params.temperature, out.params.topP, out.params.maxOutput = g.Temperature, g.TopP, g.MaxOutputTokens
	}
	for _, t := range req.Tools {
		for _, f := range t.FunctionDeclarations {
			out.params.tools = append(out.params.tools, f.Name)
		}
	}
	if req.ToolConfig != nil {
		out.params.toolChoice = req.ToolConfig.FunctionCallingConfig.Mode
	}
	return out
}

// message converts a Content: role "model" is the assistant's, and a user
// turn that only answers function calls is the tool's.
func (c geminiContent) message() Message {
	parts := geminiParts(c.Parts)
	role := c.Role
	switch {
	case role == "model":
		role = RoleAssistant
	case role == "" || role == RoleUser:
		role = RoleUser
		if len(parts) > 0 && allToolResults(parts) {
			role = RoleTool
		}
	}
	return Message{Role: role, Parts: parts}
}

func geminiParts(in []geminiPart) []Part {
	parts := make([]Part, 0, len(in))
	for i := range in {
		p := &in[i]
		switch {
		case p.Thought:
			parts = append(parts, Part{Type: PartReasoning, Content: p.Text})
		case p.Text != "":
			parts = append(parts, TextPart(p.Text))
		case cmpPtr(p.InlineData, p.InlineData2) != nil:
			b := cmpPtr(p.InlineData, p.InlineData2)
			parts = append(parts, mediaPart("", cmpOr(b.MIMEType, b.MIMEType2), b.Data, ""))
		case cmpPtr(p.FileData, p.FileData2) != nil:
			f := cmpPtr(p.FileData, p.FileData2)
			mime := cmpOr(f.MIMEType, f.MIMEType2)
			parts = append(parts, Part{Type: PartURI, Modality: modalityOf(mime), MIMEType: mime, URI: cmpOr(f.URI, f.URI2)})
		case cmpPtr(p.FunctionCall, p.FunctionCal2) != nil:
			f := cmpPtr(p.FunctionCall, p.FunctionCal2)
			parts = append(parts, Part{Type: PartToolCall, ID: f.ID, Name: f.Name, Arguments: f.Args})
		case cmpPtr(p.FunctionResp, p.FunctionRes2) != nil:
			f := cmpPtr(p.FunctionResp, p.FunctionRes2)
			parts = append(parts, Part{Type: PartToolCallResponse, ID: f.ID, Name: f.Name, Response: f.Response})
		}
	}
	return parts
}

// geminiUsage is Gemini's usageMetadata. Its thoughts are counted apart
// from the candidates and its tool-use prompt apart from the prompt; under
// the token convention both are parts of the output and the input.
type geminiUsage struct {
	PromptTokenCount        int64 `json:"promptTokenCount"`
	CandidatesTokenCount    int64 `json:"candidatesTokenCount"`
	CachedContentTokenCount int64 `json:"cachedContentTokenCount"`
	ThoughtsTokenCount      int64 `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount int64 `json:"toolUsePromptTokenCount"`
}

func (g *geminiUsage) usage() *Usage {
	return totalUsage(Usage{
		InputTokens:     g.PromptTokenCount + g.ToolUsePromptTokenCount,
		OutputTokens:    g.CandidatesTokenCount + g.ThoughtsTokenCount,
		CachedTokens:    g.CachedContentTokenCount,
		ReasoningTokens: g.ThoughtsTokenCount,
	})
}

func (geminiAPI) response(_ llmEndpoint, body []byte) llmResponse {
	var (
		res               llmResponse
		usage, candidates []byte
	)
	res.ok = topLevel(body, func(key, v []byte) {
		switch string(key) {
		case `"modelVersion"`:
			res.model = decodeString(v)
		case `"usageMetadata"`:
			usage = v
		case `"candidates"`:
			candidates = v
		}
	})
	if !res.ok {
		return res
	}
	var u geminiUsage
	if decodeUsage(usage, &u) {
		res.usage = u.usage()
	}
	if candidates == nil {
		return res
	}
	w := newChatWriter(len(body))
	scanArray(candidates, 0, 1, func(cand []byte) {
		var content, finish []byte
		scanObject(cand, 0, 2, func(key, v []byte) {
			switch string(key) {
			case `"content"`:
				content = v
			case `"finishReason"`:
				finish = v
			}
		})
		w.message(RoleAssistant, decodeString(finish))
		scanObject(content, 0, 3, func(key, v []byte) {
			if string(key) == `"parts"` {
				scanArray(v, 0, 4, func(part []byte) { geminiAnswerPart(w, part) })
			}
		})
	})
	if !w.empty() {
		res.output = w.json(false)
	}
	return res
}

// geminiAnswerPart writes one part of an answer, splicing its text.
func geminiAnswerPart(w *chatWriter, part []byte) {
	var text, thought, call []byte
	scanObject(part, 0, 5, func(key, v []byte) {
		switch string(key) {
		case `"text"`:
			text = v
		case `"thought"`:
			thought = v
		case `"functionCall"`:
			call = v
		}
	})
	switch {
	case string(thought) == "true":
		w.rawText(PartReasoning, text)
	case text != nil:
		w.rawText(PartText, text)
	case call != nil:
		var f geminiFunction
		if json.Unmarshal(call, &f) == nil {
			w.part(Part{Type: PartToolCall, ID: f.ID, Name: f.Name, Arguments: f.Args})
		}
	}
}

// geminiEvent is one chunk of a stream: a GenerateContentResponse.
type geminiEvent struct {
	ModelVersion string `json:"modelVersion"`
	Candidates   []struct {
		Index        int           `json:"index"`
		Content      geminiContent `json:"content"`
		FinishReason string        `json:"finishReason"`
	} `json:"candidates"`
	UsageMetadata *geminiUsage   `json:"usageMetadata"`
	Error         *providerError `json:"error"`
}

func (geminiAPI) event(_ llmEndpoint, data []byte, st *llmStream) {
	var ev geminiEvent
	if json.Unmarshal(data, &ev) != nil {
		return
	}
	if ev.Error != nil {
		st.err = ev.Error
		return
	}
	st.setModel(ev.ModelVersion)
	if ev.UsageMetadata != nil {
		st.setUsage(ev.UsageMetadata.usage())
	}
	for _, c := range ev.Candidates {
		if c.Index != 0 {
			continue
		}
		for i := range c.Content.Parts {
			p := &c.Content.Parts[i]
			switch f := cmpPtr(p.FunctionCall, p.FunctionCal2); {
			case p.Thought:
				st.addReasoning(p.Text)
			case f != nil:
				// Each Gemini part is a whole call: give it an index of its own.
				st.toolDelta(1<<20+len(st.tools), f.ID, f.Name, string(f.Args))
			default:
				st.addText(p.Text)
			}
		}
		if c.FinishReason != "" {
			st.finishReason, st.finished = c.FinishReason, true
		}
	}
}
