// Package writer moves span and score batches from the queue into the
// store. It
// acknowledges a batch only after the store committed it; a failed write
// is retried with backoff, never dropped; a batch that can never be
// written goes to the dead-letter stream with its reason. A bad batch
// never holds good ones back: a combined write that fails is split until
// only the batches that fail on their own are sent back.
package writer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tracium/tracium/server/metrics"
	"github.com/tracium/tracium/server/queue"
	"github.com/tracium/tracium/server/queue/batch"
	"github.com/tracium/tracium/store"
)

// Pricer sets a span's cost from its model and usage.
type Pricer interface {
	Apply(s *store.Span)
}

// DeadLetterer keeps batches that can never be written.
type DeadLetterer interface {
	DeadLetter(ctx context.Context, projectID string, payload []byte, reason string, deliveries uint64) error
}

// Store is what the writer needs of the store: writes, and a way to tell
// a batch that fails from a database that is down.
type Store interface {
	store.SpanWriter
	WriteScores(ctx context.Context, projectID int64, scores []store.Score) error
	Ping(ctx context.Context) error
}

// Config tunes the writer.
type Config struct {
	// FetchBatch is how many queued batches one fetch takes;
	// DefaultFetchBatch.
	FetchBatch int
	// WriteBytes bounds the queued bytes one store write combines (a
	// batch larger than that goes alone); DefaultWriteBytes.
	WriteBytes int
	// FetchWait bounds the wait for a full fetch.
	FetchWait time.Duration
	// MaxBackoff caps the redelivery delay after a failed write.
	MaxBackoff time.Duration
	// MaxDeliveries is how many times a batch is tried while the store
	// answers before it is dead-lettered with its last failure;
	// DefaultMaxDeliveries. While the store does not answer, batches wait
	// however long it takes.
	MaxDeliveries int
	Logger        *slog.Logger
	// Metrics are shared by every writer of a process; NewMetrics makes
	// them.
	Metrics *Metrics
}

// Metrics count what the writers of one process did.
type Metrics struct {
	written       *metrics.Counter
	scoresWritten *metrics.Counter
	failures      *metrics.Counter
	deadLetter    *metrics.Counter
	latency       *metrics.Histogram
}

// NewMetrics registers the writer metrics in reg.
func NewMetrics(reg *metrics.Registry) *Metrics {
	return &Metrics{
		written:       reg.NewCounter("tracium_writer_spans_written_total", "Spans committed to the store."),
		scoresWritten: reg.NewCounter("tracium_writer_scores_written_total", "Scores committed to the store."),
		failures:      reg.NewCounter("tracium_writer_write_failures_total", "Store writes that failed and will be retried."),
		deadLetter:    reg.NewCounter("tracium_writer_dead_letters_total", "Batches moved to the dead-letter stream."),
		latency:       reg.NewHistogram("tracium_writer_write_seconds", "Time of one store write.", metrics.LatencyBuckets),
	}
}

// Defaults for Config.
const (
	DefaultFetchBatch = 50
	DefaultWriteBytes = 8 << 20
	DefaultFetchWait  = 500 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
	// DefaultMaxDeliveries spans about a minute and a half of backoff.
	DefaultMaxDeliveries = 10
)

// Writer consumes the queue. Several writers, in one process or many, may
// share the consumer: JetStream gives each batch to one of them, and the
// store's idempotent writes make a redelivered batch harmless.
type Writer struct {
	cfg    Config
	cons   jetstream.Consumer
	store  Store
	prices Pricer
	dead   DeadLetterer
	*Metrics
}

// New returns a writer over the consumer.
func New(cfg Config, cons jetstream.Consumer, st Store, prices Pricer, dead DeadLetterer) *Writer {
	cfg.FetchBatch = cmp.Or(cfg.FetchBatch, DefaultFetchBatch)
	cfg.WriteBytes = cmp.Or(cfg.WriteBytes, DefaultWriteBytes)
	cfg.MaxDeliveries = cmp.Or(cfg.MaxDeliveries, DefaultMaxDeliveries)
	cfg.FetchWait = cmp.Or(cfg.FetchWait, DefaultFetchWait)
	cfg.MaxBackoff = cmp.Or(cfg.MaxBackoff, DefaultMaxBackoff)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(metrics.NewRegistry())
	}
	return &Writer{cfg: cfg, cons: cons, store: st, prices: prices, dead: dead, Metrics: cfg.Metrics}
}

