package queue_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/server/queue"
)

func open(t *testing.T, cfg queue.Config) *queue.Queue {
	t.Helper()
	if cfg.URL == "" && cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	q, err := queue.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return q
}

// TestFullStreamRefuses fills a small stream: the publish that does not
// fit fails with ErrFull and is counted, every batch accepted before it
// is still queued, and nothing was discarded to make room.
func TestFullStreamRefuses(t *testing.T) {
	t.Parallel()
	const maxBytes = 16 << 10
	q := open(t, queue.Config{MaxBytes: maxBytes})
	payload := bytes.Repeat([]byte("x"), 1000)
	accepted := 0
	var err error
	for i := range 100 {
		if err = q.Publish(t.Context(), 1, "m-"+strconv.Itoa(i), payload); err != nil {
			break
		}
		accepted++
	}
	if !errors.Is(err, queue.ErrFull) {
		t.Fatalf("after %d batches: err = %v, want ErrFull", accepted, err)
	}
	if accepted == 0 || accepted >= 100 {
		t.Fatalf("%d batches fit in %d bytes", accepted, maxBytes)
	}
	if got := q.FullRefusals(); got != 1 {
		t.Errorf("FullRefusals = %d, want 1", got)
	}
	st, err := q.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Batches != uint64(accepted) || st.Bytes == 0 || st.Bytes > maxBytes || st.MaxBytes != maxBytes {
		t.Errorf("stats %+v; want the %d accepted batches within %d bytes", st, accepted, maxBytes)
	}
	if st.Oldest.IsZero() || time.Since(st.Oldest) > time.Minute {
		t.Errorf("oldest batch at %v", st.Oldest)
	}
	// The first batch is still the first: discard-new kept it.
	cons, err := q.Consumer(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(1)
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		if md, _ := m.Metadata(); md == nil || md.Sequence.Stream != 1 {
			t.Errorf("first queued batch has metadata %+v; want stream sequence 1", md)
		}
	}
}

// TestConfigRefused: settings the queue cannot honour are refused at open,
// each with a message naming the problem.
func TestConfigRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  queue.Config
		want string
	}{
		{queue.Config{Replicas: 3}, "external JetStream cluster"},
		{queue.Config{Replicas: 7, URL: "nats://127.0.0.1:1"}, "replicas must be 1 to 5"},
		{queue.Config{MaxAge: time.Minute}, "at least its duplicate window"},
		{queue.Config{MaxBytes: -1}, "must not be negative"},
	} {
		if tc.cfg.URL == "" {
			tc.cfg.DataDir = t.TempDir()
		}
		_, err := queue.Open(t.Context(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v) = %v; want an error saying %q", tc.cfg, err, tc.want)
		}
	}
}

// TestMaxAgeApplied: the stream is created with the configured age limit
// and reports it.
func TestMaxAgeApplied(t *testing.T) {
	t.Parallel()
	q := open(t, queue.Config{MaxAge: 2 * time.Hour})
	st, err := q.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.MaxAge != 2*time.Hour || st.Replicas != 1 || st.MaxBytes != queue.DefaultMaxBytes || st.Batches != 0 || !st.Oldest.IsZero() {
		t.Errorf("stats %+v", st)
	}
}
