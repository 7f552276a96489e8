package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/server/ui/chart"
	"github.com/tracium/tracium/store"
)

// BenchmarkBarsManyModels is the dashboard's by-model chart for 20,000
// model names (a client can send any name): a standard library sort and
// at most maxBars bars, where an insertion sort took 16.7 s.
func BenchmarkBarsManyModels(b *testing.B) {
	rows := make([]store.UsageRow, 20_000)
	for i := range rows {
		rows[i] = store.UsageRow{Key: fmt.Sprintf("model-%05d", i), CostUSD: float64((i * 7919) % 20_000)}
	}
	b.ReportAllocs()
	for b.Loop() {
		bars("Cost by model", rows, func(r store.UsageRow) float64 { return r.CostUSD }, chart.FormatUSD)
	}
}

// BenchmarkChatMessagesDeep reads a 1 MB input whose tool-call arguments
// nest 500 levels deep: one decode, where the old parser re-read each
// level (36 s).
func BenchmarkChatMessagesDeep(b *testing.B) {
	args := strings.Repeat(`{"a":`, 500) + `"` + strings.Repeat("x", 1<<20) + `"` + strings.Repeat("}", 500)
	raw, _ := json.Marshal(tracium.Chat{Messages: []tracium.Message{{Role: tracium.RoleAssistant,
		Parts: []tracium.Part{{Type: tracium.PartToolCall, Name: "deep", Arguments: json.RawMessage(args)}}}}})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if m := chatMessages(raw, rawLimit); len(m) != 1 {
			b.Fatal("not read")
		}
	}
}
