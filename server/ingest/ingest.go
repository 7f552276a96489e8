// Package ingest is the collector's write API: POST /v1/ingest takes a
// batch of spans and scores from an SDK, authenticated by an sk_live_ key,
// and POST /api/v1/scores takes scores from the REST API; both answer 202
// only once what they took is durably queued.
package ingest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/metrics"
	"github.com/tracium/tracium/server/queue"
	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/store"
)

// Publisher queues accepted spans; Publish returns once they are durable,
// and keeps nothing of payload, which the caller reuses.
type Publisher interface {
	Publish(ctx context.Context, projectID int64, msgID string, payload []byte) error
	MaxPayload() int64
}

// Authenticator resolves an API key's secret.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (store.APIKey, error)
}

// Config bounds what one request may send and what all of them may hold.
type Config struct {
	MaxBodyBytes int64   // decompressed; DefaultMaxBodyBytes
	MaxSpans     int     // per request; DefaultMaxSpans
	MaxScores    int     // per /v1/ingest request; DefaultMaxScores
	RateLimit    float64 // requests per second per key; 0 means DefaultRateLimit, <0 none
	RateBurst    int     // DefaultRateBurst
	// MaxConcurrent bounds the requests read and decoded at once;
	// DefaultMaxConcurrent.
	MaxConcurrent int
	// MemoryBytes bounds the bytes those requests hold at once (bodies as
	// read and decompressed, and their decoded spans); DefaultMemoryBytes.
	// It must leave room for one body of MaxBodyBytes.
	MemoryBytes int64
	// BudgetWait is how long a request may wait for its share of the two
	// bounds above before it is refused with 503; DefaultBudgetWait. One
	// request at a time waits for memory; the others are refused at once
	// meanwhile.
	BudgetWait time.Duration
	// Window bounds the start times accepted around the collector's clock.
	Window store.Window
	// PublishTimeout bounds the wait for the queue's acknowledgement.
	PublishTimeout time.Duration
	// BodyTimeout bounds the time an OTLP/gRPC export's message takes to
	// arrive once admitted; DefaultBodyTimeout. (HTTP bodies are bounded
	// by the server's router.)
	BodyTimeout time.Duration
	// ScoreConfigs are the projects' score names, which scores are
	// checked against; nil checks none.
	ScoreConfigs ScoreConfigs
	Logger       *slog.Logger
	Metrics      *metrics.Registry
}

// Defaults for Config.
const (
	DefaultMaxBodyBytes   = 10 << 20
	DefaultMaxSpans       = 10_000
	DefaultRateLimit      = 200
	DefaultRateBurst      = 400
	DefaultMaxConcurrent  = 64
	DefaultMemoryBytes    = 256 << 20
	DefaultBudgetWait     = time.Second
	DefaultPublishTimeout = 10 * time.Second
	DefaultBodyTimeout    = 30 * time.Second
)

// MinMemoryBytes is the least MemoryBytes that lets one body of
// maxBodyBytes through.
func MinMemoryBytes(maxBodyBytes int64) int64 { return (decodeFactor + 1) * (maxBodyBytes + 1) }

func (c *Config) validate() error {
	c.MaxBodyBytes = cmp.Or(c.MaxBodyBytes, DefaultMaxBodyBytes)
	c.MaxSpans = cmp.Or(c.MaxSpans, DefaultMaxSpans)
	c.MaxScores = cmp.Or(c.MaxScores, DefaultMaxScores)
	c.RateLimit = cmp.Or(c.RateLimit, DefaultRateLimit)
	c.RateBurst = cmp.Or(c.RateBurst, DefaultRateBurst)
	c.MaxConcurrent = cmp.Or(c.MaxConcurrent, DefaultMaxConcurrent)
	c.MemoryBytes = cmp.Or(c.MemoryBytes, DefaultMemoryBytes)
	c.BudgetWait = cmp.Or(c.BudgetWait, DefaultBudgetWait)
	c.PublishTimeout = cmp.Or(c.PublishTimeout, DefaultPublishTimeout)
	c.BodyTimeout = cmp.Or(c.BodyTimeout, DefaultBodyTimeout)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.NewRegistry()
	}
	if min := MinMemoryBytes(c.MaxBodyBytes); c.MemoryBytes < min {
		return fmt.Errorf("ingest memory of %d bytes cannot hold one body of %d bytes as it is decoded; give it at least %d", c.MemoryBytes, c.MaxBodyBytes, min)
	}
	return nil
}

// Handler serves the ingest API. It is safe for concurrent use.
type Handler struct {
	cfg      Config
	auth     Authenticator
	queue    Publisher
	limiter  *rateLimiter
	budget   *budget
	requests *metrics.Counter
	accepted *metrics.Counter
	rejected *metrics.Counter
	refused  *metrics.Counter
	configs  *configCache

	acceptedScores, rejectedScores *metrics.Counter
}

