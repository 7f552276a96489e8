package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tracium/tracium/store"
)

// publish queues the body as sent when it is given, else spans and
// scores in as many messages as the queue's payload limit needs. Each
// message id derives from the request's, so a retried request is stored
// once even when its first attempt was partly queued.
func (h *Handler) publish(ctx context.Context, projectID int64, id string, asSent []byte, spans []store.Span, scores []store.Score) error {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.PublishTimeout)
	defer cancel()
	chunks := [][]byte{asSent}
	if asSent == nil {
		var err error
		if chunks, err = encodeChunks(spans, scores, h.queue.MaxPayload()-4096); err != nil {
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

// encodeChunks encodes spans and scores as batch bodies,
// {"spans":[...],"scores":[...]}, of at most limit bytes each (a single
// span larger than limit goes alone).
func encodeChunks(spans []store.Span, scores []store.Score, limit int64) ([][]byte, error) {
	c := chunker{limit: limit}
	for i := range spans {
		b, err := json.Marshal(&spans[i])
		if err != nil {
			return nil, fmt.Errorf("encode span: %w", err)
		}
		c.add(b, false)
	}
	for i := range scores {
		b, err := json.Marshal(scores[i])
		if err != nil {
			return nil, fmt.Errorf("encode score: %w", err)
		}
		c.add(b, true)
	}
	c.flush()
	return c.chunks, nil
}

// chunker fills batch bodies with encoded spans, then scores.
type chunker struct {
	limit         int64
	chunks        [][]byte
	buf           []byte
	spans, scores int
}

func (c *chunker) add(b []byte, score bool) {
	if c.spans+c.scores > 0 && int64(len(c.buf)+len(b)+len(`],"scores":[]}`)) > c.limit {
		c.flush()
	}
	if c.buf == nil {
		c.buf = []byte(`{"spans":[`)
	}
	switch {
	case score && c.scores == 0:
		c.buf = append(c.buf, `],"scores":[`...)
	case score || c.spans > 0:
		c.buf = append(c.buf, ',')
	}
	if score {
		c.scores++
	} else {
		c.spans++
	}
	c.buf = append(c.buf, b...)
}

func (c *chunker) flush() {
	if c.buf == nil {
		c.buf = []byte(`{"spans":[`)
	}
	c.chunks = append(c.chunks, append(c.buf, "]}"...))
	c.buf, c.spans, c.scores = nil, 0, 0
}

// idempotencyKey names a request: the client's Idempotency-Key when it
// sends one, else the hash of the body. Either is scoped by project.
func idempotencyKey(r *http.Request, projectID int64, body []byte) string {
	return requestID(projectID, r.Header.Get("Idempotency-Key"), body)
}

// requestID is idempotencyKey for a request whose client key (possibly
// empty) and body are given.
func requestID(projectID int64, clientKey string, body []byte) string {
	h := sha256.New()
	var pid [8]byte
	binary.BigEndian.PutUint64(pid[:], uint64(projectID))
	h.Write(pid[:])
	if k := clientKey; k != "" && len(k) <= 200 {
		h.Write([]byte("key:" + k))
	} else {
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
