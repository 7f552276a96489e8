package tracium

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"
)

// streamBody tees a streaming LLM response: every Read hands the bytes to
// the caller unchanged and lets the parser consume the same bytes, so the
// stream is never buffered. The span ends at EOF, on a read error, on
// Close, or when the request's context is cancelled, whichever is first.
type streamBody struct {
	rc   io.ReadCloser
	call *llmCall
	// stop unregisters the context watch; it holds no goroutine.
	stop func() bool

	mu     sync.Mutex
	parser sseParser
	done   bool
}

func newStreamBody(ctx context.Context, call *llmCall, rc io.ReadCloser) *streamBody {
	b := &streamBody{rc: rc, call: call}
	b.parser.call = call
	b.stop = context.AfterFunc(ctx, func() { b.finish(context.Cause(ctx)) })
	return b
}

func (b *streamBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.mu.Lock()
		if !b.done {
			b.parser.feed(p[:n])
		}
		b.mu.Unlock()
	}
	if err != nil {
		if err == io.EOF {
			b.finish(nil)
		} else {
			b.finish(err)
		}
	}
	return n, err
}

// Close ends the span (as cancelled when the stream was not read to the
// end) and closes the underlying body.
func (b *streamBody) Close() error {
	b.finish(errStreamClosed)
	return b.rc.Close()
}

var errStreamClosed = errors.New("tracium: stream closed before its end")

// finish records what the parser assembled and ends the span, once.
func (b *streamBody) finish(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	b.stop()
	p := &b.parser
	p.flushLine()
	s := b.call.span
	switch {
	case p.err != nil:
		s.setFailure(cmpOr(p.err.kind(), "stream_error"), p.err.Message)
	case err == errStreamClosed && p.finished:
		// Closed after the last event: a complete stream.
	case err == errStreamClosed:
		// The caller stopped reading on purpose (it had what it needed,
		// or gave up): the call did not fail.
		s.SetAttribute(AttrStreamClosedEarly, true)
	case err != nil:
		b.call.fail(err)
	}
	s.SetModel(cmpOr(p.model, b.call.model))
	p.out.Content = p.text.String()
	for i := range p.out.ToolCalls {
		p.out.ToolCalls[i].Arguments = p.toolArgs[i].String()
	}
	if !p.outEmpty() {
		s.RecordOutput(&p.out)
	}
	if p.hasUsage {
		s.SetUsage(p.usage)
	} else {
		s.SetAttribute(AttrUsageMissing, true)
	}
	s.End()
}

// sseParser consumes a server-sent-events stream incrementally. Its memory
// is bounded: one partial line (up to maxSSELine) and the assembled output
// (up to maxRecordedText).
type sseParser struct {
	call *llmCall
	line []byte
	skip bool // the current line is over maxSSELine and is dropped

	model    string
	text     bytes.Buffer
	out      llmOutput
	argBytes int
	// toolArgs holds each tool call's argument fragments, joined at the
	// end so that many small deltas cost linear time.
	toolArgs []bytes.Buffer
	usage    Usage
	hasUsage bool
	firstTok bool
	finished bool // a final event was seen
	err      *providerError
	// Anthropic's content blocks and OpenAI's tool call indexes map to
	// out.ToolCalls positions.
	toolIndex map[int]int
}

func (p *sseParser) feed(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.appendLine(b)
			return
		}
		p.appendLine(b[:i])
		b = b[i+1:]
		p.flushLine()
	}
}

func (p *sseParser) appendLine(b []byte) {
	if p.skip {
		return
	}
	if len(p.line)+len(b) > maxSSELine {
		p.skip, p.line = true, p.line[:0]
		return
	}
	p.line = append(p.line, b...)
}

