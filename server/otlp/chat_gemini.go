package otlp

import (
	"encoding/json"

	tracium "github.com/tracium/tracium/sdk"
)

// Gemini's content shape, which ADK records: in gcp.vertex.agent.llm_request
// ({model, config: {system_instruction}, contents: [...]}) and
// gcp.vertex.agent.llm_response ({content, finish_reason}), and in the
// bodies of its gen_ai.user.message and gen_ai.choice log records. The
// contents are read by the SDK's own reader (tracium.ProviderMessages),
// snake case (ADK for Python) and camel case (ADK for Go) alike.

// geminiContents adds contents (a JSON array of Content) as messages.
func (c *chat) geminiContents(raw []byte) bool {
	msgs, ok := tracium.ProviderMessages(providerGoogle, raw)
	if !ok {
		return false
	}
	for _, m := range msgs {
		c.add(c.cut(m))
	}
	return len(msgs) > 0
}

// geminiContent adds one Content (a JSON object) as a message with the
// given role when it names none, and finish reason.
func (c *chat) geminiContent(raw []byte, role, finish string) bool {
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	n := len(c.msgs)
	if !c.geminiContents(append(append([]byte{'['}, raw...), ']')) || len(c.msgs) != n+1 {
		return false
	}
	m := &c.msgs[n]
	if m.Role == tracium.RoleUser && role != tracium.RoleUser && !hasRole(raw) {
		m.Role = role
	}
	m.FinishReason, _ = fieldString(finish, 64)
	return true
}

// hasRole reports whether a Content names its role.
func hasRole(raw []byte) bool {
	var c struct {
		Role string `json:"role"`
	}
	return json.Unmarshal(raw, &c) == nil && c.Role != ""
}

// adkRequest reads an llm_request: the system instruction first, then
// the contents.
func (c *chat) adkRequest(raw []byte) bool {
	var req struct {
		Config struct {
			System  json.RawMessage `json:"system_instruction"`
			System2 json.RawMessage `json:"systemInstruction"`
		} `json:"config"`
		Contents json.RawMessage `json:"contents"`
	}
	if json.Unmarshal(raw, &req) != nil {
		return false
	}
	if sys := firstRaw(req.Config.System, req.Config.System2); len(sys) > 0 {
		if s := contentText(sys); sys[0] == '"' && s != "" {
			c.add(tracium.Message{Role: tracium.RoleSystem, Parts: []tracium.Part{c.text(tracium.PartText, s)}})
		} else if c.geminiContent(sys, tracium.RoleSystem, "") {
			c.msgs[len(c.msgs)-1].Role = tracium.RoleSystem
		}
	}
	if len(req.Contents) > 0 {
		c.geminiContents(req.Contents)
	}
	return len(c.msgs) > 0
}

// adkResponse reads an llm_response: {content, finish_reason}, or the
// API's {candidates: [{content, finishReason}]}.
func (c *chat) adkResponse(raw []byte) bool {
	var res struct {
		Content    json.RawMessage `json:"content"`
		Finish     string          `json:"finish_reason"`
		Finish2    string          `json:"finishReason"`
		Candidates []struct {
			Content json.RawMessage `json:"content"`
			Finish  string          `json:"finishReason"`
			Finish2 string          `json:"finish_reason"`
		} `json:"candidates"`
	}
	if json.Unmarshal(raw, &res) != nil {
		return false
	}
	c.geminiContent(res.Content, tracium.RoleAssistant, cmpStr(res.Finish, res.Finish2))
	for _, cand := range res.Candidates {
		c.geminiContent(cand.Content, tracium.RoleAssistant, cmpStr(cand.Finish, cand.Finish2))
	}
	return len(c.msgs) > 0
}

func firstRaw(a, b json.RawMessage) json.RawMessage {
	if len(a) > 0 && string(a) != "null" {
		return a
	}
	if string(b) == "null" {
		return nil
	}
	return b
}
