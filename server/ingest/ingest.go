// Package ingest is the collector's write API: POST /v1/ingest takes a
// batch of spans from an SDK, authenticated by an sk_live_ key, and answers
// 202 only once the batch is durably queued.
package ingest

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
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
	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/store"
)

// Publisher queues accepted spans; Publish returns once they are durable.
type Publisher interface {
	Publish(ctx context.Context, projectID int64, msgID string, payload []byte) error
	MaxPayload() int64
}

// Authenticator resolves an API key's secret.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (store.APIKey, error)
}

// Config bounds what one request may send.
type Config struct {
	MaxBodyBytes int64   // decompressed; DefaultMaxBodyBytes
	MaxSpans     int     // per request; DefaultMaxSpans
	RateLimit    float64 // requests per second per key; 0 means DefaultRateLimit, <0 none
	RateBurst    int     // DefaultRateBurst
	// PublishTimeout bounds the wait for the queue's acknowledgement.
	PublishTimeout time.Duration
	Logger         *slog.Logger
	Metrics        *metrics.Registry
}

// Defaults for Config.
const (
	DefaultMaxBodyBytes   = 10 << 20
	DefaultMaxSpans       = 10_000
	DefaultRateLimit      = 200
	DefaultRateBurst      = 400
	DefaultPublishTimeout = 10 * time.Second
	// retryAfter is what 429 and 503 responses ask clients to wait.
	retryAfterSeconds = 2
)

func (c *Config) validate() {
	c.MaxBodyBytes = cmp.Or(c.MaxBodyBytes, DefaultMaxBodyBytes)
	c.MaxSpans = cmp.Or(c.MaxSpans, DefaultMaxSpans)
	c.RateLimit = cmp.Or(c.RateLimit, DefaultRateLimit)
	c.RateBurst = cmp.Or(c.RateBurst, DefaultRateBurst)
	c.PublishTimeout = cmp.Or(c.PublishTimeout, DefaultPublishTimeout)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.NewRegistry()
	}
}

// Handler serves the ingest API.
type Handler struct {
	cfg      Config
	auth     Authenticator
	queue    Publisher
	limiter  *rateLimiter
	requests *metrics.Counter
	accepted *metrics.Counter
	rejected *metrics.Counter
}

// New returns the ingest handler.
func New(cfg Config, a Authenticator, q Publisher) *Handler {
	cfg.validate()
	return &Handler{
		cfg: cfg, auth: a, queue: q,
		limiter:  newRateLimiter(cfg.RateLimit, cfg.RateBurst),
		requests: cfg.Metrics.NewCounter("tracium_ingest_requests_total", "Ingest requests by response status.", "status"),
		accepted: cfg.Metrics.NewCounter("tracium_ingest_spans_accepted_total", "Spans accepted and queued."),
		rejected: cfg.Metrics.NewCounter("tracium_ingest_spans_rejected_total", "Spans rejected as invalid."),
	}
}

// Routes mounts the ingest API on r.
func (h *Handler) Routes(r chi.Router) {
	r.Post("/v1/ingest", h.ingest)
}

// acceptedBody is the 202 and 207 response.
type acceptedBody struct {
	Accepted int         `json:"accepted"`
	Rejected []Rejection `json:"rejected,omitempty"`
}

