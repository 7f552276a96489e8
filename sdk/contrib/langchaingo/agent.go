package traciumlangchaingo

import (
	"strings"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/schema"
	tracium "github.com/tracium/tracium/sdk"
)

// LangChainGo's agent executor reports itself as a chain (HandleChainStart)
// and runs its tools without tool callbacks; only HandleAgentAction and
// HandleAgentFinish show what it is. So its chain span becomes an agent
// span at its first action or finish, and each action starts the tool
// span that the executor's tool.Call then runs under. The executor says
// nothing when the tool returns: its result reaches the handler only in
// the next plan, as the observation in the agent's scratchpad (MRKL and
// conversational agents) or as a tool message answering the call's id
// (the OpenAI functions agent). That is where the tool span ends, with
// the result as its output.

// actionRecord is one agent action, as recorded on the agent span.
type actionRecord struct {
	Tool      string `json:"tool"`
	ToolInput string `json:"tool_input"`
	Log       string `json:"log,omitempty"`
	ToolID    string `json:"tool_id,omitempty"`
}

// finishRecord is the agent's finish, as recorded on the agent span.
type finishRecord struct {
	ReturnValues any    `json:"return_values,omitempty"`
	Log          string `json:"log,omitempty"`
}

// newAction records a, with the input the executor passes to the tool.
func newAction(a schema.AgentAction) actionRecord {
	return actionRecord{
		Tool:      a.Tool,
		ToolInput: truncate(strings.TrimSuffix(a.ToolInput, "\nObservation:"), maxRecordedField),
		Log:       truncate(a.Log, maxRecordedField),
		ToolID:    a.ToolID,
	}
}

// leafOrAction matches what an agent's next action or finish closes: leaf
// spans left open, and the tool span of the action before.
func leafOrAction(e *entry) bool { return e.leaf() || e.action != nil }

// endObservedTool ends the tool span at the top of g's lane when the
// callback about to start shows its result (see the comment above).
func endObservedTool(g int64, observed func(*schema.AgentAction) (string, bool)) {
	top := lanes.top(g)
	if top == nil || top.action == nil {
		return
	}
	result, ok := observed(top.action)
	if !ok {
		return
	}
	if e := lanes.popTop(g, func(e *entry) bool { return e == top }); e != nil {
		e.span.RecordOutput(tracium.JSONValue(truncate(result, maxRecordedField)))
		endEntry(e)
	}
}

// observationMarker precedes a tool's result in MRKL and conversational
// scratchpads: the action's log, then the result.
const observationMarker = "\nObservation: "

// scratchpadObservation finds a's result in a chain's inputs: the agent's
// scratchpad, which ends with the last action's log and result.
func scratchpadObservation(inputs map[string]any, a *schema.AgentAction) (string, bool) {
	pad, ok := inputs["agent_scratchpad"]
	if !ok {
		return "", false
	}
	switch pad := pad.(type) {
	case string:
		return textObservation(pad, a)
	case []llms.ChatMessage:
		for i := len(pad) - 1; i >= 0; i-- {
			if m, ok := pad[i].(llms.ToolChatMessage); ok && a.ToolID != "" && m.ID == a.ToolID {
				return m.Content, true
			}
		}
	}
	return "", false
}

// textObservation finds a's result after its log in text.
func textObservation(text string, a *schema.AgentAction) (string, bool) {
	if a.Log == "" {
		return "", false
	}
	i := strings.LastIndex(text, a.Log+observationMarker)
	if i < 0 {
		return "", false
	}
	return strings.TrimSuffix(text[i+len(a.Log)+len(observationMarker):], "\n"), true
}

// messagesObservation finds a's result in the messages of the agent's
// next model call: a tool message answering its call, or its log and
// result in a prompt's text.
func messagesObservation(ms []llms.MessageContent, a *schema.AgentAction) (string, bool) {
	for i := len(ms) - 1; i >= 0; i-- {
		for _, p := range ms[i].Parts {
			switch p := p.(type) {
			case llms.ToolCallResponse:
				if a.ToolID != "" && p.ToolCallID == a.ToolID || a.ToolID == "" && p.Name == a.Tool {
					return p.Content, true
				}
			case llms.TextContent:
				if r, ok := textObservation(p.Text, a); ok {
					return r, true
				}
			}
		}
	}
	return "", false
}

// makeAgent turns a chain entry into the agent span it turned out to be.
func makeAgent(e *entry) {
	if e.kind == tracium.SpanAgent {
		return
	}
	e.kind = tracium.SpanAgent
	e.span.SetType(tracium.SpanAgent)
	e.span.SetName("agent")
}
