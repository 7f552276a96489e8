package estimate

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"sync"

	"github.com/tiktoken-go/tokenizer"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/store"
)

// OpenAI's chat framing (the openai-cookbook's num_tokens_from_messages,
// which matches the API's prompt_tokens for gpt-3.5-turbo-0613 and later).
const (
	tokensPerMessage = 3 // <|start|>{role}<|message|>...<|end|> around each message
	tokensPerName    = 1
	tokensReplyStart = 3 // <|start|>assistant<|message|>
)

// The tokenizers, built on first use: each holds a vocabulary of 100,000
// or 200,000 entries. A tiktoken-go codec is safe for concurrent use.
var (
	o200k  = sync.OnceValue(func() tokenizer.Codec { return mustCodec(tokenizer.O200kBase) })
	cl100k = sync.OnceValue(func() tokenizer.Codec { return mustCodec(tokenizer.Cl100kBase) })
)

func mustCodec(enc tokenizer.Encoding) tokenizer.Codec {
	c, err := tokenizer.Get(enc)
	if err != nil {
		panic("estimate: tokenizer " + string(enc) + ": " + err.Error())
	}
	return c
}

// Counter counts tokens as one model's tokenizer does, or approximates it.
type Counter struct {
	codec tokenizer.Codec
	// scale turns an o200k_base count into the model family's, 1 when
	// the codec is the model's own or no ratio was measured.
	scale float64
	// Exact is true when the codec is the model's own tokenizer.
	Exact bool
}

var (
	// oSeries matches OpenAI's reasoning models: o1, o3-mini, o4-mini-high.
	oSeries        = regexp.MustCompile(`^o\d+(?:-|$)`)
	o200kPrefixes  = []string{"gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-oss", "chatgpt-4o", "codex-mini"}
	cl100kPrefixes = []string{"gpt-4", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada-002"}
)

// family scales measured on the sample the package doc describes.
var familyScales = []struct {
	prefix string
	scale  float64
}{
	{"claude", 1.12},
	{"anthropic.claude", 1.12}, // Amazon Bedrock's ids
	{"gemini", 1.15},
	{"gemma", 1.15},
}

// CounterFor returns the counter for model: its own tokenizer for OpenAI
// models, else the approximation of the package doc. A routing prefix
// ("openai/gpt-4o", "ft:gpt-4o-mini:org::id") is skipped.
func CounterFor(model string) Counter {
	name := strings.ToLower(strings.TrimSpace(model))
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimPrefix(name, "ft:")
	for _, p := range o200kPrefixes {
		if strings.HasPrefix(name, p) {
			return Counter{codec: o200k(), scale: 1, Exact: true}
		}
	}
	if oSeries.MatchString(name) {
		return Counter{codec: o200k(), scale: 1, Exact: true}
	}
	for _, p := range cl100kPrefixes {
		if strings.HasPrefix(name, p) {
			return Counter{codec: cl100k(), scale: 1, Exact: true}
		}
	}
	// Bedrock names some models by region first: "us.anthropic.claude-...".
	for _, f := range familyScales {
		if strings.HasPrefix(name, f.prefix) || strings.Contains(name, "."+f.prefix) {
			return Counter{codec: o200k(), scale: f.scale}
		}
	}
	return Counter{codec: o200k(), scale: 1}
}

// Count returns the number of tokens in s, approximated for models whose
// tokenizer is not the counter's own.
func (c Counter) Count(s string) int64 {
	return c.scaled(c.raw(s))
}

func (c Counter) raw(s string) int64 {
	if s == "" {
		return 0
	}
	// Count fails only on invalid UTF-8 in strict mode, which is not set.
	n, _ := c.codec.Count(s)
	return int64(n)
}

func (c Counter) scaled(n int64) int64 {
	if c.scale == 1 {
		return n
	}
	return int64(math.Round(float64(n) * c.scale))
}

// CountChat estimates the usage of a call on model that read input and
// answered output, under Tracium's token convention (reasoning is part of
// the output). It tokenizes at most MaxText bytes (see the package doc).
func CountChat(model string, input, output []tracium.Message) store.Usage {
	c := CounterFor(model)
	var in, out, reasoning texts
	var framing int64
	for _, m := range input {
		framing += tokensPerMessage
		in.add(m.Role)
		if m.Name != "" {
			framing += tokensPerName
			in.add(m.Name)
		}
		for _, p := range m.Parts {
			partText(p, &in, &in)
		}
	}
	if len(input) > 0 {
		framing += tokensReplyStart
	}
	for _, m := range output {
		for _, p := range m.Parts {
			partText(p, &out, &reasoning)
		}
	}
	total := in.bytes + out.bytes + reasoning.bytes
	inTokens := framing + c.scaled(in.count(c, share(in.bytes, total)))
	visible := c.scaled(out.count(c, share(out.bytes, total)))
	thought := c.scaled(reasoning.count(c, share(reasoning.bytes, total)))
	return store.Usage{
		InputTokens:     inTokens,
		OutputTokens:    visible + thought,
		ReasoningTokens: thought,
		TotalTokens:     inTokens + visible + thought,
	}
}

// partText adds what p holds for the model to read or write: reasoning to
// thoughts, everything else to text.
func partText(p tracium.Part, text, thoughts *texts) {
	switch p.Type {
	case tracium.PartText, tracium.PartRefusal:
		text.add(p.Content)
	case tracium.PartReasoning:
		thoughts.add(p.Content)
	case tracium.PartToolCall:
		text.add(p.Name)
		text.add(jsonText(p.Arguments))
	case tracium.PartToolCallResponse:
		text.add(jsonText(p.Response))
	default:
		if p.Type != tracium.PartBlob && p.Type != tracium.PartURI && p.Type != tracium.PartFile {
			text.add(p.Content) // a producer's own part type: its content, if any
		}
	}
}

// jsonText is the text a model sees of a JSON value: a string's contents,
// any other value's JSON.
func jsonText(v json.RawMessage) string {
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}

// minShare is the least a group is tokenized when it is cut, so that a
// short reasoning text beside a huge input still counts.
const minShare = 4 << 10

// share is a group's part of MaxText when the groups together hold total
// bytes: all of it when everything fits, else in proportion to its size
// (and at least minShare of it).
func share(bytes, total int) int {
	if total <= MaxText {
		return bytes
	}
	return min(bytes, max(int(int64(MaxText)*int64(bytes)/int64(total)), minShare))
}

// texts is one group of strings to count together.
type texts struct {
	parts []string
	bytes int
}

func (t *texts) add(s string) {
	if s != "" {
		t.parts = append(t.parts, s)
		t.bytes += len(s)
	}
}

// count tokenizes the group up to budget bytes and scales the count up by
// the bytes left out. It returns the raw tokenizer count.
func (t *texts) count(c Counter, budget int) int64 {
	if t.bytes == 0 {
		return 0
	}
	var tokens int64
	counted := 0
	for _, s := range t.parts {
		if counted >= budget {
			break
		}
		if rest := budget - counted; len(s) > rest {
			s = cutUTF8(s, rest)
		}
		tokens += c.raw(s)
		counted += len(s)
	}
	if counted >= t.bytes || counted == 0 {
		return tokens
	}
	return int64(math.Round(float64(tokens) * float64(t.bytes) / float64(counted)))
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does not
// split a character.
func cutUTF8(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
