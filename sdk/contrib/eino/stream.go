package traciumeino

import (
	"errors"
	"io"
	"strings"
	"time"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components/model"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/schema"

	tracium "github.com/tracium/tracium/sdk"
)

// maxChunks caps the stream chunks kept to assemble a recorded value;
// later chunks are read and dropped, and the value is marked truncated.
const maxChunks = 4096

// readInputStream records a streamed input from the handler's copy and
// closes it.
func (r *run) readInputStream(sr *schema.StreamReader[callbacks.CallbackInput]) {
	defer sr.Close()
	var chunks []any
	for {
		c, err := sr.Recv()
		if err != nil {
			break
		}
		if len(chunks) < maxChunks {
			chunks = append(chunks, c)
		}
	}
	r.span.RecordInput(boundedJSON(assemble(chunks)))
}

// readOutputStream reads the handler's copy of a streamed output to its
// end, records the assembled output and ends the run's spans.
func (r *run) readOutputStream(sr *schema.StreamReader[callbacks.CallbackOutput]) {
	defer sr.Close()
	if r.kind == kindModel {
		r.readModelStream(sr)
		return
	}
	var chunks []any
	truncated := false
	var streamErr error
	for {
		c, err := sr.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				streamErr = err
			}
			break
		}
		if len(chunks) < maxChunks {
			chunks = append(chunks, c)
		} else {
			truncated = true
		}
	}
	s := r.span
	if r.kind == kindTool {
		var b strings.Builder
		for _, c := range chunks {
			if out := tool.ConvCallbackOutput(c); out != nil {
				b.WriteString(out.Response)
			}
		}
		s.RecordOutput(boundedJSON(tracium.JSONValue(b.String())))
	} else {
		s.RecordOutput(boundedJSON(assemble(chunks)))
	}
	if truncated {
		s.SetAttribute("output_truncated", true)
	}
	if streamErr != nil {
		s.SetError(streamErr)
	}
	r.endSpans()
}

// readModelStream assembles a streamed model answer: its messages
// concatenated, the last usage reported, and the time to its first token.
func (r *run) readModelStream(sr *schema.StreamReader[callbacks.CallbackOutput]) {
	var (
		msgs      []*schema.Message
		a         answer
		firstTok  time.Duration
		truncated bool
		streamErr error
	)
	for {
		c, err := sr.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				streamErr = err
			}
			break
		}
		out := model.ConvCallbackOutput(c)
		if out == nil {
			continue
		}
		if u := usageOf(out.TokenUsage); u != nil {
			a.usage = u
		}
		if out.Config != nil {
			a.config = out.Config
		}
		m := out.Message
		if m == nil {
			continue
		}
		if firstTok == 0 && (m.Content != "" || m.ReasoningContent != "" || len(m.ToolCalls) > 0) {
			firstTok = time.Since(r.begun)
		}
		if a.usage == nil && m.ResponseMeta != nil && m.ResponseMeta.Usage != nil {
			a.usage = schemaUsage(m.ResponseMeta.Usage)
		}
		if len(msgs) < maxChunks {
			msgs = append(msgs, m)
		} else {
			truncated = true
		}
	}
	if len(msgs) > 0 {
		if m, err := schema.ConcatMessages(msgs); err == nil {
			a.msg = m
		}
	}
	s := r.span
	if !s.LLMCallRecorded() && firstTok > 0 {
		s.SetTimeToFirstToken(firstTok)
	}
	r.recordModel(a, true)
	if truncated && !s.LLMCallRecorded() {
		s.SetAttribute("output_truncated", true)
	}
	if streamErr != nil {
		s.SetError(streamErr)
		if r.node != s {
			r.node.SetError(streamErr)
		}
	}
	r.endSpans()
}

// assemble joins stream chunks into one value: messages concatenated as
// Eino does, strings joined, a single chunk as itself, else the list.
func assemble(chunks []any) any {
	switch len(chunks) {
	case 0:
		return nil
	case 1:
		return chunks[0]
	}
	switch chunks[0].(type) {
	case *schema.Message:
		msgs := make([]*schema.Message, 0, len(chunks))
		for _, c := range chunks {
			if m, ok := c.(*schema.Message); ok {
				msgs = append(msgs, m)
			}
		}
		if m, err := schema.ConcatMessages(msgs); err == nil {
			return m
		}
	case map[string]any:
		// Eino merges the keyed outputs of parallel nodes this way.
		m := map[string]any{}
		for _, c := range chunks {
			cm, _ := c.(map[string]any)
			for k, v := range cm {
				m[k] = v
			}
		}
		return m
	case string:
		var b strings.Builder
		for _, c := range chunks {
			s, _ := c.(string)
			b.WriteString(s)
		}
		return b.String()
	}
	return chunks
}
