package tracium

import (
	"encoding/json"
	"unicode/utf8"
)

// chatWriter appends a Chat's JSON as the SDK records it. Text may come
// decoded, or as the raw JSON string token a provider sent, which the
// scanner has checked: splicing that token costs a copy, where decoding
// and encoding again a 20 KB answer would cost more than the rest of the
// call's recording. Parts that carry more than text are rare and small and
// go through encoding/json.
type chatWriter struct {
	b      []byte
	msgs   int
	parts  int
	inMsg  bool
	finish string // of the open message
}

func newChatWriter(sizeHint int) *chatWriter {
	w := &chatWriter{b: make([]byte, 0, sizeHint+96)}
	w.b = append(w.b, `{"messages":[`...)
	return w
}

// message opens a message, closing the previous one.
func (w *chatWriter) message(role, finishReason string) {
	w.closeMessage()
	if w.msgs > 0 {
		w.b = append(w.b, ',')
	}
	w.msgs++
	w.b = append(w.b, `{"role":`...)
	w.b = appendString(w.b, role)
	w.b = append(w.b, `,"parts":[`...)
	w.inMsg, w.parts, w.finish = true, 0, finishReason
}

// setFinish sets the open message's finish reason, when it is known only
// after its parts.
func (w *chatWriter) setFinish(reason string) { w.finish = reason }

func (w *chatWriter) closeMessage() {
	if !w.inMsg {
		return
	}
	w.b = append(w.b, ']')
	if w.finish != "" {
		w.b = append(w.b, `,"finish_reason":`...)
		w.b = appendString(w.b, w.finish)
	}
	w.b = append(w.b, '}')
	w.inMsg = false
}

func (w *chatWriter) beginPart() {
	if !w.inMsg {
		w.message(RoleAssistant, "")
	}
	if w.parts > 0 {
		w.b = append(w.b, ',')
	}
	w.parts++
}

// text adds a part of type typ whose content is s; an empty s adds
// nothing.
func (w *chatWriter) text(typ PartType, s string) {
	if s == "" {
		return
	}
	w.beginPart()
	w.b = append(w.b, `{"type":`...)
	w.b = appendString(w.b, string(typ))
	w.b = append(w.b, `,"content":`...)
	w.b = appendString(w.b, s)
	w.b = append(w.b, '}')
}

// rawText adds a part of type typ whose content is raw, a JSON string
// token as the scanner found it; null, an empty string or anything that is
// not a string adds nothing. A token with invalid UTF-8 is decoded and
// encoded again, which replaces the bad bytes, so the span stays valid.
func (w *chatWriter) rawText(typ PartType, raw []byte) {
	if len(raw) < 3 || raw[0] != '"' {
		return
	}
	if !utf8.Valid(raw) {
		w.text(typ, decodeString(raw))
		return
	}
	w.beginPart()
	w.b = append(w.b, `{"type":`...)
	w.b = appendString(w.b, string(typ))
	w.b = append(w.b, `,"content":`...)
	w.b = append(w.b, raw...)
	w.b = append(w.b, '}')
}

// part adds p.
func (w *chatWriter) part(p Part) {
	b, err := json.Marshal(p)
	if err != nil {
		return
	}
	w.beginPart()
	w.b = append(w.b, b...)
}

// empty reports whether nothing but empty messages was written.
func (w *chatWriter) empty() bool { return w.msgs == 0 }

// json closes the Chat and returns it.
func (w *chatWriter) json(truncated bool) validJSON {
	w.closeMessage()
	w.b = append(w.b, ']')
	if truncated {
		w.b = append(w.b, `,"truncated":true`...)
	}
	return append(w.b, '}')
}

// marshalChat encodes c for a span; c holds only strings and valid JSON, so
// encoding cannot fail.
func marshalChat(c Chat) validJSON {
	b, err := json.Marshal(c)
	if err != nil {
		return nil
	}
	return b
}
