package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/store"
)

// Scores arrive two ways, both queued on JetStream and written by the
// writer as spans are, so that a 202 means durable: in /v1/ingest batches
// (Batch.Scores, from the SDK) and through POST /api/v1/scores (from code
// with an API key, or from a signed-in session). Either way each score is
// checked here against the configuration of its name, so that a value the
// project does not allow is refused with its reason rather than stored.

// Bounds of POST /api/v1/scores: one person or job scoring, not a bulk
// load (which /v1/ingest takes).
const (
	MaxScoreBodyBytes = 1 << 20
	MaxPostedScores   = 1000
)

// DefaultMaxScores bounds the scores of one /v1/ingest batch.
const DefaultMaxScores = 10_000

// ScoreConfigs reads a project's score configurations.
type ScoreConfigs interface {
	ListScoreConfigs(ctx context.Context, projectID int64) ([]store.ScoreConfig, error)
}

// configCacheTTL bounds how long a configuration changed in another
// process goes unseen; a change made in this process is seen at once
// (ForgetScoreConfigs).
const configCacheTTL = 10 * time.Second

// configCache keeps each project's configurations briefly, as the key
// cache keeps keys: ingest does not ask the database for every batch, and
// while the database is down the last answer holds.
type configCache struct {
	src ScoreConfigs
	mu  sync.Mutex
	m   map[int64]cachedConfigs
}

type cachedConfigs struct {
	configs []store.ScoreConfig
	expires time.Time
}

func (c *configCache) get(ctx context.Context, projectID int64) ([]store.ScoreConfig, error) {
	if c.src == nil {
		return nil, nil
	}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[projectID]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.configs, nil
	}
	cs, err := c.src.ListScoreConfigs(ctx, projectID)
	switch {
	case err != nil && ok:
		return e.configs, nil // the store is down: keep what it said last
	case err != nil:
		return nil, fmt.Errorf("score configs of project %d: %w: %w", projectID,
			respond.NewProblem(respond.ErrUnavailable, "", "cannot check the project's score names right now; nothing was stored, retry later"), err)
	}
	c.mu.Lock()
	if len(c.m) > 10_000 {
		clear(c.m) // bounded whatever the number of projects
	}
	c.m[projectID] = cachedConfigs{configs: cs, expires: now.Add(configCacheTTL)}
	c.mu.Unlock()
	return cs, nil
}

// ForgetScoreConfigs drops the cached configurations of a project, after
// they were changed in this process.
func (h *Handler) ForgetScoreConfigs(projectID int64) {
	h.configs.mu.Lock()
	delete(h.configs.m, projectID)
	h.configs.mu.Unlock()
}

// decodeScores decodes and checks each score of a request as ingest does
// at now: the caller is its author, source where it came from, and a score
// without an id gets one derived from the request's key and its index, so
// that a retried request names its scores the same. It returns the
// accepted scores and a rejection for every other.
func decodeScores(raw []json.RawMessage, now time.Time, w store.Window, configs []store.ScoreConfig,
	c auth.Caller, source store.ScoreSource, requestKey string) ([]store.Score, []Rejection) {
	scores := make([]store.Score, 0, len(raw))
	var rejected []Rejection
	for i, r := range raw {
		sc, err := decodeScore(r)
		if err == nil {
			sc.Source, sc.AuthorKeyID, sc.AuthorUserID = source, c.KeyID, c.UserID
			if sc.ID == "" {
				sum := sha256.Sum256([]byte(requestKey + ":" + strconv.Itoa(i)))
				sc.ID = hex.EncodeToString(sum[:store.ScoreIDLen/2])
			}
			if sc.Time.IsZero() {
				sc.Time = now
			}
			sc.Normalize()
			err = sc.ValidateAt(now, w)
		}
		if cfg := store.FindScoreConfig(configs, sc.Name); err == nil && cfg != nil {
			err = cfg.Check(sc.Value)
		}
		if err != nil {
			rejected = append(rejected, Rejection{Index: i, Reason: err.Error()})
			continue
		}
		scores = append(scores, sc)
	}
	return scores, rejected
}

// decodeScore reads one score in the wire format (tracium.ScoreData).
func decodeScore(raw json.RawMessage) (store.Score, error) {
	var d tracium.ScoreData
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // a number too big for a float64 is refused by name, not as malformed JSON
	if err := dec.Decode(&d); err != nil {
		var te *json.UnmarshalTypeError
		var pe *time.ParseError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return store.Score{}, fmt.Errorf("field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value)
		case errors.As(err, &pe):
			return store.Score{}, errors.New(`field "time": expected an RFC 3339 time string`)
		}
		return store.Score{}, fmt.Errorf("malformed score: %w", err)
	}
	v, err := store.ScoreValueOf(d.Value)
	if err != nil {
		return store.Score{}, err
	}
	return store.Score{ID: d.ID, TraceID: d.TraceID, SpanID: d.SpanID, Name: d.Name, Value: v, Comment: d.Comment, Time: d.Time}, nil
}

