package traciumeino

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components/embedding"
	"github.com/cloudwego/eino/components/indexer"
	"github.com/cloudwego/eino/components/retriever"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/schema"

	tracium "github.com/tracium/tracium/sdk"
)

// Bounds on what one span records, so that a large state or document set
// costs a bounded encoding.
const (
	// maxValueBytes caps a node's or graph's encoded input or output; a
	// longer encoding is kept as a string of its first maxValueBytes.
	maxValueBytes = 64 << 10
	// maxDocContent caps each document's content in a retrieval span.
	maxDocContent = 1 << 10
	// maxDocs caps the documents listed in a retrieval span.
	maxDocs = 100
	// maxTexts caps the texts listed in an embedding span.
	maxTexts = 100
)

// recordInput records what the run was called with.
func (r *run) recordInput(input callbacks.CallbackInput) {
	s := r.span
	switch r.kind {
	case kindModel:
		r.modelIn = input
	case kindTool:
		if in := tool.ConvCallbackInput(input); in != nil {
			s.RecordInput(boundedJSON(tracium.JSONValue(in.ArgumentsInJSON)))
		}
	case kindRetriever:
		if in := retriever.ConvCallbackInput(input); in != nil {
			q := retrievalQuery{Query: cut(in.Query, maxValueBytes), TopK: in.TopK, Filter: in.Filter, ScoreThreshold: in.ScoreThreshold}
			s.RecordInput(q)
		}
	case kindIndexer:
		if in := indexer.ConvCallbackInput(input); in != nil {
			s.RecordInput(map[string]any{"documents": documents(in.Docs)})
		}
	case kindEmbedding:
		if in := embedding.ConvCallbackInput(input); in != nil {
			texts := in.Texts[:min(len(in.Texts), maxTexts)]
			cuts := make([]string, len(texts))
			for i, t := range texts {
				cuts[i] = cut(t, maxDocContent)
			}
			s.RecordInput(map[string]any{"texts": cuts, "count": len(in.Texts)})
			if in.Config != nil && in.Config.Model != "" {
				s.SetRequestModel(in.Config.Model)
			}
		}
	default:
		if input != nil {
			s.RecordInput(boundedJSON(input))
		}
	}
}

// finish records the run's output and ends its spans.
func (r *run) finish(output callbacks.CallbackOutput) {
	r.logEnd(true)
	s := r.span
	switch r.kind {
	case kindModel:
		r.recordModel(modelAnswer(output), false)
	case kindTool:
		if out := tool.ConvCallbackOutput(output); out != nil {
			s.RecordOutput(toolResult(out))
		}
	case kindRetriever:
		if out := retriever.ConvCallbackOutput(output); out != nil {
			s.RecordOutput(map[string]any{"documents": documents(out.Docs)})
		}
	case kindIndexer:
		if out := indexer.ConvCallbackOutput(output); out != nil {
			s.RecordOutput(map[string]any{"ids": out.IDs[:min(len(out.IDs), maxDocs)], "count": len(out.IDs)})
		}
	case kindEmbedding:
		if out := embedding.ConvCallbackOutput(output); out != nil {
			recordEmbedding(s, out)
		}
	default:
		if output != nil {
			s.RecordOutput(boundedJSON(output))
		}
	}
	r.endSpans()
}

type retrievalQuery struct {
	Query          string   `json:"query"`
	TopK           int      `json:"top_k,omitempty"`
	Filter         string   `json:"filter,omitempty"`
	ScoreThreshold *float64 `json:"score_threshold,omitempty"`
}

// document is a retrieved or indexed document as a span records it.
type document struct {
	ID      string  `json:"id"`
	Score   float64 `json:"score,omitempty"`
	Content string  `json:"content,omitempty"`
}

func documents(docs []*schema.Document) []document {
	out := make([]document, 0, min(len(docs), maxDocs))
	for _, d := range docs {
		if len(out) == maxDocs {
			break
		}
		if d != nil {
			out = append(out, document{ID: d.ID, Score: d.Score(), Content: cut(d.Content, maxDocContent)})
		}
	}
	return out
}

func toolResult(out *tool.CallbackOutput) json.RawMessage {
	if out.Response != "" || out.ToolOutput == nil {
		return boundedJSON(tracium.JSONValue(out.Response))
	}
	return boundedJSON(out.ToolOutput)
}

func recordEmbedding(s *tracium.Span, out *embedding.CallbackOutput) {
	dims := 0
	if len(out.Embeddings) > 0 {
		dims = len(out.Embeddings[0])
	}
	s.RecordOutput(map[string]int{"count": len(out.Embeddings), "dimensions": dims})
	if s.LLMCallRecorded() {
		return // the wire's model and usage are exact
	}
	if out.Config != nil && out.Config.Model != "" {
		s.SetModel(out.Config.Model)
	}
	if u := out.TokenUsage; u != nil {
		s.SetUsage(tracium.Usage{InputTokens: int64(u.PromptTokens),
			OutputTokens: int64(u.CompletionTokens), TotalTokens: int64(u.PromptTokens + u.CompletionTokens)})
	}
}

// boundedJSON encodes v, keeping an encoding longer than maxValueBytes as
// a JSON string of its beginning; a value that cannot be encoded is
// recorded as the error's text.
func boundedJSON(v any) json.RawMessage {
	if raw, ok := v.(json.RawMessage); ok && len(raw) <= maxValueBytes {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal("tracium: cannot encode value as JSON: " + err.Error())
		return b
	}
	if len(b) > maxValueBytes {
		b, _ = json.Marshal(cut(string(b), maxValueBytes) + "…")
	}
	return b
}

// cut returns s shortened to at most n bytes, at a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
