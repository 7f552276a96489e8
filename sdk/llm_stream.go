package tracium

import (
	"bytes"
	"context"
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
	b.parser.st.call = call
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

// finish records what the stream assembled and ends the span, once.
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
	st := &p.st
	s := b.call.span
	switch {
	case st.err != nil:
		s.setFailure(cmpOr(st.err.kind(), "stream_error"), st.err.Message)
	case err == errStreamClosed && st.finished:
		// Closed after the last event: a complete stream.
	case err == errStreamClosed:
		// The caller stopped reading on purpose (it had what it needed,
		// or gave up): the call did not fail.
		s.SetAttribute(AttrStreamClosedEarly, true)
	case err != nil:
		b.call.fail(err)
	}
	s.SetModel(cmpOr(st.model, b.call.model))
	if out := st.output(); out != nil {
		s.RecordOutput(out)
	}
	if st.raw != nil {
		s.setRawOutput(st.raw)
	}
	if st.usage != nil {
		s.SetUsage(*st.usage)
	} else {
		s.SetAttribute(AttrUsageMissing, true)
	}
	b.call.end()
}

// sseParser frames a server-sent-events stream incrementally and hands
// each event's data to the provider's reader. Its memory is bounded: one
// partial line (up to maxSSELine) and the assembled answer (up to
// maxRecordedText).
type sseParser struct {
	call *llmCall
	line []byte
	skip bool // the current line is over maxSSELine and is dropped
	st   llmStream
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
		p.st.finished = true
		return
	}
	p.call.ep.api.event(p.call.ep, data, &p.st)
}

// llmStream is what a stream has said so far, in any provider's terms;
// each provider's event reader fills it.
type llmStream struct {
	call         *llmCall
	model        string
	text         bytes.Buffer
	reasoning    bytes.Buffer
	refusal      bytes.Buffer
	tools        []streamTool
	toolIndex    map[int]int // the provider's index of a tool call -> tools
	argBytes     int
	finishReason string
	usage        *Usage
	anthropic    anthropicUsage // Anthropic's counts come in two events
	truncated    bool
	firstTok     bool
	finished     bool // a final event was seen
	err          *providerError
	// whole is the answer when a final event carried it whole (the
	// Responses API's response.completed), raw that event's response.
	whole, raw validJSON
}

// streamTool is one tool call assembled from deltas.
type streamTool struct {
	id, name string
	// args holds the argument fragments, joined at the end so that many
	// small deltas cost linear time.
	args bytes.Buffer
}

func (st *llmStream) setModel(m string) { st.model = cmpOr(m, st.model) }

func (st *llmStream) setUsage(u *Usage) { st.usage = u }

// addText appends streamed text up to maxRecordedText.
func (st *llmStream) addText(s string) { st.add(&st.text, s) }

func (st *llmStream) addReasoning(s string) { st.add(&st.reasoning, s) }

func (st *llmStream) addRefusal(s string) { st.add(&st.refusal, s) }

func (st *llmStream) add(buf *bytes.Buffer, s string) {
	if s == "" {
		return
	}
	st.firstToken()
	if st.text.Len()+st.reasoning.Len()+st.refusal.Len()+len(s) > maxRecordedText {
		st.truncated = true
		return
	}
	buf.WriteString(s)
}

// toolDelta adds to the tool call at the provider's index.
func (st *llmStream) toolDelta(index int, id, name, args string) {
	st.firstToken()
	if st.toolIndex == nil {
		st.toolIndex = make(map[int]int)
	}
	i, ok := st.toolIndex[index]
	if !ok {
		if len(st.tools) >= 128 {
			st.truncated = true
			return
		}
		i = len(st.tools)
		st.toolIndex[index] = i
		st.tools = append(st.tools, streamTool{})
	}
	tc := &st.tools[i]
	tc.id = cmpOr(tc.id, id)
	tc.name = cmpOr(tc.name, name)
	if st.argBytes+len(args) > maxRecordedText {
		st.truncated = true
		return
	}
	st.argBytes += len(args)
	tc.args.WriteString(args)
}

func (st *llmStream) firstToken() {
	if !st.firstTok {
		st.firstTok = true
		st.call.span.SetTimeToFirstToken(time.Since(st.call.start))
	}
}

// output is the assembled answer as a Chat, or nil when the stream said
// nothing.
func (st *llmStream) output() validJSON {
	if st.whole != nil && !st.truncated {
		return st.whole
	}
	if st.text.Len() == 0 && st.reasoning.Len() == 0 && st.refusal.Len() == 0 && len(st.tools) == 0 && st.finishReason == "" {
		return nil
	}
	w := newChatWriter(st.text.Len() + st.reasoning.Len() + st.argBytes)
	w.message(RoleAssistant, st.finishReason)
	w.text(PartReasoning, st.reasoning.String())
	w.text(PartText, st.text.String())
	w.text(PartRefusal, st.refusal.String())
	for i := range st.tools {
		tc := &st.tools[i]
		w.part(ToolCallPart(tc.id, tc.name, tc.args.String()))
	}
	return w.json(st.truncated)
}
