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
