// Package queue is the durable buffer between ingest and the store: a NATS
// JetStream stream of span batches. A batch is acknowledged to the SDK only
// once JetStream has stored it, and leaves the stream only when the writer
// has committed it to the store.
//
// With no URL configured, Open starts an embedded NATS server with
// JetStream file storage in the data directory, reached in-process without
// a network port.
package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tracium/tracium/server/metrics"
)

// Names of the streams, subjects and the writers' shared consumer.
const (
	StreamName    = "TRACIUM_SPANS"
	SubjectPrefix = "tracium.spans."
	DeadStream    = "TRACIUM_DEAD"
	DeadSubject   = "tracium.dead"
	ConsumerName  = "tracium-writer"

	// HeaderProject carries the project id of a batch.
	HeaderProject = "Tracium-Project"
	// HeaderReason says why a batch was dead-lettered.
	HeaderReason = "Tracium-Dead-Reason"
	// HeaderDeliveries says how many times a dead-lettered batch was
	// delivered to writers.
	HeaderDeliveries = "Tracium-Deliveries"
)

// ErrFull: the span stream is at its MaxBytes and refuses new batches
// (JetStream's discard-new policy) until the writers catch up. Nothing
// was stored; the same publish may succeed shortly.
var ErrFull = errors.New("span queue full")

// Config says which NATS to use and how to size the stream.
type Config struct {
	// URL of a NATS server with JetStream; empty starts an embedded one.
	// A cluster is several URLs separated by commas; the client finds the
	// rest of the cluster from any of them.
	URL string
	// DataDir holds the embedded server's JetStream files.
	DataDir string
	// MaxBytes bounds the stream; when full, publishes fail with ErrFull
	// (and ingest answers 503) rather than dropping batches not yet
	// written.
	MaxBytes int64
	// MaxAge, when set, is how long JetStream keeps a batch that no
	// writer has acknowledged: past it the batch is removed, written or
	// not. Zero keeps batches until they are written; a non-zero age
	// trades the loss of batches the writers fell that far behind on for
	// a bound on the stream's age. It must be at least DuplicateWindow.
	MaxAge time.Duration
	// DuplicateWindow is how long a message id is remembered, so that a
	// retried request is stored once.
	DuplicateWindow time.Duration
	// AckWait is how long a batch may go unacknowledged before JetStream
	// delivers it again: after a writer process died, its batches come
	// back this soon. Writers signal progress during long writes.
	AckWait time.Duration
	// Replicas of the stream on a clustered external NATS: 3 keeps every
	// accepted batch on three servers, so that the stream survives the
	// loss of one. The embedded server takes only 1.
	Replicas int
	// Metrics, when set, receives the queue's counters.
	Metrics *metrics.Registry
}

// Defaults for Config.
const (
	DefaultMaxBytes        = 8 << 30
	DefaultDuplicateWindow = 10 * time.Minute
	DefaultAckWait         = 15 * time.Second
	// EmbeddedMaxPayload is the embedded server's message size limit,
	// large enough for a whole default-sized ingest body.
	EmbeddedMaxPayload = 16 << 20
)

func (c *Config) validate() error {
	c.MaxBytes = cmp.Or(c.MaxBytes, DefaultMaxBytes)
	c.DuplicateWindow = cmp.Or(c.DuplicateWindow, DefaultDuplicateWindow)
	c.AckWait = cmp.Or(c.AckWait, DefaultAckWait)
	c.Replicas = cmp.Or(c.Replicas, 1)
	switch {
	case c.URL == "" && c.DataDir == "":
		return errors.New("queue: a data directory is required for the embedded NATS server")
	case c.Replicas < 1 || c.Replicas > MaxReplicas:
		return fmt.Errorf("queue: replicas must be 1 to %d, got %d", MaxReplicas, c.Replicas)
	case c.URL == "" && c.Replicas != 1:
		return fmt.Errorf("queue: the embedded NATS server is one server and keeps 1 replica; %d replicas need an external JetStream cluster (TRACIUM_NATS_URL)", c.Replicas)
	case c.MaxBytes < 0 || c.MaxAge < 0:
		return errors.New("queue: the stream's maximum bytes and age must not be negative")
	case c.AckWait < MinAckWait:
		return fmt.Errorf("queue: the ack wait (%s) must be at least %s: writers signal progress on a long write every 5s", c.AckWait, MinAckWait)
	case c.MaxAge > 0 && c.MaxAge < c.DuplicateWindow:
		return fmt.Errorf("queue: the stream's maximum age (%s) must be at least its duplicate window (%s)", c.MaxAge, c.DuplicateWindow)
	}
	return nil
}

