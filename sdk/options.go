package tracium

import (
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults for the options of Init. They suit a process that ends a few
// thousand spans a second; raise DefaultMaxQueueSize for bursts larger
// than that.
const (
	DefaultEndpoint      = "http://localhost:8080"
	DefaultBatchSize     = 512
	DefaultFlushInterval = time.Second
	DefaultMaxQueueSize  = 8192
	DefaultSampleRate    = 1.0
	// DefaultAutoInstrument is the starting value of every
	// WithAutoInstrument* option: instrumentation is opt-out.
	DefaultAutoInstrument = true
)

// Environment variables read by Trace and Init. Explicit options win over
// them.
const (
	EnvAPIKey           = "TRACIUM_API_KEY"
	EnvEndpoint         = "TRACIUM_ENDPOINT"
	EnvDefaultAgentName = "TRACIUM_DEFAULT_AGENT_NAME"
	EnvDefaultTags      = "TRACIUM_DEFAULT_TAGS"
	EnvDisabled         = "TRACIUM_DISABLED"

	// The switches of the WithAutoInstrument* options, read as booleans
	// ("false", "0" turn one off): the way to set them in a program that
	// has no Tracium code of its own (an Orchestrion build).
	EnvAutoInstrumentLLMClients  = "TRACIUM_AUTO_INSTRUMENT_LLM_CLIENTS"
	EnvAutoInstrumentLangChain   = "TRACIUM_AUTO_INSTRUMENT_LANGCHAIN"
	EnvAutoInstrumentLangGraph   = "TRACIUM_AUTO_INSTRUMENT_LANGGRAPH"
	EnvAutoInstrumentHTTPServers = "TRACIUM_AUTO_INSTRUMENT_HTTP_SERVERS"
)

// Option configures a Client built by Init.
type Option func(*config)

// config is what the options fill in; Init reads the environment first so
// that options override it.
type config struct {
	apiKey           string
	endpoint         string
	defaultAgentName string
	defaultTags      []string
	disabled         bool

	autoLLMClients       bool
	autoLangChain        bool
	autoLangGraph        bool
	autoHTTPServers      bool
	wrapDefaultTransport bool
	autoOTel             bool

	llmDetection bool
	llmHosts     []string
	llmPaths     []string

	httpClient    *http.Client
	batchSize     int
	flushInterval time.Duration
	maxQueueSize  int
	sampleRate    float64
	redact        func(*SpanData)
	errorHandler  func(error)

	retry retryPolicy
}

// retryPolicy bounds how long one batch may be retried; tests shorten it.
type retryPolicy struct {
	maxAttempts int
	baseDelay   time.Duration
	maxDelay    time.Duration
	maxElapsed  time.Duration
}

var defaultRetry = retryPolicy{
	maxAttempts: 5,
	baseDelay:   250 * time.Millisecond,
	maxDelay:    8 * time.Second,
	maxElapsed:  30 * time.Second,
}

func defaultConfig() config {
	return config{
		endpoint:             DefaultEndpoint,
		autoLLMClients:       DefaultAutoInstrument,
		autoLangChain:        DefaultAutoInstrument,
		autoLangGraph:        DefaultAutoInstrument,
		autoHTTPServers:      DefaultAutoInstrument,
		autoOTel:             DefaultAutoInstrument,
		wrapDefaultTransport: true,
		llmDetection:         true,
		batchSize:            DefaultBatchSize,
		flushInterval:        DefaultFlushInterval,
		maxQueueSize:         DefaultMaxQueueSize,
		sampleRate:           DefaultSampleRate,
		retry:                defaultRetry,
	}
}

// applyEnv overlays the TRACIUM_* variables that are set and non-empty.
func (c *config) applyEnv() {
	if v := os.Getenv(EnvAPIKey); v != "" {
		c.apiKey = v
	}
	if v := os.Getenv(EnvEndpoint); v != "" {
		c.endpoint = v
	}
	if v := os.Getenv(EnvDefaultAgentName); v != "" {
		c.defaultAgentName = v
	}
	if v := os.Getenv(EnvDefaultTags); v != "" {
		c.defaultTags = splitTags(v)
	}
	if v := os.Getenv(EnvDisabled); v != "" {
		c.disabled, _ = strconv.ParseBool(strings.TrimSpace(v))
	}
	envSwitch(EnvAutoInstrumentLLMClients, &c.autoLLMClients)
	envSwitch(EnvAutoInstrumentLangChain, &c.autoLangChain)
	envSwitch(EnvAutoInstrumentLangGraph, &c.autoLangGraph)
	envSwitch(EnvAutoInstrumentHTTPServers, &c.autoHTTPServers)
}

// envSwitch sets *on from the boolean variable name when it is set to
// something strconv.ParseBool reads; anything else leaves *on as it is.
func envSwitch(name string, on *bool) {
	if v, err := strconv.ParseBool(strings.TrimSpace(os.Getenv(name))); err == nil {
		*on = v
	}
}

// normalize replaces out-of-range values with defaults instead of failing:
// a tracing SDK must not stop an application from starting.
func (c *config) normalize() {
	c.endpoint = strings.TrimRight(strings.TrimSpace(c.endpoint), "/")
	if c.endpoint == "" {
		c.endpoint = DefaultEndpoint
	}
	if c.maxQueueSize <= 0 {
		c.maxQueueSize = DefaultMaxQueueSize
	}
	if c.batchSize <= 0 {
		c.batchSize = DefaultBatchSize
	}
	c.batchSize = min(c.batchSize, c.maxQueueSize)
	if c.flushInterval <= 0 {
		c.flushInterval = DefaultFlushInterval
	}
	if math.IsNaN(c.sampleRate) {
		c.sampleRate = DefaultSampleRate
	}
	c.sampleRate = max(0, min(1, c.sampleRate))
	if c.httpClient == nil {
		c.httpClient = &http.Client{Timeout: 30 * time.Second}
	}
}

func splitTags(s string) []string {
	var tags []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

// WithAPIKey sets the project API key (sk_live_...), overriding
// TRACIUM_API_KEY.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithEndpoint sets the collector's base URL, overriding TRACIUM_ENDPOINT;
// spans are posted to endpoint + "/v1/ingest".
func WithEndpoint(url string) Option { return func(c *config) { c.endpoint = url } }

// WithDefaultAgentName names the agent of traces that StartSpan begins
// without an AgentTrace, overriding TRACIUM_DEFAULT_AGENT_NAME.
func WithDefaultAgentName(name string) Option {
	return func(c *config) { c.defaultAgentName = name }
}

// WithDefaultTags sets tags added to every trace's root span, overriding
// TRACIUM_DEFAULT_TAGS.
func WithDefaultTags(tags ...string) Option {
	return func(c *config) { c.defaultTags = append([]string(nil), tags...) }
}

// WithAutoInstrumentLLMClients turns the automatic instrumentation of LLM
// provider clients on or off (on by default).
func WithAutoInstrumentLLMClients(on bool) Option {
	return func(c *config) { c.autoLLMClients = on }
}

// WithAutoInstrumentLangChain turns the automatic LangChain instrumentation
// on or off (on by default).
func WithAutoInstrumentLangChain(on bool) Option {
	return func(c *config) { c.autoLangChain = on }
}

// WithAutoInstrumentLangGraph turns the automatic LangGraph instrumentation
// on or off (on by default).
func WithAutoInstrumentLangGraph(on bool) Option {
	return func(c *config) { c.autoLangGraph = on }
}

// WithAutoInstrumentHTTPServers turns the tracing of net/http servers that
// an Orchestrion build wraps on or off (on by default); servers wrapped by
// hand with HTTPMiddleware are traced either way.
func WithAutoInstrumentHTTPServers(on bool) Option {
	return func(c *config) { c.autoHTTPServers = on }
}

// WithDefaultTransport says whether Init wraps http.DefaultTransport with
// Transport while LLM clients are auto-instrumented (on by default). Off,
// the global is left as it is (still an *http.Transport for code that
// asserts so) and LLM calls are recorded only by clients built with
// Middleware, Transport or HTTPClient: what an Orchestrion build does, as
// it gives every LLM client Tracium's middleware where it is constructed.
func WithDefaultTransport(on bool) Option {
	return func(c *config) { c.wrapDefaultTransport = on }
}

// WithAutoInstrumentOpenTelemetry turns the OpenTelemetry bridge
// (sdk/contrib/otel) on or off (on by default). Off, its span processor
// sends nothing and OpenTelemetry spans no longer nest with Tracium's.
func WithAutoInstrumentOpenTelemetry(on bool) Option {
	return func(c *config) { c.autoOTel = on }
}

// WithLLMDetection turns the recording of LLM calls by Transport and
// Middleware on or off (on by default). Off, they only propagate
// traceparent. Like the other LLM options it applies to calls made under
// this client's traces, and to calls outside any trace when this client is
// the default.
func WithLLMDetection(on bool) Option { return func(c *config) { c.llmDetection = on } }

// WithLLMHosts adds hosts (as in URL.Hostname, compared without case)
// whose POST requests are recorded as OpenAI-compatible chat calls,
// whatever their path: for gateways that do not use the usual paths.
func WithLLMHosts(hosts ...string) Option {
	return func(c *config) { c.llmHosts = append(c.llmHosts, hosts...) }
}

// WithLLMPaths adds path suffixes (such as "/v1/generate") whose POST
// requests are recorded as OpenAI-compatible chat calls, on any host.
func WithLLMPaths(paths ...string) Option {
	return func(c *config) { c.llmPaths = append(c.llmPaths, paths...) }
}

// WithHTTPClient sets the client the exporter posts batches with; its
// Transport is where proxies and TLS settings go. The default has a 30 s
// timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.httpClient = hc } }

// WithBatchSize sets how many spans are sent per request at most
// (DefaultBatchSize); a full batch is sent without waiting for the timer.
func WithBatchSize(n int) Option { return func(c *config) { c.batchSize = n } }

// WithFlushInterval sets how long an ended span may wait before a partial
// batch is sent (DefaultFlushInterval).
func WithFlushInterval(d time.Duration) Option { return func(c *config) { c.flushInterval = d } }

// WithMaxQueueSize bounds how many ended spans may wait to be sent
// (DefaultMaxQueueSize). Spans that end while the queue is full are
// dropped and counted in Stats.Dropped, so memory stays bounded when the
// collector is unreachable.
func WithMaxQueueSize(n int) Option { return func(c *config) { c.maxQueueSize = n } }

// WithSampleRate keeps the given fraction of traces, between 0 and 1
// (DefaultSampleRate keeps all). The decision is made once per trace at its
// root from the trace id, so a trace is kept or dropped whole; a trace
// continued from a traceparent header follows the header's sampled flag.
func WithSampleRate(rate float64) Option { return func(c *config) { c.sampleRate = rate } }

// WithRedact installs a hook that may mask or clear fields of every span
// before it leaves the process. It runs on the exporter's goroutine, never
// on the goroutine that ends the span, so it may be slow without slowing
// the application; it must not retain the *SpanData.
func WithRedact(fn func(*SpanData)) Option { return func(c *config) { c.redact = fn } }

// WithErrorHandler receives the SDK's errors: an invalid API key, dropped
// spans, batches the collector refused. It is called from the exporter's
// goroutine and from Init, so it must be safe for concurrent use and
// return quickly. The default logs through log/slog's default logger.
func WithErrorHandler(fn func(error)) Option { return func(c *config) { c.errorHandler = fn } }

// withRetryPolicy shortens the retry schedule so tests do not wait.
func withRetryPolicy(p retryPolicy) Option { return func(c *config) { c.retry = p } }
