package traciumlangchaingo_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/schema"
	"github.com/tmc/langchaingo/vectorstores"

	tracium "github.com/tracium/tracium/sdk"
	traciumlangchaingo "github.com/tracium/tracium/sdk/contrib/langchaingo"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

// wordStore is a small in-memory vector store that scores a document by
// the words it shares with the query.
type wordStore struct{ docs []schema.Document }

func (s *wordStore) AddDocuments(_ context.Context, docs []schema.Document, _ ...vectorstores.Option) ([]string, error) {
	s.docs = append(s.docs, docs...)
	ids := make([]string, len(docs))
	for i := range docs {
		ids[i] = docs[i].Metadata["id"].(string)
	}
	return ids, nil
}

func (s *wordStore) SimilaritySearch(_ context.Context, query string, n int, _ ...vectorstores.Option) ([]schema.Document, error) {
	words := strings.Fields(strings.ToLower(query))
	var found []schema.Document
	for _, d := range s.docs {
		shared := 0
		for _, w := range strings.Fields(strings.ToLower(d.PageContent)) {
			if slices.Contains(words, strings.Trim(w, ".,?")) {
				shared++
			}
		}
		if shared > 0 {
			d.Score = float32(shared) / float32(len(words))
			found = append(found, d)
		}
	}
	slices.SortStableFunc(found, func(a, b schema.Document) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return found[:min(n, len(found))], nil
}

func newStore(t testing.TB) *wordStore {
	t.Helper()
	s := &wordStore{}
	_, err := s.AddDocuments(context.Background(), []schema.Document{
		{PageContent: "Otters eat fish and crabs.", Metadata: map[string]any{"id": "doc-1"}},
		{PageContent: "Sea otters hold hands while they sleep.", Metadata: map[string]any{"id": "doc-2"}},
		{PageContent: "Badgers dig setts.", Metadata: map[string]any{"id": "doc-3"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantDocuments is what the retrieval span records for "what do otters
// eat": the two otter documents, best first.
var wantDocuments = map[string]any{"documents": []any{
	map[string]any{"page_content": "Otters eat fish and crabs.", "metadata": map[string]any{"id": "doc-1"}, "score": 0.5},
	map[string]any{"page_content": "Sea otters hold hands while they sleep.", "metadata": map[string]any{"id": "doc-2"}, "score": 0.25},
}}

func checkRetrieval(t *testing.T, s tracium.SpanData, parent, query string) {
	t.Helper()
	if s.Type != tracium.SpanRetrieval || s.Name != "retriever" || s.ParentSpanID != parent || s.Status != "ok" {
		t.Errorf("span %s %q under %s (%s), want retrieval \"retriever\" under %s", s.Type, s.Name, s.ParentSpanID, s.Status, parent)
	}
	if s.Attributes[tracium.AttrFramework] != "langchaingo" || s.Attributes["retrieval.documents"] != float64(2) {
		t.Errorf("retrieval attributes %v, want framework langchaingo and 2 documents", s.Attributes)
	}
	checkJSON(t, "retrieval input", s.Input, map[string]any{"query": query})
	checkJSON(t, "retrieval output", s.Output, wantDocuments)
}

func TestRetrieverRecordsTheDocuments(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{})
	r := vectorstores.ToRetriever(newStore(t), 2)
	r.CallbacksHandler = e.h
	docs, err := r.GetRelevantDocuments(e.ctx, "what do otters eat")
	if err != nil || len(docs) != 2 {
		t.Fatalf("%d documents, %v", len(docs), err)
	}
	tr := e.finish()
	if len(tr.spans) != 2 {
		t.Fatalf("%d spans, want the run and the retrieval:\n%s", len(tr.spans), tr)
	}
	checkRetrieval(t, tr.only(tracium.SpanRetrieval), e.run.SpanID(), "what do otters eat")
}

func TestRetrievalQA(t *testing.T) {
	t.Parallel()
	e := setup(t, fakellm.Options{Replies: []fakellm.Reply{{Text: "Fish and crabs."}}})
	r := vectorstores.ToRetriever(newStore(t), 2)
	r.CallbacksHandler = e.h
	qa := traciumlangchaingo.Chain(chains.NewRetrievalQAFromLLM(e.llm, r))
	out, err := chains.Call(e.ctx, qa, map[string]any{"query": "what do otters eat"})
	if err != nil || out["text"] != "Fish and crabs." {
		t.Fatalf("output %v, %v", out, err)
	}
	tr := e.finish()
	if len(tr.spans) != 4 || e.modelCalls() != 1 {
		t.Fatalf("%d spans for %d model calls, want run, chain, retrieval, llm:\n%s", len(tr.spans), e.modelCalls(), tr)
	}
	chain := onlyChild(t, tr, e.run.SpanID(), tracium.SpanChain)
	checkChain(t, chain, tracium.SpanChain, "RetrievalQA", e.run.SpanID(), map[string]any{"query": "what do otters eat"}, map[string]any{"text": "Fish and crabs."})
	retrieval := tr.only(tracium.SpanRetrieval)
	checkRetrieval(t, retrieval, chain.SpanID, "what do otters eat")
	llm := tr.only(tracium.SpanLLM)
	// StuffDocuments and its LLMChain carry no handler: the model's span
	// hangs from the RetrievalQA chain, after the retrieval.
	checkLLM(t, llm, llmWant{parent: chain.SpanID, input: chatLines(t, llm.Input), text: "Fish and crabs.", wire: true})
	if prompt := strings.Join(chatLines(t, llm.Input), "\n"); !strings.Contains(prompt, "Otters eat fish and crabs.\n\nSea otters hold hands") || !strings.Contains(prompt, "what do otters eat") {
		t.Errorf("prompt %q lacks the documents or the question", prompt)
	}
	if llm.StartTime.Before(retrieval.EndTime) {
		t.Errorf("the llm span starts %v before the retrieval ends %v", llm.StartTime, retrieval.EndTime)
	}
	checkWithin(t, retrieval, chain)
	checkWithin(t, llm, chain)
}