// MaxReplicas is the most replicas JetStream keeps of a stream.
const MaxReplicas = 5

// MinAckWait is the shortest AckWait: twice the writers' progress signal.
const MinAckWait = 10 * time.Second

// Queue is a connection to the span stream. It is safe for concurrent use.
type Queue struct {
	cfg      Config
	embedded *natsserver.Server
	unlock   func() // releases the embedded store's lock
	nc       *nats.Conn
	js       jetstream.JetStream
	stream   jetstream.Stream
	// full counts publishes refused because the stream was full.
	full *metrics.Counter
}

// Open connects to NATS (starting the embedded server when cfg.URL is
// empty) and creates or updates the streams.
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewRegistry()
	}
	q := &Queue{cfg: cfg, full: cfg.Metrics.NewCounter("tracium_queue_full_refusals_total",
		"Batches refused because the span stream was at its maximum bytes (ingest answered 503).")}
	var err error
	if cfg.URL == "" {
		if q.unlock, err = lockDir(filepath.Join(cfg.DataDir, "jetstream.lock")); err != nil {
			return nil, err
		}
		q.embedded, err = startEmbedded(cfg.DataDir)
		if err != nil {
			q.Close()
			return nil, err
		}
		q.nc, err = nats.Connect("", nats.InProcessServer(q.embedded), nats.Name("tracium"), nats.MaxReconnects(-1))
	} else {
		q.nc, err = nats.Connect(cfg.URL, nats.Name("tracium"), nats.MaxReconnects(-1),
			nats.ReconnectWait(500*time.Millisecond), nats.RetryOnFailedConnect(false))
	}
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("queue: connect: %w", err)
	}
	if q.js, err = jetstream.New(q.nc); err != nil {
		q.Close()
		return nil, fmt.Errorf("queue: %w", err)
	}
	if err := q.ensureStreams(ctx); err != nil {
		q.Close()
		return nil, err
	}
	return q, nil
}

func startEmbedded(dataDir string) (*natsserver.Server, error) {
	ns, err := natsserver.NewServer(&natsserver.Options{
		ServerName: "tracium-embedded",
		DontListen: true,
		JetStream:  true,
		StoreDir:   filepath.Join(dataDir, "jetstream"),
		MaxPayload: EmbeddedMaxPayload,
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("queue: embedded NATS did not start")
	}
	return ns, nil
}

func (q *Queue) ensureStreams(ctx context.Context) error {
	var err error
	q.stream, err = q.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Span batches accepted by ingest and not yet written to the store",
		Subjects:    []string{SubjectPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		MaxBytes:    q.cfg.MaxBytes,
		MaxAge:      q.cfg.MaxAge,
		Duplicates:  q.cfg.DuplicateWindow,
		Replicas:    q.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("queue: create stream %s: %w", StreamName, err)
	}
	_, err = q.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        DeadStream,
		Description: "Span batches the writer could never store, with the reason",
		Subjects:    []string{DeadSubject},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      30 * 24 * time.Hour,
		Replicas:    q.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("queue: create stream %s: %w", DeadStream, err)
	}
	return nil
}

// MaxPayload is the largest message the connected server accepts.
func (q *Queue) MaxPayload() int64 { return q.nc.MaxPayload() }

