package tracium

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// ErrInvalidAPIKey is reported to the error handler when the API key is
// missing or is not sk_live_ followed by at least 32 letters and digits.
var ErrInvalidAPIKey = errors.New("tracium: missing or malformed API key (want sk_live_ followed by at least 32 letters and digits); tracing is disabled")

const apiKeyPrefix = "sk_live_"

// Client sends the spans of the traces it starts to one collector. All of
// its methods are safe for concurrent use. A Client must be shut down with
// Shutdown to send what is still queued.
type Client struct {
	cfg config
	// exp is nil when the client is a no-op: spans still work as values
	// but End does not queue them.
	exp *exporter
	// sampleBound is sampleRate scaled to the 63-bit range compared with
	// the trace id, so the per-trace decision needs no floating point.
	sampleBound uint64
	// attached are the exporters of other libraries' spans (AddExporter).
	attached attachedExporters
}

func newNoopClient() *Client {
	cfg := defaultConfig()
	cfg.normalize()
	return &Client{cfg: cfg}
}

func newClient(opts ...Option) *Client {
	cfg := defaultConfig()
	cfg.applyEnv()
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	cfg.normalize()
	c := &Client{cfg: cfg, sampleBound: sampleBound(cfg.sampleRate)}
	if cfg.disabled {
		return c
	}
	if !validAPIKey(cfg.apiKey) {
		c.reportError(ErrInvalidAPIKey)
		return c
	}
	if cfg.autoLLMClients && cfg.wrapDefaultTransport {
		installDefaultTransport()
	}
	c.exp = newExporter(c)
	return c
}

func sampleBound(rate float64) uint64 {
	if rate >= 1 {
		return 1 << 63
	}
	return uint64(rate * (1 << 63))
}

// sampled decides for a new root: the trace id's random low bits against
// the bound, so every SDK instance that sees the id agrees.
func (c *Client) sampled(t traceID) bool {
	if c.sampleBound >= 1<<63 {
		return true
	}
	var x uint64
	for _, b := range t[8:] {
		x = x<<8 | uint64(b)
	}
	return x>>1 < c.sampleBound
}

func validAPIKey(key string) bool {
	rest, ok := strings.CutPrefix(key, apiKeyPrefix)
	if !ok || len(rest) < 32 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// reportError hands err to the error handler. A panicking handler is
// logged rather than allowed to take down the exporter goroutine.
func (c *Client) reportError(err error) {
	if c.cfg.errorHandler != nil {
		defer func() {
			if p := recover(); p != nil {
				slog.Default().Error("tracium: error handler panicked", "panic", p, "error", err)
			}
		}()
		c.cfg.errorHandler(err)
		return
	}
	// Every SDK error already starts with "tracium:".
	slog.Default().Error(err.Error())
}

// Enabled reports whether the client sends spans; it is false for a
// disabled client or one without a valid API key.
func (c *Client) Enabled() bool { return c != nil && c.exp != nil }

// AutoInstrumentLLMClients reports whether LLM provider clients should be
// instrumented automatically.
func (c *Client) AutoInstrumentLLMClients() bool { return c.cfg.autoLLMClients }

// AutoInstrumentOpenTelemetry reports whether OpenTelemetry spans should
// be sent to the collector and nest with Tracium's (sdk/contrib/otel).
func (c *Client) AutoInstrumentOpenTelemetry() bool { return c.cfg.autoOTel }

// AutoInstrumentLangChain reports whether LangChain should be instrumented
// automatically.
func (c *Client) AutoInstrumentLangChain() bool { return c.cfg.autoLangChain }

// AutoInstrumentLangGraph reports whether LangGraph should be instrumented
// automatically.
func (c *Client) AutoInstrumentLangGraph() bool { return c.cfg.autoLangGraph }

// AutoInstrumentHTTPServers reports whether the net/http servers an
// Orchestrion build wraps should be traced.
func (c *Client) AutoInstrumentHTTPServers() bool { return c.cfg.autoHTTPServers }

// DefaultAgentName returns the agent name given to traces that StartSpan
// begins without an AgentTrace.
func (c *Client) DefaultAgentName() string { return c.cfg.defaultAgentName }

// Flush sends every span that has ended and every score queued so far,
// and returns when the collector has answered for all of them, or when
// ctx is done (then it returns ctx.Err and they stay queued). What the
// collector refused is reported to the error handler, not returned. The
// exporters added with AddExporter are flushed too. Safe for concurrent
// use.
func (c *Client) Flush(ctx context.Context) error {
	if c == nil || c.exp == nil {
		return nil
	}
	err := c.flushAttached(ctx, false)
	return cmpErr(c.exp.flush(ctx), err)
}

// Shutdown flushes everything queued and stops the background goroutine.
// Spans that end afterwards are dropped. It returns ctx.Err if ctx ends
// first, abandoning what is left. Only the first call does anything; later
// calls return nil. The exporters added with AddExporter are shut down
// too. Safe for concurrent use.
func (c *Client) Shutdown(ctx context.Context) error {
	if c == nil || c.exp == nil {
		return nil
	}
	err := c.flushAttached(ctx, true)
	return cmpErr(c.exp.shutdown(ctx), err)
}

// Stats is a snapshot of a Client's exporter counters. Each counts spans
// and scores together.
type Stats struct {
	// Queued is how many ended spans and queued scores are waiting to be
	// sent right now.
	Queued int64
	// Sent is how many the collector has accepted.
	Sent int64
	// Dropped is how many were discarded without being tried: the queue
	// was full, or the client was shut down.
	Dropped int64
	// Failed is how many were tried and not accepted: refused by the
	// collector, or still failing when retries ran out.
	Failed int64
}

// Stats returns the exporter's counters. Safe for concurrent use.
func (c *Client) Stats() Stats {
	if c == nil || c.exp == nil {
		return Stats{}
	}
	return c.exp.stats()
}

// String describes the client for logs without revealing the API key.
func (c *Client) String() string {
	return fmt.Sprintf("tracium.Client{endpoint: %q, enabled: %t}", c.cfg.endpoint, c.Enabled())
}
