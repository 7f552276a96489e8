package store_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/storetest"
)

// BenchmarkSearchWords finds the words of two traces' search texts: the
// benchmarks' fixture trace (ten spans of 1 KB) and a chat of ten LLM
// calls, each sent the conversation so far.
func BenchmarkSearchWords(b *testing.B) {
	fixture := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 1 << 10, Start: time.Now(), Spacing: time.Millisecond}.Trace(0)
	var chat []store.Span
	var history []map[string]string
	for i := range 10 {
		history = append(history, map[string]string{"role": "user", "content": fmt.Sprintf("question %d: why is the sky blue at %d o'clock?", i, i)})
		in, _ := json.Marshal(history)
		answer := map[string]string{"role": "assistant", "content": strings.Repeat(fmt.Sprintf("Because of Rayleigh scattering, part %d. ", i), 8)}
		out, _ := json.Marshal(answer)
		history = append(history, answer)
		chat = append(chat, store.Span{Name: "chat", Input: in, Output: out})
	}
	for _, tc := range []struct {
		name  string
		spans []store.Span
	}{{"fixture", fixture}, {"chat", chat}} {
		text := store.Summarize(tc.spans).SearchText
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				store.SearchWords(text)
			}
		})
	}
}
