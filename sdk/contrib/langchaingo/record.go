package traciumlangchaingo

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/tmc/langchaingo/schema"
)

// Bounds on what one span records of a run's values. Chain inputs and
// outputs are encoded when the callback comes, not when the span ends:
// LangChainGo hands one chain's output map to the next chain as its input,
// and a chain may change it.
const (
	// maxRecordedValues caps the JSON of a chain's inputs or outputs.
	maxRecordedValues = 64 << 10
	// maxRecordedField caps one string field: a tool's result, an
	// action's log.
	maxRecordedField = 16 << 10
	// maxDocuments and maxDocumentContent cap a retrieval's output.
	maxDocuments       = 50
	maxDocumentContent = 2 << 10
	// maxMetadata caps a document's metadata, as JSON.
	maxMetadata = 1 << 10
	// maxActions caps the actions an agent span lists.
	maxActions = 64
)

// boundedMap encodes a chain's inputs or outputs, key by key, so that one
// value JSON cannot encode (a function, a channel) costs only its own
// place. A string past the budget is cut to what is left of it; another
// value past it is left out. Both are named in "truncated".
func boundedMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(map[string]any, len(m))
	budget := maxRecordedValues
	var cut []string
	for _, k := range keys {
		v := encodeValue(m[k])
		if len(v) > budget {
			cut = append(cut, k)
			str, ok := m[k].(string)
			if !ok {
				continue
			}
			if v = fitString(str, budget); v == nil {
				continue
			}
		}
		budget -= len(v)
		out[k] = v
	}
	if cut != nil {
		out["truncated"] = cut
	}
	return out
}

// fitString returns the JSON of the longest prefix of s whose JSON fits
// in budget bytes, or nil when not even an empty string fits. It cuts the
// encoded string between escapes and characters, so that text full of
// quotes (a tool's JSON output) keeps as much as plain text does.
func fitString(s string, budget int) json.RawMessage {
	if budget < 2 {
		return nil
	}
	enc, _ := json.Marshal(s)
	end := 1 // after the opening quote
	for i := 1; i < len(enc)-1; {
		n := 1
		switch {
		case enc[i] == '\\' && enc[i+1] == 'u':
			n = 6
		case enc[i] == '\\':
			n = 2
		default:
			_, n = utf8.DecodeRune(enc[i:])
		}
		if i+n+1 > budget {
			break
		}
		i += n
		end = i
	}
	return append(enc[:end:end], '"')
}

// encodeValue returns v as JSON, or for a value JSON cannot encode its Go
// form as a JSON string. A MarshalJSON method that panics costs the
// value, not the program.
func encodeValue(v any) json.RawMessage {
	if s, ok := v.(string); ok && len(s) > maxRecordedValues {
		v = truncate(s, maxRecordedValues)
	}
	b, err := marshal(v)
	if err != nil {
		// fmt recovers from a panicking String or Error method itself.
		b, _ = json.Marshal(truncate(fmt.Sprintf("%v", v), maxRecordedField))
	}
	return b
}

// marshal is json.Marshal, with a panic turned into an error.
func marshal(v any) (b []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			b, err = nil, fmt.Errorf("encode value: panic: %v", p)
		}
	}()
	return json.Marshal(v)
}

// document is one retrieved document as a retrieval span records it.
type document struct {
	Content   string          `json:"page_content"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	Score     float32         `json:"score,omitempty"`
	Truncated bool            `json:"truncated,omitempty"`
}

// retrieval is a retrieval span's output.
type retrieval struct {
	Documents []document `json:"documents"`
	// Omitted counts the documents past maxDocuments, left out.
	Omitted int `json:"omitted,omitempty"`
}

// documents records what a retriever returned, each document's content
// and metadata cut to a bound.
func documents(docs []schema.Document) retrieval {
	out := retrieval{Documents: make([]document, 0, min(len(docs), maxDocuments))}
	for i, d := range docs {
		if i == maxDocuments {
			out.Omitted = len(docs) - maxDocuments
			break
		}
		rec := document{Content: truncate(d.PageContent, maxDocumentContent), Score: d.Score}
		rec.Truncated = len(rec.Content) < len(d.PageContent)
		if len(d.Metadata) > 0 {
			if md := encodeValue(d.Metadata); len(md) <= maxMetadata {
				rec.Metadata = md
			} else {
				rec.Truncated = true
			}
		}
		out.Documents = append(out.Documents, rec)
	}
	return out
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