func (h *Handler) ingest(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	defer func() { h.requests.Inc(strconv.Itoa(sw.status)) }()
	w = sw

	key, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	if !h.limiter.allow(key.ID, time.Now()) {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
		respond.Error(w, http.StatusTooManyRequests, "rate_limited", "too many requests for this API key; retry after the Retry-After delay")
		return
	}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		h.tooLarge(w)
		return
	}
	body, err := readBody(r.Body, r.Header.Get("Content-Encoding"), h.cfg.MaxBodyBytes)
	switch {
	case errors.Is(err, errTooLarge):
		h.tooLarge(w)
		return
	case err != nil:
		respond.Error(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	batch, err := decodeBatch(body)
	if err != nil {
		respond.Error(w, http.StatusBadRequest, "malformed_json", err.Error())
		return
	}
	if len(batch.Spans) > h.cfg.MaxSpans {
		respond.Error(w, http.StatusRequestEntityTooLarge, "too_many_spans",
			fmt.Sprintf("%d spans in one request; the limit is %d", len(batch.Spans), h.cfg.MaxSpans))
		return
	}
	spans, rejected := decodeSpans(batch.Spans)
	h.rejected.Add(float64(len(rejected)))
	if len(spans) == 0 {
		if len(rejected) == 0 {
			respond.JSON(w, http.StatusAccepted, acceptedBody{})
			return
		}
		respond.JSON(w, http.StatusBadRequest, struct {
			respond.ErrorBody
			Rejected []Rejection `json:"rejected"`
		}{respond.ErrorBody{Error: respond.ErrorDetail{Code: "invalid_spans", Message: "no span in the batch is valid"}}, rejected})
		return
	}
	// A batch that was valid throughout goes on as sent: the writer
	// normalises again, and re-encoding 1 KB prompts costs more than that.
	var asSent []byte
	if len(rejected) == 0 && int64(len(body)) <= h.queue.MaxPayload()-4096 {
		asSent = body
	}
	if err := h.publish(r.Context(), key.ProjectID, idempotencyKey(r, key.ProjectID, body), asSent, spans); err != nil {
		h.cfg.Logger.Warn("ingest: queue unavailable", "project", key.ProjectID, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
		respond.Error(w, http.StatusServiceUnavailable, "unavailable", "the span queue is unavailable; nothing was stored, retry later")
		return
	}
	h.accepted.Add(float64(len(spans)))
	status := http.StatusAccepted
	if len(rejected) > 0 {
		status = http.StatusMultiStatus
	}
	respond.JSON(w, status, acceptedBody{Accepted: len(spans), Rejected: rejected})
}

func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (store.APIKey, bool) {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tracium"`)
		respond.Error(w, http.StatusUnauthorized, "unauthorized", "missing API key: send Authorization: Bearer sk_live_...")
		return store.APIKey{}, false
	}
	key, err := h.auth.Authenticate(r.Context(), strings.TrimSpace(secret))
	switch {
	case errors.Is(err, auth.ErrUnauthorized):
		w.Header().Set("WWW-Authenticate", `Bearer realm="tracium", error="invalid_token"`)
		respond.Error(w, http.StatusUnauthorized, "unauthorized", "invalid or revoked API key")
		return key, false
	case err != nil:
		h.cfg.Logger.Warn("ingest: cannot check API key", "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
		respond.Error(w, http.StatusServiceUnavailable, "unavailable", "cannot check the API key right now; retry later")
		return key, false
	}
	return key, true
}

func (h *Handler) tooLarge(w http.ResponseWriter) {
	respond.Error(w, http.StatusRequestEntityTooLarge, "body_too_large",
		fmt.Sprintf("the body exceeds %d bytes (after decompression)", h.cfg.MaxBodyBytes))
}

// publish queues the body as sent when it is given, else spans in as
// many messages as the queue's payload limit needs. Each message id derives from the request's, so a retried request
// is stored once even when its first attempt was partly queued.
func (h *Handler) publish(ctx context.Context, projectID int64, id string, asSent []byte, spans []store.Span) error {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.PublishTimeout)
	defer cancel()
	chunks := [][]byte{asSent}
	if asSent == nil {
		var err error
		if chunks, err = encodeChunks(spans, h.queue.MaxPayload()-4096); err != nil {
			return err
		}
	}
	for i, c := range chunks {
		if err := h.queue.Publish(ctx, projectID, id+"-"+strconv.Itoa(i), c); err != nil {
			return err
		}
	}
	return nil
}

// encodeChunks encodes spans as Batch bodies of at most limit bytes each
// (a single span larger than limit goes alone).
func encodeChunks(spans []store.Span, limit int64) ([][]byte, error) {
	var chunks [][]byte
	cur := []byte(`{"spans":[`)
	n := 0
	for i := range spans {
		b, err := json.Marshal(&spans[i])
		if err != nil {
			return nil, fmt.Errorf("encode span: %w", err)
		}
		if n > 0 && int64(len(cur)+len(b)+2) > limit {
			chunks = append(chunks, append(cur, "]}"...))
			cur, n = []byte(`{"spans":[`), 0
		}
		if n > 0 {
			cur = append(cur, ',')
		}
		cur = append(cur, b...)
		n++
	}
	return append(chunks, append(cur, "]}"...)), nil
}

// idempotencyKey names a request: the client's Idempotency-Key when it
// sends one, else the hash of the body. Either is scoped by project.
func idempotencyKey(r *http.Request, projectID int64, body []byte) string {
	h := sha256.New()
	var pid [8]byte
	binary.BigEndian.PutUint64(pid[:], uint64(projectID))
	h.Write(pid[:])
	if k := r.Header.Get("Idempotency-Key"); k != "" && len(k) <= 200 {
		h.Write([]byte("key:" + k))
	} else {
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

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

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