// Run writes batches until ctx is done. The batch in hand when ctx ends is
// still written and acknowledged: shutdown drains, it does not abandon.
func (w *Writer) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		batch, err := w.cons.Fetch(w.cfg.FetchBatch, jetstream.FetchMaxWait(w.cfg.FetchWait))
		if err != nil {
			w.cfg.Logger.Warn("writer: fetch", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		var msgs []jetstream.Msg
		for m := range batch.Messages() {
			msgs = append(msgs, m)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && len(msgs) == 0 {
			w.cfg.Logger.Warn("writer: fetch", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		if len(msgs) > 0 {
			w.process(context.WithoutCancel(ctx), msgs)
		}
	}
	return nil
}

// item is one queued batch, decoded.
type item struct {
	msg     jetstream.Msg
	project int64
	spans   []store.Span
	scores  []store.Score
	// validated says ingest validated them (batch.Batch.Validated).
	validated bool
}

func (w *Writer) process(ctx context.Context, msgs []jetstream.Msg) {
	byProject := map[int64][]item{}
	var order []int64
	for _, m := range msgs {
		it, err := w.decode(m)
		if err != nil {
			w.poison(ctx, m, err)
			continue
		}
		if _, ok := byProject[it.project]; !ok {
			order = append(order, it.project)
		}
		byProject[it.project] = append(byProject[it.project], it)
	}
	for _, p := range order {
		for _, items := range bySize(byProject[p], w.cfg.WriteBytes) {
			w.writeProject(ctx, p, items)
		}
	}
}

// bySize splits items, in order, into runs of at most limit queued bytes,
// each run one store write; a batch larger than limit is a run of its own.
func bySize(items []item, limit int) [][]item {
	var runs [][]item
	start, size := 0, 0
	for i, it := range items {
		n := len(it.msg.Data())
		if i > start && size+n > limit {
			runs = append(runs, items[start:i])
			start, size = i, 0
		}
		size += n
	}
	return append(runs, items[start:])
}

// writeProject writes a project's batches in one store write. When that
// fails while the store answers, it splits them in halves and writes each,
// down to single batches: the good ones are written, and only a batch that
// fails on its own is retried or dead-lettered.
func (w *Writer) writeProject(ctx context.Context, project int64, items []item) {
	// Sized first: a write combines thousands of spans of hundreds of
	// bytes each, which growing by doubling would copy again and again.
	nSpans, nScores := 0, 0
	for _, it := range items {
		nSpans, nScores = nSpans+len(it.spans), nScores+len(it.scores)
	}
	all := make([]store.Span, 0, nSpans)
	var scores []store.Score
	if nScores > 0 {
		scores = make([]store.Score, 0, nScores)
	}
	for _, it := range items {
		all = append(all, it.spans...)
		scores = append(scores, it.scores...)
	}
	validated := true
	for _, it := range items {
		validated = validated && it.validated
	}
	stop := keepAlive(items, progressEvery)
	err := w.write(ctx, project, all, scores, validated)
	stop()
	switch {
	case err == nil:
		for _, it := range items {
			_ = it.msg.Ack()
		}
	case w.outage(ctx, err):
		w.failures.Inc()
		w.cfg.Logger.Warn("writer: store unavailable; will retry", "project", project, "batches", len(items), "spans", len(all), "err", err)
		for _, it := range items {
			_ = it.msg.NakWithDelay(w.backoff(it.msg))
		}
	case len(items) > 1:
		half := len(items) / 2
		w.writeProject(ctx, project, items[:half])
		w.writeProject(ctx, project, items[half:])
	default:
		w.failed(ctx, project, items[0], err)
	}
}

// failed settles one batch whose own write failed while the store
// answers: a batch the store calls invalid is dead-lettered at once, any
// other is retried until its deliveries reach the limit.
func (w *Writer) failed(ctx context.Context, project int64, it item, err error) {
	n := deliveries(it.msg)
	switch {
	case errors.Is(err, store.ErrInvalid):
		w.poison(ctx, it.msg, err)
	case n >= uint64(w.cfg.MaxDeliveries):
		w.poison(ctx, it.msg, fmt.Errorf("failed %d deliveries; the last: %w", n, err))
	default:
		w.failures.Inc()
		w.cfg.Logger.Warn("writer: batch write failed; will retry", "project", project, "spans", len(it.spans),
			"delivery", n, "max_deliveries", w.cfg.MaxDeliveries, "err", err)
		_ = it.msg.NakWithDelay(w.backoff(it.msg))
	}
}

// outage reports whether err means the store is down rather than the
// batch bad: a failure the store calls unavailable, or any failure while
// the store does not answer a ping.
func (w *Writer) outage(ctx context.Context, err error) bool {
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, store.ErrInvalid) {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return w.store.Ping(ctx) != nil
}

// write stores the spans, then the scores: both writes are idempotent,
// so a batch whose scores failed after its spans committed is written
// again whole. Spans that ingest validated go without the checks it
// made.
func (w *Writer) write(ctx context.Context, project int64, spans []store.Span, scores []store.Score, validated bool) error {
	start := time.Now()
	writeSpans := w.store.WriteSpans
	if validated {
		writeSpans = w.store.WriteValidatedSpans
	}
	err := writeSpans(ctx, project, spans)
	if err == nil {
		w.written.Add(float64(len(spans)))
		if err = w.store.WriteScores(ctx, project, scores); err == nil {
			w.scoresWritten.Add(float64(len(scores)))
		}
	}
	w.latency.Observe(time.Since(start).Seconds())
	return err
}

func (w *Writer) decode(m jetstream.Msg) (item, error) {
	it := item{msg: m}
	pid, err := strconv.ParseInt(m.Headers().Get(queue.HeaderProject), 10, 64)
	if err != nil {
		return it, fmt.Errorf("missing or bad %s header", queue.HeaderProject)
	}
	it.project = pid
	b, err := batch.Decode(m.Data())
	if err != nil {
		return it, err
	}
	it.spans, it.scores, it.validated = b.Spans, b.Scores, b.Validated
	if w.prices != nil {
		for i := range it.spans {
			w.prices.Apply(&it.spans[i])
		}
	}
	return it, nil
}

// poison moves a batch that can never be written to the dead-letter
// stream, then acknowledges it. If the dead-letter publish fails, the
// batch stays queued and comes back.
func (w *Writer) poison(ctx context.Context, m jetstream.Msg, reason error) {
	w.cfg.Logger.Error("writer: dead-lettering a batch that cannot be stored",
		"subject", m.Subject(), "reason", reason.Error())
	if err := w.dead.DeadLetter(ctx, m.Headers().Get(queue.HeaderProject), deadPayload(m.Data()), reason.Error(), deliveries(m)); err != nil {
		w.cfg.Logger.Warn("writer: dead-letter publish failed; batch stays queued", "err", err)
		_ = m.NakWithDelay(w.backoff(m))
		return
	}
	w.deadLetter.Inc()
	_ = m.Ack()
}

// deadPayload is what the dead-letter stream keeps of a queued payload:
// a batch in the binary encoding as JSON (batch.EncodeJSON), which people
// can read and any later collector replays; anything else as it came.
// The spans are decoded afresh, as ingest queued them, before any
// pricing.
func deadPayload(data []byte) []byte {
	b, err := batch.Decode(data)
	if err != nil || !b.Validated {
		return data
	}
	js, err := batch.EncodeJSON(b.Spans, b.Scores)
	if err != nil {
		return data
	}
	return js
}

// backoff doubles with every delivery, from 250 ms to MaxBackoff.
func (w *Writer) backoff(m jetstream.Msg) time.Duration {
	d := 250 * time.Millisecond << min(deliveries(m)-1, 16)
	return min(d, w.cfg.MaxBackoff)
}

// deliveries is how many times JetStream has delivered m, this time
// included.
func deliveries(m jetstream.Msg) uint64 {
	if md, err := m.Metadata(); err == nil && md.NumDelivered > 0 {
		return md.NumDelivered
	}
	return 1
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// progressEvery is how often a writer tells JetStream it is still working
// on the batches in hand; well inside the queue's AckWait.
const progressEvery = 5 * time.Second

// keepAlive signals progress on the items until stop is called, so that a
// slow write is not mistaken for a dead writer and redelivered.
func keepAlive(items []item, every time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, it := range items {
					_ = it.msg.InProgress()
				}
			}
		}
	}()
	return func() { close(done) }
}
