package tracium

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// dropReportInterval keeps a long collector outage from flooding the
// error handler with one message per dropped span.
const dropReportInterval = 10 * time.Second

// exporter is the batch span processor of one Client, modelled on
// OpenTelemetry Go's: ended spans go into a bounded channel without ever
// blocking, and one goroutine sends them in batches when a batch fills, when
// the flush interval passes, or when Flush or Shutdown asks.
type exporter struct {
	client *Client
	cfg    *config
	url    string

	queue   chan *Span
	scoreQ  chan *ScoreData // scores queued by the Score methods
	flushes chan flushRequest
	stop    chan struct{}
	done    chan struct{}

	// ctx is cancelled when Shutdown gives up, so that an export stuck in
	// retries stops promptly.
	ctx    context.Context
	cancel context.CancelFunc

	stopped      atomic.Bool
	shutdownOnce sync.Once

	pending atomic.Int64 // spans and scores taken off the queues, not yet resolved
	sent    atomic.Int64
	dropped atomic.Int64
	failed  atomic.Int64

	// Owned by the run goroutine; reused across batches so that a steady
	// stream of spans does not allocate per batch beyond the request.
	batch    []*Span
	scores   []*ScoreData // sent in the same request as batch
	batchKey string
	json     []byte
	body     *sharedBody
	gz       *gzip.Writer
	data     SpanData
	encoded  int // spans of the batch that made it into body
	// failFast is set when a batch exhausted its retries and cleared by
	// the next answer that is not worth retrying. While it is set each
	// batch is tried once, so that a long outage, or a Shutdown without a
	// deadline against a dead collector, costs one retry budget rather
	// than one per batch.
	failFast      bool
	reportedDrops int64
	lastDropNote  time.Time
}

type flushRequest struct {
	ctx  context.Context
	done chan error
}

func newExporter(c *Client) *exporter {
	e := &exporter{
		client:  c,
		cfg:     &c.cfg,
		url:     c.cfg.endpoint + "/v1/ingest",
		queue:   make(chan *Span, c.cfg.maxQueueSize),
		scoreQ:  make(chan *ScoreData, c.cfg.maxQueueSize),
		flushes: make(chan flushRequest),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		batch:   make([]*Span, 0, c.cfg.batchSize),
	}
	e.body = &sharedBody{}
	e.gz, _ = gzip.NewWriterLevel(&e.body.buf, gzip.BestSpeed)
	e.ctx, e.cancel = context.WithCancel(context.Background())
	go e.run()
	return e
}

// enqueue hands an ended span to the exporter without blocking: when the
// queue is full the span is dropped and counted, and the run goroutine
// reports drops, so the caller's goroutine never runs the error handler.
func (e *exporter) enqueue(s *Span) {
	if e.stopped.Load() {
		e.dropped.Add(1)
		return
	}
	select {
	case e.queue <- s:
	default:
		e.dropped.Add(1)
	}
}

// enqueueScore hands a score to the exporter as enqueue does a span.
func (e *exporter) enqueueScore(d *ScoreData) {
	if e.stopped.Load() {
		e.dropped.Add(1)
		return
	}
	select {
	case e.scoreQ <- d:
	default:
		e.dropped.Add(1)
	}
}

func (e *exporter) stats() Stats {
	return Stats{
		Queued:  int64(len(e.queue)+len(e.scoreQ)) + e.pending.Load(),
		Sent:    e.sent.Load(),
		Dropped: e.dropped.Load(),
		Failed:  e.failed.Load(),
	}
}

func (e *exporter) run() {
	defer close(e.done)
	timer := time.NewTimer(e.cfg.flushInterval)
	defer timer.Stop()
	for {
		select {
		case s := <-e.queue:
			e.add(s)
			if e.full() {
				e.export(e.ctx)
				timer.Reset(e.cfg.flushInterval)
			}
		case d := <-e.scoreQ:
			e.addScore(d)
			if e.full() {
				e.export(e.ctx)
				timer.Reset(e.cfg.flushInterval)
			}
		case <-timer.C:
			e.export(e.ctx)
			e.reportDrops(false)
			timer.Reset(e.cfg.flushInterval)
		case req := <-e.flushes:
			req.done <- e.drain(req.ctx)
		case <-e.stop:
			// Whatever Shutdown's deadline left unsent is dropped now.
			abandoned := e.pending.Swap(0) + int64(len(e.queue)+len(e.scoreQ))
			e.dropped.Add(abandoned)
			clear(e.batch)
			clear(e.scores)
			e.reportDrops(true)
			return
		}
	}
}

func (e *exporter) add(s *Span) {
	e.batch = append(e.batch, s)
	e.pending.Add(1)
}

func (e *exporter) addScore(d *ScoreData) {
	e.scores = append(e.scores, d)
	e.pending.Add(1)
}

// full reports whether the batch holds batchSize spans and scores.
func (e *exporter) full() bool { return len(e.batch)+len(e.scores) >= e.cfg.batchSize }

