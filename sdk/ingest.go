package tracium

// This file is the exporter's conversation with the collector: one POST
// per batch, retried within a bound, and the collector's answers turned
// into counts and errors.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// send posts e.body, retrying what is worth retrying within the retry
// policy. It returns how many spans and scores were accepted and how many
// failed.
func (e *exporter) send(ctx context.Context) (accepted, failed int, err error) {
	n := e.items()
	start := time.Now()
	p := e.cfg.retry
	if e.failFast {
		p.maxAttempts = 1
	}
	for attempt := 1; ; attempt++ {
		res := e.post(ctx)
		if !res.retry {
			e.failFast = false
			return res.accepted, n - res.accepted, res.err
		}
		delay := res.retryAfter
		if delay < 0 {
			delay = backoff(p, attempt)
		}
		if attempt >= p.maxAttempts || time.Since(start)+delay > p.maxElapsed {
			e.failFast = true
			return 0, n, fmt.Errorf("tracium: giving up on %d spans and scores after %d attempts: %w", n, attempt, res.err)
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return 0, n, fmt.Errorf("tracium: abandoned %d spans and scores: %w", n, ctx.Err())
		}
	}
}

// backoff is exponential with jitter in [d/2, d) so that many SDKs
// recovering from one outage do not retry in step.
func backoff(p retryPolicy, attempt int) time.Duration {
	d := p.maxDelay
	if attempt < 30 { // beyond that the shift would overflow
		d = p.baseDelay << (attempt - 1)
	}
	if d > p.maxDelay || d <= 0 {
		d = p.maxDelay
	}
	return d/2 + rand.N(d/2+1)
}

type postResult struct {
	accepted   int
	retry      bool
	retryAfter time.Duration // < 0: use backoff
	err        error
}

func (e *exporter) post(ctx context.Context) postResult {
	n, scores := e.encoded, len(e.scores)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, e.body.reader())
	if err != nil {
		return postResult{err: fmt.Errorf("tracium: build request: %w", err)}
	}
	req.ContentLength = int64(e.body.buf.Len())
	req.GetBody = func() (io.ReadCloser, error) { return e.body.reader(), nil }
	req.Header.Set("Authorization", "Bearer "+e.cfg.apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Idempotency-Key", e.batchKey)
	resp, err := e.cfg.httpClient.Do(req)
	if err != nil {
		return postResult{retry: ctx.Err() == nil, retryAfter: -1, err: &ExportError{Spans: n, Scores: scores, Err: err}}
	}
	defer resp.Body.Close()
	// Read the whole (small) answer so the connection can be reused.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusMultiStatus:
		var r IngestResponse
		if err := json.Unmarshal(body, &r); err != nil {
			return postResult{err: &ExportError{StatusCode: resp.StatusCode, Spans: n, Scores: scores, Err: err}}
		}
		return postResult{accepted: r.Accepted + r.AcceptedScores, err: &ExportError{
			StatusCode: resp.StatusCode, Spans: n - r.Accepted, Rejected: r.Rejected,
			Scores: scores - r.AcceptedScores, RejectedScores: r.RejectedScores,
			Message: "some spans or scores were rejected",
		}}
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return postResult{accepted: n + scores}
	}
	xe := &ExportError{StatusCode: resp.StatusCode, Spans: n, Scores: scores}
	var er ErrorResponse
	if json.Unmarshal(body, &er) == nil && er.Error.Code != "" {
		xe.Code, xe.Message = er.Error.Code, er.Error.Message
	} else {
		xe.Message = strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return postResult{retry: true, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()), err: xe}
	}
	return postResult{retry: resp.StatusCode >= 500, retryAfter: -1, err: xe}
}

// parseRetryAfter reads delay-seconds or an HTTP date; it returns -1 when
// the header is absent or unreadable, meaning "use backoff".
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return -1
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now))
	}
	return -1
}

// ExportError describes spans that did not reach the collector; the
// exporter passes it to the error handler.
type ExportError struct {
	// StatusCode is the collector's HTTP status, or 0 when the request
	// failed before an answer.
	StatusCode int
	// Code and Message are the collector's error code and message.
	Code    string
	Message string
	// Spans is how many spans were not accepted.
	Spans int
	// Rejected lists the spans a 207 answer refused, by batch index.
	Rejected []Rejection
	// Scores and RejectedScores are the same for scores.
	Scores         int
	RejectedScores []Rejection
	// Err is the underlying transport or decoding error, if any.
	Err error
}

// Error says how many spans were lost and why, naming the first few
// rejections of a 207.
func (e *ExportError) Error() string {
	var b strings.Builder
	b.WriteString("tracium: export of ")
	b.WriteString(strconv.Itoa(e.Spans))
	b.WriteString(" spans")
	if e.Scores > 0 {
		b.WriteString(" and ")
		b.WriteString(strconv.Itoa(e.Scores))
		b.WriteString(" scores")
	}
	b.WriteString(" failed")
	if e.StatusCode != 0 {
		b.WriteString(": HTTP ")
		b.WriteString(strconv.Itoa(e.StatusCode))
	}
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for i, r := range e.Rejected {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Rejected)-i)
			break
		}
		fmt.Fprintf(&b, "; span %d: %s", r.Index, r.Reason)
	}
	for i, r := range e.RejectedScores {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more scores", len(e.RejectedScores)-i)
			break
		}
		fmt.Fprintf(&b, "; score %d: %s", r.Index, r.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap gives the transport error, so errors.Is finds, for example,
// context.DeadlineExceeded.
func (e *ExportError) Unwrap() error { return e.Err }

// sharedBody is the exporter's reusable request body. http.Transport may
// read a request body after RoundTrip returns, so the exporter reuses the
// buffer only once every reader handed out has been closed, which the
// transport always does when it is finished with a body.
type sharedBody struct {
	buf     bytes.Buffer
	readers atomic.Int32
}

func (b *sharedBody) reader() io.ReadCloser {
	b.readers.Add(1)
	return &bodyReader{Reader: bytes.NewReader(b.buf.Bytes()), owner: b}
}

type bodyReader struct {
	*bytes.Reader
	owner  *sharedBody
	closed atomic.Bool
}

// Close releases the buffer for reuse; the transport may call it twice.
func (r *bodyReader) Close() error {
	if r.closed.CompareAndSwap(false, true) {
		r.owner.readers.Add(-1)
	}
	return nil
}