// splitScores reads the body of POST /api/v1/scores: one score, or an
// object whose only key is "scores", a list of them.
func splitScores(body []byte) ([]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf(`%w: the body must be a score object or {"scores": [...]}`, errMalformed)
	}
	list, ok := fields["scores"]
	if !ok {
		return []json.RawMessage{body}, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(list, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf(`%w: "scores" must be a list of score objects`, errMalformed)
	}
	if len(raw) > MaxPostedScores {
		return nil, respond.NewProblem(respond.ErrTooLarge, "too_many_scores", fmt.Sprintf("more than %d scores in one request; send bulk scores through /v1/ingest", MaxPostedScores))
	}
	if len(raw) == 0 {
		return nil, respond.NewProblem(respond.ErrBadRequest, "no_scores", `"scores" is empty`)
	}
	return raw, nil
}

// postedBody is the 202 answer of POST /api/v1/scores.
type postedBody struct {
	Accepted int      `json:"accepted"`
	IDs      []string `json:"ids"`
}

// PostScores serves POST /api/v1/scores for a caller the query API
// authenticated (an API key, or a session with its CSRF token): one score
// or {"scores": [...]}, each checked against its name's configuration.
// Either every score is taken or none is: a bad one answers 400 naming
// it. 202 means the scores are queued durably; they are readable once the
// writer has stored them, moments later.
func (h *Handler) PostScores(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	sw := &statusWriter{ResponseWriter: w}
	defer func() { h.requests.Inc(endpointScores, strconv.Itoa(sw.status)) }()
	w = sw
	fail := func(err error) { respond.Fail(w, r, h.cfg.Logger, h.explain(w, r, endpointScores, err)) }
	if !c.CanWrite() {
		fail(respond.NewProblem(respond.ErrForbidden, "", "viewers cannot score traces"))
		return
	}
	if c.KeyID != 0 && !h.limiter.allow(c.KeyID, time.Now()) {
		fail(respond.NewProblem(respond.ErrRateLimited, "", "too many requests for this API key; retry after the Retry-After delay"))
		return
	}
	limit := min(h.cfg.MaxBodyBytes, MaxScoreBodyBytes)
	if r.ContentLength > limit {
		hangUp(w)
		fail(h.tooLargeFor(limit))
		return
	}
	claim, err := h.budget.enter(r.Context())
	if err != nil {
		fail(err)
		return
	}
	defer claim.release()
	body, err := readBody(r.Body, r.Header.Get("Content-Encoding"), limit, func(n int64) error { return claim.hold(r.Context(), n) })
	if errors.Is(err, errTooLarge) {
		hangUp(w)
		err = h.tooLargeFor(limit)
	}
	if err != nil {
		fail(err)
		return
	}
	raw, err := splitScores(body)
	if err != nil {
		fail(err)
		return
	}
	configs, err := h.configs.get(r.Context(), c.ProjectID)
	if err != nil {
		fail(err)
		return
	}
	key := idempotencyKey(r, c.ProjectID, body)
	scores, rejected := decodeScores(raw, time.Now(), h.cfg.Window, configs, c, store.SourceAPI, key)
	h.rejectedScores.Add(float64(len(rejected)), endpointScores)
	if len(rejected) > 0 {
		msg := fmt.Sprintf("score %d: %s", rejected[0].Index, rejected[0].Reason)
		if len(raw) == 1 {
			msg = rejected[0].Reason
		}
		respond.JSON(w, respond.Describe(respond.ErrBadRequest).Status, struct {
			respond.ErrorBody
			Rejected []Rejection `json:"rejected"`
		}{respond.ErrorBody{Error: respond.ErrorDetail{Code: "invalid_scores", Message: msg + "; nothing was stored"}}, rejected})
		return
	}
	if err := h.publish(r.Context(), c.ProjectID, key, nil, nil, scores); err != nil {
		fail(fmt.Errorf("project %d: %w: %w", c.ProjectID,
			respond.NewProblem(respond.ErrUnavailable, "", "the queue is unavailable; nothing was stored, retry later"), err))
		return
	}
	h.acceptedScores.Add(float64(len(scores)), endpointScores)
	ids := make([]string, len(scores))
	for i, sc := range scores {
		ids[i] = sc.ID
	}
	respond.JSON(w, http.StatusAccepted, postedBody{Accepted: len(scores), IDs: ids})
}

func (h *Handler) tooLargeFor(limit int64) error {
	return respond.NewProblem(respond.ErrTooLarge, "body_too_large", fmt.Sprintf("the body exceeds %d bytes (after decompression)", limit))
}
