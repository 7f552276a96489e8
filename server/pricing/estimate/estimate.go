// Package estimate gives an llm span whose provider reported no token
// counts estimated ones, so that it still has tokens and a cost, and
// marks them as estimated so that they are never taken for reported ones.
//
// # Which spans
//
// An llm span without usage whose attributes say usage_missing: true (the
// SDK sets it when a call was answered without counts: go-openai streaming
// without include_usage, an OpenAI-compatible server that sends none), and
// whose input or output is in the recorded chat shape (tracium.ParseChat).
// A span with usage is never touched, nor one whose attributes are not a
// JSON object (the mark could not be added without rewriting them).
//
// # How tokens are counted
//
// Text parts, reasoning, refusals, tool call names and arguments, and tool
// results are tokenized. Input messages also cost OpenAI's chat framing:
// 3 tokens per message, the role, the participant's name plus 1 when there
// is one, and 3 for the reply's start; output is its parts alone. Media
// parts (images, audio, files) are not counted, nor tool definitions, which
// the chat shape does not record, nor reasoning a provider kept hidden
// (o-series reasoning tokens): an estimate is a floor for such calls.
// Cache reads and writes are unknown, so every input token is priced as
// uncached.
//
// The tokenizer is the model's own for OpenAI models (github.com/tiktoken-go/tokenizer):
// o200k_base for gpt-4o, gpt-4.1, gpt-4.5, gpt-5, gpt-oss, chatgpt-4o,
// codex-mini and the o-series; cl100k_base for gpt-4, gpt-3.5 and
// text-embedding. Other models' tokenizers are not available to the
// collector, so their text is counted with o200k_base and scaled by the
// ratio of their own tokenizer's count to o200k_base's, measured once on
// a 50 KB sample (English prose, Go code, JSON, and French, German,
// Spanish, Chinese, Japanese and Russian sentences):
//
//	family     tokenizer measured            scale  estimate vs. its count
//	Claude     Anthropic's published one     1.12   prose +6%, code -10%, JSON 0%, other languages -28%
//	Gemini     Gemma's (Gemini's vocabulary) 1.15   prose +4%, code -6%, JSON -3%, other languages +23%
//	Llama 3    Meta's                        1      -0.5% overall
//	DeepSeek   DeepSeek V3's                 1      -4.5% overall
//	Qwen       Qwen 3's                      1      -4.5% overall
//
// Anthropic's published tokenizer predates Claude 3, whose own is not
// public. Mistral's current tokenizer could not be measured (its older
// SentencePiece one, for Mistral 7B and Mixtral, counts 27% more than
// o200k_base, so those estimates run 21% low); Grok and the rest are
// counted unscaled.
//
// # Cost
//
// At most MaxText bytes of text are tokenized per span. Past that, each of
// input, output and reasoning is tokenized up to its share of MaxText (in
// proportion to its size) and its count scaled up by the bytes left out,
// so a huge span costs about what a 64 KiB one does. A group cut short
// keeps at least 4 KiB, so the bound is MaxText plus 8 KiB. Tokenizing
// runs at about 5 MB/s on one core (BenchmarkApply): under half a
// millisecond for a 2 KiB span, about 14 ms at the cap: a client sending
// huge spans without usage cannot hold a writer for long. The vocabularies
// load on first use (o200k_base in about 50 ms and 6 MiB of heap).
package estimate

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/store"
)

// MaxText is the most text, in bytes, tokenized for one span.
const MaxText = 64 << 10

// Span estimates s's token counts when it is an llm span that reported
// none (see the package doc): it sets s.Usage under Tracium's token
// convention and adds usage_estimated: true to s.Attributes, and changes
// nothing else. It reports whether it did. Safe for concurrent use on
// different spans.
func Span(s *store.Span) bool {
	if s == nil || s.Type != store.SpanLLM || s.Usage != nil || !usageMissing(s.Attributes) {
		return false
	}
	in, inOK := tracium.ParseChat(s.Input)
	out, outOK := tracium.ParseChat(s.Output)
	if !inOK && !outOK {
		return false
	}
	attrs, err := withEstimated(s.Attributes)
	if err != nil {
		return false
	}
	model := s.Model
	if model == "" {
		model = s.RequestModel
	}
	u := CountChat(model, in.Messages, out.Messages)
	s.Usage = &u
	s.Attributes = attrs
	return true
}

// usageMissing reports whether the attributes object says usage_missing:
// true.
func usageMissing(attrs json.RawMessage) bool {
	var a struct {
		Missing bool `json:"usage_missing"`
	}
	return len(attrs) > 0 && json.Unmarshal(attrs, &a) == nil && a.Missing
}

var errNotObject = errors.New("attributes are not a JSON object")

// withEstimated returns attrs with usage_estimated: true, the rest of the
// object kept byte for byte. A usage_estimated member already there (only
// the collector may set it) has its value replaced, so the key stays
// unique.
func withEstimated(attrs json.RawMessage) (json.RawMessage, error) {
	const key, value = tracium.AttrUsageEstimated, "true"
	trimmed := bytes.TrimSpace(attrs)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return json.RawMessage(`{"` + key + `":` + value + `}`), nil
	}
	if trimmed[0] != '{' || !json.Valid(trimmed) {
		return nil, errNotObject
	}
	values, err := memberValues(trimmed, key)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(trimmed) + len(key) + 8)
	if len(values) > 0 {
		at := 0
		for _, v := range values {
			b.Write(trimmed[at:v[0]])
			b.WriteString(value)
			at = v[1]
		}
		b.Write(trimmed[at:])
		return b.Bytes(), nil
	}
	closing := bytes.LastIndexByte(trimmed, '}')
	b.Write(trimmed[:closing])
	if len(bytes.TrimSpace(trimmed[1:closing])) > 0 {
		b.WriteByte(',')
	}
	b.WriteString(`"` + key + `":` + value)
	b.Write(trimmed[closing:])
	return b.Bytes(), nil
}

// memberValues returns the byte ranges of the values of obj's own members
// named key (not those of nested objects), in order.
func memberValues(obj []byte, key string) ([][2]int, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	var out [][2]int
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := t.(string)
		after := int(dec.InputOffset())
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if name == key {
			end := int(dec.InputOffset())
			// The value starts after the colon and any space.
			start := after + bytes.IndexByte(obj[after:end], ':') + 1
			for start < end && strings.ContainsRune(" \t\r\n", rune(obj[start])) {
				start++
			}
			out = append(out, [2]int{start, end})
		}
	}
	return out, nil
}
