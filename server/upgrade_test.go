package server_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tracium/tracium/server/queue"
	"github.com/tracium/tracium/store"
)

// TestJSONBatchesAfterUpgrade: batches that an earlier collector queued
// as JSON (the request body as the client sent it, as it queued a batch
// valid throughout) are still in the stream when this one starts; it
// writes them, beside batches it queued itself, on both backends.
func TestJSONBatchesAfterUpgrade(t *testing.T) {
	t.Parallel()
	for _, backend := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, options{postgres: backend.postgres, externalNATS: true})
			p := b.defaultProject(t)
			b.stop()

			// What the earlier collector left in the stream: two requests'
			// bodies, one of them with spaced JSON inside its spans.
			q, err := queue.Open(t.Context(), queue.Config{URL: b.cfg.NATSURL})
			if err != nil {
				t.Fatal(err)
			}
			old := [][]store.Span{agentTrace(), agentTrace()}
			old[1][0].Input = json.RawMessage(`{"question":"<why>?"}`)
			spaced := json.RawMessage(`{ "question" : "<why>?" }`)
			for i, spans := range old {
				payload := body(t, spans...)
				if i == 1 { // as the client sent it, not as encoding/json writes it
					payload = bytes.Replace(payload, []byte(`{"question":"\u003cwhy\u003e?"}`), spaced, 1)
				}
				if err := q.Publish(t.Context(), p.ID, "earlier-"+spans[0].TraceID, payload); err != nil {
					t.Fatalf("publish old batch %d: %v", i, err)
				}
			}
			q.Close()

			cfg := b.cfg
			cfg.Addr = freeAddr(t)
			b2 := start(t, cfg)
			current := agentTrace()
			if r := b2.post(t, b2.key, body(t, current...)); r.status != 202 {
				t.Fatalf("status %d", r.status)
			}
			for _, spans := range append(old, current) {
				b.waitTrace(t, b.store, p.ID, spans[0].TraceID, int64(len(spans)))
			}
			root, err := b.store.GetSpan(t.Context(), p.ID, old[1][0].TraceID, old[1][0].SpanID)
			if err != nil || !bytes.Equal(root.Input, spaced) {
				t.Errorf("old batch's root input %s (%v); want %s as queued", root.Input, err, spaced)
			}
		})
	}
}