// New returns the ingest handler, or an error when cfg is inconsistent.
func New(cfg Config, a Authenticator, q Publisher) (*Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Handler{
		cfg: cfg, auth: a, queue: q,
		limiter:        newRateLimiter(cfg.RateLimit, cfg.RateBurst),
		budget:         newBudget(cfg.MaxConcurrent, cfg.MemoryBytes, cfg.BudgetWait),
		requests:       cfg.Metrics.NewCounter("tracium_ingest_requests_total", "Ingest requests by endpoint and response status (HTTP status, or gRPC code).", "endpoint", "status"),
		accepted:       cfg.Metrics.NewCounter("tracium_ingest_spans_accepted_total", "Spans accepted and queued, by endpoint.", "endpoint"),
		rejected:       cfg.Metrics.NewCounter("tracium_ingest_spans_rejected_total", "Spans rejected as invalid, by endpoint.", "endpoint"),
		refused:        cfg.Metrics.NewCounter("tracium_ingest_overloaded_total", "Ingest requests refused at the concurrency or memory limit, by endpoint.", "endpoint"),
		configs:        &configCache{src: cfg.ScoreConfigs, m: map[int64]cachedConfigs{}},
		acceptedScores: cfg.Metrics.NewCounter("tracium_ingest_scores_accepted_total", "Scores accepted and queued, by endpoint.", "endpoint"),
		rejectedScores: cfg.Metrics.NewCounter("tracium_ingest_scores_rejected_total", "Scores rejected as invalid, by endpoint.", "endpoint"),
	}, nil
}

// Routes mounts the ingest API on r.
func (h *Handler) Routes(r chi.Router) {
	r.Post("/v1/ingest", h.ingest)
	r.Post("/v1/traces", h.otlpHTTP)
}

// Endpoints, as the metrics name them.
const (
	endpointIngest   = "/v1/ingest"
	endpointOTLPHTTP = "/v1/traces"
	endpointOTLPGRPC = "otlp-grpc"
	endpointScores   = "/api/v1/scores"
)

// acceptedBody is the 202 and 207 response (tracium.IngestResponse).
type acceptedBody struct {
	Accepted       int         `json:"accepted"`
	Rejected       []Rejection `json:"rejected,omitempty"`
	AcceptedScores int         `json:"accepted_scores,omitempty"`
	RejectedScores []Rejection `json:"rejected_scores,omitempty"`
}

// ingest answers before it reads the body whatever it can: credentials,
// rate and declared size are checked first, so that a client without a
// key cannot make the collector hold its body.
func (h *Handler) ingest(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	defer func() { h.requests.Inc(endpointIngest, strconv.Itoa(sw.status)) }()
	w = sw

	key, err := h.authenticate(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		if errors.Is(err, auth.ErrUnauthorized) {
			hangUp(w)
		}
		h.fail(w, r, err)
		return
	}
	if !h.limiter.allow(key.ID, time.Now()) {
		h.fail(w, r, respond.NewProblem(respond.ErrRateLimited, "", "too many requests for this API key; retry after the Retry-After delay"))
		return
	}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		hangUp(w)
		h.fail(w, r, h.tooLarge())
		return
	}
	c, err := h.budget.enter(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer c.release()
	b, err := h.read(r, c, key)
	if err != nil {
		if errors.Is(err, errSlowBody) || errors.Is(err, errTooLarge) {
			hangUp(w)
		}
		h.fail(w, r, err)
		return
	}
	h.rejected.Add(float64(len(b.rejected)), endpointIngest)
	h.rejectedScores.Add(float64(len(b.rejectedScores)), endpointIngest)
	if len(b.spans) == 0 && len(b.scores) == 0 {
		if len(b.rejected) == 0 && len(b.rejectedScores) == 0 {
			respond.JSON(w, http.StatusAccepted, acceptedBody{})
			return
		}
		respond.JSON(w, respond.Describe(respond.ErrBadRequest).Status, struct {
			respond.ErrorBody
			Rejected       []Rejection `json:"rejected"`
			RejectedScores []Rejection `json:"rejected_scores,omitempty"`
		}{respond.ErrorBody{Error: respond.ErrorDetail{Code: "invalid_spans", Message: "no span or score in the batch is valid"}}, b.rejected, b.rejectedScores})
		return
	}
	if err := h.publish(r.Context(), key.ProjectID, b.key, b.body, b.spans, b.scores); err != nil {
		h.fail(w, r, fmt.Errorf("project %d: %w: %w", key.ProjectID,
			respond.NewProblem(respond.ErrUnavailable, "", "the span queue is unavailable; nothing was stored, retry later"), err))
		return
	}
	h.accepted.Add(float64(len(b.spans)), endpointIngest)
	h.acceptedScores.Add(float64(len(b.scores)), endpointIngest)
	status := http.StatusAccepted
	if len(b.rejected) > 0 || len(b.rejectedScores) > 0 {
		status = http.StatusMultiStatus
	}
	respond.JSON(w, status, acceptedBody{Accepted: len(b.spans), Rejected: b.rejected,
		AcceptedScores: len(b.scores), RejectedScores: b.rejectedScores})
}