// drain sends everything queued at the time of the call, stopping early
// when ctx ends; what it did not send stays queued.
func (e *exporter) drain(ctx context.Context) error {
	// Exports of a flush stop on the caller's ctx or on Shutdown giving up.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(e.ctx, cancel)()
	// Only this goroutine receives from the queue, so the n spans counted
	// now are there to take.
	for n := len(e.queue); n > 0; n-- {
		e.add(<-e.queue)
		if e.full() && !e.export(ctx) {
			return ctx.Err()
		}
	}
	for n := len(e.scoreQ); n > 0; n-- {
		e.addScore(<-e.scoreQ)
		if e.full() && !e.export(ctx) {
			return ctx.Err()
		}
	}
	if !e.export(ctx) {
		return ctx.Err()
	}
	return nil
}

func (e *exporter) flush(ctx context.Context) error {
	req := flushRequest{ctx: ctx, done: make(chan error, 1)}
	select {
	case e.flushes <- req:
	case <-e.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *exporter) shutdown(ctx context.Context) error {
	var err error
	e.shutdownOnce.Do(func() {
		// Refuse new spans first: flushing while a busy application keeps
		// adding would let Shutdown wait without end.
		e.stopped.Store(true)
		err = e.flush(ctx)
		e.cancel()
		close(e.stop)
		select {
		case <-e.done:
		case <-ctx.Done():
			err = cmpErr(err, ctx.Err())
		}
	})
	return err
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// reportDrops tells the error handler how many spans were dropped since
// the last report, at most once per dropReportInterval unless final.
func (e *exporter) reportDrops(final bool) {
	d := e.dropped.Load()
	if d == e.reportedDrops || (!final && time.Since(e.lastDropNote) < dropReportInterval) {
		return
	}
	e.client.reportError(fmt.Errorf("tracium: dropped %d spans or scores because the queue of %d was full or the client was shut down (%d dropped in total)",
		d-e.reportedDrops, e.cfg.maxQueueSize, d))
	e.reportedDrops, e.lastDropNote = d, time.Now()
}

// export sends the current batch. It returns false, keeping the batch,
// only when ctx ended while the exporter itself is still running, so that
// a Flush with a short deadline loses nothing.
func (e *exporter) export(ctx context.Context) bool {
	if len(e.batch) == 0 && len(e.scores) == 0 {
		return true
	}
	if e.batchKey == "" {
		id := newTraceID()
		e.batchKey = hex.EncodeToString(id[:])
	}
	if err := e.encode(); err != nil {
		e.finish(0, e.items(), err)
		return true
	}
	if e.encoded == 0 && len(e.scores) == 0 {
		e.finish(0, e.items(), nil)
		return true
	}
	accepted, failed, err := e.send(ctx)
	if err != nil && ctx.Err() != nil && e.ctx.Err() == nil {
		return false
	}
	e.finish(accepted, failed, err)
	return true
}

// finish resolves the current batch and clears it for reuse.
func (e *exporter) finish(accepted, failed int, err error) {
	e.sent.Add(int64(accepted))
	e.failed.Add(int64(failed))
	if err != nil {
		e.client.reportError(err)
	}
	e.pending.Add(-int64(e.items()))
	clear(e.batch) // let the spans be collected
	e.batch = e.batch[:0]
	clear(e.scores)
	e.scores = e.scores[:0]
	e.batchKey = ""
}

// items is how many spans and scores the current batch holds.
func (e *exporter) items() int { return len(e.batch) + len(e.scores) }

// encode writes the gzip-compressed batch body into e.body. A span that
// cannot be encoded after redaction is left out and reported; it counts
// as failed because the collector will not accept it.
func (e *exporter) encode() error {
	b := append(e.json[:0], `{"spans":[`...)
	first := true
	e.encoded = 0
	for _, s := range e.batch {
		if !first {
			b = append(b, ',')
		}
		if e.cfg.redact == nil {
			b = appendSpanJSON(b, s)
			first = false
			e.encoded++
			continue
		}
		e.data = spanData(s)
		j, err := e.redact()
		if err != nil {
			if !first {
				b = b[:len(b)-1]
			}
			e.client.reportError(fmt.Errorf("tracium: span %q not sent: %w", e.data.Name, err))
			continue
		}
		b = append(b, j...)
		first = false
		e.encoded++
	}
	b = append(b, ']')
	if len(e.scores) > 0 {
		b = append(b, `,"scores":[`...)
		for i, d := range e.scores {
			if i > 0 {
				b = append(b, ',')
			}
			j, err := json.Marshal(d)
			if err != nil { // the Score methods let only strings, bools and finite numbers through
				return fmt.Errorf("tracium: encode score %q: %w", d.Name, err)
			}
			b = append(b, j...)
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	e.json = b
	e.data = SpanData{} // do not keep the last span's values alive
	if e.body.readers.Load() > 0 {
		// The transport may still be reading the last request's body
		// (a collector can answer 413 before the upload ends); leave
		// that buffer to it rather than overwrite it.
		e.body = &sharedBody{}
	}
	e.body.buf.Reset()
	e.gz.Reset(&e.body.buf)
	if _, err := e.gz.Write(b); err != nil {
		return err
	}
	return e.gz.Close()
}

// redact runs the user's hook on e.data and encodes the result. A panic
// in the hook drops that span instead of the exporter goroutine and with
// it the process.
func (e *exporter) redact() (j []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("redaction hook panicked: %v", p)
		}
	}()
	e.cfg.redact(&e.data)
	return json.Marshal(&e.data)
}