// flushLine handles the buffered line; "event:" lines are not needed
// because every provider repeats the event type inside its data.
func (p *sseParser) flushLine() {
	line := bytes.TrimRight(p.line, "\r")
	skip := p.skip
	p.line, p.skip = p.line[:0], false
	if skip {
		return
	}
	data, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return
	}
	if string(data) == "[DONE]" {
		p.finished = true
		return
	}
	var ev streamEvent
	if json.Unmarshal(data, &ev) != nil {
		return
	}
	p.event(&ev)
}

// streamEvent is one data payload of any provider's stream.
type streamEvent struct {
	Type         string     `json:"type"`
	Model        string     `json:"model"`
	ModelVersion string     `json:"modelVersion"`
	Usage        *wireUsage `json:"usage"`
	// OpenAI chat and legacy completions.
	Choices []struct {
		Delta struct {
			Role      string `json:"role"`
			Content   string `json:"content"`
			ToolCalls []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		Text         string `json:"text"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	// Anthropic; Delta is also the Responses API's text delta (a string).
	Message *struct {
		Model string    `json:"model"`
		Usage wireUsage `json:"usage"`
	} `json:"message"`
	Index        int             `json:"index"`
	ContentBlock *anthropicBlock `json:"content_block"`
	Delta        json.RawMessage `json:"delta"`
	// OpenAI Responses API.
	Response *struct {
		Model  string          `json:"model"`
		Status string          `json:"status"`
		Usage  *wireUsage      `json:"usage"`
		Output json.RawMessage `json:"output"`
	} `json:"response"`
	// Gemini.
	Candidates []struct {
		Content struct {
			Parts []struct {
				Text         string          `json:"text"`
				Thought      bool            `json:"thought"`
				FunctionCall json.RawMessage `json:"functionCall"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
	} `json:"candidates"`
	UsageMetadata *geminiUsage   `json:"usageMetadata"`
	Error         *providerError `json:"error"`
}

type anthropicBlock struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name"`
	Text string `json:"text"`
}

type anthropicDelta struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	PartialJSON string `json:"partial_json"`
	StopReason  string `json:"stop_reason"`
}

func (p *sseParser) event(ev *streamEvent) {
	if ev.Error != nil {
		p.err = ev.Error
		return
	}
	p.model = cmpOr(cmpOr(ev.Model, ev.ModelVersion), p.model)
	switch p.call.ep.provider {
	case providerAnthropic:
		p.anthropicEvent(ev)
	case providerGoogle:
		p.geminiEvent(ev)
	default:
		p.openAIEvent(ev)
	}
}

func (p *sseParser) openAIEvent(ev *streamEvent) {
	if ev.Usage != nil {
		p.usage, p.hasUsage = ev.Usage.usage(providerOpenAI), true
	}
	for _, ch := range ev.Choices {
		p.addText(ch.Delta.Content)
		p.addText(ch.Text)
		p.out.Role = cmpOr(ch.Delta.Role, p.out.Role)
		for _, tc := range ch.Delta.ToolCalls {
			p.toolDelta(tc.Index, tc.ID, tc.Function.Name, tc.Function.Arguments)
		}
		if ch.FinishReason != "" {
			p.out.FinishReason, p.finished = ch.FinishReason, true
		}
	}
	switch ev.Type {
	case "response.output_text.delta":
		var s string
		if json.Unmarshal(ev.Delta, &s) == nil {
			p.addText(s)
		}
	case "response.completed", "response.incomplete", "response.failed":
		p.finished = true
		if r := ev.Response; r != nil {
			p.model = cmpOr(r.Model, p.model)
			p.out.FinishReason = r.Status
			p.out.Message = r.Output
			if r.Usage != nil {
				p.usage, p.hasUsage = r.Usage.usage(providerOpenAI), true
			}
		}
	}
}