// decoded is a request's batch, decoded and checked.
type decoded struct {
	body                     []byte
	key                      string
	spans                    []store.Span
	scores                   []store.Score
	rejected, rejectedScores []Rejection
}

// read reads, decodes and validates the body within the request's claim
// on the budget: the claim grows with the body, then covers its decoding.
func (h *Handler) read(r *http.Request, c *claim, key store.APIKey) (decoded, error) {
	hold := func(n int64) error { return c.hold(r.Context(), n) }
	body, err := readBodySized(r.Body, r.Header.Get("Content-Encoding"), r.ContentLength, h.cfg.MaxBodyBytes, hold)
	if err != nil {
		return decoded{}, err
	}
	if err := hold(int64(cap(body)) + decodeFactor*int64(len(body))); err != nil {
		return decoded{}, err
	}
	parts, err := splitBatch(body, h.cfg.MaxSpans, h.cfg.MaxScores)
	if err != nil {
		return decoded{}, err
	}
	now := time.Now()
	d := decoded{body: body, key: idempotencyKey(r, key.ProjectID, body)}
	d.spans, d.rejected = decodeSpans(parts.spans, now, h.cfg.Window)
	if len(parts.scores) > 0 {
		configs, err := h.configs.get(r.Context(), key.ProjectID)
		if err != nil {
			return decoded{}, err
		}
		d.scores, d.rejectedScores = decodeScores(parts.scores, now, h.cfg.Window, configs, auth.FromKey(key), store.SourceSDK, d.key)
	}
	return d, nil
}

// fail answers err through the one error map, with the codes clients of
// ingest know.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	respond.Fail(w, r, h.cfg.Logger, h.explain(w, r, endpointIngest, err))
}

// explain is problem plus the headers an HTTP answer to it calls for.
func (h *Handler) explain(w http.ResponseWriter, r *http.Request, endpoint string, err error) error {
	err = h.problem(endpoint, err)
	if errors.Is(err, auth.ErrUnauthorized) && r.Header.Get("Authorization") != "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tracium", error="invalid_token"`)
	}
	return err
}

// problem turns the errors of reading a request into the problems the
// client is told of, and counts the refusals.
func (h *Handler) problem(endpoint string, err error) error {
	switch {
	case errors.Is(err, errTooLarge):
		err = h.tooLarge()
	case errors.Is(err, errTooManySpans):
		err = respond.NewProblem(respond.ErrTooLarge, "too_many_spans", fmt.Sprintf("more than %d spans in one request", h.cfg.MaxSpans))
	case errors.Is(err, errTooManyScores):
		err = respond.NewProblem(respond.ErrTooLarge, "too_many_scores", fmt.Sprintf("more than %d scores in one request", h.cfg.MaxScores))
	case errors.Is(err, errSlowBody):
		err = respond.NewProblem(respond.ErrRequestTimeout, "body_timeout", "the body did not arrive within the read deadline")
	case errors.Is(err, queue.ErrFull):
		err = queueFull(err)
	case errors.Is(err, respond.ErrOverloaded):
		h.refused.Inc(endpoint)
	case errors.Is(err, errMalformed):
		err = respond.NewProblem(respond.ErrBadRequest, "malformed_json", err.Error())
	}
	return err
}

// authenticate resolves the key of an Authorization header (HTTP's, or
// gRPC's metadata of the same name).
func (h *Handler) authenticate(ctx context.Context, authorization string) (store.APIKey, error) {
	secret, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok {
		return store.APIKey{}, respond.NewProblem(auth.ErrUnauthorized, "", "missing API key: send Authorization: Bearer sk_live_...")
	}
	key, err := h.auth.Authenticate(ctx, strings.TrimSpace(secret))
	switch {
	case errors.Is(err, auth.ErrUnauthorized):
		return key, respond.NewProblem(auth.ErrUnauthorized, "", "invalid or revoked API key")
	case err != nil:
		return key, fmt.Errorf("check API key: %w: %w", respond.NewProblem(respond.ErrUnavailable, "", "cannot check the API key right now; retry later"), err)
	}
	return key, nil
}

func (h *Handler) tooLarge() error {
	return respond.NewProblem(respond.ErrTooLarge, "body_too_large",
		fmt.Sprintf("the body exceeds %d bytes (after decompression)", h.cfg.MaxBodyBytes))
}

// hangUp closes the connection after the response instead of keeping it
// to read the rest of a body that will not be used: an unauthenticated or
// oversized body is never waited for beyond hangUpGrace. The grace lets
// the server take in what the client already sent, so that closing with
// unread bytes does not reset the connection before the client has read
// its answer.
func hangUp(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(hangUpGrace))
}

// hangUpGrace is how long a refused body may still arrive.
const hangUpGrace = time.Second

// statusWriter remembers the status for the request counter.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
