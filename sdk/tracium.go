// Package tracium is the Go SDK of Tracium, an observability product for
// LLM applications and agents.
//
// One line sets it up from the environment (TRACIUM_API_KEY,
// TRACIUM_ENDPOINT, TRACIUM_DEFAULT_AGENT_NAME, TRACIUM_DEFAULT_TAGS,
// TRACIUM_DISABLED):
//
//	client := tracium.Trace()
//	defer client.Shutdown(context.Background())
//
// Work is recorded as spans grouped in traces. An AgentTrace is the root
// span of one agent run; StartSpan nests a span under whatever trace or span
// the context carries, and starts a new trace on the default client when it
// carries none. Ended spans are queued and sent in gzip-compressed batches
// by one background goroutine per Client; the application never blocks on
// the collector, and when the queue is full spans are dropped and counted.
//
// # LLM calls, with no other code
//
// Trace and Init wrap http.DefaultTransport, so every call the official
// clients make (openai-go, anthropic-sdk-go, google.golang.org/genai,
// go-openai, and anything speaking their wire formats: Azure OpenAI,
// OpenRouter, vLLM, Ollama) becomes an llm span under whatever span its
// context carries: the messages sent and returned in one recorded chat
// shape (Chat), the model asked for and the one that answered, token usage
// under one convention for every provider (Usage), cost, latency, errors,
// and for streams the time to first token. Streams are teed, never
// buffered.
//
// Build clients after Trace runs: openai-go and anthropic-sdk-go take the
// default transport when NewClient runs, so a client built before Trace,
// in a package-level variable for example, is not traced. Such a client,
// or one with its own http.Client, takes Middleware (option.WithMiddleware)
// or Transport.
//
// Inject, Extract and HTTPMiddleware carry traces across services with the
// W3C traceparent header; RequestTracer is what the framework integrations
// under sdk/contrib build their server spans with.
//
// A Client whose API key is missing or malformed, or that TRACIUM_DISABLED
// turns off, reports one error and becomes a no-op: spans still work as
// values, nothing is sent.
package tracium

import (
	"context"
	"sync/atomic"
)

// defaultClient is the one piece of package state: the Client that
// StartSpan, Flush and Shutdown use when the context names none. Init
// replaces it atomically so concurrent span starts never see a torn value.
var defaultClient atomic.Pointer[Client]

// noopClient stands in before Init so that StartSpan is always safe.
var noopClient = newNoopClient()

// Trace sets up a Client from the environment with every
// auto-instrumentation on, makes it the default client and returns it. It
// is Init with no options; see Init for what happens on a bad API key.
func Trace() *Client { return Init() }

// Init builds a Client from the environment overlaid with opts, makes it
// the default client and returns it. A missing or malformed API key, or
// TRACIUM_DISABLED=true, gives a no-op Client (the key problem is reported
// once to the error handler) instead of an error, so that tracing can never
// stop an application from starting. The previous default client keeps
// running until its own Shutdown. Safe for concurrent use.
func Init(opts ...Option) *Client {
	c := newClient(opts...)
	defaultClient.Store(c)
	return c
}

// NewClient builds a Client like Init but does not make it the default: for
// a second destination, or tests that keep their spans apart. Spans reach
// it through its AgentTrace, its HTTPMiddleware or an integration's client
// option; spans started under them follow it.
func NewClient(opts ...Option) *Client { return newClient(opts...) }

// DefaultClient returns the client set by the latest Init or Trace, or a
// no-op client before either. Safe for concurrent use.
func DefaultClient() *Client {
	if c := defaultClient.Load(); c != nil {
		return c
	}
	return noopClient
}

// Flush sends everything the default client has queued; see Client.Flush.
func Flush(ctx context.Context) error { return DefaultClient().Flush(ctx) }

// Shutdown flushes and stops the default client; see Client.Shutdown.
func Shutdown(ctx context.Context) error { return DefaultClient().Shutdown(ctx) }
