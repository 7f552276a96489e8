package llmtest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	tracium "github.com/tracium/tracium/sdk"
)

// replySize is the size of the benchmark's answers: a long completion.
const replySize = 20 << 10

// benchClients returns openai-go clients that differ only in their
// transport: a bare http.Transport, and the same wrapped by Tracium. Both
// run inside one agent run, so the traced client records a span per call.
func benchClients(b *testing.B, fake *fakeProvider) benchBundle {
	b.Helper()
	collector.SetDiscard(true)
	b.Cleanup(func() { collector.SetDiscard(false) })
	c, run := client.AgentTrace(b.Context(), "bench")
	b.Cleanup(run.End)
	noRetry := option.WithMaxRetries(0)
	return benchBundle{
		ctx:    c,
		plain:  newOpenAI(fake.URL, noRetry, option.WithHTTPClient(&http.Client{Transport: &http.Transport{}})),
		traced: newOpenAI(fake.URL, noRetry, option.WithHTTPClient(&http.Client{Transport: tracium.Transport(&http.Transport{})})),
	}
}

type benchBundle struct {
	ctx           context.Context
	plain, traced openai.Client
}

// BenchmarkChatCompletion measures the latency Tracium adds to a call
// whose answer is 20 KB: compare "traced" with "plain".
func BenchmarkChatCompletion(b *testing.B) {
	fake := newFakeProvider(b, fakeOptions{Words: padWords(replySize)})
	cc := benchClients(b, fake)
	for _, bc := range []struct {
		name string
		c    openai.Client
	}{{"plain", cc.plain}, {"traced", cc.traced}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := bc.c.Chat.Completions.New(cc.ctx, openAIParams())
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Choices[0].Message.Content) < replySize {
					b.Fatalf("short answer: %d bytes", len(res.Choices[0].Message.Content))
				}
			}
		})
	}
}

// BenchmarkStreamFirstChunk measures the time from the call to the first
// chunk of a 20 KB stream; the rest of the stream is read untimed.
func BenchmarkStreamFirstChunk(b *testing.B) {
	fake := newFakeProvider(b, fakeOptions{Words: padWords(replySize), NoFirstChunkDelay: true})
	cc := benchClients(b, fake)
	p := openAIParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	for _, bc := range []struct {
		name string
		c    openai.Client
	}{{"plain", cc.plain}, {"traced", cc.traced}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var first time.Duration
			n := 0
			for b.Loop() {
				start := time.Now()
				stream := bc.c.Chat.Completions.NewStreaming(cc.ctx, p)
				if !stream.Next() {
					b.Fatal(stream.Err())
				}
				first += time.Since(start)
				b.StopTimer()
				for stream.Next() {
				}
				if err := stream.Err(); err != nil {
					b.Fatal(err)
				}
				stream.Close()
				n++
				b.StartTimer()
			}
			b.ReportMetric(float64(first.Nanoseconds())/float64(n), "first-chunk-ns")
		})
	}
}