func (p *sseParser) anthropicEvent(ev *streamEvent) {
	switch ev.Type {
	case "message_start":
		if m := ev.Message; m != nil {
			p.model = cmpOr(m.Model, p.model)
			p.usage, p.hasUsage = m.Usage.usage(providerAnthropic), true
		}
		p.out.Role = "assistant"
	case "content_block_start":
		if b := ev.ContentBlock; b != nil {
			switch b.Type {
			case "tool_use":
				p.toolDelta(ev.Index, b.ID, b.Name, "")
			case "text":
				p.addText(b.Text)
			}
		}
	case "content_block_delta":
		var d anthropicDelta
		if json.Unmarshal(ev.Delta, &d) != nil {
			return
		}
		switch d.Type {
		case "text_delta":
			p.addText(d.Text)
		case "input_json_delta":
			p.toolDelta(ev.Index, "", "", d.PartialJSON)
		}
	case "message_delta":
		var d anthropicDelta
		if json.Unmarshal(ev.Delta, &d) == nil && d.StopReason != "" {
			p.out.FinishReason = d.StopReason
		}
		if ev.Usage != nil {
			// message_delta's counts are cumulative for the message.
			u := p.usage
			u.OutputTokens = ev.Usage.OutputTokens
			if ev.Usage.InputTokens != 0 {
				u.InputTokens = ev.Usage.InputTokens
			}
			u.TotalTokens = u.InputTokens + u.OutputTokens + u.CachedTokens + u.CacheCreationTokens
			p.usage, p.hasUsage = u, true
		}
	case "message_stop":
		p.finished = true
	}
}

func (p *sseParser) geminiEvent(ev *streamEvent) {
	if ev.UsageMetadata != nil {
		p.usage, p.hasUsage = ev.UsageMetadata.usage(), true
	}
	if len(ev.Candidates) == 0 {
		return
	}
	c := ev.Candidates[0]
	p.out.Role = "model"
	for _, part := range c.Content.Parts {
		if !part.Thought {
			p.addText(part.Text)
		}
		if part.FunctionCall != nil {
			var fc struct {
				Name string          `json:"name"`
				Args json.RawMessage `json:"args"`
			}
			if json.Unmarshal(part.FunctionCall, &fc) == nil {
				// Each Gemini part is a whole call: give it a fresh index.
				p.toolDelta(1<<20+len(p.out.ToolCalls), "", fc.Name, string(fc.Args))
			}
		}
	}
	if c.FinishReason != "" {
		p.out.FinishReason, p.finished = c.FinishReason, true
	}
}

// addText appends streamed text up to maxRecordedText.
func (p *sseParser) addText(s string) {
	if s == "" {
		return
	}
	p.firstToken()
	if p.text.Len()+len(s) > maxRecordedText {
		p.out.Truncated = true
		return
	}
	p.text.WriteString(s)
}

// toolDelta adds to the tool call at the provider's index.
func (p *sseParser) toolDelta(index int, id, name, args string) {
	p.firstToken()
	if p.toolIndex == nil {
		p.toolIndex = make(map[int]int)
	}
	i, ok := p.toolIndex[index]
	if !ok {
		if len(p.out.ToolCalls) >= 128 {
			p.out.Truncated = true
			return
		}
		i = len(p.out.ToolCalls)
		p.toolIndex[index] = i
		p.out.ToolCalls = append(p.out.ToolCalls, llmToolCall{})
		p.toolArgs = append(p.toolArgs, bytes.Buffer{})
	}
	tc := &p.out.ToolCalls[i]
	tc.ID = cmpOr(tc.ID, id)
	tc.Name = cmpOr(tc.Name, name)
	if p.argBytes+len(args) > maxRecordedText {
		p.out.Truncated = true
		return
	}
	p.argBytes += len(args)
	p.toolArgs[i].WriteString(args)
}

func (p *sseParser) firstToken() {
	if !p.firstTok {
		p.firstTok = true
		p.call.span.SetTimeToFirstToken(time.Since(p.call.start))
	}
}

func (p *sseParser) outEmpty() bool {
	o := &p.out
	return o.Content == "" && len(o.ToolCalls) == 0 && o.Message == nil && o.FinishReason == ""
}
