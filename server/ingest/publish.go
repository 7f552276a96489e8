package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"

	"github.com/tracium/tracium/server/queue/batch"
	"github.com/tracium/tracium/store"
)

// publish queues validated spans and scores in as many messages as the
// queue's payload limit needs, in the span stream's encoding
// (server/queue/batch), which the writer reads without parsing the spans'
// JSON again. The body as sent is not queued: its spans are. Each message
// id derives from the request's, so a retried request is stored once even
// when its first attempt was partly queued.
func (h *Handler) publish(ctx context.Context, projectID int64, id string, _ []byte, spans []store.Span, scores []store.Score) error {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.PublishTimeout)
	defer cancel()
	held := payloadBuffers.Get().(*[]byte)
	chunks, buf, err := batch.AppendChunks(*held, spans, scores, int(h.queue.MaxPayload()-4096))
	defer func() {
		if cap(buf) <= maxPooledPayload {
			*held = buf
			payloadBuffers.Put(held)
		}
	}()
	if err != nil {
		return err
	}
	for i, c := range chunks {
		if err := h.queue.Publish(ctx, projectID, id+"-"+strconv.Itoa(i), c); err != nil {
			return err
		}
	}
	return nil
}

// payloadBuffers hold the encoded payloads of a request while it is
// published (Publisher.Publish keeps nothing of them), so that the next
// request encodes into memory already there.
var payloadBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledPayload bounds a buffer kept for reuse: the payloads of the
// batches SDKs send fit, and a rare large body's are left to the
// garbage collector.
const maxPooledPayload = 1 << 20

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