// Publish stores one batch for projectID. It returns once JetStream has
// acknowledged it; msgID deduplicates retries within the duplicate window.
func (q *Queue) Publish(ctx context.Context, projectID int64, msgID string, payload []byte) error {
	pid := strconv.FormatInt(projectID, 10)
	msg := nats.NewMsg(SubjectPrefix + pid)
	msg.Header.Set(HeaderProject, pid)
	msg.Data = payload
	if _, err := q.js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID)); err != nil {
		if isFull(err) {
			q.full.Inc()
			return fmt.Errorf("queue: publish: %w: %w", ErrFull, err)
		}
		return fmt.Errorf("queue: publish: %w", err)
	}
	return nil
}

// isFull reports whether JetStream refused a publish because the stream
// is at its limits (discard new).
func isFull(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	d := apiErr.Description
	return strings.Contains(d, "maximum bytes exceeded") || strings.Contains(d, "maximum messages exceeded")
}

// FullRefusals is how many publishes this process had refused because
// the stream was full.
func (q *Queue) FullRefusals() uint64 { return uint64(q.full.Value()) }

// Consumer returns the durable pull consumer that every writer process
// shares: JetStream hands each batch to one of them.
func (q *Queue) Consumer(ctx context.Context) (jetstream.Consumer, error) {
	c, err := q.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 10_000,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: consumer: %w", err)
	}
	return c, nil
}

// DeadLetter stores a batch's payload on the dead-letter stream with the
// reason it could not be written and the deliveries it took.
func (q *Queue) DeadLetter(ctx context.Context, projectID string, payload []byte, reason string, deliveries uint64) error {
	m := nats.NewMsg(DeadSubject)
	m.Header.Set(HeaderProject, projectID)
	m.Header.Set(HeaderReason, reason)
	m.Header.Set(HeaderDeliveries, strconv.FormatUint(deliveries, 10))
	m.Data = payload
	if _, err := q.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("queue: dead-letter: %w", err)
	}
	return nil
}

// Pending is the number of batches accepted but not yet written.
func (q *Queue) Pending(ctx context.Context) (uint64, error) {
	st, err := q.Stats(ctx)
	return st.Batches, err
}

// Stats is what the span stream holds: the batches accepted and not yet
// written.
type Stats struct {
	Batches  uint64
	Bytes    uint64
	MaxBytes int64
	// Oldest is when the oldest batch still queued was accepted; zero
	// when the stream is empty. With a MaxAge, a batch is removed at
	// Oldest + MaxAge whether written or not.
	Oldest   time.Time
	MaxAge   time.Duration
	Replicas int
}

// Stats reads the span stream's state from JetStream.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	info, err := q.stream.Info(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("queue: stream info: %w", err)
	}
	st := Stats{Batches: info.State.Msgs, Bytes: info.State.Bytes, MaxBytes: info.Config.MaxBytes,
		MaxAge: info.Config.MaxAge, Replicas: info.Config.Replicas}
	if info.State.Msgs > 0 {
		st.Oldest = info.State.FirstTime
	}
	return st, nil
}

// DeadCount is the number of dead-lettered batches kept.
func (q *Queue) DeadCount(ctx context.Context) (uint64, error) {
	s, err := q.js.Stream(ctx, DeadStream)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.Msgs, nil
}

// Ping reports whether JetStream answers.
func (q *Queue) Ping(ctx context.Context) error {
	if _, err := q.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	return nil
}

// Close drains the connection and stops the embedded server, if any.
func (q *Queue) Close() {
	if q.nc != nil {
		_ = q.nc.Drain()
		for q.nc.IsDraining() {
			time.Sleep(10 * time.Millisecond)
		}
		q.nc.Close()
	}
	if q.embedded != nil {
		q.embedded.Shutdown()
		q.embedded.WaitForShutdown()
	}
	if q.unlock != nil {
		q.unlock()
	}
}
